package scan_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/testkit"
	"github.com/svbridge/svbridge/supervise/reap"
	"github.com/svbridge/svbridge/supervise/scan"
)

// recorder is a ScanObserver that logs the calls it gets.
type recorder struct {
	mu     sync.Mutex
	calls  []string
	alive  int
	output *os.File
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.calls = append(r.calls, s)
	r.mu.Unlock()
}
func (r *recorder) ScanDone(services []string) { r.add("ScanDone " + strings.Join(services, ",")) }
func (r *recorder) Alive() {
	r.mu.Lock()
	r.alive++
	r.mu.Unlock()
}
func (r *recorder) Stopping()  { r.add("Stopping") }
func (r *recorder) Reloading() { r.add("Reloading") }
func (r *recorder) ServiceOutput(service string) (*os.File, error) {
	r.add("ServiceOutput " + service)
	// A fresh descriptor each time, as the bridge's journal streams are:
	// the scanner closes it once the supervise has it.
	return os.OpenFile(r.output.Name(), os.O_WRONLY|os.O_APPEND, 0)
}

func (r *recorder) has(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.calls {
		if c == s {
			return true
		}
	}
	return false
}

func (r *recorder) snapshot() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

// TestObserverHooks runs a Scanner in this process (with the lean
// supervise) and checks the order of the hook calls: ScanDone after the
// first scan, ServiceOutput only for the service without log/, Reloading
// before the ScanDone of a SIGHUP rescan, Stopping on SIGTERM, Alive on the
// way; the service's output goes to the file ServiceOutput returned.
func TestObserverHooks(t *testing.T) {
	for _, inProcess := range []bool{false, true} {
		t.Run(fmt.Sprintf("inprocess=%v", inProcess), func(t *testing.T) { testObserverHooks(t, inProcess) })
	}
}

func testObserverHooks(t *testing.T, inProcess bool) {
	tmp := t.TempDir()
	sv := filepath.Join(tmp, "sv")
	aLog := filepath.Join(tmp, "a.log")
	service(t, filepath.Join(sv, "a"), "echo a says hi; "+helper(t, "hang"), "exec cat >> "+shellQuote(aLog))
	service(t, filepath.Join(sv, "b"), "echo b says hi; "+helper(t, "hang", "MSG=b got TERM", "READY="+filepath.Join(tmp, "b.ready")), "")
	out, err := os.Create(filepath.Join(tmp, "b.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	rec := &recorder{output: out}

	r := reap.New()
	defer r.Close()
	sigs := make(chan os.Signal, 4)
	warn := &testkit.SyncBuffer{}
	s := scan.New(scan.Config{
		Dir:       sv,
		Launcher:  scan.Launcher{Path: filepath.Join(binDir, "supervise"), Argv: []string{"supervise"}},
		Reaper:    r,
		Observer:  rec,
		Warn:      warn,
		InProcess: inProcess,
	})
	code := make(chan int, 1)
	go func() { code <- s.Run(sigs) }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			sigs <- syscall.SIGTERM
			<-code
		}
	})

	testkit.WaitFor(t, 10*time.Second, "first ScanDone", func() bool { return rec.has("ScanDone a,b") })
	testkit.WaitFor(t, 10*time.Second, "b's line in the ServiceOutput file", func() bool { return fileHas(out.Name(), "b says hi\n") })
	testkit.WaitFor(t, 10*time.Second, "a's line in its log", func() bool { return fileHas(aLog, "a says hi\n") })
	testkit.WaitFor(t, 10*time.Second, "b ready for SIGTERM", func() bool { _, err := os.Stat(filepath.Join(tmp, "b.ready")); return err == nil })
	sigs <- syscall.SIGHUP
	testkit.WaitFor(t, 10*time.Second, "Reloading", func() bool { return rec.has("Reloading") })
	sigs <- syscall.SIGTERM
	select {
	case c := <-code:
		stopped = true
		if c != 0 {
			t.Errorf("Run returned %d, want 0", c)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return within 20 s of SIGTERM")
	}
	want := []string{"ServiceOutput b", "ScanDone a,b", "Reloading", "ScanDone a,b", "Stopping"}
	if got := rec.snapshot(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("calls %q, want %q", got, want)
	}
	if rec.alive < 4 {
		t.Errorf("Alive called %d times, want at least one per loop turn (4+)", rec.alive)
	}
	if !fileHas(out.Name(), "b got TERM\n") {
		t.Error("b's last line missing from its output file")
	}
	if warn.String() != "" {
		t.Errorf("warnings: %s", warn.String())
	}
}

// TestStopLogGrace: a service that leaves a child holding its stdout keeps
// the pipe's write end open, so its logger never sees end of file; after
// LogGrace the logger gets "dx" and the scanner still returns, with the
// lines written before the stop in the log.
func TestStopLogGrace(t *testing.T) {
	tmp := t.TempDir()
	sv := filepath.Join(tmp, "sv")
	aLog := filepath.Join(tmp, "a.log")
	bgPid := filepath.Join(tmp, "bg.pid")
	ready := filepath.Join(tmp, "a.ready")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	run := "env " + helperEnv + "=hang " + shellQuote(exe) + " & echo $! > " + shellQuote(bgPid) + "\n" +
		"echo a says hi\n" + helper(t, "hang", "MSG=a got TERM", "READY="+ready)
	service(t, filepath.Join(sv, "a"), run, "exec cat >> "+shellQuote(aLog))
	t.Cleanup(func() {
		b, _ := os.ReadFile(bgPid)
		var pid int
		if _, err := fmt.Sscan(string(b), &pid); err == nil && pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})

	r := reap.New()
	defer r.Close()
	sigs := make(chan os.Signal, 4)
	s := scan.New(scan.Config{
		Dir:      sv,
		Launcher: scan.Launcher{Path: filepath.Join(binDir, "supervise"), Argv: []string{"supervise"}},
		Reaper:   r,
		LogGrace: 300 * time.Millisecond,
	})
	code := make(chan int, 1)
	go func() { code <- s.Run(sigs) }()
	testkit.WaitFor(t, 10*time.Second, "a up and ready", func() bool {
		_, err := os.Stat(ready)
		return err == nil && fileHas(aLog, "a says hi\n")
	})
	sigs <- syscall.SIGTERM
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("Run returned %d, want 0", c)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return within 20 s of SIGTERM")
	}
	if !fileHas(aLog, "a got TERM\n") {
		t.Error("the logger lost a's last line")
	}
}

// TestTooManyServices: past MaxServices, a dir gets daemontools' warning
// and no supervise.
func TestTooManyServices(t *testing.T) {
	sv := filepath.Join(t.TempDir(), "sv")
	for _, n := range []string{"a", "b", "c"} {
		service(t, filepath.Join(sv, n), helper(t, "hang"), "")
	}
	r := reap.New()
	defer r.Close()
	sigs := make(chan os.Signal, 4)
	warn := &testkit.SyncBuffer{}
	s := scan.New(scan.Config{
		Dir:         sv,
		Launcher:    scan.Launcher{Path: filepath.Join(binDir, "supervise"), Argv: []string{"supervise"}},
		Reaper:      r,
		Warn:        warn,
		MaxServices: 2,
	})
	code := make(chan int, 1)
	go func() { code <- s.Run(sigs) }()
	testkit.WaitFor(t, 10*time.Second, "the warning", func() bool { return strings.Contains(warn.String(), "running too many services") })
	up := 0
	var left string
	for _, n := range []string{"a", "b", "c"} {
		testkit.WaitFor(t, 10*time.Second, n+" set up or refused", func() bool {
			return servicePid(filepath.Join(sv, n)) != 0 || strings.Contains(warn.String(), " "+n+":")
		})
		if servicePid(filepath.Join(sv, n)) != 0 {
			up++
		} else {
			left = n
		}
	}
	if want := "svscan: warning: unable to start " + left + ": running too many services\n"; up != 2 || warn.String() != want {
		t.Errorf("%d up; warnings %q, want %q", up, warn.String(), want)
	}
	sigs <- syscall.SIGTERM
	select {
	case <-code:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return within 20 s of SIGTERM")
	}
}
