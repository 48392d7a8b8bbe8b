// Package tai64nlocal is the tai64nlocal program. PLACEHOLDER: replaced by its real implementation.
package tai64nlocal

import "github.com/svbridge/svbridge/internal/cli"

// Main runs tai64nlocal.
func Main(e *cli.Env) int {
	return cli.Fatal(e.Stderr, "tai64nlocal", cli.ExitTemp, "not implemented yet")
}
