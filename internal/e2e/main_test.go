package e2e

import (
	"fmt"
	"os"
	"testing"

	"github.com/svbridge/svbridge/internal/e2e/sdh"
	"github.com/svbridge/svbridge/internal/testbin"
)

// bin holds our binaries as the container sees them at /opt/svbridge:
// svbridge with a symlink per program, the lean supervise, notifyd.
var bin string

// root is the module's root directory.
var root string

var programs = []string{"svscan", "svscanboot", "svc", "svok", "svstat", "multilog", "readproctitle",
	"tai64n", "tai64nlocal", "setuidgid", "envuidgid", "envdir", "softlimit", "setlock", "fghack", "pgrphack"}

func TestMain(m *testing.M) {
	if why := sdh.Unavailable(); why != "" {
		fmt.Println("skipping end-to-end tests:", why)
		os.Exit(m.Run()) // each test skips with the reason
	}
	r, err := testbin.Root()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	root = r
	os.Exit(testbin.Main(m, []string{"./cmd/svbridge", "./cmd/supervise", "./internal/e2e/notifyd"}, programs,
		func(dir string) { bin = dir }))
}
