package rlimit

import (
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Constants shared with the entry stub (through go_asm.h).
const (
	resAS     = unix.RLIMIT_AS
	resDATA   = unix.RLIMIT_DATA
	resNOFILE = unix.RLIMIT_NOFILE
	resNPROC  = unix.RLIMIT_NPROC

	// MinAS and MinDATA are the least hard RLIMIT_AS and RLIMIT_DATA the
	// stub accepts: below them it exits 111 with a message rather than
	// let the runtime crash. Measured with Go 1.26 on linux/amd64: envdir
	// and multilog start and work from about 704 MiB of address space and
	// 40 MiB of data segment, and crash below; the margin is for the
	// heap of a long-running program.
	MinAS   = 768 << 20
	MinDATA = 48 << 20

	// Magic is argv[0] of the restoring trampoline, as two little-endian
	// words for the stub: "svbridge" and "-rlimit\x00".
	Magic   = "svbridge-rlimit"
	magicLo = 0x6567646972627673
	magicHi = 0x0074696d696c722d
)

// Written by the entry stub before the runtime starts (and by Inherit at
// the start of main), read-only after.
var (
	// started is 1 when the stub ran.
	started uint32
	// raised has bit 1<<i set when the soft limit of saved[i] was raised
	// to the hard one, and bit 1<<(8+i) when saved[i] could be read.
	raised uint32
	// saved are the limits the process started with: RLIMIT_AS,
	// RLIMIT_DATA, RLIMIT_NOFILE, RLIMIT_NPROC.
	saved [4]unix.Rlimit
	// scratch is the stub's memory for the limits it sets.
	scratch [4]uint64
	// tooLow follows the program's name when the hard limits are too low.
	tooLow = ": fatal: unable to start: hard memory limit too low for the Go runtime\n"
)

// resources are the limits of saved; the stub raises those of lifted
// (RLIMIT_NOFILE it only reads: the runtime raises that one itself).
var resources = [4]int{resAS, resDATA, resNOFILE, resNPROC}

// lifted has the bits of raised for the limits the stub may raise.
const lifted = 1<<0 | 1<<1 | 1<<3

// Started reports whether the entry stub ran (the binary was linked with
// -E svbridge_rt0).
func Started() bool { return started != 0 }

// Raised reports whether the stub raised a soft limit, so that the programs
// this process starts need theirs put back.
func Raised() bool { return raised&lifted != 0 }

// Original returns the limit of res (RLIMIT_AS, RLIMIT_DATA, RLIMIT_NOFILE or
// RLIMIT_NPROC) the process started with, as the stub read it; ok is false when the stub
// did not run or could not read it.
func Original(res int) (r unix.Rlimit, ok bool) {
	for i, x := range resources {
		if x == res && raised&(1<<(8+i)) != 0 {
			return saved[i], true
		}
	}
	return unix.Rlimit{}, false
}

// Setting is a soft and hard limit to give a program that Exec runs.
type Setting struct {
	Resource int
	Limit    unix.Rlimit
}

// change is one setrlimit of Exec's window: to before it, back after it.
type change struct {
	res          int
	want, before unix.Rlimit
}

func prlimit(res int, set, old *unix.Rlimit) syscall.Errno {
	_, _, e := unix.RawSyscall6(unix.SYS_PRLIMIT64, 0, uintptr(res), uintptr(unsafe.Pointer(set)), uintptr(unsafe.Pointer(old)), 0, 0)
	return e
}

// plan lists the changes that give the executed program the limits the
// process started with (those the stub raised, and RLIMIT_NOFILE, which the
// runtime raised), then set. With keep, the limits the stub raised stay
// raised (Handoff).
func plan(set []Setting, keep bool) ([]change, error) {
	var cs []change
	add := func(res int, want func(cur unix.Rlimit) unix.Rlimit) error {
		var cur unix.Rlimit
		if err := unix.Getrlimit(res, &cur); err != nil {
			return err
		}
		cs = append(cs, change{res, want(cur), cur})
		return nil
	}
	for i, res := range resources {
		if raised&(1<<(8+i)) == 0 || (lifted&(1<<i) != 0 && (keep || raised&(1<<i) == 0)) {
			continue
		}
		orig := saved[i]
		err := add(res, func(cur unix.Rlimit) unix.Rlimit {
			if orig.Cur > cur.Max {
				orig.Cur = cur.Max
			}
			return unix.Rlimit{Cur: orig.Cur, Max: cur.Max}
		})
		if err != nil {
			return nil, err
		}
	}
	for _, s := range set {
		if err := add(s.Resource, func(unix.Rlimit) unix.Rlimit { return s.Limit }); err != nil {
			return nil, err
		}
	}
	return cs, nil
}

// Exec replaces the process with path, run with argv and env, as
// syscall.Exec does, giving it the soft limits the process started with,
// then the limits of set. It returns only on failure, with the process's
// limits as they were.
//
// The limits change in a window with no allocation (the arguments are
// converted first, the system calls are raw), so that the runtime never
// runs short of memory under the lowered limits.
func Exec(path string, argv, env []string, set []Setting) error {
	if !Started() {
		return execPlain(path, argv, env, set)
	}
	return execve(path, argv, env, set, false)
}

// execve is Exec's work once the stub ran; with keep, the limits the stub
// raised stay raised.
func execve(path string, argv, env []string, set []Setting, keep bool) error {
	p, err := syscall.BytePtrFromString(path)
	if err != nil {
		return err
	}
	a, err := syscall.SlicePtrFromStrings(argv)
	if err != nil {
		return err
	}
	e, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		return err
	}
	cs, err := plan(set, keep)
	if err != nil {
		return err
	}
	var failed syscall.Errno
	n := 0
	for ; n < len(cs); n++ {
		if failed = prlimit(cs[n].res, &cs[n].want, nil); failed != 0 {
			break
		}
	}
	unset := failed != 0
	if !unset {
		_, _, failed = unix.RawSyscall(unix.SYS_EXECVE, uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&a[0])), uintptr(unsafe.Pointer(&e[0])))
	}
	for n--; n >= 0; n-- {
		prlimit(cs[n].res, &cs[n].before, nil)
	}
	if unset {
		return &ErrSetrlimit{failed}
	}
	return failed
}

// ErrSetrlimit is Exec's error when it could not set a limit before the
// exec (nothing was executed).
type ErrSetrlimit struct{ Err error }

func (e *ErrSetrlimit) Error() string { return e.Err.Error() }
func (e *ErrSetrlimit) Unwrap() error { return e.Err }

// execPlain is Exec without the stub: nothing to put back, so set applies
// just before syscall.Exec (which puts back the runtime's RLIMIT_NOFILE).
func execPlain(path string, argv, env []string, set []Setting) error {
	var before []Setting
	restore := func() {
		for i := len(before) - 1; i >= 0; i-- {
			unix.Setrlimit(before[i].Resource, &before[i].Limit)
		}
	}
	for _, s := range set {
		var cur unix.Rlimit
		if err := unix.Getrlimit(s.Resource, &cur); err != nil {
			restore()
			return err
		}
		before = append(before, Setting{s.Resource, cur})
		if err := unix.Setrlimit(s.Resource, &s.Limit); err != nil {
			restore()
			return &ErrSetrlimit{err}
		}
	}
	err := syscall.Exec(path, argv, env)
	restore()
	return err
}

// self is the trampoline's executable: this very binary, through /proc so
// that a binary replaced by an upgrade still runs as itself.
const self = "/proc/self/exe"

// trampoline reports whether started programs must go through the
// restoring trampoline: the stub raised a limit and /proc is there.
var trampoline = sync.OnceValue(func() bool {
	if !Raised() {
		return false
	}
	_, err := os.Stat(self)
	return err == nil
})

// trampolineArgs is the trampoline's argv for running argv0 with argv, with
// fd the descriptor it reports an exec failure to.
func trampolineArgs(argv0 string, argv []string, fd int) []string {
	soft := func(i int) string {
		if raised&(1<<i) != 0 {
			return strconv.FormatUint(saved[i].Cur, 16)
		}
		var cur unix.Rlimit
		unix.Getrlimit(resources[i], &cur)
		return strconv.FormatUint(cur.Cur, 16)
	}
	a := make([]string, 0, 6+len(argv))
	a = append(a, Magic, soft(0), soft(1), soft(3), strconv.FormatUint(uint64(fd), 16), argv0)
	return append(a, argv...)
}

// inherited lists, for each descriptor number from n up to the highest open
// one, whether it is open and not close-on-exec.
func inherited(n int) []bool {
	top := -1
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		for _, ent := range ents {
			if i, err := strconv.Atoi(ent.Name()); err == nil {
				top = max(top, i)
			}
		}
	}
	var in []bool
	for i := n; i <= top; i++ {
		flags, err := unix.FcntlInt(uintptr(i), unix.F_GETFD, 0)
		in = append(in, err == nil && flags&unix.FD_CLOEXEC == 0)
	}
	return in
}

// result reads the trampoline's report from r: nothing when the program
// was executed, else the errno of the failed exec (the trampoline then
// exits 127; reap is called to collect it).
func result(r int, reap func()) error {
	var b [8]byte
	n := 0
	for n < len(b) {
		m, err := unix.Read(r, b[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil || m == 0 {
			break
		}
		n += m
	}
	if n == 0 {
		return nil
	}
	reap()
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	if n < len(b) || v == 0 || v > 4095 {
		return syscall.EIO
	}
	return syscall.Errno(v)
}

// ForkExec is syscall.ForkExec giving the new program the soft limits the
// process started with: when the stub raised them, the child execs this
// binary's trampoline, which sets them back and execs argv0 (see the
// package comment). Errors are the same as syscall.ForkExec's.
func ForkExec(argv0 string, argv []string, attr *syscall.ProcAttr) (int, error) {
	if !trampoline() {
		return syscall.ForkExec(argv0, argv, attr)
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return 0, err
	}
	a := *attr
	a.Files = append([]uintptr(nil), attr.Files...)
	for i, in := range inherited(len(a.Files)) {
		if in {
			a.Files = append(a.Files, uintptr(len(attr.Files)+i))
		} else {
			a.Files = append(a.Files, ^uintptr(0))
		}
	}
	fd := len(a.Files)
	a.Files = append(a.Files, uintptr(p[1]))
	pid, err := syscall.ForkExec(self, trampolineArgs(argv0, argv, fd), &a)
	unix.Close(p[1])
	if err != nil {
		unix.Close(p[0])
		return 0, err
	}
	err = result(p[0], func() { wait(pid) })
	unix.Close(p[0])
	if err != nil {
		return 0, err
	}
	return pid, nil
}

func wait(pid int) {
	var ws unix.WaitStatus
	for {
		if _, err := unix.Wait4(pid, &ws, 0, nil); err != unix.EINTR {
			return
		}
	}
}

// files keeps the *os.File standing for inherited descriptors that Command
// passes on, one per number, for the life of the process (a File closes its
// descriptor when collected). Only a descriptor the process inherited open
// (not close-on-exec) at or above 3+len(ExtraFiles) needs one, which our
// callers (multilog's processor, svscanboot, the demo) do not normally
// have; exec.Cmd then puts it in blocking mode, as it does its ExtraFiles.
var files sync.Map

func inheritedFile(fd int) *os.File {
	if f, ok := files.Load(fd); ok {
		return f.(*os.File)
	}
	f, _ := files.LoadOrStore(fd, os.NewFile(uintptr(fd), "inherited"))
	return f.(*os.File)
}

// Command prepares cmd (before its Start) so that its program gets the
// soft limits the process started with, as ForkExec does. Call the returned
// function with Start's error: it returns that error, or the exec failure
// of cmd's program (as Start would have: *os.PathError "fork/exec", after
// waiting for the trampoline).
func Command(cmd *exec.Cmd) func(error) error {
	if !trampoline() {
		return func(err error) error { return err }
	}
	r, w, err := os.Pipe()
	if err != nil {
		return func(error) error { return err }
	}
	n := 3 + len(cmd.ExtraFiles)
	for i, in := range inherited(n) {
		if in {
			cmd.ExtraFiles = append(cmd.ExtraFiles, inheritedFile(n+i))
		} else {
			cmd.ExtraFiles = append(cmd.ExtraFiles, nil)
		}
	}
	fd := 3 + len(cmd.ExtraFiles)
	cmd.ExtraFiles = append(cmd.ExtraFiles, w)
	path := cmd.Path
	cmd.Args = trampolineArgs(path, cmd.Args, fd)
	cmd.Path = self
	return func(err error) error {
		w.Close()
		defer r.Close()
		if err != nil {
			return err
		}
		if err := result(int(r.Fd()), func() { cmd.Wait() }); err != nil {
			return &os.PathError{Op: "fork/exec", Path: path, Err: err}
		}
		return nil
	}
}
