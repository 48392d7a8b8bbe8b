// Package tai64n is the tai64n program. PLACEHOLDER: replaced by its real implementation.
package tai64n

import "github.com/svbridge/svbridge/internal/cli"

// Main runs tai64n.
func Main(e *cli.Env) int {
	return cli.Fatal(e.Stderr, "tai64n", cli.ExitTemp, "not implemented yet")
}
