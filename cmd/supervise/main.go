// Command supervise is the lean supervise binary: the same engine as
// "svbridge supervise", without cobra or go-systemd, to keep the memory of
// one process per service low.
package main

import (
	"os"
	"strings"
	"syscall"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/prog/supervise"
)

// mark tells the re-executed process that GOMAXPROCS=1 was set by us, so
// that it can take both variables out of the services' environment.
const mark = "SVBRIDGE_SUPERVISE_REEXEC"

func main() {
	// One service needs no parallelism, and a runtime that starts with one
	// P keeps one set of allocation caches: about 200 kB less per
	// supervise than calling runtime.GOMAXPROCS(1) after start-up (which
	// is too late). So when GOMAXPROCS is not set, run ourselves again
	// with it; if that fails, go on as we are. The re-exec goes through
	// the binary's own path, not /proc/self/exe, so that ps, pgrep and
	// killall still see the process as "supervise".
	if os.Getenv("GOMAXPROCS") == "" && os.Getenv(mark) == "" {
		if self, err := os.Executable(); err == nil {
			env := append(os.Environ(), "GOMAXPROCS=1", mark+"=1")
			syscall.Exec(self, os.Args, env)
		}
	}
	e := cli.OS()
	if os.Getenv(mark) != "" {
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "GOMAXPROCS=") && !strings.HasPrefix(kv, mark+"=") {
				env = append(env, kv)
			}
		}
		e.Environ = env
	}
	os.Exit(supervise.Main(e))
}
