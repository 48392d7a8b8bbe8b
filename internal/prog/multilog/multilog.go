// Package multilog is the multilog program: it reads lines on stdin and
// logs them as its script says (see the multilog package).
package multilog

import (
	"errors"
	"os"
	"os/signal"
	"syscall"

	"github.com/svbridge/svbridge/internal/cli"
	ml "github.com/svbridge/svbridge/multilog"
	"golang.org/x/sys/unix"
)

const prog = "multilog"

// Main runs multilog with the script in e.Args[1:].
func Main(e *cli.Env) int {
	unix.Umask(0o022)
	sc := ml.Parse(e.Args[1:])
	l, err := ml.Open(sc, ml.Options{Stderr: e.Stderr, Environ: e.Environment()})
	if err != nil {
		var ie *ml.InitError
		if errors.As(err, &ie) {
			return cli.Fatal(e.Stderr, prog, cli.ExitTemp, ie.What, ": ", ie.Err)
		}
		return cli.Fatal(e.Stderr, prog, cli.ExitTemp, err)
	}
	f, ok := e.Stdin.(*os.File)
	if !ok {
		l.Run(e.Stdin)
		return 0
	}
	// From a pipe (always the case under svscan), input leaves the pipe
	// only once it is logged, so that a kill -9 loses nothing.
	var in interface {
		Read([]byte) (int, error)
		Wake()
		Close()
	}
	fd := int(f.Fd())
	if ml.IsPipe(fd) {
		if p, perr := ml.NewPipeInput(fd); perr == nil {
			in = p
		}
	}
	if in == nil {
		// Not a pipe, or no way to read it by tee(2): read it.
		in, err = ml.NewFileInput(fd)
	}
	if err != nil {
		return cli.Fatal(e.Stderr, prog, cli.ExitTemp, "unable to create pipe: ", err)
	}
	defer in.Close()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGALRM)
	defer signal.Stop(sigs)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case s := <-sigs:
				if s == syscall.SIGALRM {
					l.ForceRotate()
				} else {
					l.Exit()
				}
				in.Wake()
			case <-done:
				return
			}
		}
	}()
	l.Run(in)
	return 0
}
