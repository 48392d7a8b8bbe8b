package scan_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/testkit"
	"github.com/svbridge/svbridge/supervise"
	"github.com/svbridge/svbridge/supervise/reap"
	"github.com/svbridge/svbridge/supervise/scan"
	"github.com/svbridge/svbridge/supervise/state"
	"github.com/svbridge/svbridge/supervise/svctl"
)

// recorder is a ScanObserver that logs the calls it gets (Added and
// Forgotten apart: they come in directory order).
type recorder struct {
	mu     sync.Mutex
	calls  []string
	added  []string
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
func (r *recorder) Added(service string) {
	r.mu.Lock()
	r.added = append(r.added, "Added "+service)
	r.mu.Unlock()
}
func (r *recorder) Forgotten(service string) {
	r.mu.Lock()
	r.added = append(r.added, "Forgotten "+service)
	r.mu.Unlock()
}
func (r *recorder) Lost(service string) { r.add("Lost " + service) }
func (r *recorder) Stopping()           { r.add("Stopping") }
func (r *recorder) Reloading()          { r.add("Reloading") }
func (r *recorder) ServiceOutput(service string) (*os.File, error) {
	r.add("ServiceOutput " + service)
	if r.output == nil {
		return nil, nil
	}
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

// addedSorted returns the Added and Forgotten calls so far, sorted.
func (r *recorder) addedSorted() []string {
	r.mu.Lock()
	added := append([]string(nil), r.added...)
	r.mu.Unlock()
	slices.Sort(added)
	return added
}

// wantAdded checks the Added and Forgotten calls so far, sorted.
func (r *recorder) wantAdded(t *testing.T, want ...string) {
	t.Helper()
	if added := r.addedSorted(); !slices.Equal(added, want) {
		t.Errorf("Added/Forgotten calls %q, want %q", added, want)
	}
}

// noWarnings fails the test if the scanner wrote any warning.
func noWarnings(t *testing.T, warn *testkit.SyncBuffer) {
	t.Helper()
	if warn.String() != "" {
		t.Errorf("warnings: %s", warn.String())
	}
}

// scanRun is a Scanner run by a test in a goroutine.
type scanRun struct {
	sigs chan os.Signal
	code chan int
}

// runScanner runs scan.New(cfg); with no Launcher, cfg starts the test's
// supervise (binDir).
func runScanner(cfg scan.Config) scanRun {
	if cfg.Launcher.Path == "" {
		cfg.Launcher = scan.Launcher{Path: filepath.Join(binDir, "supervise"), Argv: []string{"supervise"}}
	}
	run := scanRun{sigs: make(chan os.Signal, 4), code: make(chan int, 1)}
	go func() { run.code <- scan.New(cfg).Run(run.sigs) }()
	return run
}

// stop sends SIGTERM and returns what Run returned; the test fails if it
// has not returned within 20 s.
func (run scanRun) stop(t *testing.T) int {
	t.Helper()
	run.sigs <- syscall.SIGTERM
	select {
	case c := <-run.code:
		return c
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return within 20 s of SIGTERM")
		return 0
	}
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
	warn := &testkit.SyncBuffer{}
	run := runScanner(scan.Config{Dir: sv, Reaper: r, Observer: rec, Warn: warn, InProcess: inProcess})
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			run.sigs <- syscall.SIGTERM
			<-run.code
		}
	})

	testkit.WaitFor(t, 10*time.Second, "first ScanDone", func() bool { return rec.has("ScanDone a,b") })
	testkit.WaitFor(t, 10*time.Second, "b's line in the ServiceOutput file", func() bool { return fileHas(out.Name(), "b says hi\n") })
	testkit.WaitFor(t, 10*time.Second, "a's line in its log", func() bool { return fileHas(aLog, "a says hi\n") })
	testkit.WaitFor(t, 10*time.Second, "b ready for SIGTERM", func() bool { _, err := os.Stat(filepath.Join(tmp, "b.ready")); return err == nil })
	run.sigs <- syscall.SIGHUP
	testkit.WaitFor(t, 10*time.Second, "Reloading", func() bool { return rec.has("Reloading") })
	c := run.stop(t)
	stopped = true
	if c != 0 {
		t.Errorf("Run returned %d, want 0", c)
	}
	want := []string{"ServiceOutput b", "ScanDone a,b", "Reloading", "ScanDone a,b", "Stopping"}
	if got := rec.snapshot(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("calls %q, want %q", got, want)
	}
	rec.wantAdded(t, "Added a", "Added b")
	if rec.alive < 4 {
		t.Errorf("Alive called %d times, want at least one per loop turn (4+)", rec.alive)
	}
	if !fileHas(out.Name(), "b got TERM\n") {
		t.Error("b's last line missing from its output file")
	}
	noWarnings(t, warn)
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
	sc := runScanner(scan.Config{Dir: sv, Reaper: r, LogGrace: 300 * time.Millisecond})
	testkit.WaitFor(t, 10*time.Second, "a up and ready", func() bool {
		_, err := os.Stat(ready)
		return err == nil && fileHas(aLog, "a says hi\n")
	})
	if c := sc.stop(t); c != 0 {
		t.Errorf("Run returned %d, want 0", c)
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
	warn := &testkit.SyncBuffer{}
	run := runScanner(scan.Config{Dir: sv, Reaper: r, Warn: warn, MaxServices: 2})
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
	run.stop(t)
}

// events records the Events of in-process supervisors.
type events struct {
	mu  sync.Mutex
	evs []supervise.Event
}

func (e *events) Observe(ev supervise.Event) {
	e.mu.Lock()
	e.evs = append(e.evs, ev)
	e.mu.Unlock()
}

// started returns service name -> Dir of every "started" event so far.
func (e *events) started() map[string]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := map[string]string{}
	for _, ev := range e.evs {
		if ev.Kind == supervise.EventStarted {
			m[ev.Service] = ev.Dir
		}
	}
	return m
}

// TestLinkedServicesNamedAsLinked: a service dir linked into the scan dir
// is named after the link, its logger NAME/log, two links to dirs of the
// same base name do not collide, and Dir is the resolved directory
// (in-process supervisors, whose events the test sees). svscan says when
// it adds a service and when it forgets one (gone from the scan dir,
// supervise exited); supervise processes, which a rename does not disturb.
func TestLinkedServicesNamedAsLinked(t *testing.T) {
	tmp := t.TempDir()
	sv := filepath.Join(tmp, "sv")
	a, b := filepath.Join(tmp, "a", "pop"), filepath.Join(tmp, "b", "pop")
	service(t, a, helper(t, "hang"), "exec cat >/dev/null")
	service(t, b, helper(t, "hang"), "")
	if err := os.MkdirAll(sv, 0755); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"tinydyn-pop": a, "other-pop": b} {
		if err := os.Symlink(target, filepath.Join(sv, link)); err != nil {
			t.Fatal(err)
		}
	}
	r := reap.New()
	defer r.Close()
	evs := &events{}
	warn := &testkit.SyncBuffer{}
	run := runScanner(scan.Config{Dir: sv, Reaper: r, Warn: warn, InProcess: true, Events: evs, Interval: time.Hour})
	want := map[string]string{"tinydyn-pop": a, "tinydyn-pop/log": filepath.Join(a, "log"), "other-pop": b}
	testkit.WaitFor(t, 10*time.Second, "three started events", func() bool { return len(evs.started()) >= 3 })
	run.stop(t)
	if got := evs.started(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("started events name -> dir %v, want %v", got, want)
	}

	rec := &recorder{}
	run = runScanner(scan.Config{Dir: sv, Reaper: r, Observer: rec, Warn: warn, Interval: time.Hour})
	defer run.stop(t)
	testkit.WaitFor(t, 10*time.Second, "other-pop up", func() bool { return servicePid(b) != 0 })
	// Take other-pop out as the daemontools docs say: rename, svc -dx.
	if err := os.Rename(filepath.Join(sv, "other-pop"), filepath.Join(sv, ".other-pop")); err != nil {
		t.Fatal(err)
	}
	if err := svctl.Control(filepath.Join(sv, ".other-pop"), []byte("dx")); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 10*time.Second, "Forgotten other-pop", func() bool {
		run.sigs <- syscall.SIGHUP // a rescan forgets what has gone and exited
		time.Sleep(50 * time.Millisecond)
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return slices.Contains(rec.added, "Forgotten other-pop")
	})
	rec.wantAdded(t, "Added other-pop", "Added tinydyn-pop", "Forgotten other-pop")
	noWarnings(t, warn)
}

// TestSuperviseLost: a supervise process killed while svscan runs is
// reported to the observer once (Lost), the next scan's supervise adopts
// the running service (same pid), and the orderly stop reports nothing.
func TestSuperviseLost(t *testing.T) {
	tmp := t.TempDir()
	sv := filepath.Join(tmp, "sv")
	a := filepath.Join(sv, "a")
	service(t, a, helper(t, "hang"), "")
	r := reap.New()
	defer r.Close()
	rec := &recorder{}
	warn := &testkit.SyncBuffer{}
	run := runScanner(scan.Config{Dir: sv, Reaper: r, Observer: rec, Warn: warn, Interval: time.Hour})
	stopped := false
	defer func() {
		if !stopped {
			run.stop(t)
		}
	}()
	var sup, pid int
	testkit.WaitFor(t, 10*time.Second, "a up with its supervise recorded", func() bool {
		st, err := state.Read(a)
		if err != nil || st.Pid == 0 || st.Supervisor == 0 {
			return false
		}
		sup, pid = st.Supervisor, st.Pid
		return true
	})
	if rec.has("Lost a") {
		t.Fatal("Lost before any supervise ended")
	}
	if err := syscall.Kill(sup, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 10*time.Second, "Lost a", func() bool { return rec.has("Lost a") })
	run.sigs <- syscall.SIGHUP
	testkit.WaitFor(t, 10*time.Second, "a new supervise", func() bool {
		st, err := state.Read(a)
		return err == nil && st.Supervisor != 0 && st.Supervisor != sup
	})
	if got := servicePid(a); got != pid {
		t.Errorf("service pid %d after its supervise was replaced, want %d (adopted)", got, pid)
	}
	run.stop(t)
	stopped = true
	n := 0
	for _, c := range rec.snapshot() {
		if strings.HasPrefix(c, "Lost ") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d Lost calls, want 1: %q", n, rec.snapshot())
	}
}
