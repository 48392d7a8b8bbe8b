// Command supervise is the lean supervise binary: the same engine as
// "svbridge supervise", without cobra or go-systemd, to keep the memory of
// one process per service low.
package main

import (
	"os"
	"runtime"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/prog/supervise"
)

func main() {
	// One service needs no parallelism; one P also means one set of
	// per-P allocation caches, which is most of an idle Go process's heap.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	os.Exit(supervise.Main(cli.OS()))
}
