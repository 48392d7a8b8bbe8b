// Package setlock is daemontools' setlock: open a file, lock it (flock), and
// run a child that holds the lock: the descriptor survives the exec.
package setlock

import (
	"github.com/svbridge/svbridge/internal/chain"
	"github.com/svbridge/svbridge/internal/chain/getopt"
	"github.com/svbridge/svbridge/internal/cli"
	"golang.org/x/sys/unix"
)

const (
	prog  = "setlock"
	usage = "setlock [ -nNxX ] file program [ arg ... ]"
)

// Main runs setlock.
func Main(e *cli.Env) int {
	if len(e.Args) == 0 {
		return cli.Usage(e.Stderr, prog, usage)
	}
	opts, rest, bad := getopt.Parse(e.Args[1:], "nNxX")
	if bad != nil {
		bad.Print(e.Stderr, e.Args[0])
		return cli.Usage(e.Stderr, prog, usage)
	}
	nodelay, quiet := false, false
	for _, o := range opts {
		switch o.Char {
		case 'n':
			nodelay = true
		case 'N':
			nodelay = false
		case 'x':
			quiet = true
		case 'X':
			quiet = false
		}
	}
	if len(rest) < 2 {
		return cli.Usage(e.Stderr, prog, usage)
	}
	file, argv := rest[0], rest[1:]

	// No O_CLOEXEC: the child inherits the descriptor, and with it the lock.
	fd, err := unix.Open(file, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_APPEND|unix.O_CREAT, 0o600)
	if err != nil {
		if quiet {
			return 0
		}
		return cli.Fatal(e.Stderr, prog, cli.ExitTemp, "unable to open ", file, ": ", err)
	}
	how := unix.LOCK_EX
	if nodelay {
		how |= unix.LOCK_NB
	}
	for {
		err = unix.Flock(fd, how)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		if quiet {
			return 0
		}
		return cli.Fatal(e.Stderr, prog, cli.ExitTemp, "unable to lock ", file, ": ", err)
	}
	return chain.Run(e, prog, argv, nil)
}
