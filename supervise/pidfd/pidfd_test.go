package pidfd

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/testkit"
)

func startSleep(t *testing.T) *exec.Cmd {
	t.Helper()
	c := exec.Command("sleep", "60")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	return c
}

// openPid opens the process pid with its start time.
func openPid(t *testing.T, pid int) *Proc {
	t.Helper()
	st, err := StartTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Open(pid, st)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestOpenChecksStartTime: a recorded start time that is not the
// process's (a reused pid) is refused; the right one opens.
func TestOpenChecksStartTime(t *testing.T) {
	c := startSleep(t)
	st, err := StartTime(c.Process.Pid)
	if err != nil || st == 0 {
		t.Fatalf("start time %d %v", st, err)
	}
	if _, err := Open(c.Process.Pid, st+1); !errors.Is(err, ErrNotSame) {
		t.Fatalf("wrong start time: %v", err)
	}
	p, err := Open(c.Process.Pid, st)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if !p.Alive() {
		t.Fatal("not alive")
	}
}

// TestWaitSignal: a signal through the pidfd ends the process and Wait
// returns at once; signals after that fail (nothing else is hit).
func TestWaitSignal(t *testing.T) {
	c := startSleep(t)
	p := openPid(t, c.Process.Pid)
	defer p.Close()
	done := make(chan bool, 1)
	go func() { done <- p.Wait() }()
	select {
	case <-done:
		t.Fatal("Wait returned while the process runs")
	case <-time.After(100 * time.Millisecond):
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	c.Wait()
	if !testkit.Receive(t, done, 10*time.Second, "exit not noticed") {
		t.Fatal("Wait false")
	}
	if p.Alive() {
		t.Fatal("alive after exit")
	}
	if err := p.Signal(syscall.SIGTERM); err == nil {
		t.Fatal("signal to an exited process succeeded")
	}
}

// TestCloseEndsWait: closing the descriptor releases a waiter with false.
func TestCloseEndsWait(t *testing.T) {
	p := openPid(t, startSleep(t).Process.Pid)
	done := make(chan bool, 1)
	go func() { done <- p.Wait() }()
	time.Sleep(20 * time.Millisecond) // let Wait block (either order is correct)
	p.Close()
	if testkit.Receive(t, done, 10*time.Second, "Wait did not return after Close") {
		t.Fatal("Wait true after Close")
	}
}

// TestGetFD copies a pipe end out of another process.
func TestGetFD(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("pidfd_getfd needs ptrace rights (root)")
	}
	r, w, _ := os.Pipe()
	defer r.Close()
	c := exec.Command("sleep", "60")
	c.Stdout = w
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { c.Process.Kill(); c.Wait() }()
	w.Close()
	p := openPid(t, c.Process.Pid)
	defer p.Close()
	f, err := p.GetFD(1)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("x\n"))
	f.Close()
	b := make([]byte, 2)
	if n, _ := r.Read(b); string(b[:n]) != "x\n" {
		t.Fatalf("read %q", b[:n])
	}
}

// TestOpenCurrent: a running process opens; pid 0 and an exited process
// (a zombie not yet waited for) do not.
func TestOpenCurrent(t *testing.T) {
	c := startSleep(t)
	p, err := OpenCurrent(c.Process.Pid)
	if err != nil || p.Pid != c.Process.Pid || !p.Alive() {
		t.Fatalf("open a running process: %v", err)
	}
	defer p.Close()
	if _, err := OpenCurrent(0); !errors.Is(err, ErrNotSame) {
		t.Fatalf("pid 0: %v", err)
	}
	c.Process.Signal(syscall.SIGKILL)
	if !p.Wait() {
		t.Fatal("Wait did not see the end")
	}
	if _, err := OpenCurrent(c.Process.Pid); !errors.Is(err, ErrNotSame) {
		t.Fatalf("a zombie opened: %v", err)
	}
}
