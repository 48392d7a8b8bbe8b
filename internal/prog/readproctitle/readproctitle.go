// Package readproctitle is the readproctitle program. PLACEHOLDER: replaced by its real implementation.
package readproctitle

import "github.com/svbridge/svbridge/internal/cli"

// Main runs readproctitle.
func Main(e *cli.Env) int {
	return cli.Fatal(e.Stderr, "readproctitle", cli.ExitTemp, "not implemented yet")
}
