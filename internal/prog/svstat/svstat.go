// Package svstat is the svstat program. PLACEHOLDER: replaced by its real implementation.
package svstat

import "github.com/svbridge/svbridge/internal/cli"

// Main runs svstat.
func Main(e *cli.Env) int {
	return cli.Fatal(e.Stderr, "svstat", cli.ExitTemp, "not implemented yet")
}
