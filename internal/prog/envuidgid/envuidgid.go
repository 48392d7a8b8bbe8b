// Package envuidgid is the envuidgid program. PLACEHOLDER: replaced by its real implementation.
package envuidgid

import "github.com/svbridge/svbridge/internal/cli"

// Main runs envuidgid.
func Main(e *cli.Env) int {
	return cli.Fatal(e.Stderr, "envuidgid", cli.ExitTemp, "not implemented yet")
}
