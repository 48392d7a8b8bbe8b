package multilog

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/svbridge/svbridge/internal/rlimit"
	"github.com/svbridge/svbridge/internal/tai64n"
	"golang.org/x/sys/unix"
)

// File names inside a log directory, as daemontools 0.76 writes them.
const (
	Current   = "current"
	Lock      = "lock"
	State     = "state"
	NewState  = "newstate"
	Processed = "processed"
	Previous  = "previous"
)

// InitError is a failure while opening the script's files and directories:
// the original dies with "multilog: fatal: What: Err" and exit code 111
// before it reads any input.
type InitError struct {
	What string // e.g. "unable to lock directory ./log"
	Err  error
}

func (e *InitError) Error() string { return e.What + ": " + e.Err.Error() }
func (e *InitError) Unwrap() error { return e.Err }

// env is what a log directory needs from its Logger.
type env struct {
	warn    func(parts ...any) // prints "multilog: warning: parts"
	pause   time.Duration      // the original's 5-second pause after a failure
	stderr  io.Writer
	environ []string
	last    tai64n.Stamp // the last stamp used for a file name
}

func (e *env) pausing(parts ...any) {
	e.warn(parts...)
	time.Sleep(e.pause)
}

// stamp returns a stamp later than every one used before for a file name, so
// that two rotations within one clock tick still get distinct names.
func (e *env) stamp() tai64n.Stamp {
	s := tai64n.Now()
	if s.Sec < e.last.Sec || (s.Sec == e.last.Sec && s.Nano <= e.last.Nano) {
		s = e.last
		if s.Nano++; s.Nano >= 1e9 {
			s.Sec, s.Nano = s.Sec+1, 0
		}
	}
	e.last = s
	return s
}

// logDir is one log directory of the script: the original's struct cyclog.
// Output is kept in out until it is written; bytes counts what the
// original would have handed to write(2) so far, and p how many bytes at the
// end of out sit in the original's 512-byte buffer (see emulate.go).
type logDir struct {
	spec  DirSpec
	env   *env
	fd    int // the directory
	lock  int
	cur   int // current, open for appending
	abs   string
	bytes uint64
	out   []byte
	wpos  int // out[:wpos] is already written to current
	p     int
	sel   bool
}

func initErr(what string, err error) error { return &InitError{What: what, Err: err} }

func (d *logDir) name(file string) string { return d.spec.Path + "/" + file }

func openat(dir int, name string, flags int, mode uint32) (int, error) {
	for {
		fd, err := unix.Openat(dir, name, flags|unix.O_CLOEXEC, mode)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

const (
	openAppend = unix.O_WRONLY | unix.O_NONBLOCK | unix.O_APPEND | unix.O_CREAT
	openTrunc  = unix.O_WRONLY | unix.O_NONBLOCK | unix.O_TRUNC | unix.O_CREAT
	openRead   = unix.O_RDONLY | unix.O_NONBLOCK
)

// restart opens (creating if needed) and locks the directory and makes
// current ready to append to, recovering what an earlier multilog left: a
// current without the x bit was cut short and becomes an @....u file.
func (d *logDir) restart() error {
	path := d.spec.Path
	unix.Mkdir(path, 0o700)
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		var st unix.Stat_t
		if err = unix.Fstat(fd, &st); err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			err = unix.ENOTDIR
		}
		if err != nil {
			unix.Close(fd)
		}
	}
	if err != nil {
		return initErr("unable to open directory "+path, err)
	}
	d.fd = fd
	if abs, err := filepath.Abs(path); err == nil {
		d.abs = abs
	} else {
		d.abs = path
	}
	d.lock, err = openat(fd, Lock, openAppend, 0o600)
	if err == nil {
		err = unix.Flock(d.lock, unix.LOCK_EX|unix.LOCK_NB)
	}
	if err != nil {
		return initErr("unable to lock directory "+path, err)
	}

	var st unix.Stat_t
	if err := unix.Fstatat(fd, Current, &st, 0); err != nil {
		if err != unix.ENOENT {
			return initErr("unable to stat "+d.name(Current), err)
		}
	} else if st.Mode&0o100 != 0 {
		cur, err := openat(fd, Current, openAppend, 0o600)
		if err != nil {
			return initErr("unable to append to "+d.name(Current), err)
		}
		if err := unix.Fchmod(cur, 0o644); err != nil {
			return initErr("unable to set mode of "+d.name(Current), err)
		}
		d.cur, d.bytes = cur, uint64(st.Size)
		return nil
	}

	unix.Unlinkat(fd, State, 0)
	unix.Unlinkat(fd, NewState, 0)
	processed := false
	if err := unix.Fstatat(fd, Processed, &st, 0); err != nil {
		if err != unix.ENOENT {
			return initErr("unable to stat "+d.name(Processed), err)
		}
	} else if st.Mode&0o100 != 0 {
		processed = true
	}
	if processed {
		unix.Unlinkat(fd, Previous, 0)
		d.finish(Processed, 's')
	} else {
		unix.Unlinkat(fd, Processed, 0)
		d.finish(Previous, 'u')
	}
	d.finish(Current, 'u')

	sfd, err := openat(fd, State, openTrunc, 0o644)
	if err != nil {
		return initErr("unable to write to "+d.name(State), err)
	}
	unix.Close(sfd)
	cur, err := openat(fd, Current, openAppend, 0o600)
	if err != nil {
		return initErr("unable to write to "+d.name(Current), err)
	}
	if err := unix.Fchmod(cur, 0o644); err != nil {
		return initErr("unable to set mode of "+d.name(Current), err)
	}
	d.cur, d.bytes = cur, 0
	return nil
}

// finish gives file its final name @<tai64n>.<code> and then removes the
// oldest finished files until fewer than n remain.
func (d *logDir) finish(file string, code byte) {
	var st unix.Stat_t
	for {
		err := unix.Fstatat(d.fd, file, &st, 0)
		if err == nil {
			break
		}
		if err == unix.ENOENT {
			return
		}
		d.env.pausing("unable to stat ", d.name(file), ", pausing: ", err)
	}
	if st.Nlink == 1 {
		for {
			name := string(append(d.env.stamp().AppendLabel(make([]byte, 0, 27)), '.', code))
			err := unix.Linkat(d.fd, file, d.fd, name, 0)
			if err == nil {
				break
			}
			if err == unix.EEXIST {
				continue
			}
			d.env.pausing("unable to link to ", d.name(name), ", pausing: ", err)
		}
	}
	for {
		err := unix.Unlinkat(d.fd, file, 0)
		if err == nil || err == unix.ENOENT {
			break
		}
		d.env.pausing("unable to remove ", d.name(file), ", pausing: ", err)
	}
	for {
		done, err := d.filesfit()
		if err != nil {
			d.env.pausing("unable to read ", d.spec.Path, ", pausing: ", err)
			continue
		}
		if done {
			return
		}
	}
}

// filesfit removes the oldest finished file when there are n or more; it
// reports true when nothing (more) needs removing.
func (d *logDir) filesfit() (bool, error) {
	fd, err := openat(d.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return false, err
	}
	f := os.NewFile(uintptr(fd), d.spec.Path)
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return false, err
	}
	oldest, count := "@z", uint64(0)
	for _, n := range names {
		if len(n) >= tai64n.LabelSize && n[0] == '@' {
			count++
			if n < oldest {
				oldest = n[:tai64n.LabelSize]
			}
		}
	}
	if count < d.spec.Num {
		return true, nil
	}
	for _, n := range names {
		if len(n) >= tai64n.LabelSize && strings.HasPrefix(n, oldest) {
			if err := unix.Unlinkat(d.fd, n, 0); err != nil && err != unix.ENOENT {
				// The original would spin here; give up on trimming instead.
				d.env.warn("unable to remove ", d.name(n), ": ", err)
				return true, nil
			}
			break
		}
	}
	return false, nil
}

// writeOut writes out[wpos:pos] to current. A failed write (a full disk, an
// I/O error) is reported, paused on, and retried with the same bytes.
func (d *logDir) writeOut(pos int) {
	for d.wpos < pos {
		n, err := unix.Write(d.cur, d.out[d.wpos:pos])
		if n > 0 {
			d.wpos += n
			continue
		}
		if err == unix.EINTR {
			continue
		}
		if err == nil {
			err = io.ErrShortWrite
		}
		d.env.pausing("unable to write to ", d.name(Current), ", pausing: ", err)
	}
	// Keep only what is not written yet; callers index out from its end.
	if d.wpos > 0 {
		n := copy(d.out, d.out[d.wpos:])
		d.out, d.wpos = d.out[:n], 0
	}
}

// rotate writes out up to pos, then makes current a finished file.
func (d *logDir) rotate(pos int) {
	d.writeOut(pos)
	d.fullcurrent()
}

// fullcurrent is the original's rotation: current becomes previous, a new
// current is started, and previous is finished, through the processor if
// the script has one.
func (d *logDir) fullcurrent() {
	e := d.env
	for {
		err := unix.Fsync(d.cur)
		if err == nil || err == unix.EINVAL {
			break
		}
		e.pausing("unable to write ", d.name(Current), " to disk, pausing: ", err)
	}
	unix.Close(d.cur)
	for {
		err := unix.Renameat(d.fd, Current, d.fd, Previous)
		if err == nil {
			break
		}
		e.pausing("unable to rename current to previous in directory ", d.spec.Path, ", pausing: ", err)
	}
	for {
		fd, err := openat(d.fd, Current, openAppend, 0o600)
		if err == nil {
			d.cur = fd
			break
		}
		e.pausing("unable to create ", d.name(Current), ", pausing: ", err)
	}
	d.bytes = 0
	for {
		err := unix.Fchmod(d.cur, 0o644)
		if err == nil {
			break
		}
		e.pausing("unable to set mode of ", d.name(Current), ", pausing: ", err)
	}
	for {
		err := unix.Fchmodat(d.fd, Previous, 0o744, 0)
		if err == nil {
			break
		}
		e.pausing("unable to set mode of ", d.name(Previous), ", pausing: ", err)
	}
	if !d.spec.HasProc {
		d.finish(Previous, 's')
		return
	}
	for {
		err := d.runProcessor()
		if err == nil {
			break
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			e.pausing("processor failed in ", d.spec.Path, ", pausing")
		} else {
			e.pausing("unable to run ", d.spec.Processor, " in ", d.spec.Path, ", pausing: ", err)
		}
	}
	for {
		err := d.syncFile(Processed, true)
		if err == nil {
			break
		}
		e.pausing("unable to write ", d.name(Processed), " to disk, pausing: ", err)
	}
	for {
		err := d.syncFile(NewState, false)
		if err == nil {
			break
		}
		e.pausing("unable to write ", d.name(NewState), " to disk, pausing: ", err)
	}
	for {
		err := unix.Unlinkat(d.fd, Previous, 0)
		if err == nil || err == unix.ENOENT {
			break
		}
		e.pausing("unable to remove ", d.name(Previous), ", pausing: ", err)
	}
	for {
		err := unix.Renameat(d.fd, NewState, d.fd, State)
		if err == nil {
			break
		}
		e.pausing("unable to rename newstate to state in directory ", d.spec.Path, ", pausing: ", err)
	}
	d.finish(Processed, 's')
}

// syncFile fsyncs a file of the directory, and marks it finished (0744).
func (d *logDir) syncFile(name string, finished bool) error {
	fd, err := openat(d.fd, name, openAppend, 0o600)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Fsync(fd); err != nil && err != unix.EINVAL {
		return err
	}
	if finished {
		return unix.Fchmod(fd, 0o744)
	}
	return nil
}

// runProcessor runs "sh -c PROCESSOR" in the directory with previous on
// its stdin, processed as its stdout, state on fd 4 and newstate on fd 5.
func (d *logDir) runProcessor() error {
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	open := func(name string, flags int, mode uint32) (*os.File, error) {
		fd, err := openat(d.fd, name, flags, mode)
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: d.name(name), Err: err}
		}
		f := os.NewFile(uintptr(fd), name)
		files = append(files, f)
		return f, nil
	}
	prev, err := open(Previous, openRead, 0)
	if err != nil {
		return err
	}
	processed, err := open(Processed, openTrunc, 0o644)
	if err != nil {
		return err
	}
	state, err := open(State, openRead, 0)
	if err != nil {
		return err
	}
	newstate, err := open(NewState, openTrunc, 0o644)
	if err != nil {
		return err
	}
	for _, f := range []*os.File{prev, processed, state, newstate} {
		// The child gets these as plain blocking descriptors.
		unix.SetNonblock(int(f.Fd()), false)
	}
	cmd := &exec.Cmd{
		Path:       "/bin/sh",
		Args:       []string{"sh", "-c", d.spec.Processor},
		Dir:        d.abs,
		Env:        d.env.environ,
		Stdin:      prev,
		Stdout:     processed,
		Stderr:     d.env.stderr,
		ExtraFiles: []*os.File{nil, state, newstate},
	}
	started := rlimit.Command(cmd) // the original soft limits
	if err := started(cmd.Start()); err != nil {
		return err
	}
	return cmd.Wait()
}

// close flushes, syncs and marks current finished (mode 0744), as the
// original does when it exits.
func (d *logDir) close() {
	d.writeOut(len(d.out))
	for {
		err := unix.Fsync(d.cur)
		if err == nil || err == unix.EINVAL {
			break
		}
		d.env.pausing("unable to write ", d.name(Current), " to disk, pausing: ", err)
	}
	for {
		err := unix.Fchmod(d.cur, 0o744)
		if err == nil {
			break
		}
		d.env.pausing("unable to set mode of ", d.name(Current), ", pausing: ", err)
	}
	unix.Close(d.cur)
	unix.Close(d.lock)
	unix.Close(d.fd)
}

// closeFDs closes the descriptors without finishing anything.
func (d *logDir) closeFDs() {
	for _, fd := range []int{d.cur, d.lock, d.fd} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	d.cur, d.lock, d.fd = -1, -1, -1
}
