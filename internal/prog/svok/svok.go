// Package svok is the svok program: its exit code tells whether a supervise
// runs on a service directory (0 yes, 100 no, 111 when it cannot tell).
package svok

import (
	"errors"
	"syscall"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/supervise/svctl"
)

// Main runs svok. Only the first argument is used; it is never an option.
func Main(e *cli.Env) int {
	if len(e.Args) < 2 {
		return cli.Usage(e.Stderr, "svok", "svok dir")
	}
	dir := e.Args[1]
	err := svctl.OK(dir)
	if err == nil {
		return cli.ExitOK
	}
	chdir := svctl.IsChdir(err)
	var se *svctl.Error
	if errors.As(err, &se) {
		err = se.Err
	}
	switch {
	case chdir:
		return cli.Fatal(e.Stderr, "svok", cli.ExitTemp, "unable to chdir to ", dir, ": ", err)
	case errors.Is(err, svctl.ErrNotRunning), errors.Is(err, syscall.ENOENT):
		// Like the original: no reader, or no FIFO at all, is "not running".
		return cli.ExitUsage
	}
	return cli.Fatal(e.Stderr, "svok", cli.ExitTemp, "unable to open ", dir, "/supervise/ok: ", err)
}
