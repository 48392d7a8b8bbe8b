// Package reap is the one child reaper of a process. Every child a
// supervisor starts is registered with the Reaper under its pid; on SIGCHLD
// the Reaper collects exit statuses with wait4(-1, WNOHANG) until none is
// left and hands each one to the function registered for that pid.
//
// A process that uses a Reaper must start all its children through it: a
// concurrent exec.Cmd.Wait would lose its status to wait4(-1). Statuses of
// children nobody registered (processes re-parented to us when we are pid 1
// or a subreaper) are collected and dropped.
//
// The Reaper has no per-process globals of its own beyond the signal
// subscription; make exactly one per process and pass it to every user.
package reap

import (
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/svbridge/svbridge/internal/rlimit"
)

// Func receives the wait status of a registered child. It is called from
// the Reaper's goroutine, so it must return quickly (post the status to a
// channel, for instance).
type Func func(pid int, ws syscall.WaitStatus)

// Reaper collects the exit statuses of the children of this process.
type Reaper struct {
	mu     sync.Mutex
	procs  map[int]Func
	sig    chan os.Signal
	done   chan struct{}
	closed bool
}

// New starts a Reaper: it subscribes to SIGCHLD and runs one goroutine that
// sleeps until a signal arrives (no periodic wake-ups).
func New() *Reaper {
	r := &Reaper{
		procs: make(map[int]Func),
		sig:   make(chan os.Signal, 1),
		done:  make(chan struct{}),
	}
	signal.Notify(r.sig, syscall.SIGCHLD)
	go r.loop()
	return r
}

// ErrClosed is returned by Start after Close.
var ErrClosed = errors.New("reaper closed")

// Start forks and execs argv0 with rlimit.ForkExec (syscall.ForkExec, the
// program getting the soft limits the process started with) and registers
// f for the child's pid before the child can be reaped, so no status is
// lost even if the child exits at once. It returns the pid.
func (r *Reaper) Start(argv0 string, argv []string, attr *syscall.ProcAttr, f Func) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, ErrClosed
	}
	pid, err := rlimit.ForkExec(argv0, argv, attr)
	if err != nil {
		return 0, err
	}
	r.procs[pid] = f
	return pid, nil
}

// Pending returns how many registered children have not been reaped yet.
func (r *Reaper) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.procs)
}

// Close stops the Reaper's goroutine and its SIGCHLD subscription.
// Children still registered are no longer reaped.
func (r *Reaper) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	r.mu.Unlock()
	signal.Stop(r.sig)
	close(r.done)
}

func (r *Reaper) loop() {
	// A child may have exited before Notify took effect: reap once first.
	r.reap()
	for {
		select {
		case <-r.sig:
			r.reap()
		case <-r.done:
			return
		}
	}
}

type reaped struct {
	pid int
	ws  syscall.WaitStatus
	f   Func
}

// reap collects every status available now and dispatches them after
// releasing the lock, so a Func may call Start.
func (r *Reaper) reap() {
	var out []reaped
	r.mu.Lock()
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			break
		}
		if ws.Stopped() || ws.Continued() {
			continue
		}
		f, ok := r.procs[pid]
		if !ok {
			continue // not ours to report
		}
		delete(r.procs, pid)
		if f != nil {
			out = append(out, reaped{pid, ws, f})
		}
	}
	r.mu.Unlock()
	for _, x := range out {
		x.f(x.pid, x.ws)
	}
}
