// Package pgrphack is the pgrphack program. PLACEHOLDER: replaced by its real implementation.
package pgrphack

import "github.com/svbridge/svbridge/internal/cli"

// Main runs pgrphack.
func Main(e *cli.Env) int {
	return cli.Fatal(e.Stderr, "pgrphack", cli.ExitTemp, "not implemented yet")
}
