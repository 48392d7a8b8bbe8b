package systemd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/svbridge/svbridge/bridge/svinfo"
	"github.com/svbridge/svbridge/internal/inotify"
	"github.com/svbridge/svbridge/internal/sdnotify/sdnotifytest"
	"github.com/svbridge/svbridge/internal/testkit"
	"github.com/svbridge/svbridge/supervise/state"
)

// env puts m in the process environment for the test (go-systemd's daemon
// package reads NOTIFY_SOCKET and WATCHDOG_* there); the other variables
// newScan looks at are unset.
func env(t *testing.T, m map[string]string) {
	t.Helper()
	for _, k := range []string{"NOTIFY_SOCKET", "INVOCATION_ID", "WATCHDOG_USEC", "WATCHDOG_PID"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	for k, v := range m {
		t.Setenv(k, v)
	}
}

func TestNotUnderSystemd(t *testing.T) {
	env(t, nil)
	if s := newNotifier(t.TempDir(), nil); s != nil {
		t.Fatal("ScanObserver without NOTIFY_SOCKET/INVOCATION_ID")
	}
	t.Setenv("NOTIFY_SOCKET", "")
	t.Setenv("INVOCATION_ID", "")
	os.Unsetenv("NOTIFY_SOCKET")
	os.Unsetenv("INVOCATION_ID")
	if o := NewNotifier(t.TempDir()); o != nil {
		t.Fatal("NewNotifier returned non-nil outside systemd")
	}
}

func TestReadyReloadStopping(t *testing.T) {
	sd := sdnotifytest.Listen(t)
	dir := t.TempDir()
	env(t, map[string]string{"NOTIFY_SOCKET": sd.Path})
	s := newNotifier(dir, nil)
	defer s.Close()
	s.Alive()
	time.Sleep(50 * time.Millisecond)
	if n := len(sd.Messages()); n != 0 {
		t.Fatalf("sent before the first scan: %q", sd.Messages())
	}
	s.ScanDone(nil)
	m := sd.WaitFor(t, 10*time.Second, "READY=1", func(m string) bool { return strings.HasPrefix(m, "READY=1") })
	if !strings.Contains(m, "STATUS=0 services: 0 up, 0 down") {
		t.Errorf("READY message: %q", m)
	}
	s.ScanDone(nil)
	s.Reloading()
	sd.WaitFor(t, 10*time.Second, "RELOADING=1", func(m string) bool {
		return strings.HasPrefix(m, "RELOADING=1\nMONOTONIC_USEC=") && len(m) > len("RELOADING=1\nMONOTONIC_USEC=")
	})
	s.ScanDone(nil)
	deadline := time.Now().Add(10 * time.Second)
	for sd.Count("READY=1") != 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := sd.Count("READY=1"); n != 2 {
		t.Fatalf("READY=1 sent %d times, want 2 (start, after reload): %q", n, sd.Messages())
	}
	s.Stopping()
	sd.WaitFor(t, 10*time.Second, "STOPPING=1", func(m string) bool { return m == "STOPPING=1" })
}

// TestWatchdogOnlyWhileAlive: WATCHDOG=1 goes out while Alive is called and
// stops once the loop stops calling it.
func TestWatchdogOnlyWhileAlive(t *testing.T) {
	sd := sdnotifytest.Listen(t)
	env(t, map[string]string{"NOTIFY_SOCKET": sd.Path, "WATCHDOG_USEC": "100000",
		"WATCHDOG_PID": "1"})
	s := newNotifier(t.TempDir(), nil)
	if s.watchdog != 0 {
		t.Fatal("watchdog enabled for another pid")
	}
	s.Close()
	env(t, map[string]string{"NOTIFY_SOCKET": sd.Path, "WATCHDOG_USEC": "100000"})
	s = newNotifier(t.TempDir(), nil)
	defer s.Close()
	s.mu.Lock()
	s.aliveWindow = 300 * time.Millisecond
	s.mu.Unlock()
	s.ScanDone(nil)
	// svscan's loop turns only every 500 ms: pings must still come every 50 ms.
	for i := 0; i < 3; i++ {
		s.Alive()
		time.Sleep(250 * time.Millisecond)
	}
	alive := sd.Count("WATCHDOG=1")
	if alive < 6 {
		t.Fatalf("only %d pings in 750 ms with a 100 ms watchdog", alive)
	}
	// The loop is now stuck: once the window (300 ms) has passed, pings
	// stop: a quiet 500 ms must come within 5 s, where pings every 50 ms
	// would never leave one. (A ping sent in the window may reach the
	// listener late under load: that alone must not fail the test.)
	var before int
	quiet := false
	for end := time.Now().Add(5 * time.Second); !quiet && time.Now().Before(end); {
		before = sd.Count("WATCHDOG=1")
		time.Sleep(500 * time.Millisecond)
		quiet = sd.Count("WATCHDOG=1") == before
	}
	if !quiet {
		t.Fatalf("pings went on for 5 s while the loop was stuck: %d in all", sd.Count("WATCHDOG=1"))
	}
	s.Alive()
	deadline := time.Now().Add(5 * time.Second)
	for sd.Count("WATCHDOG=1") == before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if sd.Count("WATCHDOG=1") == before {
		t.Fatal("no ping after the loop came back")
	}
}

func TestSummary(t *testing.T) {
	one := 1
	infos := []svinfo.Info{
		{Name: "a", Supervised: true, Pid: 10, Want: state.WantUp},
		{Name: "web", Supervised: true, Pid: 0, Want: state.WantUp, LastExit: &state.Exit{Code: 1}, Restarts: &one},
		{Name: "off", Supervised: true, Pid: 0, Want: state.WantDown},
		{Name: "crash", Supervised: true, Pid: 0, Want: state.WantUp, Flapping: true, LastExit: &state.Exit{Code: -1, Signal: 11}},
		{Name: "lost", Supervised: false},
	}
	got := Summary(infos)
	want := "5 services: 1 up, 3 down, 1 not supervised (web: restarting, exit 1; crash: flapping, SIGSEGV; lost: not supervised)"
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	infos = append(infos, svinfo.Info{Name: "x", Supervised: true, Want: state.WantUp})
	if got := Summary(infos); !strings.HasSuffix(got, "; +1 more)") {
		t.Fatalf("long list: %q", got)
	}
	if got := Summary(infos[:1]); got != "1 service: 1 up, 0 down" {
		t.Fatalf("one: %q", got)
	}
	// A crash loop is down whether its process runs at the moment or not:
	// in its first second after a restart, or flapping; a first start in
	// its first second is starting.
	loop := []svinfo.Info{
		{Name: "a", Supervised: true, Pid: 10, State: state.Up, Want: state.WantUp},
		{Name: "c", Supervised: true, Pid: 0, State: state.Starting, Want: state.WantUp, LastExit: &state.Exit{Code: 3}},
		{Name: "n", Supervised: true, Pid: 12, State: state.Starting, Want: state.WantUp},
	}
	want = "3 services: 1 up, 1 down, 1 starting (c: restarting, exit 3)"
	if got := Summary(loop); got != want {
		t.Fatalf("crash loop between runs: %q, want %q", got, want)
	}
	loop[1].Pid = 11
	if got := Summary(loop); got != want {
		t.Fatalf("crash loop in a run: %q, want %q", got, want)
	}
	loop[1].Flapping, loop[1].State = true, state.Up
	if got, want := Summary(loop), "3 services: 1 up, 1 down, 1 starting (c: flapping, exit 3)"; got != want {
		t.Fatalf("flapping, running: %q, want %q", got, want)
	}
}

// TestStatusFollowsTree: two services under Debian's C supervise; svc -d
// changes the STATUS= line without any call from svscan (inotify).
func TestStatusFollowsTree(t *testing.T) {
	testkit.NeedDaemontools(t, "supervise", "svc")
	root := t.TempDir()
	for _, n := range []string{"a", "b"} {
		d := filepath.Join(root, n)
		os.Mkdir(d, 0755)
		os.WriteFile(filepath.Join(d, "run"), []byte("#!/bin/sh\nexec sleep 100000\n"), 0755)
		testkit.DaemontoolsSupervise(t, d)
	}
	for _, n := range []string{"a", "b"} {
		if err := waitUp(filepath.Join(root, n)); err != nil {
			t.Fatal(err)
		}
	}
	sd := sdnotifytest.Listen(t)
	env(t, map[string]string{"NOTIFY_SOCKET": sd.Path})
	s := newNotifier(root, nil)
	defer s.Close()
	s.ScanDone([]string{"a", "b"})
	sd.WaitFor(t, 10*time.Second, "READY with 2 up", func(m string) bool { return m == "READY=1\nSTATUS=2 services: 2 up, 0 down" })
	if out, err := exec.Command("/usr/bin/svc", "-d", filepath.Join(root, "b")).CombinedOutput(); err != nil {
		t.Fatalf("svc -d: %v %s", err, out)
	}
	sd.WaitFor(t, 10*time.Second, "STATUS with b down", func(m string) bool { return m == "STATUS=2 services: 1 up, 1 down" })
}

func waitUp(dir string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := svinfo.Wait([]string{dir}, svinfo.CondUp, false, 5*time.Second)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReadyWaitsForSupervise: READY=1 goes out once the supervise just
// spawned for each service answers, so the first STATUS= is not "not
// supervised".
func TestReadyWaitsForSupervise(t *testing.T) {
	testkit.NeedDaemontools(t, "supervise")
	root := t.TempDir()
	d := filepath.Join(root, "late")
	os.Mkdir(d, 0755)
	os.WriteFile(filepath.Join(d, "run"), []byte("#!/bin/sh\nexec sleep 100000\n"), 0755)
	sd := sdnotifytest.Listen(t)
	env(t, map[string]string{"NOTIFY_SOCKET": sd.Path})
	s := newNotifier(root, nil)
	defer s.Close()
	cmd := exec.Command("/usr/bin/supervise", d)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	started := make(chan error, 1)
	// supervise starts 300 ms after launch at the earliest.
	launch := time.Now()
	time.AfterFunc(300*time.Millisecond, func() { started <- cmd.Start() })
	t.Cleanup(func() {
		exec.Command("/usr/bin/svc", "-dx", d).Run()
		if err := <-started; err == nil {
			ch := make(chan struct{})
			go func() { cmd.Wait(); close(ch) }()
			select {
			case <-ch:
			case <-time.After(5 * time.Second):
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			}
		}
	})
	start := time.Now()
	s.ScanDone([]string{"late"})
	if el := time.Since(start); el >= 250*time.Millisecond {
		t.Fatalf("ScanDone held svscan's loop for %v", el)
	}
	m := sd.WaitFor(t, 10*time.Second, "READY=1", func(m string) bool { return strings.HasPrefix(m, "READY=1") })
	if el := time.Since(launch); el < 250*time.Millisecond {
		t.Fatalf("READY=1 after %v, before supervise could run", el)
	}
	if strings.Contains(m, "not supervised") {
		t.Fatalf("READY with %q", m)
	}
}

// TestNotifierSleepsWhenIdle: the goroutine's step arms a timer only for
// what is due (READY=1 waiting for a supervise, STATUS= held back by the
// rate limit, the watchdog while svscan's loop turns), and none when idle.
func TestNotifierSleepsWhenIdle(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "web", "supervise"), 0755) // no supervise runs on it
	w, err := inotify.New()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	n := &Notifier{dir: dir, aliveWindow: aliveWindow, watches: map[string]bool{}, dirs: map[string]string{}, w: w}
	now := time.Now()
	n.services = []string{"web"}
	n.readyDue, n.readyBy = true, now.Add(readyWait)
	if next := n.step(now); !next.Equal(now.Add(readyPoll)) {
		t.Fatalf("READY=1 waiting for supervise: next %v, want %v", next, now.Add(readyPoll))
	}
	now = now.Add(readyWait)
	if next := n.step(now); !next.IsZero() || !n.ready || n.readyDue {
		t.Fatalf("READY=1 after readyWait: next %v, ready %v, due %v", next, n.ready, n.readyDue)
	}
	if next := n.step(now.Add(time.Minute)); !next.IsZero() {
		t.Fatalf("idle: next %v", next)
	}
	n.dirty, n.statusAt = true, now
	if next := n.step(now.Add(100 * time.Millisecond)); !next.Equal(now.Add(statusMinInterval)) {
		t.Fatalf("STATUS= held back: next %v, want %v", next, now.Add(statusMinInterval))
	}
	if next := n.step(now.Add(statusMinInterval)); !next.IsZero() || n.dirty {
		t.Fatalf("STATUS= sent: next %v, dirty %v", next, n.dirty)
	}
	n.watchdog, n.lastAlive = 100*time.Millisecond, now
	if next := n.step(now); !next.Equal(now.Add(50*time.Millisecond)) || !n.pingArmed {
		t.Fatalf("watchdog: next %v, armed %v", next, n.pingArmed)
	}
	stuck := now.Add(aliveWindow)
	if next := n.step(stuck); !next.IsZero() || n.pingArmed {
		t.Fatalf("svscan's loop stuck: next %v, armed %v", next, n.pingArmed)
	}
}
