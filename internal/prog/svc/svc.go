// Package svc is the svc program. PLACEHOLDER: replaced by its real implementation.
package svc

import "github.com/svbridge/svbridge/internal/cli"

// Main runs svc.
func Main(e *cli.Env) int {
	return cli.Fatal(e.Stderr, "svc", cli.ExitTemp, "not implemented yet")
}
