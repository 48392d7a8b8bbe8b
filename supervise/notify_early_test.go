package supervise

import (
	"os"
	"strings"
	"testing"

	"github.com/svbridge/svbridge/supervise/state"
)

// TestNotifyFirstThingCounts: a ./run running as another user that says
// READY=1 first thing (systemd-notify from its script, as nobody) is
// believed even when its message comes before the supervisor has recorded
// the run's pid: the reader waits for the start to finish instead of
// refusing a sender it cannot yet compare with the run. Many services at
// once, so that some message does come early.
func TestNotifyFirstThingCounts(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run the service as nobody")
	}
	const n = 30
	run := "exec setpriv --reuid=nobody --regid=nogroup --clear-groups /bin/sh -c '/usr/bin/systemd-notify --ready --status=first; exec sleep 1000'"
	svcs := make([]*svc, n)
	for i := range svcs {
		svcs[i] = start(t, newService(t, run, nil))
	}
	for _, s := range svcs {
		s.wait("ready, with its status text", func(st *state.Status) bool { return st.Ready && st.StatusText == "first" })
	}
	for _, s := range svcs {
		if strings.Contains(s.log.String(), "ignoring messages") {
			t.Errorf("refused its own run:\n%s", s.log)
		}
	}
}
