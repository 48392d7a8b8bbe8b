package scan_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/testkit"
	"github.com/svbridge/svbridge/supervise/state"
)

// TestAdoptedAfterSvscanCrashStillNotifies: after a kill -9 of svscan (in
// all-in-one mode its supervisors die with it; in process mode the
// supervise is killed too), the new tree adopts the running service, which
// still sends to the NOTIFY_SOCKET it was started with: its READY=1 and
// STATUS= count.
func TestAdoptedAfterSvscanCrashStillNotifies(t *testing.T) {
	forEachOurMode(t, func(t *testing.T, v variant) {
		tmp := t.TempDir()
		sv := filepath.Join(tmp, "sv")
		a := filepath.Join(sv, "a")
		gate := filepath.Join(tmp, "go")
		service(t, a, "while [ ! -e "+shellQuote(gate)+" ]; do sleep 0.02; done; "+
			"/usr/bin/systemd-notify --ready --status=after-the-crash; exec sleep 1000", "")
		p := startSvscan(t, sv, v.env...)
		testkit.WaitFor(t, 10*time.Second, "a up", func() bool { return servicePid(a) != 0 })
		run := servicePid(a)
		t.Cleanup(func() { syscall.Kill(run, syscall.SIGKILL) })
		old := supervisorOf(a)
		syscall.Kill(p.cmd.Process.Pid, syscall.SIGKILL)
		p.wait(10 * time.Second)
		if v.name == "ours" { // supervise processes: kill that one too
			syscall.Kill(old, syscall.SIGKILL)
			testkit.WaitFor(t, 10*time.Second, "a's supervise gone", func() bool { return !testkit.Alive(old) })
		}
		startSvscan(t, sv, v.env...)
		testkit.WaitFor(t, 10*time.Second, "a adopted", func() bool {
			st, _ := state.Read(a)
			return st != nil && st.Supervisor != 0 && st.Supervisor != old && st.Pid == run
		})
		if err := os.WriteFile(gate, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		testkit.WaitFor(t, 10*time.Second, "READY=1 and STATUS= from the adopted run", func() bool {
			st, _ := state.Read(a)
			return st != nil && st.Ready && st.StatusText == "after-the-crash" && st.Pid == run
		})
	})
}
