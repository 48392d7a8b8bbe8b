// Command supervise is the lean binary: the same engine as "svbridge
// supervise", without cobra or go-systemd, to keep the memory of one process
// per service low. Run under the name of another daemontools program (the
// packages link every daemontools name here), it is that program instead:
// scripts call svc, svok and svstat in loops and run scripts exec the chain
// loaders at every start, and this binary starts faster than the multi-call
// svbridge, which links cobra and the systemd bridge. It is also small
// enough for the kernel to map it under the limits run scripts set:
// "softlimit -m 4000000" leaves 4,000,000 bytes of address space, and the
// kernel maps the whole executable at exec, before any code of ours runs
// (about 3.1 MB here, against 4 MB for svbridge, which does not fit);
// package rlimit then lifts the soft limits for the Go runtime. svscan,
// which speaks to systemd through go-systemd, is the exception: under that
// name this binary lifts the limits, then hands over to the svbridge
// installed beside it, which then fits (lean.Forward).
//
// Only argv[0] picks the program: "supervise svc" supervises a directory
// named svc, as it always has.
//
// Why its own journald sender (bridge/journal, fed by bridge/journalobs) and not go-systemd's journal
// package: one supervise runs per service, so what it links is paid a
// thousand times. go-systemd's journal.Send goes through Go's net package
// (net.UnixConn, whose package initialisation and resolver add memory and
// start-up time, and whose writes wait on the network poller when journald's
// socket is full), where ours is a datagram sent with MSG_DONTWAIT from a
// plain unix socket: a stuck journald can never stall a supervise, it loses
// an entry instead. svscan, which runs once from the multi-call svbridge
// binary that links net anyway, uses go-systemd's daemon package for
// sd_notify (bridge/systemd). TestLeanBinaryDeps in internal/prog/supervise
// keeps net, cobra and go-systemd out of this binary.
package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/prog/lean"
	"github.com/svbridge/svbridge/internal/prog/supervise"
	"github.com/svbridge/svbridge/internal/rlimit"
)

// mark tells the re-executed process that GOMAXPROCS=1 was set by us, so
// that it can take both variables out of the services' environment.
const mark = "SVBRIDGE_SUPERVISE_REEXEC"

func main() {
	name := filepath.Base(os.Args[0])
	if m, ok := lean.Programs[name]; ok {
		os.Exit(m(cli.OS()))
	}
	if lean.Forwarded[name] {
		os.Exit(lean.Forward(cli.OS()))
	}
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
			// with the soft limits we were given, which the new
			// process's entry stub keeps for ./run in its turn
			rlimit.Exec(self, os.Args, env, nil)
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
