// Command svbridge is the multi-call binary of the suite. Invoked under a
// program's name (a symlink such as svc -> svbridge) it runs that program
// with daemontools syntax; "svbridge PROGRAM args..." does the same. Any other
// invocation goes to the cobra umbrella (help, completion, man pages, admin
// subcommands).
package main

import (
	"os"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/rlimit"
)

func main() {
	// The lean binary hands svscan over to us with its limits raised
	// (lean.Forward): take the limits it started with, for the programs we
	// start, and the program's name for ps, pgrep and killall, which the
	// exec of "svbridge" changed.
	if rlimit.Inherit() {
		unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(comm(os.Args[0]))), 0, 0, 0)
	}
	os.Exit(run(cli.OS()))
}

// comm is name's last element as the kernel keeps a process's name: at
// most 15 bytes and a NUL.
func comm(name string) *byte {
	b := []byte(filepath.Base(name))
	if len(b) > 15 {
		b = b[:15]
	}
	return &append(b, 0)[0]
}

func run(e *cli.Env) int {
	if p, ok := programs[filepath.Base(e.Args[0])]; ok {
		return p.main(e)
	}
	if len(e.Args) > 1 {
		if p, ok := programs[e.Args[1]]; ok {
			sub := *e
			sub.Args = e.Args[1:]
			return p.main(&sub)
		}
	}
	return umbrella(e)
}
