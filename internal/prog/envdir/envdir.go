// Package envdir is the envdir program. PLACEHOLDER: replaced by its real implementation.
package envdir

import "github.com/svbridge/svbridge/internal/cli"

// Main runs envdir.
func Main(e *cli.Env) int {
	return cli.Fatal(e.Stderr, "envdir", cli.ExitTemp, "not implemented yet")
}
