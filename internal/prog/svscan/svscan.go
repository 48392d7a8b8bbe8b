// Package svscan is the svscan program. PLACEHOLDER: replaced by its real implementation.
package svscan

import "github.com/svbridge/svbridge/internal/cli"

// Main runs svscan.
func Main(e *cli.Env) int {
	return cli.Fatal(e.Stderr, "svscan", cli.ExitTemp, "not implemented yet")
}
