// Package svc is the svc program: it sends one-letter commands to the
// supervise of each service directory named, as daemontools 0.76 does, plus
// the letters q, 1, 2 and w (QUIT, USR1, USR2, WINCH) of daemontools-encore
// and runit.
package svc

import (
	"errors"
	"strings"
	"syscall"

	"github.com/svbridge/svbridge/internal/chain/getopt"
	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/supervise/svctl"
)

// Letters are the options svc accepts; each is sent as the same byte.
const Letters = "udopchaitkxq12w"

// usage is the original's usage line, kept byte for byte.
const usage = "svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill\n"

// Parse reads svc's options (args[0] is the program name) as daemontools'
// getopt does (see package getopt): options come before the first operand,
// letters may be clustered ("-dx"), "-" alone is an operand, and any word
// starting with "--" ("--", "--foo", "---") ends the options and is
// dropped. It returns the command bytes in the order first given, each
// once, and the directories. For an unknown letter it returns ok false and
// that letter.
func Parse(args []string) (cmds []byte, dirs []string, bad byte, ok bool) {
	if len(args) == 0 {
		return nil, nil, 0, true
	}
	opts, dirs, err := getopt.Parse(args[1:], Letters)
	if err != nil {
		return nil, nil, err.Char, false
	}
	for _, o := range opts {
		if strings.IndexByte(string(cmds), o.Char) < 0 {
			cmds = append(cmds, o.Char)
		}
	}
	return cmds, dirs, 0, true
}

// progName is argv[0] after its last slash, as getopt's messages name it.
func progName(argv0 string) string {
	return argv0[strings.LastIndexByte(argv0, '/')+1:]
}

// Main runs svc. It exits 0 even when some directories fail (they get a
// warning each), 100 on an unknown option, 111 when the current directory
// cannot be opened.
func Main(e *cli.Env) int {
	name := "svc"
	if len(e.Args) > 0 {
		name = progName(e.Args[0])
	}
	cmds, dirs, bad, ok := Parse(e.Args)
	if !ok {
		msg := make([]byte, 0, 160)
		msg = append(msg, name...)
		msg = append(msg, ": illegal option -- "...)
		msg = append(msg, bad, '\n')
		msg = append(msg, usage...)
		e.Stderr.Write(msg)
		return cli.ExitUsage
	}
	if err := checkCwd(); err != nil {
		return cli.Fatal(e.Stderr, "svc", cli.ExitTemp, "unable to open current directory: ", err)
	}
	for _, dir := range dirs {
		err := svctl.Control(dir, cmds)
		if err == nil {
			continue
		}
		chdir := svctl.IsChdir(err)
		var se *svctl.Error
		if errors.As(err, &se) {
			err = se.Err
		}
		if chdir {
			cli.Warn(e.Stderr, "svc", "unable to chdir to ", dir, ": ", err)
		} else {
			cli.Warn(e.Stderr, "svc", "unable to control ", dir, ": ", err)
		}
	}
	return cli.ExitOK
}

// checkCwd opens the current directory as the original does before its
// loop (it fchdirs back to it after each directory).
func checkCwd() error {
	fd, err := syscall.Open(".", syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	return syscall.Close(fd)
}
