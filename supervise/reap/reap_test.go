package reap

import (
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/testkit"
)

func attr() *syscall.ProcAttr {
	return &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, 1, 2}}
}

func TestReapDispatchesByPid(t *testing.T) {
	r := New()
	defer r.Close()
	const n = 40
	type res struct {
		pid  int
		code int
	}
	ch := make(chan res, n)
	want := make(map[int]int)
	var mu sync.Mutex
	for i := 0; i < n; i++ {
		code := i % 7
		pid, err := r.Start("/bin/sh", []string{"sh", "-c", "exit " + string(rune('0'+code))}, attr(), func(pid int, ws syscall.WaitStatus) {
			ch <- res{pid, ws.ExitStatus()}
		})
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		want[pid] = code
		mu.Unlock()
	}
	deadline := time.After(10 * time.Second)
	for i := 0; i < n; i++ {
		select {
		case x := <-ch:
			mu.Lock()
			c, ok := want[x.pid]
			delete(want, x.pid)
			mu.Unlock()
			if !ok || c != x.code {
				t.Fatalf("pid %d: got code %d, registered=%v want %d", x.pid, x.code, ok, c)
			}
		case <-deadline:
			t.Fatalf("only %d of %d children reaped", i, n)
		}
	}
	if r.Pending() != 0 {
		t.Fatalf("%d still pending", r.Pending())
	}
}

func TestReapSignalled(t *testing.T) {
	r := New()
	defer r.Close()
	ch := make(chan syscall.WaitStatus, 1)
	pid, err := r.Start("/bin/sh", []string{"sh", "-c", "kill -9 $$"}, attr(), func(_ int, ws syscall.WaitStatus) { ch <- ws })
	if err != nil {
		t.Fatal(err)
	}
	select {
	case ws := <-ch:
		if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("pid %d: status %v", pid, ws)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("not reaped")
	}
}

func TestStartFailure(t *testing.T) {
	r := New()
	defer r.Close()
	_, err := r.Start("/nonexistent/run", []string{"run"}, attr(), func(int, syscall.WaitStatus) {})
	if err != syscall.ENOENT {
		t.Fatalf("err %v", err)
	}
	if r.Pending() != 0 {
		t.Fatal("failed start registered")
	}
	r.Close()
	if _, err := r.Start("/bin/true", []string{"true"}, attr(), nil); err != ErrClosed {
		t.Fatalf("after close: %v", err)
	}
}

// TestUnregisteredChild: a child nobody registered (as a process
// re-parented to a subreaper would be) is collected, not left a zombie, and
// the registered children are still reported.
func TestUnregisteredChild(t *testing.T) {
	r := New()
	defer r.Close()
	orphan, err := syscall.ForkExec("/bin/true", []string{"true"}, attr())
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan int, 1)
	pid, err := r.Start("/bin/true", []string{"true"}, attr(), func(p int, _ syscall.WaitStatus) { got <- p })
	if err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if p != pid {
			t.Fatalf("got %d want %d", p, pid)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("registered child not reported")
	}
	testkit.WaitFor(t, 10*time.Second, "the unregistered child collected", func() bool { return syscall.Kill(orphan, 0) == syscall.ESRCH })
}
