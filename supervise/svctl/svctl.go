// Package svctl is the client side of a supervise directory: it writes
// commands into supervise/control (svc, svscan), probes supervise/ok (svok,
// svstat) and reads supervise/status (svstat), with the same system calls and
// in the same order as daemontools 0.76, so callers can print the original's
// messages.
//
// Paths inside the service directory are resolved relative to a descriptor
// of the directory (as the original does after chdir), without changing the
// process's working directory.
package svctl

import (
	"errors"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/supervise/status"
	"github.com/svbridge/svbridge/supervise/svdir"
)

// ErrNotRunning means no supervise has the FIFO open for reading: the
// non-blocking open of supervise/control or supervise/ok failed with ENXIO.
// Its text is the original's wording.
var ErrNotRunning = errors.New("supervise not running")

// ErrBadFormat means supervise/status held fewer than status.Size bytes.
var ErrBadFormat = errors.New("bad format")

// Error is a failed step on a service directory. Op names the step in
// svstat's words: "chdir", "stat down", "open supervise/ok",
// "open supervise/status", "read supervise/status", "control" (opening or
// writing supervise/control).
type Error struct {
	Op  string
	Err error // a syscall.Errno, ErrNotRunning or ErrBadFormat
}

func (e *Error) Error() string { return "unable to " + e.Op + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Op values of Error.
const (
	OpChdir      = "chdir"
	OpStatDown   = "stat down"
	OpOpenOK     = "open supervise/ok"
	OpOpenStatus = "open supervise/status"
	OpReadStatus = "read supervise/status"
	OpControl    = "control"
)

// IsChdir reports whether err is a failure to enter the service directory.
func IsChdir(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Op == OpChdir
}

// openDir opens dir as chdir(2) would enter it: it must resolve to a
// directory the caller may search.
func openDir(dir string) (int, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &Error{OpChdir, err}
	}
	if err := unix.Faccessat(fd, ".", unix.X_OK, unix.AT_EACCESS); err != nil {
		unix.Close(fd)
		return -1, &Error{OpChdir, err}
	}
	return fd, nil
}

// openFIFO opens name under dfd for writing without blocking, mapping ENXIO
// (no reader: supervise is not running) to ErrNotRunning.
func openFIFO(dfd int, name, op string) (int, error) {
	fd, err := unix.Openat(dfd, name, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err == unix.ENXIO {
		return -1, &Error{op, ErrNotRunning}
	}
	if err != nil {
		return -1, &Error{op, err}
	}
	return fd, nil
}

// Control writes cmds, in one write, into dir/supervise/control, as svc does
// for each directory. It fails with an *Error whose Op is OpChdir when dir
// cannot be entered, else OpControl; errors.Is(err, ErrNotRunning) tells
// that no supervise runs there. An empty cmds still opens the FIFO, so the
// same errors are reported, as svc without options does.
func Control(dir string, cmds []byte) error {
	dfd, err := openDir(dir)
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	fd, err := openFIFO(dfd, svdir.Control, OpControl)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	// Block from here on, as the original turns O_NDELAY off before writing.
	if err := unix.SetNonblock(fd, false); err != nil {
		return &Error{OpControl, err}
	}
	for len(cmds) > 0 {
		n, err := unix.Write(fd, cmds)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &Error{OpControl, err}
		}
		cmds = cmds[n:]
	}
	return nil
}

// OK reports whether a supervise runs on dir: nil when supervise/ok has a
// reader, an *Error wrapping ErrNotRunning when it has none, or another
// *Error (Op OpChdir or OpOpenOK) when it cannot be opened.
func OK(dir string) error {
	dfd, err := openDir(dir)
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	return probeOK(dfd)
}

// probeOK is the step "open supervise/ok" of OK and Stat: it opens the FIFO
// under dfd without blocking and closes it at once; the errors are OK's.
func probeOK(dfd int) error {
	fd, err := openFIFO(dfd, svdir.OK, OpOpenOK)
	if err != nil {
		return err
	}
	unix.Close(fd)
	return nil
}

// Info is what svstat learns about a service directory.
type Info struct {
	NormallyUp bool // no "down" file
	Status     status.Status
}

// Stat does svstat's steps on dir in the original's order: enter the
// directory, stat "down", probe supervise/ok, then read the first
// status.Size bytes of supervise/status with a single read. A failed step is
// returned as an *Error naming it; a short status file is ErrBadFormat.
func Stat(dir string) (Info, error) {
	var info Info
	dfd, err := openDir(dir)
	if err != nil {
		return info, err
	}
	defer unix.Close(dfd)
	var st unix.Stat_t
	switch err := unix.Fstatat(dfd, svdir.Down, &st, 0); err {
	case nil:
	case unix.ENOENT:
		info.NormallyUp = true
	default:
		return info, &Error{OpStatDown, err}
	}
	if err := probeOK(dfd); err != nil {
		return info, err
	}
	info.Status, err = readStatus(dfd)
	return info, err
}

// ReadStatus reads dir/supervise/status without probing supervise/ok.
func ReadStatus(dir string) (status.Status, error) {
	dfd, err := openDir(dir)
	if err != nil {
		return status.Status{}, err
	}
	defer unix.Close(dfd)
	return readStatus(dfd)
}

func readStatus(dfd int) (status.Status, error) {
	fd, err := unix.Openat(dfd, svdir.Status, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return status.Status{}, &Error{OpOpenStatus, err}
	}
	defer unix.Close(fd)
	var b [status.Size]byte
	n, err := unix.Read(fd, b[:])
	for err == unix.EINTR {
		n, err = unix.Read(fd, b[:])
	}
	if err != nil {
		return status.Status{}, &Error{OpReadStatus, err}
	}
	if n < status.Size {
		return status.Status{}, &Error{OpReadStatus, ErrBadFormat}
	}
	return status.Decode(b[:])
}
