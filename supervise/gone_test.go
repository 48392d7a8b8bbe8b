package supervise

import (
	"github.com/svbridge/svbridge/internal/testkit"

	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/svbridge/svbridge/supervise/state"
)

// waitDone waits for the supervisor's Run to return.
func (s *svc) waitDone(what string) {
	s.t.Helper()
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.t.Fatalf("supervisor still running: %s; log:\n%s", what, s.log)
	}
}

// TestGoneDirRunningService: a removed service directory does not stop a
// running service; once it exits, ./run is not started again and the
// supervisor ends, having said so once.
func TestGoneDirRunningService(t *testing.T) {
	t.Parallel() // see TestMain
	dir := newService(t, hang, nil)
	s := start(t, dir)
	pid := s.wait("up", func(st *state.Status) bool { return st.Pid != 0 }).Pid
	waitSleeping(t, pid) // a shell yet to read ./run would fail without it
	testkit.WaitFor(t, 10*time.Second, "the directory removed", func() bool { return os.RemoveAll(dir) == nil })
	// Still supervised until the service ends (svc is unreachable: signal
	// the service itself); then the supervisor ends.
	select {
	case <-s.done:
		t.Fatal("supervisor ended while its service still ran")
	case <-time.After(200 * time.Millisecond):
	}
	if !testkit.Alive(pid) {
		t.Fatal("service stopped when its directory was removed")
	}
	syscall.Kill(pid, syscall.SIGTERM)
	s.waitDone("after the service exited")
	want := "supervise: warning: " + dir + " is gone: not restarting " + dir + "/run, exiting when it is down\n"
	if got := s.log.String(); got != want {
		t.Fatalf("log %q\nwant %q", got, want)
	}
}

// TestGoneDirFailingService: a service that exits at once, or cannot be
// started any more, in a directory that is removed, or renamed out of
// reach: a few lines, then the supervisor ends.
func TestGoneDirFailingService(t *testing.T) {
	t.Parallel() // see TestMain
	for _, how := range []string{"removed", "renamed"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			dir := newService(t, "exit 1", nil)
			s := start(t, dir)
			s.wait("a first run", func(st *state.Status) bool { return st.LastExit != nil })
			if how == "removed" {
				// The supervisor may write a file while rm -rf runs (which
				// then fails): try again, as an admin would.
				testkit.WaitFor(t, 10*time.Second, "the directory removed", func() bool { return os.RemoveAll(dir) == nil })
			} else {
				os.Rename(dir, filepath.Join(filepath.Dir(dir), "elsewhere"))
			}
			s.waitDone("its directory is " + how)
			if n := strings.Count(s.log.String(), "\n"); n > 3 || strings.Count(s.log.String(), " is gone: ") != 1 {
				t.Fatalf("%d lines:\n%s", n, s.log)
			}
		})
	}
}

// TestGoneDirIdle: with WatchDir, a supervisor with nothing running (the
// service is down) notices at once that its directory was removed, says
// so once and ends.
func TestGoneDirIdle(t *testing.T) {
	dir := newService(t, hang, map[string]string{"down": ""})
	lg := &testkit.SyncBuffer{}
	sup, err := New(Config{Dir: dir, Reaper: testReaper, Log: lg, WatchDir: true, NoNotifySocket: true})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { sup.Run(); close(done) }()
	// Other entries of the parent come and go without effect.
	os.Mkdir(filepath.Join(filepath.Dir(dir), "other"), 0755)
	os.Remove(filepath.Join(filepath.Dir(dir), "other"))
	testkit.WaitFor(t, 10*time.Second, "the directory removed", func() bool { return os.RemoveAll(dir) == nil })
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		sup.Control([]byte("x"))
		t.Fatalf("idle supervisor still running; log:\n%s", lg)
	}
	want := "supervise: warning: " + dir + " is gone: not restarting " + dir + "/run, exiting when it is down\n"
	if lg.String() != want {
		t.Fatalf("log %q\nwant %q", lg, want)
	}
}
