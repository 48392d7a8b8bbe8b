package scan

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/supervise/pidfd"
	"github.com/svbridge/svbridge/supervise/state"
	"github.com/svbridge/svbridge/supervise/svdir"
)

// A restarted svscan finds the tree its predecessor left: supervise
// processes still running (they hold supervise/lock), and services and
// loggers still running after an all-in-one svscan died (their supervisors
// died with it). It leaves a live supervise alone and follows it through a
// pidfd, and takes each log pipe back from the processes that hold it
// (logpipe.go), so a later restart of either side still uses the same pipe.

// lockHeld reports whether dir/supervise/lock is held by some process (a
// live supervise). It does not create anything.
func lockHeld(dir string) bool {
	fd, err := unix.Open(filepath.Join(dir, svdir.Lock), unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return err == unix.EWOULDBLOCK
	}
	unix.Flock(fd, unix.LOCK_UN)
	return false
}

// recorded opens, from dir's status.json, the supervisor (super) or the
// run it records, when it is still that very process (start time and boot
// checked) and not this process.
func recorded(dir string, super bool) *pidfd.Proc {
	js, err := state.Read(dir)
	if err != nil || js.BootID == "" || js.BootID != pidfd.BootID() {
		return nil
	}
	pid, start := js.Pid, js.PidStart
	if super {
		pid, start = js.Supervisor, js.SupervisorStart
	}
	if pid <= 0 || pid == os.Getpid() {
		return nil
	}
	p, err := pidfd.Open(pid, start)
	if err != nil {
		return nil
	}
	return p
}

// liveSupervisor returns the supervise process that holds dir's lock, or
// nil when the lock is free. held reports a lock held by a process we
// cannot follow (Debian's supervise writes no status.json): the directory
// is then left alone, quietly, until the lock is free.
func liveSupervisor(dir string) (p *pidfd.Proc, held bool) {
	if !lockHeld(dir) {
		return nil, false
	}
	return recorded(dir, true), true
}

// follow returns the supervisor for p, a supervise process this scanner
// did not start: controlled through its FIFO and signalled through p, its
// end posted on s.exits as the reaper does for the scanner's own children.
func (s *Scanner) follow(p *pidfd.Proc) supervisor {
	sup := &process{pid: p.Pid, proc: p}
	go func() {
		if p.Wait() {
			s.exits <- sup
		}
	}()
	return sup
}
