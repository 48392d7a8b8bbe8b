package scan_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/svbridge/svbridge/supervise/state"
)

// forEachOurMode runs f with our supervise processes and all-in-one.
func forEachOurMode(t *testing.T, f func(t *testing.T, v variant)) {
	t.Run("ours", func(t *testing.T) { f(t, variant{name: "ours"}) })
	t.Run("inprocess", func(t *testing.T) { f(t, variant{name: "inprocess", env: []string{"SVBRIDGE_INPROCESS=1"}}) })
}

// needNobody skips unless the test can run programs as nobody.
func needNobody(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a sender as nobody")
	}
	for _, p := range []string{"/usr/bin/setpriv", "/usr/bin/systemd-notify"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s: %v", p, err)
		}
	}
}

// asNobody is a command line running argv as uid and gid 65534.
func asNobody(argv ...string) []string {
	return append([]string{"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}, argv...)
}

// socketInodes returns the inodes of the sockets pid holds open.
func socketInodes(pid int) map[string]bool {
	m := map[string]bool{}
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, e := range ents {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, e.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			m[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	return m
}

// abstractSockets lists the abstract names in /proc/net/unix bound by the
// sockets with the given inodes, as anyone on the machine can read them.
func abstractSockets(t *testing.T, inodes map[string]bool) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/net/unix")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 8 && inodes[f[6]] && strings.HasPrefix(f[7], "@") {
			names = append(names, f[7])
		}
	}
	return names
}

func readState(dir string) *state.Status {
	st, err := state.Read(dir)
	if err != nil {
		return nil
	}
	return st
}

// TestNotifySpoofRefused: nobody finds a root service's NOTIFY_SOCKET in
// /proc/net/unix and sends READY=1, STATUS= and STOPPING=1: nothing
// changes, and one warning names the sender. A service running as nobody
// whose short-lived child (systemd-notify from its run script) reports
// readiness is believed.
func TestNotifySpoofRefused(t *testing.T) {
	needNobody(t)
	forEachOurMode(t, func(t *testing.T, v variant) {
		tmp := t.TempDir()
		os.Chmod(tmp, 0755)
		sv := filepath.Join(tmp, "sv")
		service(t, filepath.Join(sv, "root"), helper(t, "hang"), "")
		p := startSvscan(t, sv, v.env...)
		rootDir := filepath.Join(sv, "root")
		waitFor(t, 10*time.Second, "root service up", func() bool { return servicePid(rootDir) != 0 })
		holder := p.cmd.Process.Pid // all-in-one: svscan holds the socket
		if v.name != "inprocess" {
			holder = p.supervisors()["root"]
		}
		names := abstractSockets(t, socketInodes(holder))
		if len(names) != 1 {
			t.Fatalf("notify sockets of the root service in /proc/net/unix: %q", names)
		}
		before := readState(rootDir)
		if before == nil || before.Ready || before.StatusText != "" || before.Stopping {
			t.Fatalf("before: %+v", before)
		}
		spoof := func() {
			argv := asNobody("/usr/bin/systemd-notify", "--no-block", "--ready", "--status=pwned", "STOPPING=1")
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Env = []string{"NOTIFY_SOCKET=" + names[0], "PATH=/usr/bin:/bin"}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("systemd-notify as nobody: %v %s", err, out)
			}
		}
		spoof()
		waitFor(t, 10*time.Second, "the refusal", func() bool {
			return strings.Contains(p.output(), "supervise: warning: notify socket of ") &&
				strings.Contains(p.output(), " uid 65534: neither root nor the service's user\n")
		})
		after := readState(rootDir)
		if after == nil || after.Ready || after.StatusText != "" || after.Stopping || after.Pid != before.Pid {
			t.Fatalf("spoofed: before %+v\nafter %+v", before, after)
		}
		// A second spoof is refused without a second warning.
		spoof()
		// The service's own short-lived helper, as nobody, is believed.
		nobodyDir := filepath.Join(sv, "nobody")
		os.MkdirAll(nobodyDir, 0755)
		script(t, filepath.Join(nobodyDir, "run"), "exec "+strings.Join(asNobody("/bin/sh", "-c",
			`'/usr/bin/systemd-notify --ready --status=child-ok; exec sleep 1000'`), " "))
		p.signal(syscall.SIGHUP)
		waitFor(t, 10*time.Second, "the child's readiness believed", func() bool {
			st := readState(nobodyDir)
			return st != nil && st.Ready && st.StatusText == "child-ok"
		})
		if st := readState(rootDir); st == nil || st.Ready || st.StatusText != "" || st.Stopping {
			t.Fatalf("root service changed: %+v", st)
		}
		if n := strings.Count(p.output(), "neither root nor the service's user"); n != 1 {
			t.Fatalf("%d refusal warnings:\n%s", n, p.output())
		}
	})
}
