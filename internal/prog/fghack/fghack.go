// Package fghack is the fghack program. PLACEHOLDER: replaced by its real implementation.
package fghack

import "github.com/svbridge/svbridge/internal/cli"

// Main runs fghack.
func Main(e *cli.Env) int {
	return cli.Fatal(e.Stderr, "fghack", cli.ExitTemp, "not implemented yet")
}
