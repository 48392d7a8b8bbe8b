package scan

import (
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/svbridge/svbridge/supervise"
	"github.com/svbridge/svbridge/supervise/reap"
)

// Defaults of Config.
const (
	DefaultInterval    = 5 * time.Second       // daemontools' rescan period
	DefaultSettle      = 40 * time.Millisecond // quiet time before starting a freshly made dir
	DefaultLogGrace    = 10 * time.Second      // how long a stopping logger may take to drain
	DefaultMaxServices = 1000                  // daemontools' SERVICES
	DefaultStopLimit   = 10 * time.Second      // longest orderly stop before what is left is killed
)

// Config is what a Scanner needs. Zero durations take the defaults.
type Config struct {
	Dir string // the scan directory ("." after svscan's chdir)
	// Path is the scan directory's absolute path as given, links not
	// resolved; services are named after their entries in it (a link
	// NAME -> /elsewhere/x is the service NAME). Empty: Dir made absolute.
	Path     string
	Launcher Launcher
	Reaper   *reap.Reaper           // required: starts and reaps the supervise processes
	Observer supervise.ScanObserver // may be nil
	Warn     io.Writer              // svscan's own warnings ("svscan: warning: ...")
	Prog     string                 // program name in messages; "svscan" if empty

	// Stdin, Stdout and Stderr are inherited by the supervise processes
	// (nil: svscan's own). A service with a log dir gets the pipe as
	// stdout; its logger gets the pipe as stdin.
	Stdin, Stdout, Stderr *os.File
	Environ               []string // nil: os.Environ()

	// InProcess runs each supervisor inside this process (the engine of
	// package supervise, one goroutine set per service dir, all children
	// reaped by Reaper) instead of starting a supervise process. Events
	// then receives every supervisor's transitions (may be nil).
	InProcess bool
	Events    supervise.Observer

	// OwnCgroup: svscan is the main process of a systemd service whose
	// cgroup is its own (the unit leaves the other processes alive when
	// svscan dies). After an orderly stop, svscan then ends whatever is
	// still in its cgroup, so that nothing of the tree is left behind.
	OwnCgroup bool

	Interval    time.Duration // rescan period
	Settle      time.Duration // quiet time before starting a dir noticed while it is being filled
	LogGrace    time.Duration // after "x" to a stopping logger, how long before "dx"
	StopLimit   time.Duration // after SIGTERM, how long before every supervise left (and its children) is killed
	MaxServices int
}

// withDefaults returns cfg with every zero field filled in.
func (cfg Config) withDefaults() Config {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Settle <= 0 {
		cfg.Settle = DefaultSettle
	}
	if cfg.LogGrace <= 0 {
		cfg.LogGrace = DefaultLogGrace
	}
	if cfg.StopLimit <= 0 {
		cfg.StopLimit = DefaultStopLimit
	}
	if cfg.MaxServices <= 0 {
		cfg.MaxServices = DefaultMaxServices
	}
	if cfg.Dir == "" {
		cfg.Dir = "."
	}
	if cfg.Path == "" {
		if abs, err := filepath.Abs(cfg.Dir); err == nil {
			cfg.Path = abs
		} else {
			cfg.Path = cfg.Dir
		}
	}
	if cfg.Warn == nil {
		cfg.Warn = io.Discard
	}
	if cfg.Stdin == nil {
		cfg.Stdin = os.Stdin
	}
	if cfg.Stdout == nil {
		cfg.Stdout = os.Stdout
	}
	if cfg.Stderr == nil {
		cfg.Stderr = os.Stderr
	}
	if cfg.Environ == nil {
		cfg.Environ = os.Environ()
	}
	if cfg.Prog == "" {
		cfg.Prog = "svscan"
	}
	return cfg
}
