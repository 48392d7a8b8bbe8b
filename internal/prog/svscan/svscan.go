// Package svscan is the svscan program: daemontools 0.76's svscan [DIR],
// plus an immediate start of new service dirs (inotify) and an orderly
// stop on SIGTERM. The engine is supervise/scan.
package svscan

import (
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/svbridge/svbridge/bridge/journalobs"
	"github.com/svbridge/svbridge/bridge/systemd"
	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/sdnotify"
	"github.com/svbridge/svbridge/supervise"
	"github.com/svbridge/svbridge/supervise/reap"
	"github.com/svbridge/svbridge/supervise/scan"
)

const prog = "svscan"

// EnvInProcess and InProcessFile turn the all-in-one mode on: every
// supervisor runs inside svscan instead of one supervise process each.
const (
	EnvInProcess  = "SVBRIDGE_INPROCESS"
	InProcessFile = ".svbridge-inprocess"
)

// EnvInterval overrides the 5-second rescan period (a Go duration such as
// "1h" or "500ms"); tests use it to tell a SIGHUP rescan from a periodic one.
const EnvInterval = "SVBRIDGE_SCAN_INTERVAL"

// inProcessGCPercent is the garbage collector's target in all-in-one mode
// (Go's default is 100).
const inProcessGCPercent = 50

// Main runs svscan.
func Main(e *cli.Env) int {
	// The scan directory's path as given (links not resolved): services
	// are named after their entries in it.
	path, _ := os.Getwd()
	if len(e.Args) > 1 {
		if filepath.IsAbs(e.Args[1]) || path == "" {
			path = filepath.Clean(e.Args[1])
		} else {
			path = filepath.Join(path, e.Args[1])
		}
		if err := os.Chdir(e.Args[1]); err != nil {
			return cli.Fatal(e.Stderr, prog, cli.ExitTemp, "unable to chdir to ", e.Args[1], ": ", err)
		}
	}
	if path == "" {
		path = "."
	}

	// Subscribe before the first child exists.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	r := reap.New()
	defer r.Close()

	// Under systemd (the unit's main process: INVOCATION_ID and its own
	// NOTIFY_SOCKET), the unit's cgroup is svscan's tree: the orderly stop
	// ends what is left in it (the unit's KillMode=process leaves the tree
	// running when svscan dies, and no longer kills it on stop). Read
	// before the observer is made.
	notify, invocation := false, false
	for _, kv := range e.Environment() {
		notify = notify || strings.HasPrefix(kv, "NOTIFY_SOCKET=") && len(kv) > len("NOTIFY_SOCKET=")
		invocation = invocation || strings.HasPrefix(kv, "INVOCATION_ID=") && len(kv) > len("INVOCATION_ID=")
	}
	ownCgroup := notify && invocation

	// NOTIFY_SOCKET and WATCHDOG_* are svscan's own (the observer sends
	// through them): the supervise processes, and so the services, get an
	// environment without them.
	var obs supervise.ScanObserver
	if n := systemd.NewNotifier(path); n != nil {
		defer n.Close() // STOPPING=1 goes out before svscan exits
		obs = n
	}
	exe, _ := os.Executable()
	env := sdnotify.Environ(e.Environment(), "")
	getenv := func(k string) string {
		for i := len(env) - 1; i >= 0; i-- {
			if len(env[i]) > len(k) && env[i][len(k)] == '=' && env[i][:len(k)] == k {
				return env[i][len(k)+1:]
			}
		}
		return ""
	}
	var interval time.Duration
	if v := getenv(EnvInterval); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			interval = d
		} else {
			cli.Warn(e.Stderr, prog, "ignoring ", EnvInterval, "=", v, ": not a positive duration")
		}
	}
	cfg := scan.Config{
		Dir:      ".",
		Path:     path,
		Launcher: scan.FindSupervise(getenv, exe),
		Reaper:   r,
		Observer: obs,
		Warn:     e.Stderr,
		Prog:     prog,
		Stdin:    fileOr(e.Stdin, os.Stdin),
		Stdout:   fileOr(e.Stdout, os.Stdout),
		Stderr:   fileOr(e.Stderr, os.Stderr),
		Environ:  env,
		Interval: interval,
	}
	cfg.OwnCgroup = ownCgroup
	if inProcess(getenv) {
		cfg.InProcess = true
		cfg.Events = journalobs.NewObserver()
		// One process holds every supervisor: its heap is the tree's
		// memory, and a small live heap costs little to collect more
		// often. Half of Go's default garbage headroom saves about 4 kB
		// per service (bench-pss.sh); GOGC set by the admin wins.
		if os.Getenv("GOGC") == "" {
			debug.SetGCPercent(inProcessGCPercent)
		}
	}
	return scan.New(cfg).Run(sigs)
}

// inProcess reports whether the supervisors should run inside svscan:
// $SVBRIDGE_INPROCESS=1, or a file named .svbridge-inprocess in the scan
// directory (svscan has chdir'd into it).
func inProcess(getenv func(string) string) bool {
	if getenv(EnvInProcess) == "1" {
		return true
	}
	_, err := os.Stat(InProcessFile)
	return err == nil
}

// fileOr returns w when it is a file (so children can inherit it), else def.
func fileOr(w any, def *os.File) *os.File {
	if f, ok := w.(*os.File); ok {
		return f
	}
	return def
}
