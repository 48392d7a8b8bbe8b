package envuidgid

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/svbridge/svbridge/internal/chain/chaintest"
)

func TestMain(m *testing.M) { os.Exit(chaintest.Main(m, "envuidgid", Main)) }

func TestUsageAndUnknown(t *testing.T) {
	for _, args := range [][]string{{}, {"nobody"}, {"no-such-account-h5x", "true"}, {"nobody", "no-such-child"}} {
		r := chaintest.Compare(t, "envuidgid", chaintest.Cmd{Args: args, Env: chaintest.Env()})
		if r.Code != 100 && r.Code != 111 {
			t.Errorf("envuidgid %q: %v", args, r)
		}
	}
}

// TestEnvironment compares the child's whole environment, in order, with
// UID and GID absent, present, and present twice.
func TestEnvironment(t *testing.T) {
	uid, gid := chaintest.Nobody(t)
	for _, env := range [][]string{
		chaintest.Env(),
		chaintest.Env("UID=5", "A=1", "GID=6", "B=2"),
		chaintest.Env("GID=6", "UID=5", "UID=7", "C=3"),
	} {
		r := chaintest.Compare(t, "envuidgid", chaintest.Cmd{Args: []string{"nobody", "env"}, Env: env})
		if !strings.Contains(r.Stdout, "UID="+strconv.Itoa(uid)+"\n") || !strings.Contains(r.Stdout, "GID="+strconv.Itoa(gid)+"\n") {
			t.Errorf("env %q: %v", env, r)
		}
	}
	// The ids themselves do not change.
	r := chaintest.Compare(t, "envuidgid", chaintest.Cmd{Args: []string{"nobody", "/usr/bin/id", "-u"}, Env: chaintest.Env()})
	if strings.TrimSpace(r.Stdout) != strconv.Itoa(os.Getuid()) {
		t.Errorf("id -u: %v", r)
	}
}
