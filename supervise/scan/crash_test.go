package scan_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/testkit"
	"github.com/svbridge/svbridge/supervise/pidfd"
	"github.com/svbridge/svbridge/supervise/state"
	"github.com/svbridge/svbridge/supervise/status"
	"github.com/svbridge/svbridge/supervise/svctl"
)

// TestCrashProof: kill -9 of any part of the tree (a supervise, a
// logger's supervise, svscan) starts nothing twice: every service and
// logger keeps running with the same pid, under a new supervisor that
// adopted it, svc -d/-u still work on it, and a numbered-lines producer's
// output reaches its multilog with nothing missing. Then an orderly stop
// leaves no process of the tree.
func TestCrashProof(t *testing.T) {
	parallel(t)
	for _, v := range []variant{{name: "process"}, {name: "inprocess", env: []string{"SVBRIDGE_INPROCESS=1"}}} {
		t.Run(v.name, func(t *testing.T) { parallel(t); testCrashProof(t, v) })
	}
}

func testCrashProof(t *testing.T, v variant) {
	const lines = 200000
	tmp := t.TempDir()
	sv := filepath.Join(tmp, "sv")
	done := filepath.Join(tmp, "done")
	logDir := filepath.Join(tmp, "main")
	w, h := filepath.Join(sv, "w"), filepath.Join(sv, "h")
	wlog := filepath.Join(w, "log")
	service(t, w,
		helper(t, "writer", fmt.Sprintf("N=%d", lines), "DONE="+done, "PACE=20ms"),
		"exec "+filepath.Join(binDir, "multilog")+" s16777215 "+shellQuote(logDir))
	service(t, h, "echo $$ >> "+shellQuote(filepath.Join(tmp, "h.starts"))+"; exec sleep 1000", "")
	// e: its log pipe must work for new runs of either side after the
	// new svscan took it back.
	e, elog, eFile := filepath.Join(sv, "e"), filepath.Join(sv, "e", "log"), filepath.Join(tmp, "e.log")
	service(t, e, "echo start; "+helper(t, "hang"), "exec cat >> "+shellQuote(eFile))
	dirs := []string{w, wlog, h, e, elog}

	p := startSvscan(t, sv, v.env...)
	testkit.WaitFor(t, 10*time.Second, "the first lines logged", func() bool {
		return fileHas(filepath.Join(logDir, "current"), "line 000001\n")
	})
	pids := map[string]int{}
	for _, d := range dirs {
		testkit.WaitFor(t, 10*time.Second, d+" up", func() bool { return servicePid(d) != 0 })
		pids[d] = servicePid(d)
	}
	// same checks that each service still runs once, with its first pid,
	// under a supervisor that adopted it (super returns that supervisor).
	same := func(what string, super func(dir string) bool) {
		t.Helper()
		for _, d := range dirs {
			testkit.WaitFor(t, 15*time.Second, d+" adopted after "+what, func() bool { return super(d) })
			if got := servicePid(d); got != pids[d] || !testkit.Alive(got) {
				t.Fatalf("after %s: %s runs pid %d (alive %v), want %d", what, d, got, testkit.Alive(got), pids[d])
			}
		}
		if n := countIn(filepath.Join(tmp, "h.starts"), "\n"); n != 1 {
			t.Fatalf("after %s: h started %d times", what, n)
		}
	}

	if v.name == "process" {
		// kill -9 the writer's supervise and its logger's supervise.
		for _, d := range []string{w, wlog} {
			old := supervisorOf(d)
			if old == 0 {
				t.Fatalf("no supervisor recorded for %s", d)
			}
			syscall.Kill(old, syscall.SIGKILL)
			same("kill -9 of the supervise of "+d, func(dir string) bool {
				s := supervisorOf(dir)
				return s != 0 && s != old || dir != d
			})
		}
	}

	// kill -9 svscan, start another one.
	if _, err := os.Stat(done); err == nil {
		t.Fatal("the writer finished before svscan was killed: too fast to test anything")
	}
	old := p.cmd.Process.Pid
	syscall.Kill(old, syscall.SIGKILL)
	p.wait(10 * time.Second)
	for _, d := range dirs {
		if !testkit.Alive(pids[d]) {
			t.Fatalf("%s (pid %d) died with svscan", d, pids[d])
		}
	}
	p2 := startSvscan(t, sv, v.env...)
	same("kill -9 of svscan", func(dir string) bool {
		s := supervisorOf(dir)
		if v.name == "inprocess" {
			return s == p2.cmd.Process.Pid
		}
		return s != 0 && testkit.Alive(s)
	})
	if _, err := os.Stat(done); err == nil {
		t.Fatal("the writer finished before the new svscan took over: too fast to test anything")
	}

	// Restart e's logger, then e: the new run's line reaches the new
	// logger through the same pipe. In process mode, kill -9 e's supervise
	// first: the new svscan starts one with the pipe it took back.
	if v.name == "process" {
		syscall.Kill(supervisorOf(e), syscall.SIGKILL)
		testkit.WaitFor(t, 15*time.Second, "e adopted by a supervise of the new svscan", func() bool {
			return supervisorOf(e) == p2.supervisors()["e"] && supervisorOf(e) != 0
		})
	}
	if err := svctl.Control(elog, []byte("t")); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 10*time.Second, "a new logger for e", func() bool { n := servicePid(elog); return n != 0 && n != pids[elog] })
	if err := svctl.Control(e, []byte("t")); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 10*time.Second, "e's second start logged", func() bool { return countIn(eFile, "start\n") == 2 })
	delete(pids, e)
	delete(pids, elog)

	// svc -d / -u still work on the adopted service.
	if err := svctl.Control(h, []byte("d")); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 10*time.Second, "h down", func() bool { return servicePid(h) == 0 && !testkit.Alive(pids[h]) })
	// In process mode h's supervise never died: it reads the exit code.
	// All-in-one, h was adopted: its code is unknown.
	testkit.WaitFor(t, 10*time.Second, "h's exit recorded", func() bool {
		st, err := state.Read(h)
		return err == nil && st.LastExit != nil && st.LastExit.Unknown == (v.name == "inprocess")
	})
	if err := svctl.Control(h, []byte("u")); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 10*time.Second, "h up again", func() bool { n := servicePid(h); return n != 0 && n != pids[h] })

	testkit.WaitFor(t, 60*time.Second, "the writer to finish", func() bool { _, err := os.Stat(done); return err == nil })
	p2.signal(syscall.SIGTERM)
	if code := p2.wait(30 * time.Second); code != 0 {
		t.Errorf("svscan exit code %d, want 0", code)
	}
	if out := p2.output(); strings.Contains(out, "unable to acquire") || strings.Contains(out, "warning") {
		t.Errorf("svscan said:\n%s", out)
	}
	for _, d := range dirs {
		if s := supervisorOf(d); s != 0 && testkit.Alive(s) {
			t.Errorf("the supervisor of %s (pid %d) is still running", d, s)
		}
	}
	for d, pid := range pids {
		if testkit.Alive(pid) {
			t.Errorf("%s (pid %d) still running after the stop", d, pid)
		}
	}
	checkLines(t, logDir, lines)
}

// TestRecordedPidsNotTrusted: svscan follows a live supervise only when
// the lock is held and status.json names that very process. A status.json
// naming an unrelated live process (reused pids: the start times differ)
// with a free lock gets a supervise as usual; a lock held by someone it
// cannot identify (as Debian's supervise, which writes no status.json) is
// left alone quietly until it is free. The unrelated process is never
// signalled, not even by the stop.
func TestRecordedPidsNotTrusted(t *testing.T) {
	parallel(t)
	for _, v := range []variant{{name: "process"}, {name: "inprocess", env: []string{"SVBRIDGE_INPROCESS=1"}}} {
		t.Run(v.name, func(t *testing.T) {
			parallel(t)
			tmp := t.TempDir()
			sv := filepath.Join(tmp, "sv")
			a, b := filepath.Join(sv, "a"), filepath.Join(sv, "b")
			for _, d := range []string{a, b} {
				service(t, d, "echo $$ >> starts; exec sleep 1000", "")
				if err := os.MkdirAll(filepath.Join(d, "supervise"), 0700); err != nil {
					t.Fatal(err)
				}
			}
			other := exec.Command("sleep", "1000")
			if err := other.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { other.Process.Kill(); other.Wait() }()
			start, err := pidfd.StartTime(other.Process.Pid)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range []string{a, b} {
				js := &state.Status{State: state.Up, Pid: other.Process.Pid, PidStart: start + 1, Want: state.WantUp,
					Supervisor: other.Process.Pid, SupervisorStart: start + 1, BootID: pidfd.BootID()}
				if err := state.Write(d, js); err != nil {
					t.Fatal(err)
				}
				st := status.Status{Pid: other.Process.Pid, Want: 'u'}
				raw := st.Encode()
				if err := os.WriteFile(filepath.Join(d, "supervise", "status"), raw[:], 0644); err != nil {
					t.Fatal(err)
				}
			}
			// b's lock is held, by this test: svscan cannot tell who holds it.
			lock, err := os.OpenFile(filepath.Join(b, "supervise", "lock"), os.O_WRONLY|os.O_CREATE, 0600)
			if err != nil {
				t.Fatal(err)
			}
			defer lock.Close()
			if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
				t.Fatal(err)
			}

			p := startSvscan(t, sv, append(v.env, "SVBRIDGE_SCAN_INTERVAL=300ms")...)
			testkit.WaitFor(t, 10*time.Second, "a started by a supervisor of its own", func() bool {
				n := servicePid(a)
				return n != 0 && n != other.Process.Pid && countIn(filepath.Join(a, "starts"), "\n") == 1
			})
			// Periodic scans pass over b: quietly, nothing started. (svc -dx
			// ends a's supervisor; only a scan starts another one, so two
			// rounds of it prove at least one whole scan, b included.)
			for n := 2; n <= 3; n++ {
				if err := svctl.Control(a, []byte("dx")); err != nil {
					t.Fatal(err)
				}
				testkit.WaitFor(t, 10*time.Second, "a started again by a scan", func() bool {
					return countIn(filepath.Join(a, "starts"), "\n") == n && servicePid(a) != 0
				})
			}
			if n := countIn(filepath.Join(b, "starts"), "\n"); n != 0 {
				t.Fatalf("b started %d times while its lock was held", n)
			}
			// Once the lock is free, b gets its supervisor.
			lock.Close()
			testkit.WaitFor(t, 10*time.Second, "b started once its lock was free", func() bool {
				return countIn(filepath.Join(b, "starts"), "\n") == 1
			})
			p.signal(syscall.SIGTERM)
			if code := p.wait(30 * time.Second); code != 0 {
				t.Errorf("svscan exit code %d", code)
			}
			if !testkit.Alive(other.Process.Pid) {
				t.Fatal("the unrelated process was signalled")
			}
			if out := p.output(); strings.Contains(out, "lock") {
				t.Errorf("svscan said:\n%s", out)
			}
		})
	}
}
