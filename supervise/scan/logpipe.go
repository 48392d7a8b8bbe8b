package scan

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/supervise/pidfd"
	"github.com/svbridge/svbridge/supervise/svdir"
)

// The log pipe joins a service's stdout to its logger's stdin. The scanner
// holds both ends, so either side can be restarted without losing a line;
// a restarted svscan takes the pipe back from the processes that hold it.

func (s *Scanner) openPipe(e *entry) error {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return err
	}
	e.r = os.NewFile(uintptr(p[0]), "log pipe (read)")
	e.w = os.NewFile(uintptr(p[1]), "log pipe (write)")
	e.hasLog = true
	return nil
}

// pipeFailed reports a log pipe that could not be made; for want of
// descriptors, with the supervise not started in this scan.
func (s *Scanner) pipeFailed(name string, err error) {
	if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
		s.startFailed(name, err)
		return
	}
	s.warn("unable to create pipe for ", name, ": ", err)
}

// closeWrite drops the scanner's write end, so the logger sees end of file
// once the service's side is gone too.
func (s *Scanner) closeWrite(e *entry) {
	if e.w != nil {
		e.w.Close()
		e.w = nil
	}
}

func (s *Scanner) closePipe(e *entry) {
	s.closeWrite(e)
	if e.r != nil {
		e.r.Close()
		e.r = nil
	}
}

func (s *Scanner) closeAll() {
	for _, e := range s.entries {
		s.closePipe(e)
	}
}

// unread returns how many bytes wait in e's pipe.
func (s *Scanner) unread(e *entry) int {
	if e.r == nil {
		return 0
	}
	n, err := unix.IoctlGetInt(int(e.r.Fd()), unix.TIOCINQ)
	if err != nil {
		return 0
	}
	return n
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
