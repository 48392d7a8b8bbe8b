// Package multilog is the multilog program. PLACEHOLDER: replaced by its real implementation.
package multilog

import "github.com/svbridge/svbridge/internal/cli"

// Main runs multilog.
func Main(e *cli.Env) int {
	return cli.Fatal(e.Stderr, "multilog", cli.ExitTemp, "not implemented yet")
}
