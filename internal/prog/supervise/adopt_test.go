package supervise

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/tai64n"
	"github.com/svbridge/svbridge/internal/testkit"
	"github.com/svbridge/svbridge/supervise/pidfd"
	"github.com/svbridge/svbridge/supervise/state"
	"github.com/svbridge/svbridge/supervise/status"
)

// waitState polls status.json until cond holds, with a deadline.
func waitState(t *testing.T, dir, what string, cond func(*state.Status) bool) *state.Status {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, _ := state.Read(dir)
		if st != nil && cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last %+v", what, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func lines(t *testing.T, path string) []string {
	t.Helper()
	b, _ := os.ReadFile(path)
	return strings.Fields(string(b))
}

// waitStarts waits until dir/starts, where each ./run writes its pid
// first, lists exactly pids in order: a status showing a new pid says the
// fork happened, not that the shell has run its first line yet.
func waitStarts(t *testing.T, dir string, pids ...int) {
	t.Helper()
	want := make([]string, len(pids))
	for i, p := range pids {
		want[i] = strconv.Itoa(p)
	}
	var got []string
	testkit.WaitFor(t, 10*time.Second, "starts "+strings.Join(want, " "), func() bool {
		got = lines(t, filepath.Join(dir, "starts"))
		if len(got) > len(want) {
			t.Fatalf("./run started %d times: %v, want %v", len(got), got, want)
		}
		return strings.Join(got, " ") == strings.Join(want, " ")
	})
}

// orphanRun starts our supervise on dir, whose ./run writes its pid to
// starts first, waits for that run and kills the supervise with SIGKILL,
// which leaves the run running; it returns the run's pid.
func orphanRun(t *testing.T, dir string) int {
	t.Helper()
	first := exec.Command(ours, dir)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	pid := waitState(t, dir, "first run", func(s *state.Status) bool { return s.Pid != 0 }).Pid
	waitStarts(t, dir, pid)
	first.Process.Kill()
	first.Wait()
	return pid
}

// TestAdoptAfterKill9: a supervise killed with SIGKILL leaves its ./run
// running; the next supervise on the directory adopts it (same pid, no
// second ./run, an output that goes on without a gap), svc signals reach it,
// its exit is noticed at once with an unknown code, and svc -u starts a
// new run as usual.
func TestAdoptAfterKill9(t *testing.T) {
	t.Parallel()
	needDebian(t, debSvc)
	dir := filepath.Join(t.TempDir(), "svc")
	writeRun(t, dir, `echo $$ >> starts
i=0; while :; do i=$((i+1)); echo $i; sleep 0.01; done`, 0755)
	out, err := os.Create(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()

	first := exec.Command(ours, dir)
	first.Stdout = out
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	st := waitState(t, dir, "first run", func(s *state.Status) bool { return s.Pid != 0 && s.PidStart != 0 })
	pid := st.Pid
	waitStarts(t, dir, pid)
	first.Process.Kill()
	first.Wait()
	if !testkit.Alive(pid) {
		t.Fatal("./run died with its supervise")
	}

	s := startSup(t, ours, "", dir)
	st = waitState(t, dir, "adoption", func(s2 *state.Status) bool { return s2.Supervisor == s.cmd.Process.Pid })
	if st.Pid != pid || st.State != state.Up || st.Want != state.WantUp {
		t.Fatalf("after adoption: %+v (run was %d)", st, pid)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "supervise/status")); len(b) != status.Size {
		t.Fatalf("status is %d bytes", len(b))
	}
	waitStat(t, dir, "up \\(pid "+strconv.Itoa(pid)+"\\) \\d+ seconds")
	waitStarts(t, dir, pid)

	svc(t, "-d", dir)
	st = waitState(t, dir, "down", func(s *state.Status) bool { return s.Pid == 0 && s.LastExit != nil })
	if !st.LastExit.Unknown || st.State != state.Down {
		t.Fatalf("after svc -d: %+v %+v", st, st.LastExit)
	}
	if testkit.Alive(pid) {
		t.Fatal("adopted run still alive after svc -d")
	}
	// The output went on, line after line, with no second producer.
	nums := lines(t, filepath.Join(dir, "out"))
	for i, n := range nums {
		if n != strconv.Itoa(i+1) {
			t.Fatalf("line %d is %q", i+1, n)
		}
	}
	svc(t, "-u", dir)
	st = waitState(t, dir, "restart", func(s *state.Status) bool { return s.Pid != 0 })
	if st.Pid == pid {
		t.Fatal("same pid after svc -u")
	}
	waitStarts(t, dir, pid, st.Pid)
}

// TestAdoptExitNoticedAtOnce: an adopted run that exits by itself is
// restarted after the usual pause, its exit recorded as code unknown.
func TestAdoptExitNoticedAtOnce(t *testing.T) {
	t.Parallel()
	needDebian(t, debSvc)
	dir := filepath.Join(t.TempDir(), "svc")
	writeRun(t, dir, `echo $$ >> starts
exec sleep 1000`, 0755)
	pid := orphanRun(t, dir)
	s := startSup(t, ours, "", dir)
	waitState(t, dir, "adoption", func(st *state.Status) bool { return st.Supervisor == s.cmd.Process.Pid && st.Pid == pid })
	killed := time.Now()
	syscall.Kill(pid, syscall.SIGKILL)
	st := waitState(t, dir, "restart", func(st *state.Status) bool { return st.Pid != 0 && st.Pid != pid })
	if st.LastExit == nil || !st.LastExit.Unknown {
		t.Fatalf("last exit %+v", st.LastExit)
	}
	if d := st.LastExit.Time.Sub(killed); d > 2*time.Second {
		t.Fatalf("exit noticed %v after the kill", d)
	}
}

// TestAdoptAfterKillBetweenWrites: a supervise killed after writing
// status.json but before the 18-byte status (announce writes them in that
// order) leaves an older 18-byte record; the next supervise adopts the run
// status.json vouches for instead of starting a second one.
func TestAdoptAfterKillBetweenWrites(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "svc")
	writeRun(t, dir, `echo $$ >> starts
exec sleep 1000`, 0755)
	pid := orphanRun(t, dir)
	// what the 18 bytes said before the run started: down
	st18 := status.Status{When: tai64n.FromTime(time.Now().Add(-time.Second)), Want: 'u'}
	b := st18.Encode()
	if err := os.WriteFile(filepath.Join(dir, "supervise/status"), b[:], 0644); err != nil {
		t.Fatal(err)
	}
	s := startSup(t, ours, "", dir)
	waitState(t, dir, "adoption", func(st *state.Status) bool { return st.Supervisor == s.cmd.Process.Pid && st.Pid == pid })
	// status.json is written first, the 18 bytes right after it
	testkit.WaitFor(t, 10*time.Second, "the 18-byte status to name the adopted run", func() bool {
		b2, _ := os.ReadFile(filepath.Join(dir, "supervise/status"))
		got, err := status.Decode(b2)
		return err == nil && got.Pid == pid
	})
	waitStarts(t, dir, pid) // started again instead of adopted?
	svc(t, "-d", dir)
	waitState(t, dir, "down", func(s *state.Status) bool { return s.Pid == 0 })
	if testkit.Alive(pid) {
		t.Fatal("svc -d did not reach the adopted run")
	}
}

// TestNoAdoptionOfReusedPid: a status naming a live process that is not
// the service (its start time differs from the recorded one: the pid was
// reused) is not adopted nor signalled; ./run is started.
func TestNoAdoptionOfReusedPid(t *testing.T) {
	t.Parallel()
	needDebian(t, debSvc)
	for _, tc := range []struct {
		name string
		json bool // write a status.json naming the process
	}{{"wrong start time", true}, {"no status.json", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "svc")
			writeRun(t, dir, "echo $$ >> starts\nexec sleep 1000", 0755)
			other := testkit.Unrelated(t)
			start, err := pidfd.StartTime(other)
			if err != nil {
				t.Fatal(err)
			}
			os.MkdirAll(filepath.Join(dir, "supervise"), 0700)
			st18 := status.Status{When: tai64n.FromTime(time.Now().Add(-time.Minute)), Pid: other, Want: 'u'}
			b := st18.Encode()
			if err := os.WriteFile(filepath.Join(dir, "supervise/status"), b[:], 0644); err != nil {
				t.Fatal(err)
			}
			if tc.json {
				js := &state.Status{State: state.Up, Pid: other, Want: state.WantUp, PidStart: start + 1, BootID: pidfd.BootID()}
				if err := state.Write(dir, js); err != nil {
					t.Fatal(err)
				}
			}
			startSup(t, ours, "", dir)
			st := waitState(t, dir, "a run of its own", func(s *state.Status) bool { return s.Pid != 0 && s.Pid != other })
			waitStarts(t, dir, st.Pid)
			svc(t, "-k", dir)
			next := waitState(t, dir, "the next run", func(s *state.Status) bool { return s.Pid != 0 && s.Pid != st.Pid })
			waitStarts(t, dir, st.Pid, next.Pid)
			svc(t, "-d", dir)
			waitState(t, dir, "down", func(s *state.Status) bool { return s.Pid == 0 })
			if !testkit.Alive(other) {
				t.Fatal("the unrelated process was signalled")
			}
		})
	}
}
