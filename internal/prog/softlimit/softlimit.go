// Package softlimit is the softlimit program. PLACEHOLDER: replaced by its real implementation.
package softlimit

import "github.com/svbridge/svbridge/internal/cli"

// Main runs softlimit.
func Main(e *cli.Env) int {
	return cli.Fatal(e.Stderr, "softlimit", cli.ExitTemp, "not implemented yet")
}
