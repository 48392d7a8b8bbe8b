// Package setuidgid is the setuidgid program. PLACEHOLDER: replaced by its real implementation.
package setuidgid

import "github.com/svbridge/svbridge/internal/cli"

// Main runs setuidgid.
func Main(e *cli.Env) int {
	return cli.Fatal(e.Stderr, "setuidgid", cli.ExitTemp, "not implemented yet")
}
