// Package svok is the svok program. PLACEHOLDER: replaced by its real implementation.
package svok

import "github.com/svbridge/svbridge/internal/cli"

// Main runs svok.
func Main(e *cli.Env) int {
	return cli.Fatal(e.Stderr, "svok", cli.ExitTemp, "not implemented yet")
}
