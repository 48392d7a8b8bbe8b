package scan

import (
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/supervise/pidfd"
	"github.com/svbridge/svbridge/supervise/state"
	"github.com/svbridge/svbridge/supervise/svdir"
)

// A restarted svscan finds the tree its predecessor left: supervise
// processes still running (they hold supervise/lock), and services and
// loggers still running after an all-in-one svscan died (their supervisors
// died with it). It leaves a live supervise alone and follows it through a
// pidfd, and takes each log pipe back from the processes that hold it, so a
// later restart of either side still uses the same pipe.

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

// follow posts the end of a supervise process this scanner did not start
// on s.exits, as the reaper does for its own children.
func (s *Scanner) follow(p *pidfd.Proc) {
	go func() {
		if p.Wait() {
			s.exits <- exited{p.Pid}
		}
	}()
}

// recoverPipe takes back the log pipe between the service in dir name and
// its logger from the processes that still hold it: the logger's
// supervise (stdin) or its running logger (stdin), the service's
// supervise (stdout) or its running service (stdout). It returns false when
// none of them is alive.
func (s *Scanner) recoverPipe(e *entry, name string) bool {
	main, log := s.path(name), filepath.Join(s.path(name), svdir.Log)
	for _, c := range []struct {
		dir   string
		super bool
		fd    int
	}{{log, true, 0}, {log, false, 0}, {main, true, 1}, {main, false, 1}} {
		p := recorded(c.dir, c.super)
		if p == nil {
			continue
		}
		r, w, err := pipeOf(p, c.fd)
		p.Close()
		if err != nil {
			continue
		}
		e.r, e.w, e.hasLog = r, w, true
		return true
	}
	return false
}

// pipeOf returns new read and write ends of the pipe that is descriptor fd
// of p: a copy taken with pidfd_getfd(2) (or, without the right to, opened
// through /proc/PID/fd), reopened in each direction so the other process's
// file description is left as it is.
func pipeOf(p *pidfd.Proc, fd int) (r, w *os.File, err error) {
	src, err := p.GetFD(fd)
	path := ""
	if err == nil {
		defer src.Close()
		rc, err := src.SyscallConn()
		if err != nil {
			return nil, nil, err
		}
		var n uintptr
		rc.Control(func(fd uintptr) { n = fd })
		path = "/proc/self/fd/" + strconv.Itoa(int(n))
		var st unix.Stat_t
		if err := unix.Fstat(int(n), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
			return nil, nil, unix.EINVAL
		}
	} else {
		path = "/proc/" + strconv.Itoa(p.Pid) + "/fd/" + strconv.Itoa(fd)
		var st unix.Stat_t
		if err := unix.Stat(path, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
			return nil, nil, unix.EINVAL
		}
	}
	// Read end first: a write end cannot be opened without a reader.
	rfd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	wfd, err := unix.Open(path, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(rfd)
		return nil, nil, err
	}
	if !p.Alive() { // the /proc path may have named a reused pid
		unix.Close(rfd)
		unix.Close(wfd)
		return nil, nil, unix.ESRCH
	}
	unix.SetNonblock(rfd, false)
	unix.SetNonblock(wfd, false)
	return os.NewFile(uintptr(rfd), "log pipe (read)"), os.NewFile(uintptr(wfd), "log pipe (write)"), nil
}
