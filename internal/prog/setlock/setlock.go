// Package setlock is the setlock program. PLACEHOLDER: replaced by its real implementation.
package setlock

import "github.com/svbridge/svbridge/internal/cli"

// Main runs setlock.
func Main(e *cli.Env) int {
	return cli.Fatal(e.Stderr, "setlock", cli.ExitTemp, "not implemented yet")
}
