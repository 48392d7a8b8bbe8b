// Package svscanboot is the svscanboot program. PLACEHOLDER: replaced by its real implementation.
package svscanboot

import "github.com/svbridge/svbridge/internal/cli"

// Main runs svscanboot.
func Main(e *cli.Env) int {
	return cli.Fatal(e.Stderr, "svscanboot", cli.ExitTemp, "not implemented yet")
}
