// Package supervise is the supervise program. PLACEHOLDER: replaced by its real implementation.
package supervise

import "github.com/svbridge/svbridge/internal/cli"

// Main runs supervise.
func Main(e *cli.Env) int {
	return cli.Fatal(e.Stderr, "supervise", cli.ExitTemp, "not implemented yet")
}
