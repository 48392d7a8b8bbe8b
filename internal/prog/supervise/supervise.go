// Package supervise is the supervise program: daemontools 0.76's
// "supervise DIR", run by the engine in package supervise with one reaper
// for this process. Events go to journald when the bridge provides an
// observer (journalobs.NewObserver returns nil without journald).
package supervise

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/svbridge/svbridge/bridge/journalobs"
	"github.com/svbridge/svbridge/internal/cli"
	engine "github.com/svbridge/svbridge/supervise"
	"github.com/svbridge/svbridge/supervise/reap"
)

const prog = "supervise"

// Main runs supervise.
func Main(e *cli.Env) int {
	if len(e.Args) != 2 {
		return cli.Usage(e.Stderr, prog, "supervise dir")
	}
	dir := e.Args[1]
	// The service is named as the operand names it, completed by the
	// working directory as the shell or svscan keeps it in $PWD: a link
	// /etc/service/NAME -> /elsewhere/x is NAME, its logger NAME/log.
	service := dir
	if !filepath.IsAbs(dir) {
		if wd, err := os.Getwd(); err == nil {
			service = filepath.Join(wd, dir)
		}
	}
	if err := os.Chdir(dir); err != nil {
		return cli.Fatal(e.Stderr, prog, cli.ExitTemp, "unable to chdir to ", dir, ": ", unwrap(err))
	}
	r := reap.New()
	defer r.Close()
	cfg := engine.Config{Dir: ".", Name: dir, Service: engine.ServiceName(service), Reaper: r, Log: e.Stderr, Prog: prog, Environ: e.Environ, WatchDir: true}
	if obs := journalobs.NewObserver(); obs != nil {
		cfg.Observer = obs
	}
	s, err := engine.New(cfg)
	if err != nil {
		return cli.Fatal(e.Stderr, prog, cli.ExitTemp, err.Error())
	}
	s.Run()
	return cli.ExitOK
}

func unwrap(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
