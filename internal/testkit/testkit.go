// Package testkit holds what the module's tests share: waiting for a
// condition with a deadline, telling a live process from a zombie, skipping
// a comparison when Debian's daemontools (the oracle) is missing, running
// Debian's supervise on a service, a buffer safe for concurrent writers, a
// datagram socket standing in for a systemd one, waiting for a channel or a
// process with a deadline, and running a command for its exit code (see
// programs.go for running the test binary as one of our programs).
package testkit

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// WaitFor polls cond every 5 ms until it holds, and fails the test when d
// passes first.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Alive reports whether pid is a process that has not exited: it exists
// and is not a zombie.
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := bytes.Fields(b[bytes.LastIndexByte(b, ')')+1:])
	return len(f) > 0 && string(f[0]) != "Z"
}

// Unrelated starts a process that has nothing to do with the test's
// services (a long sleep), killed at the test's end, and returns its pid:
// one a service or its supervisor must never signal.
func Unrelated(t testing.TB) int {
	t.Helper()
	cmd := exec.Command("sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd.Process.Pid
}

// Daemontools is the path of Debian's daemontools program name
// (/usr/bin/name).
func Daemontools(name string) string { return "/usr/bin/" + name }

// NeedDaemontools skips the test unless Debian's daemontools programs names
// are installed: they are the oracle the test compares with or drives.
func NeedDaemontools(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		p := Daemontools(n)
		if _, err := os.Stat(p); err != nil {
			t.Skipf("daemontools' %s is not installed (%v): the oracle is missing", p, err)
		}
	}
}

// SyncBuffer is a bytes.Buffer that a goroutine of the code under test and
// the test itself can use at once.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ListenDatagram binds a Unix datagram socket at path, as a stand-in for
// journald's or systemd's notification socket, with a 16 MiB receive
// buffer and a 10-second receive timeout (a test waiting for a datagram
// fails instead of hanging). It returns the socket's file descriptor and a
// function that closes it and removes its file (a socket going away); that
// is done at the test's end too.
func ListenDatagram(t testing.TB, path string) (fd int, close func()) {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 16<<20)
	tv := unix.Timeval{Sec: 10}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	close = sync.OnceFunc(func() {
		unix.Close(fd)
		os.Remove(path)
	})
	t.Cleanup(close)
	return fd, close
}

// DaemontoolsSupervise runs Debian's supervise on the service dir dir, in a
// process group of its own (the test is skipped unless Debian's supervise
// and svc are installed). At the test's end it stops the service and
// supervise with svc -dx, and kills the group when that has not worked
// within 5 seconds.
func DaemontoolsSupervise(t testing.TB, dir string) *exec.Cmd {
	t.Helper()
	NeedDaemontools(t, "supervise", "svc")
	cmd := exec.Command(Daemontools("supervise"), dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		exec.Command(Daemontools("svc"), "-dx", dir).Run()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	return cmd
}

// Receive waits up to d for a value on ch and returns it; when none comes
// in time it fails the test with msg.
func Receive[T any](t testing.TB, ch <-chan T, d time.Duration, msg string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatal(msg)
		var none T
		return none
	}
}

// Exited waits up to d for the started cmd to exit and returns what Wait
// returned; when it has not exited in time it fails the test with msg (the
// process is left to the test's own clean-up).
func Exited(t testing.TB, cmd *exec.Cmd, d time.Duration, msg string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return Receive(t, done, d, msg)
}

// ExitCode runs cmd (not yet started) to its end and returns its exit code,
// -1 when a signal ended it; it fails the test when cmd could not be run.
func ExitCode(t testing.TB, cmd *exec.Cmd) int {
	t.Helper()
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("%s %q: %v", cmd.Path, cmd.Args[1:], err)
	}
	return 0
}
