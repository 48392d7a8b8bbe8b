package supervise

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/testkit"
	"github.com/svbridge/svbridge/supervise/state"
)

// TestAdoptedRunStillNotifies: a run adopted after its supervise was
// killed keeps the NOTIFY_SOCKET it was started with; the new supervise
// listens there again, so the run's later READY=1 and STATUS= count.
func TestAdoptedRunStillNotifies(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "svc")
	writeRun(t, dir, `echo $$ >> starts
echo "$NOTIFY_SOCKET" > socket
while [ ! -e go ]; do sleep 0.02; done
systemd-notify --ready --status=after-adoption
exec sleep 1000`, 0755)
	pid := orphanRun(t, dir)
	s := startSup(t, ours, "", dir)
	st := waitState(t, dir, "adoption", func(st *state.Status) bool { return st.Supervisor == s.cmd.Process.Pid && st.Pid == pid })
	var name string
	testkit.WaitFor(t, 10*time.Second, "the run's NOTIFY_SOCKET", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "socket"))
		name = strings.TrimSpace(string(b))
		return strings.HasSuffix(string(b), "\n")
	})
	if name == "" || st.NotifySocket != name {
		t.Fatalf("status.json's notify_socket %q, the run's NOTIFY_SOCKET %q", st.NotifySocket, name)
	}
	if st.Ready {
		t.Fatal("ready before the run said so")
	}
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0644); err != nil {
		t.Fatal(err)
	}
	// READY=1 and STATUS= come in one message, and are written one
	// after the other
	st = waitState(t, dir, "READY=1 and STATUS= from the adopted run", func(st *state.Status) bool {
		return st.Ready && st.StatusText == "after-adoption"
	})
	if st.Pid != pid {
		t.Fatalf("after READY=1: %+v", st)
	}
	waitStarts(t, dir, pid)
	svc(t, "-d", dir)
	waitState(t, dir, "down", func(st *state.Status) bool { return st.Pid == 0 })
}
