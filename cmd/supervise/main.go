// Command supervise is the lean supervise binary: the same engine as
// "svbridge supervise", without cobra or go-systemd, to keep the memory of
// one process per service low.
package main

import (
	"os"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/prog/supervise"
)

func main() {
	os.Exit(supervise.Main(cli.OS()))
}
