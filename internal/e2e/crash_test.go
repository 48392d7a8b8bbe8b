package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/e2e/sdh"
)

// crashSetup writes /srv/crash: num (a numbered-lines producer, logged by
// multilog), plain (no log/: its output goes to the journal) and escape
// (leaves a process of its own session behind: only svscan's end of its
// cgroup catches it).
const crashSetup = `set -e
mkdir -p /srv/crash/num/log /srv/crash/plain
printf '#!/bin/sh\ni=0; while :; do i=$((i+1)); echo $i; sleep 0.01; done\n' >/srv/crash/num/run
printf '#!/bin/sh\nexec multilog s16777215 ./main\n' >/srv/crash/num/log/run
printf '#!/bin/sh\necho plain up\nexec sleep 100000\n' >/srv/crash/plain/run
mkdir -p /srv/crash/escape
printf '#!/bin/sh
setsid sleep 100001 </dev/null >/dev/null 2>&1 &
exec sleep 100000
' >/srv/crash/escape/run
chmod 755 /srv/crash/num/run /srv/crash/num/log/run /srv/crash/plain/run /srv/crash/escape/run
`

// TestPackagedUnitSurvivesCrash: the packaged units/svscan.service (its
// paths moved to /opt/svbridge and /srv/crash) in a real systemd. kill -9
// of the unit's main pid: systemd restarts svscan, which adopts every
// service (same pids, one "adopted" journal entry each), the unit is
// active again, the numbered lines reach multilog without a gap, svc -d/-u
// work; then systemctl stop leaves nothing in the unit's cgroup. The same
// in process mode (a drop-in without SVBRIDGE_INPROCESS): the supervise
// processes survive, the new svscan leaves them be, no adoption is needed.
func TestPackagedUnitSurvivesCrash(t *testing.T) {
	t.Run("all-in-one", func(t *testing.T) { testPackagedUnitCrash(t, true) })
	t.Run("process", func(t *testing.T) { testPackagedUnitCrash(t, false) })
}

func testPackagedUnitCrash(t *testing.T, inProcess bool) {
	unit, err := os.ReadFile(filepath.Join(root, "units", "svscan.service"))
	if err != nil {
		t.Fatal(err)
	}
	u := strings.Replace(string(unit), "ExecStart=/usr/bin/svscanboot /etc/service",
		"ExecStart=/opt/svbridge/svscanboot /srv/crash\nEnvironment=PATH=/opt/svbridge:/usr/sbin:/usr/bin:/sbin:/bin", 1)
	if u == string(unit) {
		t.Fatal("units/svscan.service: no ExecStart=/usr/bin/svscanboot /etc/service")
	}
	c := sdh.Boot(t, sdh.Options{Binds: map[string]string{bin: "/opt/svbridge"},
		Env: []string{"PATH=/opt/svbridge:/usr/sbin:/usr/bin:/sbin:/bin"}})
	c.MustSh(t, crashSetup)
	if err := os.WriteFile(filepath.Join(c.Share(), "svscan.service"), []byte(u), 0644); err != nil {
		t.Fatal(err)
	}
	if !inProcess {
		c.MustSh(t, "mkdir -p /etc/systemd/system/svscan.service.d && printf '[Service]\\nEnvironment=SVBRIDGE_INPROCESS=0\\n' >/etc/systemd/system/svscan.service.d/process.conf")
	}
	c.MustSh(t, "cp /mnt/share/svscan.service /etc/systemd/system/svscan.service && systemctl daemon-reload && systemctl start svscan.service")
	supervisors := func() string {
		return strings.TrimSpace(c.MustSh(t, "ps -eo pid=,comm= | grep ' supervise$' | sort || true"))
	}

	dirs := []string{"num", "num/log", "plain", "escape"}
	pidOf := func(d string) string {
		out, _ := c.Sh("svstat /srv/crash/" + d)
		if i := strings.Index(out, "up (pid "); i >= 0 {
			return strings.TrimSuffix(strings.Fields(out[i+len("up (pid "):])[0], ")")
		}
		return ""
	}
	pids := map[string]string{}
	for _, d := range dirs {
		deadline := time.Now().Add(20 * time.Second)
		for pids[d] = pidOf(d); pids[d] == ""; pids[d] = pidOf(d) {
			if time.Now().After(deadline) {
				t.Fatalf("%s never up", d)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	c.Eventually(t, "lines logged", 10*time.Second, "cat /srv/crash/num/log/main/current | wc -l", func(s string) bool {
		n, _ := strconv.Atoi(strings.TrimSpace(s))
		return n > 10
	})
	main := strings.TrimSpace(c.MustSh(t, "systemctl show -P MainPID svscan"))
	cg := strings.TrimSpace(c.MustSh(t, "systemctl show -P ControlGroup svscan"))
	t.Logf("svscan pid %s, cgroup %s, services %v", main, cg, pids)
	sups := supervisors()
	if inProcess != (sups == "") {
		t.Fatalf("supervise processes: %q", sups)
	}

	c.MustSh(t, "kill -9 "+main)
	c.Eventually(t, "svscan restarted and active", 30*time.Second,
		"echo $(systemctl show -P MainPID svscan) $(systemctl is-active svscan)", func(s string) bool {
			f := strings.Fields(s)
			return len(f) == 2 && f[0] != "0" && f[0] != main && f[1] == "active"
		})
	for _, d := range dirs {
		if got := pidOf(d); got != pids[d] {
			t.Errorf("%s: pid %q after the restart, want %q", d, got, pids[d])
		}
	}
	if inProcess {
		waitEntries(t, c, "one adoption per service", "-u svscan SVC_EVENT=adopted", func(es []entry) bool { return len(es) >= len(dirs) })
		time.Sleep(time.Second) // a second entry for a service would come with the first ones
	} else if got := supervisors(); got != sups {
		t.Errorf("supervise processes %q after the restart, want %q", got, sups)
	}
	es := journalEntries(t, c, "-u svscan SVC_EVENT=adopted")
	seen := map[string]int{}
	for _, e := range es {
		seen[e["SVC_NAME"]]++
		if e["MESSAGE_ID"] != "836734ef12e04a6dbb0ab1366593f7d2" || e["SVC_PID"] != pids[e["SVC_NAME"]] {
			t.Errorf("adoption entry %v", e)
		}
	}
	for _, d := range dirs {
		if want := map[bool]int{true: 1}[inProcess]; seen[d] != want {
			t.Errorf("%d adoption entries for %s, want %d (all: %v)", seen[d], d, want, seen)
		}
	}
	if out := c.MustSh(t, "journalctl -u svscan -o cat --no-pager | grep -c 'unable to acquire' || true"); strings.TrimSpace(out) != "0" {
		t.Errorf("svscan warned about locks: %s", out)
	}

	c.MustSh(t, "svc -d /srv/crash/plain")
	c.Eventually(t, "plain down", 10*time.Second, "svstat /srv/crash/plain", func(s string) bool { return strings.Contains(s, ": down ") })
	c.MustSh(t, "svc -u /srv/crash/plain")
	c.Eventually(t, "plain up again", 10*time.Second, "svstat /srv/crash/plain", func(s string) bool {
		return strings.Contains(s, ": up (pid ") && !strings.Contains(s, "(pid "+pids["plain"]+")")
	})

	c.MustSh(t, "systemctl stop svscan")
	// (A pid 0 in cgroup.procs is a process of another pid namespace:
	// another container on the same cgroup path, none of ours.)
	left := c.MustSh(t, "for f in /sys/fs/cgroup/unified"+cg+"/cgroup.procs /sys/fs/cgroup"+cg+"/cgroup.procs; do [ -f $f ] && grep -v '^0$' $f; done; ps -eo pid=,comm= | grep -E ' (sleep|multilog|svscan|supervise|run)$' || true")
	if strings.TrimSpace(left) != "" {
		t.Errorf("left after systemctl stop: %q\n%s", left, c.MustSh(t, "ps -ef"))
	}
	// Every number from 1 to the last, once, in order: nothing lost.
	out := c.MustSh(t, "cd /srv/crash/num/log/main && cat $(ls | grep '^@') current")
	next := 1
	for _, l := range strings.Fields(out) {
		if l != strconv.Itoa(next) {
			t.Fatalf("line %d is %q", next, l)
		}
		next++
	}
	t.Logf("%d numbered lines, none missing", next-1)
	t.Logf("journal of the unit:\n%s", c.MustSh(t, "journalctl -u svscan -o short-monotonic --no-pager | grep -v ' up (pid\\| started (pid'"))
}
