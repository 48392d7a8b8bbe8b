package scan_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/testkit"
	"github.com/svbridge/svbridge/supervise/state"
	"github.com/svbridge/svbridge/supervise/svctl"
)

// noPeriodic turns the periodic rescan off in practice, so only inotify or
// SIGHUP can explain a start.
const noPeriodic = "SVBRIDGE_SCAN_INTERVAL=1h"

func TestChdirFailure(t *testing.T) {
	parallel(t)
	missing := filepath.Join(t.TempDir(), "nonexistent")
	ours := exec.Command(filepath.Join(binDir, "svscan"), missing)
	outOurs, err := ours.CombinedOutput()
	code := exitCode(t, err)
	if code != 111 {
		t.Errorf("exit code %d, want 111", code)
	}
	want := "svscan: fatal: unable to chdir to " + missing + ": file does not exist\n"
	if string(outOurs) != want {
		t.Errorf("output %q, want %q", outOurs, want)
	}
	testkit.NeedDaemontools(t, "svscan")
	orig := exec.Command("/usr/bin/svscan", missing)
	outOrig, err := orig.CombinedOutput()
	if c := exitCode(t, err); c != code || string(outOrig) != string(outOurs) {
		t.Errorf("daemontools: %d %q; ours: %d %q", c, outOrig, code, outOurs)
	}
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

// TestScan: every subdirectory (and a symlink to one) gets a supervise,
// NAME/log a second one fed by the pipe; dot names and plain files are
// left alone; a service without log/ writes to svscan's output.
func TestScan(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v variant) {
		tmp := t.TempDir()
		sv := filepath.Join(tmp, "sv")
		aLog := filepath.Join(tmp, "a.log")
		hidden := filepath.Join(tmp, "hidden-ran")
		service(t, filepath.Join(sv, "a"), "echo a says hi; "+helper(t, "hang"), "exec cat >> "+shellQuote(aLog))
		service(t, filepath.Join(sv, "b"), "echo b says hi; "+helper(t, "hang"), "")
		service(t, filepath.Join(sv, ".hidden"), "touch "+shellQuote(hidden)+"; "+helper(t, "hang"), "")
		service(t, filepath.Join(tmp, "elsewhere"), "echo c says hi; "+helper(t, "hang"), "")
		if err := os.Symlink(filepath.Join(tmp, "elsewhere"), filepath.Join(sv, "c")); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sv, "file"), []byte("not a service\n"), 0644); err != nil {
			t.Fatal(err)
		}

		p := startSvscan(t, sv, v.env...)
		want := []string{"a", "a/log", "b", "c"}
		testkit.WaitFor(t, 10*time.Second, "supervise a, a/log, b, c", func() bool {
			return sameKeys(p.supervisors(), want)
		})
		testkit.WaitFor(t, 10*time.Second, "a's line in its log", func() bool { return fileHas(aLog, "a says hi\n") })
		testkit.WaitFor(t, 10*time.Second, "b's and c's lines on svscan's output", func() bool {
			o := p.output()
			return strings.Contains(o, "b says hi\n") && strings.Contains(o, "c says hi\n")
		})
		if strings.Contains(p.output(), "a says hi") {
			t.Error("a's output reached svscan's stdout instead of only its logger")
		}

		// A rescan (SIGHUP), then a new service noticed after it: by then
		// any scan would have started .hidden.
		p.signal(syscall.SIGHUP)
		moveIn(t, tmp, sv, "d", helper(t, "hang"))
		testkit.WaitFor(t, 10*time.Second, "supervise d", func() bool { _, ok := p.supervisors()["d"]; return ok })
		if got := p.supervisors(); !sameKeys(got, append(want, "d")) {
			t.Errorf("supervisors %v, want %v", keys(got), append(want, "d"))
		}
		if _, err := os.Stat(filepath.Join(sv, ".hidden", "supervise")); err == nil {
			t.Error(".hidden was supervised")
		}
		if _, err := os.Stat(hidden); err == nil {
			t.Error(".hidden/run ran")
		}
	})
}

// moveIn makes a complete service dir outside sv and renames it into sv.
func moveIn(t *testing.T, tmp, sv, name, run string) {
	t.Helper()
	src := filepath.Join(tmp, "new-"+name)
	service(t, src, run, "")
	if err := os.Rename(src, filepath.Join(sv, name)); err != nil {
		t.Fatal(err)
	}
}

func keys(m map[string]int) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}

func sameKeys(m map[string]int, want []string) bool {
	got := keys(m)
	w := append([]string(nil), want...)
	sort.Strings(w)
	return strings.Join(got, ",") == strings.Join(w, ",")
}

// TestNoticedAtOnce: with the periodic rescan an hour away, new services
// are started through inotify: a dir renamed in, a symlink, and a dir
// made with mkdir and then filled, whose log/ made after it is used.
func TestNoticedAtOnce(t *testing.T) {
	forEachMode(t, func(t *testing.T, v variant) {
		tmp := t.TempDir()
		sv := filepath.Join(tmp, "sv")
		if err := os.Mkdir(sv, 0755); err != nil {
			t.Fatal(err)
		}
		p := startSvscan(t, sv, append(v.env, noPeriodic)...)
		// No periodic scan: only inotify can start the services below.
		// How fast is logged here and measured by BenchmarkNewServiceUp,
		// not asserted. svscan watches the dir once it has started; wait
		// for the first scan to be over through a first service.
		moveIn(t, tmp, sv, "first", helper(t, "hang"))
		testkit.WaitFor(t, 10*time.Second, "first up", func() bool { return servicePid(filepath.Join(sv, "first")) != 0 })

		t0 := time.Now()
		moveIn(t, tmp, sv, "moved", helper(t, "hang"))
		testkit.WaitFor(t, 10*time.Second, "moved up", func() bool { return servicePid(filepath.Join(sv, "moved")) != 0 })
		t.Logf("renamed dir up after %v", time.Since(t0))

		service(t, filepath.Join(tmp, "target"), helper(t, "hang"), "")
		t0 = time.Now()
		if err := os.Symlink(filepath.Join(tmp, "target"), filepath.Join(sv, "linked")); err != nil {
			t.Fatal(err)
		}
		testkit.WaitFor(t, 10*time.Second, "linked up", func() bool { return servicePid(filepath.Join(sv, "linked")) != 0 })
		t.Logf("symlinked dir up after %v", time.Since(t0))

		// mkdir, then run, then log/ and log/run, as a script would.
		logFile := filepath.Join(tmp, "made.log")
		made := filepath.Join(sv, "made")
		t0 = time.Now()
		if err := os.Mkdir(made, 0755); err != nil {
			t.Fatal(err)
		}
		script(t, filepath.Join(made, "run"), "echo made says hi; "+helper(t, "hang"))
		if err := os.Mkdir(filepath.Join(made, "log"), 0755); err != nil {
			t.Fatal(err)
		}
		script(t, filepath.Join(made, "log", "run"), "exec cat >> "+shellQuote(logFile))
		testkit.WaitFor(t, 10*time.Second, "made's line through its logger", func() bool { return fileHas(logFile, "made says hi\n") })
		t.Logf("mkdir'd dir with log up after %v", time.Since(t0))
		if _, ok := p.supervisors()["made/log"]; !ok && v.name != "inprocess" {
			t.Errorf("no supervise for made/log: %v", keys(p.supervisors()))
		}
	})
}

// TestDeadSuperviseRestarted: a supervise killed with SIGKILL is started
// again at the next (periodic) scan, and the new one writes into the same
// pipe; then the logger's supervise is killed, a SIGHUP rescan starts a
// new one, and it reads the same pipe.
func TestDeadSuperviseRestarted(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v variant) {
		// Our supervise adopts the run its killed predecessor left (same
		// pid, no second start); Debian's starts a second copy.
		adopts := v.name == "ours"
		tmp := t.TempDir()
		sv := filepath.Join(tmp, "sv")
		logFile := filepath.Join(tmp, "a.log")
		a := filepath.Join(sv, "a")
		service(t, a, "echo start; "+helper(t, "hang"), "exec cat >> "+shellQuote(logFile))
		p := startSvscan(t, sv, v.env...)
		testkit.WaitFor(t, 10*time.Second, "first start logged", func() bool { return countIn(logFile, "start\n") == 1 })
		// The service can print before its supervise has written the status.
		testkit.WaitFor(t, 10*time.Second, "a's pid in supervise/status", func() bool { return servicePid(a) != 0 })
		sup := p.supervisors()
		main, logger := sup["a"], sup["a/log"]
		if main == 0 || logger == 0 {
			t.Fatalf("supervisors: %v", sup)
		}
		first := servicePid(a)
		if err := syscall.Kill(main, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		// The orphaned first run still holds the pipe's write end: end it
		// with the test, or the logger would wait for it on SIGTERM.
		t.Cleanup(func() { syscall.Kill(first, syscall.SIGKILL) })
		// The periodic scan is at most 5 s away.
		p.waitNewSupervise(12*time.Second, "a new supervise for a", "a", main)
		starts := 2
		if adopts {
			testkit.WaitFor(t, 10*time.Second, "the run adopted", func() bool { return supervisorOf(a) == p.supervisors()["a"] })
			if got := servicePid(a); got != first {
				t.Fatalf("service pid %d after its supervise was killed, want %d (adopted)", got, first)
			}
			starts = 1
		}
		testkit.WaitFor(t, 10*time.Second, "start logged", func() bool { return countIn(logFile, "start\n") == starts })
		if got := p.supervisors()["a/log"]; got != logger {
			t.Errorf("logger supervise changed from %d to %d", logger, got)
		}

		// Kill the logger's supervise (and, with Debian's, its cat).
		cat := servicePid(filepath.Join(a, "log"))
		syscall.Kill(logger, syscall.SIGKILL)
		if cat != 0 && !adopts {
			syscall.Kill(cat, syscall.SIGKILL)
		}
		testkit.WaitFor(t, 10*time.Second, "the logger's supervise gone", func() bool { return reaped(logger) && (adopts || cat == 0 || !testkit.Alive(cat)) })
		p.signal(syscall.SIGHUP)
		p.waitNewSupervise(10*time.Second, "a new supervise for a/log", "a/log", logger)
		if adopts {
			testkit.WaitFor(t, 10*time.Second, "the logger adopted", func() bool {
				return supervisorOf(filepath.Join(a, "log")) == p.supervisors()["a/log"]
			})
			if got := servicePid(filepath.Join(a, "log")); got != cat {
				t.Fatalf("logger pid %d, want %d (adopted)", got, cat)
			}
		}
		// Restart the service: its new line goes through the same pipe
		// to the new logger.
		if err := svctl.Control(a, []byte("t")); err != nil {
			t.Fatal(err)
		}
		testkit.WaitFor(t, 10*time.Second, "next start logged", func() bool { return countIn(logFile, "start\n") == starts+1 })
	})
}

// waitNewSupervise waits up to d for svscan to run a supervise for name
// (as supervisors names it) other than old.
func (p *proc) waitNewSupervise(d time.Duration, what, name string, old int) {
	p.t.Helper()
	testkit.WaitFor(p.t, d, what, func() bool {
		pid := p.supervisors()[name]
		return pid != 0 && pid != old
	})
}

// supervisorOf returns the supervisor pid recorded in dir's status.json.
func supervisorOf(dir string) int {
	st, err := state.Read(dir)
	if err != nil {
		return 0
	}
	return st.Supervisor
}

// TestSIGHUPRescans: with no periodic scan, a killed supervise comes back
// only because of SIGHUP.
func TestSIGHUPRescans(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v variant) {
		sv := filepath.Join(t.TempDir(), "sv")
		service(t, filepath.Join(sv, "a"), helper(t, "hang"), "")
		p := startSvscan(t, sv, append(v.env, noPeriodic)...)
		testkit.WaitFor(t, 10*time.Second, "supervise a", func() bool { return p.supervisors()["a"] != 0 })
		old := p.supervisors()["a"]
		waitRunExeced(t, filepath.Join(sv, "a"), old)
		syscall.Kill(old, syscall.SIGKILL)
		// Gone means reaped by svscan (see reaped), not merely no longer
		// showing its command line or a zombie: a SIGHUP before that would
		// find it still running.
		testkit.WaitFor(t, 10*time.Second, "supervise a gone", func() bool { return reaped(old) })
		p.signal(syscall.SIGHUP)
		p.waitNewSupervise(10*time.Second, "supervise a back after SIGHUP", "a", old)
	})
}

// TestRemovedDirKeepsSupervise: as daemontools, a service dir renamed away
// keeps its supervise; once that supervise exits, svscan forgets it, and
// the dir brought back is a new service.
func TestRemovedDirKeepsSupervise(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v variant) {
		tmp := t.TempDir()
		sv := filepath.Join(tmp, "sv")
		service(t, filepath.Join(sv, "a"), helper(t, "hang"), "")
		service(t, filepath.Join(sv, "b"), helper(t, "hang"), "")
		p := startSvscan(t, sv, append(v.env, noPeriodic)...)
		testkit.WaitFor(t, 10*time.Second, "supervise a and b", func() bool { return sameKeys(p.supervisors(), []string{"a", "b"}) })
		// Up, so past its chdir: a supervise still starting would fail on
		// the rename below.
		testkit.WaitFor(t, 10*time.Second, "service a up", func() bool { return servicePid(filepath.Join(sv, "a")) != 0 })
		pidA := p.supervisors()["a"]
		away := filepath.Join(tmp, "away")
		if err := os.Rename(filepath.Join(sv, "a"), away); err != nil {
			t.Fatal(err)
		}
		p.signal(syscall.SIGHUP)
		// Let the rescan happen: a dir moved in after the SIGHUP is noticed
		// after it, in the same loop.
		moveIn(t, tmp, sv, "c", helper(t, "hang"))
		testkit.WaitFor(t, 10*time.Second, "supervise c", func() bool { return p.supervisors()["c"] != 0 })
		if !testkit.Alive(pidA) {
			t.Fatal("supervise of the removed dir was stopped")
		}
		if err := svctl.Control(away, []byte("dx")); err != nil {
			t.Fatal(err)
		}
		testkit.WaitFor(t, 10*time.Second, "supervise of the removed dir to exit", func() bool { return reaped(pidA) })
		p.signal(syscall.SIGHUP)
		if err := os.Rename(away, filepath.Join(sv, "a")); err != nil {
			t.Fatal(err)
		}
		p.waitNewSupervise(10*time.Second, "a supervised again", "a", pidA)
	})
}

// TestSIGTERM: services are stopped first, their loggers after them (the
// logger still gets what the service wrote on its way out), then svscan
// exits 0 with no supervise left.
func TestSIGTERM(t *testing.T) {
	forEachMode(t, func(t *testing.T, v variant) {
		tmp := t.TempDir()
		sv := filepath.Join(tmp, "sv")
		logFile := filepath.Join(tmp, "a.log")
		readyA, readyB := filepath.Join(tmp, "a.ready"), filepath.Join(tmp, "b.ready")
		service(t, filepath.Join(sv, "a"), "echo a up; "+helper(t, "hang", "MSG=a got TERM", "READY="+readyA), "exec cat >> "+shellQuote(logFile))
		service(t, filepath.Join(sv, "b"), "echo b up; "+helper(t, "hang", "MSG=b got TERM", "READY="+readyB), "")
		p := startSvscan(t, sv, v.env...)
		testkit.WaitFor(t, 10*time.Second, "a and b up and ready for SIGTERM", func() bool {
			_, errA := os.Stat(readyA)
			_, errB := os.Stat(readyB)
			return errA == nil && errB == nil && fileHas(logFile, "a up\n") && strings.Contains(p.output(), "b up\n")
		})
		var pids []int
		for _, pid := range p.supervisors() {
			pids = append(pids, pid)
		}
		for _, d := range []string{"a", "a/log", "b"} {
			pids = append(pids, servicePid(filepath.Join(sv, d)))
		}
		p.signal(syscall.SIGTERM)
		if code := p.wait(20 * time.Second); code != 0 {
			t.Errorf("exit code %d, want 0", code)
		}
		if !fileHas(logFile, "a got TERM\n") {
			b, _ := os.ReadFile(logFile)
			t.Errorf("the logger did not get a's last line: %q", b)
		}
		if !strings.Contains(p.output(), "b got TERM\n") {
			t.Errorf("b's last line missing from svscan's output")
		}
		for _, pid := range pids {
			if pid != 0 && testkit.Alive(pid) {
				t.Errorf("pid %d still running after svscan exited", pid)
			}
		}
	})
}

// TestLogLoss: a service writes 100,000 numbered lines while its logger
// (daemontools' multilog) is restarted with svc -t several times, then
// svscan gets SIGTERM: every line arrives exactly once, in order.
func TestLogLoss(t *testing.T) {
	testkit.NeedDaemontools(t, "multilog")
	debian := testkit.Daemontools("multilog")
	forEachMode(t, func(t *testing.T, v variant) { testLogLoss(t, v, debian) })
	// Our multilog as the logger, under our supervise.
	t.Run("ours+multilog", func(t *testing.T) {
		parallel(t)
		testLogLoss(t, variant{name: "ours"}, filepath.Join(binDir, "multilog"))
	})
}

func testLogLoss(t *testing.T, v variant, multilog string) {
	const lines = 100000
	tmp := t.TempDir()
	sv := filepath.Join(tmp, "sv")
	done := filepath.Join(tmp, "done")
	logDir := filepath.Join(tmp, "main")
	w := filepath.Join(sv, "w")
	service(t, w,
		helper(t, "writer", fmt.Sprintf("N=%d", lines), "DONE="+done, "PACE=5ms"),
		"exec "+multilog+" s16777215 "+shellQuote(logDir))
	p := startSvscan(t, sv, v.env...)
	testkit.WaitFor(t, 10*time.Second, "the first lines logged", func() bool {
		return fileHas(filepath.Join(logDir, "current"), "line 000001\n")
	})
	restarts := 0
	for restarts < 4 {
		if _, err := os.Stat(done); err == nil {
			break
		}
		old := servicePid(filepath.Join(w, "log"))
		if err := svctl.Control(filepath.Join(w, "log"), []byte("t")); err != nil {
			t.Fatal(err)
		}
		testkit.WaitFor(t, 10*time.Second, "a new multilog", func() bool {
			pid := servicePid(filepath.Join(w, "log"))
			return pid != 0 && pid != old
		})
		restarts++
	}
	t.Logf("%d logger restarts while the service was writing", restarts)
	if restarts < 2 {
		t.Errorf("the writer finished after %d restarts: too fast to test anything", restarts)
	}
	testkit.WaitFor(t, 60*time.Second, "the writer to finish", func() bool { _, err := os.Stat(done); return err == nil })
	p.signal(syscall.SIGTERM)
	if code := p.wait(30 * time.Second); code != 0 {
		t.Errorf("svscan exit code %d, want 0", code)
	}
	checkLines(t, logDir, lines)
}

// checkLines reads multilog's finished files and current, in order, and
// checks they hold "line 000001" ... exactly once each, in order.
func checkLines(t *testing.T, dir string, n int) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "@") {
			files = append(files, e.Name())
		}
	}
	sort.Strings(files)
	files = append(files, "current")
	next := 1
	for _, name := range files {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			want := fmt.Sprintf("line %06d", next)
			if sc.Text() != want {
				f.Close()
				t.Fatalf("%s: got %q, want %q (lines before it were all there, in order)", name, sc.Text(), want)
			}
			next++
		}
		f.Close()
	}
	if next != n+1 {
		t.Fatalf("got %d lines, want %d", next-1, n)
	}
}

// TestNoSupervise: when supervise cannot be run, svscan says so in
// daemontools' words (compared with Debian's svscan with no supervise on
// its PATH) and keeps going.
func TestNoSupervise(t *testing.T) {
	parallel(t)
	tmp := t.TempDir()
	sv := filepath.Join(tmp, "sv")
	service(t, filepath.Join(sv, "a"), helper(t, "hang"), "")
	want := "svscan: warning: unable to start supervise a: file does not exist\n"
	p := startSvscan(t, sv, "SVBRIDGE_SUPERVISE="+filepath.Join(tmp, "nonexistent"))
	testkit.WaitFor(t, 10*time.Second, "the warning", func() bool { return strings.Contains(p.output(), want) })
	if o := p.output(); !strings.HasPrefix(o, want) {
		t.Errorf("output %q, want it to start with %q", o, want)
	}
	testkit.NeedDaemontools(t, "svscan")
	out := filepath.Join(tmp, "orig.out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	orig := exec.Command("/usr/bin/svscan", sv)
	orig.Env = []string{"PATH=" + filepath.Join(tmp, "nonexistent")}
	orig.Stdout, orig.Stderr = f, f
	if err := orig.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { orig.Process.Kill(); orig.Wait() }()
	testkit.WaitFor(t, 10*time.Second, "daemontools' warning", func() bool { return fileHas(out, "\n") })
	b, _ := os.ReadFile(out)
	if first := strings.SplitAfter(string(b), "\n")[0]; first != want {
		t.Errorf("daemontools says %q, we say %q", first, want)
	}
}

// TestDebianSvscanRunsOurs: interop the other way round, daemontools'
// svscan running our supervise (found first on its PATH) for a service and
// its logger, joined by the original's pipe.
func TestDebianSvscanRunsOurs(t *testing.T) {
	parallel(t)
	testkit.NeedDaemontools(t, "svscan")
	tmp := t.TempDir()
	sv := filepath.Join(tmp, "sv")
	logFile := filepath.Join(tmp, "a.log")
	service(t, filepath.Join(sv, "a"), "echo a says hi; "+helper(t, "hang"), "exec cat >> "+shellQuote(logFile))
	cmd := exec.Command("/usr/bin/svscan", sv)
	cmd.Env = append(os.Environ(), "PATH="+binDir+":"+os.Getenv("PATH"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	testkit.WaitFor(t, 10*time.Second, "a's line through its logger", func() bool { return fileHas(logFile, "a says hi\n") })
	// The service can print before its supervise has written the status.
	testkit.WaitFor(t, 10*time.Second, "a's pid in supervise/status", func() bool { return servicePid(filepath.Join(sv, "a")) != 0 })
	// Our svc and svstat-level view: both supervise are ours and answer.
	for _, d := range []string{"a", "a/log"} {
		if err := svctl.OK(filepath.Join(sv, d)); err != nil {
			t.Errorf("%s: %v", d, err)
		}
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", servicePidParent(t, filepath.Join(sv, "a"))))
	if err != nil || filepath.Dir(exe) != binDir {
		t.Errorf("a's supervise is %q (%v), want ours from %s", exe, err, binDir)
	}
}

// servicePidParent returns the parent of the service's pid: its supervise.
func servicePidParent(t *testing.T, dir string) int {
	t.Helper()
	pid := servicePid(dir)
	if pid == 0 {
		t.Fatalf("%s: no pid in supervise/status", dir)
	}
	return ppid(pid)
}

// TestLateLogDir: a log/ added to a running service is used once its
// supervise starts again (here after svc -dx and a SIGHUP rescan); the
// running supervise is left alone until then.
func TestLateLogDir(t *testing.T) {
	parallel(t)
	tmp := t.TempDir()
	sv := filepath.Join(tmp, "sv")
	a := filepath.Join(sv, "a")
	logFile := filepath.Join(tmp, "a.log")
	service(t, a, "echo a says hi; "+helper(t, "hang"), "")
	p := startSvscan(t, sv, noPeriodic)
	testkit.WaitFor(t, 10*time.Second, "a's line on svscan's output", func() bool { return strings.Contains(p.output(), "a says hi\n") })
	first := p.supervisors()["a"]
	if err := os.Mkdir(filepath.Join(a, "log"), 0755); err != nil {
		t.Fatal(err)
	}
	script(t, filepath.Join(a, "log", "run"), "exec cat >> "+shellQuote(logFile))
	p.signal(syscall.SIGHUP)
	moveIn(t, tmp, sv, "b", helper(t, "hang")) // noticed after the rescan
	testkit.WaitFor(t, 10*time.Second, "supervise b", func() bool { return p.supervisors()["b"] != 0 })
	if got := p.supervisors(); got["a"] != first || got["a/log"] != 0 {
		t.Fatalf("a's supervise changed or a logger appeared while it ran: %v", got)
	}
	if err := svctl.Control(a, []byte("dx")); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 10*time.Second, "a's supervise to exit", func() bool { return reaped(first) })
	p.signal(syscall.SIGHUP)
	testkit.WaitFor(t, 10*time.Second, "a's line through the new logger", func() bool { return fileHas(logFile, "a says hi\n") })
}
