// Package pidfd holds a running process by a pid file descriptor, so that
// a supervisor can adopt a process it did not start: signals go through
// pidfd_send_signal(2) (never to a pid since reused by another process),
// the process's end is noticed at once (the descriptor becomes readable),
// and descriptors can be copied out of it with pidfd_getfd(2).
//
// A pid alone does not identify a process: Open checks the process's start
// time (field 22 of /proc/PID/stat, in clock ticks since boot) against the
// one recorded when the process was started, after the descriptor is
// open, so the descriptor is known to refer to that very process.
package pidfd

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// ErrNotSame is returned by Open when the pid now names another process
// than the one recorded (its start time differs), or names none.
var ErrNotSame = errors.New("process is not the one recorded")

// Proc is an open pid file descriptor.
type Proc struct {
	Pid int
	f   *os.File
}

// StartTime returns the start time of process pid, in clock ticks after
// boot (field 22 of /proc/PID/stat).
func StartTime(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces and parentheses: the
	// fields after it start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, ErrNotSame
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state); field 22 is f[19].
	if len(f) < 20 {
		return 0, ErrNotSame
	}
	return strconv.ParseUint(string(f[19]), 10, 64)
}

// BootID returns this boot's id (/proc/sys/kernel/random/boot_id), so a
// recorded start time is not compared with one of another boot; "" if it
// cannot be read.
func BootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return string(bytes.TrimSpace(b))
}

// Open opens a pid file descriptor on pid and checks that the process is
// still the one that started at start (clock ticks after boot) and has not
// exited.
func Open(pid int, start uint64) (*Proc, error) {
	if start == 0 {
		return nil, ErrNotSame
	}
	p, err := OpenCurrent(pid)
	if err != nil {
		return nil, err
	}
	// Checked after the descriptor is open: if the start time still
	// matches now, the descriptor holds the recorded process.
	if st, err := StartTime(pid); err != nil || st != start {
		p.Close()
		return nil, ErrNotSame
	}
	return p, nil
}

// OpenCurrent opens a pid file descriptor on the process pid names now,
// which must not have exited: for a pid just read from /proc, where there
// is no recorded start time to check. From then on the descriptor holds
// that process, whoever gets the pid later.
func OpenCurrent(pid int) (*Proc, error) {
	if pid <= 0 {
		return nil, ErrNotSame
	}
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		if err == unix.ESRCH {
			return nil, ErrNotSame
		}
		return nil, err
	}
	p := &Proc{Pid: pid, f: os.NewFile(uintptr(fd), "pidfd")}
	if !p.Alive() {
		p.Close()
		return nil, ErrNotSame
	}
	return p, nil
}

// Alive reports whether the process has not exited yet (a zombie counts as
// exited).
func (p *Proc) Alive() bool {
	alive := false
	p.control(func(fd int) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			n, err := unix.Poll(fds, 0)
			if err == unix.EINTR {
				continue
			}
			alive = err == nil && n == 0
			return
		}
	})
	return alive
}

// control runs fn on the descriptor (not through Fd, which would take it
// out of the runtime's poller); fn is not called once p is closed.
func (p *Proc) control(fn func(fd int)) bool {
	rc, err := p.f.SyscallConn()
	if err != nil {
		return false
	}
	return rc.Control(func(fd uintptr) { fn(int(fd)) }) == nil
}

// Signal sends sig to the process. It fails with ESRCH once the process
// has exited, whoever holds its pid now.
func (p *Proc) Signal(sig syscall.Signal) error {
	err := error(unix.EBADF)
	p.control(func(fd int) { err = unix.PidfdSendSignal(fd, sig, nil, 0) })
	return err
}

// Wait blocks until the process exits (in the runtime's poller: no thread
// is held) and reports true, or reports false when p is closed first.
func (p *Proc) Wait() bool {
	rc, err := p.f.SyscallConn()
	if err != nil {
		return false
	}
	gone := false
	err = rc.Read(func(fd uintptr) bool {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 0)
		if err == unix.EINTR {
			return false
		}
		gone = n > 0 || err != nil
		return gone
	})
	return err == nil && gone
}

// GetFD returns a copy of the process's descriptor fd (pidfd_getfd(2):
// needs the right to ptrace it), close-on-exec.
func (p *Proc) GetFD(fd int) (*os.File, error) {
	n, err := -1, error(unix.EBADF)
	p.control(func(pfd int) { n, err = unix.PidfdGetfd(pfd, fd, 0) })
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(n), "fd "+strconv.Itoa(fd)+" of pid "+strconv.Itoa(p.Pid)), nil
}

// Close releases the descriptor; a Wait in progress returns false.
func (p *Proc) Close() error { return p.f.Close() }
