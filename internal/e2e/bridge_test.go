package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/svbridge/svbridge/bridge/journalobs"
	"github.com/svbridge/svbridge/bridge/svinfo"
	"github.com/svbridge/svbridge/bridge/systemd"
	"github.com/svbridge/svbridge/internal/e2e/sdh"
	"github.com/svbridge/svbridge/supervise"
)

// setup writes the service tree /srv/sv and the test unit svtest.service
// (Type=notify, watchdog, ExecStart=svscanboot, which execs svscan).
const setup = `set -e
mk() { mkdir -p /srv/sv/$1; printf '#!/bin/sh\n%s\n' "$2" >/srv/sv/$1/run; chmod 755 /srv/sv/$1/run; }
mk web 'exec notifyd echo "web says hello"'
mk logged 'exec notifyd echo "hello through log/run"'
mkdir -p /srv/sv/logged/log
printf '#!/bin/sh\nexec svbridge journal-log logged-via-log\n' >/srv/sv/logged/log/run
chmod 755 /srv/sv/logged/log/run
mk crash 'echo crash-run; exit 3'
# ticker holds (between two lines, saying how many it printed in
# /run/ticker.held) while /run/ticker.hold exists.
mk ticker 'i=0; while :; do if [ -e /run/ticker.hold ]; then echo $i >/run/ticker.held; while [ -e /run/ticker.hold ]; do sleep 0.05; done; fi; echo "tick $i"; i=$((i+1)); sleep 0.2; done'
mkdir -p /srv/sv/ticker/log
printf '#!/bin/sh\nexec svbridge journal-log ticker\n' >/srv/sv/ticker/log/run
chmod 755 /srv/sv/ticker/log/run
touch /srv/sv/crash/down
mk ready 'exec notifyd ready 1.5'
mk s6 'exec notifyd fd 3'
echo 3 >/srv/sv/s6/notification-fd
mk flood 'exec notifyd flood 20000'
mk badfd 'exec notifyd echo badfd-running'
echo 99999999999 >/srv/sv/badfd/notification-fd
# Two service dirs elsewhere, of the same base name, linked under other
# names (as /etc/service/tinydyn-pop -> /etc/tinydyn/pop); one has a log/.
for d in a b; do
  mkdir -p /srv/real/$d/pop
  printf '#!/bin/sh\nexec notifyd echo "pop %s"\n' $d >/srv/real/$d/pop/run
  chmod 755 /srv/real/$d/pop/run
done
mkdir -p /srv/real/a/pop/log
printf '#!/bin/sh\nexec svbridge journal-log tinydyn-pop-log\n' >/srv/real/a/pop/log/run
chmod 755 /srv/real/a/pop/log/run
ln -s /srv/real/a/pop /srv/sv/tinydyn-pop
ln -s /srv/real/b/pop /srv/sv/other-pop
cat >/etc/systemd/system/svtest.service <<'UNIT'
[Unit]
Description=svbridge end-to-end svscan
StartLimitIntervalSec=0
[Service]
Type=notify
NotifyAccess=main
Environment=PATH=/opt/svbridge:/usr/sbin:/usr/bin:/sbin:/bin
ExecStart=/opt/svbridge/svscanboot /srv/sv
WatchdogSec=4
Restart=always
RestartSec=1
TimeoutStartSec=30
UNIT
systemctl daemon-reload
`

// entry is one journal entry as journalctl -o json prints it (string
// fields only).
type entry map[string]string

func journalEntries(t *testing.T, c *sdh.Container, args string) []entry {
	t.Helper()
	out, err := c.Sh("journalctl --no-pager -o json " + args)
	if err != nil {
		t.Fatalf("journalctl %s: %v\n%s", args, err, out)
	}
	var es []entry
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var raw map[string]any
		if err := json.Unmarshal([]byte(line), &raw); err != nil {
			t.Fatalf("journal line %q: %v", line, err)
		}
		e := entry{}
		for k, v := range raw {
			if s, ok := v.(string); ok {
				e[k] = s
			}
		}
		es = append(es, e)
	}
	return es
}

func countEvent(es []entry, kind string) int {
	n := 0
	for _, e := range es {
		if e["SVC_EVENT"] == kind {
			n++
		}
	}
	return n
}

// consecutiveTicks waits until the ticker has an entry received more
// than a second after since, and checks that its entries are "tick 0",
// "tick 1"... with none lost, doubled or out of order. It returns their
// number.
func consecutiveTicks(t *testing.T, c *sdh.Container, since int64) int {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		es := journalEntries(t, c, "-t ticker")
		var lastAt int64
		for i, e := range es {
			if e["MESSAGE"] != "tick "+strconv.Itoa(i) {
				t.Fatalf("entry %d is %q: a line was lost, doubled or reordered", i, e["MESSAGE"])
			}
			lastAt, _ = strconv.ParseInt(e["__REALTIME_TIMESTAMP"], 10, 64)
		}
		if lastAt > since+1000000 {
			return len(es)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ticks a second after journald came back (%d ticks)", len(es))
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// waitEntries polls the journal until cond accepts the entries.
func waitEntries(t *testing.T, c *sdh.Container, what, args string, cond func([]entry) bool) []entry {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		es := journalEntries(t, c, args)
		if cond(es) {
			return es
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			for _, e := range es {
				b.WriteString(e["SVC_EVENT"] + " " + e["MESSAGE"] + "\n")
			}
			t.Fatalf("%s: not in the journal within 20s; entries for %s:\n%s", what, args, b.String())
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func show(t *testing.T, c *sdh.Container, prop string) string {
	t.Helper()
	return strings.TrimSpace(c.MustSh(t, "systemctl show -P "+prop+" svtest.service"))
}

// treeSummary reads the tree with "svbridge status --json -a" inside the
// container and renders the STATUS= line svscan should show for it.
// notifying turns on systemd's debug log, in which it logs every
// notification it gets, until the test's end, and returns svtest's main pid
// and the time from which to read the log, for journalctl --since @since.
func notifying(t *testing.T, c *sdh.Container) (pid, since string) {
	t.Helper()
	c.MustSh(t, "systemd-analyze log-level debug")
	t.Cleanup(func() { c.Sh("systemd-analyze log-level info") })
	return show(t, c, "MainPID"), strings.TrimSpace(c.MustSh(t, "date +%s.%N"))
}

func treeSummary(t *testing.T, c *sdh.Container) string {
	t.Helper()
	out := c.MustSh(t, "svbridge status --json -a /srv/sv")
	var infos []svinfo.Info
	if err := json.Unmarshal([]byte(out), &infos); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	return systemd.Summary(infos)
}

func statusTextMatchesTree(t *testing.T, c *sdh.Container, what string, extra func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		want := treeSummary(t, c)
		got := show(t, c, "StatusText")
		if got == want && (extra == nil || extra(got)) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: StatusText %q, tree says %q", what, got, want)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func restartsOf(t *testing.T, c *sdh.Container, name string) int {
	t.Helper()
	var in []svinfo.Info
	if err := json.Unmarshal([]byte(c.MustSh(t, "svbridge status --json /srv/sv/"+name)), &in); err != nil || len(in) != 1 || in[0].Restarts == nil {
		t.Fatalf("status of %s: %v %+v", name, err, in)
	}
	return *in[0].Restarts
}

func TestSystemdBridge(t *testing.T) {
	c := sdh.Boot(t, sdh.Options{Binds: map[string]string{bin: "/opt/svbridge"},
		Env: []string{"PATH=/opt/svbridge:/usr/sbin:/usr/bin:/sbin:/bin"}})
	c.MustSh(t, setup)

	t.Run("StartReturnsAfterReady", func(t *testing.T) {
		start := time.Now()
		out, err := c.Sh("systemctl start svtest.service")
		if err != nil {
			t.Fatalf("systemctl start: %v\n%s\n%s", err, out, c.MustSh(t, "journalctl -u svtest --no-pager | tail -30"))
		}
		t.Logf("systemctl start took %v", time.Since(start))
		// Type=notify: "active" (not "activating") as soon as start returns
		// means READY=1 arrived; the STATUS= line came with it.
		if st := show(t, c, "ActiveState"); st != "active" {
			t.Fatalf("ActiveState after start: %q", st)
		}
		// READY waits until each supervise answers: none is "not supervised".
		if txt := show(t, c, "StatusText"); !regexp.MustCompile(`^10 services: \d+ up, \d+ down`).MatchString(txt) ||
			strings.Contains(txt, "not supervised") {
			t.Fatalf("StatusText right after start: %q", txt)
		}
		// svscanboot exec'd svscan: the main pid is svscan.
		pid := show(t, c, "MainPID")
		if comm := strings.TrimSpace(c.MustSh(t, "tr '\\0' ' ' </proc/"+pid+"/cmdline")); comm != "svscan /srv/sv" {
			t.Fatalf("main process is %q, want svscan", comm)
		}
	})

	t.Run("StatusTextFollowsTree", func(t *testing.T) {
		got := statusTextMatchesTree(t, c, "steady", func(s string) bool { return strings.HasPrefix(s, "10 services: 9 up, 1 down") })
		t.Logf("StatusText: %q", got)
		c.MustSh(t, "svc -d /srv/sv/web")
		got = statusTextMatchesTree(t, c, "after svc -d web", func(s string) bool { return strings.HasPrefix(s, "10 services: 8 up, 2 down") })
		t.Logf("StatusText after svc -d web: %q", got)
	})

	t.Run("JournalEntriesDownUp", func(t *testing.T) {
		q := "_SYSTEMD_UNIT=svtest.service SYSLOG_IDENTIFIER=supervise SVC_NAME=web"
		waitEntries(t, c, "web down", q, func(es []entry) bool { return countEvent(es, "down") > 0 })
		c.MustSh(t, "svc -u /srv/sv/web")
		es := waitEntries(t, c, "web up again", q, func(es []entry) bool {
			// (the first run may have been stopped before its "up" second)
			return countEvent(es, "started") >= 2 && countEvent(es, "up") >= 1 && countEvent(es, "wanted-down") >= 1
		})
		for _, e := range es {
			kind := supervise.EventKind(e["SVC_EVENT"])
			if e["MESSAGE_ID"] != journalobs.MessageIDs[kind] || e["SVC_DIR"] != "/srv/sv/web" ||
				e["SYSLOG_IDENTIFIER"] != "supervise" || e["PRIORITY"] == "" || !strings.HasPrefix(e["MESSAGE"], "web: ") {
				t.Errorf("entry fields: %v", e)
			}
			switch kind {
			case supervise.EventStarted, supervise.EventUp:
				if _, err := strconv.Atoi(e["SVC_PID"]); err != nil {
					t.Errorf("%s without SVC_PID: %v", kind, e)
				}
			case supervise.EventExited:
				if e["SVC_SIGNAL"] != "15" && e["SVC_EXIT_CODE"] != "0" {
					t.Errorf("exit after svc -d: %v", e)
				}
			}
		}
		// journalctl -u UNIT SVC_NAME=web (the README's example) shows them too.
		if n := len(journalEntries(t, c, "-u svtest.service SVC_NAME=web")); n < len(es) {
			t.Errorf("-u svtest SVC_NAME=web shows %d entries, want >= %d", n, len(es))
		}
	})

	t.Run("LinkedServiceNames", func(t *testing.T) {
		// Named as in the scan dir (not after the link's target: both are
		// "pop"), the logger NAME/log; SVC_DIR is where it really is.
		want := map[string]string{"tinydyn-pop": "/srv/real/a/pop", "other-pop": "/srv/real/b/pop",
			"tinydyn-pop/log": "/srv/real/a/pop/log"}
		for name, dir := range want {
			es := waitEntries(t, c, name+" started", "_SYSTEMD_UNIT=svtest.service SYSLOG_IDENTIFIER=supervise SVC_NAME="+name,
				func(es []entry) bool { return countEvent(es, "started") > 0 })
			for _, e := range es {
				if e["SVC_DIR"] != dir || !strings.HasPrefix(e["MESSAGE"], name+": ") {
					t.Errorf("%s: entry %v", name, e)
				}
			}
		}
		if es := journalEntries(t, c, "SYSLOG_IDENTIFIER=supervise SVC_NAME=pop"); len(es) > 0 {
			t.Errorf("entries named after the link's target: %v", es)
		}
		var infos []svinfo.Info
		if err := json.Unmarshal([]byte(c.MustSh(t, "svbridge status --json /srv/sv/tinydyn-pop")), &infos); err != nil ||
			len(infos) != 1 || infos[0].Name != "tinydyn-pop" {
			t.Errorf("svbridge status of the link: %v %+v", err, infos)
		}
	})

	t.Run("CrashAndCrashLoop", func(t *testing.T) {
		c.MustSh(t, "svc -o /srv/sv/crash")
		q := "_SYSTEMD_UNIT=svtest.service SVC_NAME=crash"
		es := waitEntries(t, c, "one crash", q, func(es []entry) bool { return countEvent(es, "exited") >= 1 })
		for _, e := range es {
			if e["SVC_EVENT"] == "exited" && (e["SVC_EXIT_CODE"] != "3" || e["PRIORITY"] != "4") {
				t.Errorf("crash entry: %v", e)
			}
		}
		steady := statusTextMatchesTree(t, c, "before the crash loop", func(s string) bool { return strings.HasPrefix(s, "10 services: 9 up, 1 down") })
		restartsBefore := restartsOf(t, c, "crash")
		from := time.Now().UnixMicro()
		c.MustSh(t, "svc -u /srv/sv/crash")
		// 30 s of crash loop, StatusText sampled every second: the loop
		// never counts as up, and from the third second on it is named.
		start := time.Now()
		var samples []string
		for i := 1; time.Since(start) < 30*time.Second; i++ {
			time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second)))
			txt := show(t, c, "StatusText")
			samples = append(samples, txt)
			if !strings.HasPrefix(txt, "10 services: 9 up, 1 down") || (i >= 3 && !strings.Contains(txt, "crash: ")) {
				t.Errorf("StatusText %d s into the crash loop: %q (before it: %q)", i, txt, steady)
			}
		}
		restarts := restartsOf(t, c, "crash") - restartsBefore
		if restarts < 15 {
			t.Fatalf("only %d restarts in 30 s of crash loop", restarts)
		}
		var loop []entry
		for _, e := range journalEntries(t, c, q) {
			if us, _ := strconv.ParseInt(e["SVC_EVENT_USEC"], 10, 64); us > from {
				loop = append(loop, e)
			}
		}
		var kinds []string
		for _, e := range loop {
			kinds = append(kinds, e["SVC_EVENT"]+": "+e["MESSAGE"])
		}
		t.Logf("%d restarts, %d entries:\n%s", restarts, len(loop), strings.Join(kinds, "\n"))
		// About one entry per restart until flapping (3 quick runs), then a
		// summary a minute at most: started, 3 exits, flapping, maybe one
		// summary (and one exit more if the first run raced svc -u).
		if n := countEvent(loop, "flapping"); n != 1 {
			t.Errorf("%d flapping entries, want 1", n)
		}
		if len(loop) > 1+supervise.FlapRuns+1+1+1 || countEvent(loop, "exited") > supervise.FlapRuns+1 ||
			countEvent(loop, "restarting") > 0 || countEvent(loop, "restarts") > 1 {
			t.Errorf("%d entries for %d restarts in 30 s", len(loop), restarts)
		}
		t.Logf("last of %d StatusText samples: %q", len(samples), samples[len(samples)-1])

		// Fixed: it stays up, and says it recovered.
		c.MustSh(t, `printf '#!/bin/sh\nexec notifyd echo crash-fixed\n' >/srv/sv/crash/run.new && chmod 755 /srv/sv/crash/run.new && mv /srv/sv/crash/run.new /srv/sv/crash/run`)
		es = waitEntries(t, c, "recovered", q+" SVC_EVENT=recovered", func(es []entry) bool { return len(es) > 0 })
		if !regexp.MustCompile(`^crash: recovered: up \(pid \d+\) after flapping for \d+ (s|min)( \d+ s)?, \d+ restarts$`).MatchString(es[0]["MESSAGE"]) ||
			es[0]["MESSAGE_ID"] != journalobs.MessageIDs[journalobs.EventRecovered] {
			t.Errorf("recovered entry: %v", es[0])
		}
		statusTextMatchesTree(t, c, "after the recovery", func(s string) bool { return strings.HasPrefix(s, "10 services: 10 up, 0 down") })
		c.MustSh(t, "svc -d /srv/sv/crash")
	})

	t.Run("CatalogExplainsEntries", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(root, "units", "svbridge.catalog"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(c.Share(), "svbridge.catalog"), b, 0644); err != nil {
			t.Fatal(err)
		}
		c.MustSh(t, "install -D -m 644 /mnt/share/svbridge.catalog /usr/lib/systemd/catalog/svbridge.catalog && journalctl --update-catalog")
		// Every value filled in, in words: no @FIELD@ left, no field name.
		raw := regexp.MustCompile(`@[A-Z_]+@|SVC_[A-Z_]+|SVSCAN_[A-Z_]+`)
		explain := func(what, match string, want ...string) {
			t.Helper()
			out := c.MustSh(t, "journalctl -x --no-pager -n 1 "+match)
			// The explanation's lines, marked "░░ " (or "-- "), as one text.
			var words []string
			for _, l := range strings.Split(out, "\n") {
				l = strings.TrimPrefix(strings.TrimPrefix(l, "░░"), "--")
				words = append(words, strings.Fields(l)...)
			}
			text := strings.Join(words, " ")
			if m := raw.FindString(out); m != "" {
				t.Errorf("%s: journalctl -x shows %q:\n%s", what, m, out)
			}
			for _, w := range want {
				if !regexp.MustCompile(w).MatchString(text) {
					t.Errorf("%s: journalctl -x lacks %q:\n%s", what, w, out)
				}
			}
			t.Logf("%s:\n%s", what, out)
		}
		explain("exit", "SVC_NAME=crash SVC_EXIT_CODE=3 MESSAGE_ID="+journalobs.MessageIDs[supervise.EventExited],
			`Subject: Service crash exited with code 3`, `crash \(/srv/sv/crash/run\) exited with code 3 after running for \d+(\.\d)? (µs|ms)\.`,
			`It is wanted up, so supervise starts it again`)
		explain("stopped", "SVC_NAME=web SVC_WANT=down MESSAGE_ID="+journalobs.MessageIDs[supervise.EventExited],
			`Subject: Service web (exited with code 0|was killed by signal SIGTERM)`, `It is wanted down \(svc -d\)`)
		explain("flapping", "SVC_NAME=crash MESSAGE_ID="+journalobs.MessageIDs[supervise.EventFlapping],
			`Subject: Service crash is flapping`, `3 times in a row; the last time it exited with code 3\.`)
		explain("recovered", "SVC_NAME=crash MESSAGE_ID="+journalobs.MessageIDs[journalobs.EventRecovered],
			`Subject: Service crash recovered`, `had been flapping for \d+ (s|min)( \d+ s)?, with \d+ restarts`)
		explain("wanted down", "SVC_NAME=web MESSAGE_ID="+journalobs.MessageIDs[supervise.EventWantedDown],
			`Subject: Service web is wanted down`)
		explain("svscan added", "SVC_NAME=tinydyn-pop MESSAGE_ID="+journalobs.ServiceAddedMessageID,
			`Subject: svscan supervises tinydyn-pop`, `scan directory /srv/sv \(the service directory is /srv/real/a/pop\)`)
	})

	t.Run("NotifyDaemonReady", func(t *testing.T) {
		out, err := c.Sh("svbridge wait -r -t 15 /srv/sv/ready /srv/sv/s6")
		if err != nil {
			t.Fatalf("svbridge wait -r: %v\n%s", err, out)
		}
		var infos []svinfo.Info
		if err := json.Unmarshal([]byte(c.MustSh(t, "svbridge status --json /srv/sv/ready /srv/sv/s6")), &infos); err != nil {
			t.Fatal(err)
		}
		for _, in := range infos {
			if in.Ready == nil || !*in.Ready || in.Source != "status.json" {
				t.Errorf("%s not ready in status --json: %+v", in.Name, in)
			}
		}
		if len(infos) > 0 && infos[0].StatusText != "serving" {
			t.Errorf("ready's STATUS= text: %q", infos[0].StatusText)
		}
		waitEntries(t, c, "ready entry", "SVC_NAME=ready SVC_EVENT=ready", func(es []entry) bool { return len(es) > 0 })
		// wait's exit codes: 99 timed out, 102 not supervised.
		if _, err := c.Sh("svbridge wait -d -t 0.5 /srv/sv/ready"); sdh.ExitCode(err) != 99 {
			t.Errorf("wait -d on an up service: exit %d, want 99", sdh.ExitCode(err))
		}
		if _, err := c.Sh("mkdir -p /tmp/nosv && svbridge wait -u -t 5 /tmp/nosv"); sdh.ExitCode(err) != 102 {
			t.Errorf("wait on an unsupervised dir: exit %d, want 102", sdh.ExitCode(err))
		}
	})

	t.Run("JournalStreams", func(t *testing.T) {
		c.Eventually(t, "journalctl -t web", 15*time.Second, "journalctl --no-pager -o cat -t web",
			func(s string) bool {
				return strings.Contains(s, "web says hello\n") && strings.Contains(s, "web says hello (stderr)")
			})
		c.Eventually(t, "log/run journal-log", 15*time.Second, "journalctl --no-pager -o cat -t logged-via-log",
			func(s string) bool { return strings.Contains(s, "hello through log/run") })
	})

	t.Run("BadInput", func(t *testing.T) {
		// The flooding daemon ends up ready; svscan and the others go on.
		c.Eventually(t, "flood survived", 20*time.Second, "svbridge status --json /srv/sv/flood",
			func(s string) bool { return strings.Contains(s, `"ready": true`) })
		for _, d := range []string{"web", "ready", "badfd"} {
			if out, err := c.Sh("svok /srv/sv/" + d); err != nil {
				t.Errorf("svok %s after bad input: %v %s", d, err, out)
			}
		}
		if st := show(t, c, "ActiveState"); st != "active" {
			t.Fatalf("svtest %s after bad input", st)
		}
		// Said once, not once per message. Wait a little so repeated
		// messages, if any, have time to appear.
		time.Sleep(2 * time.Second)
		out := c.MustSh(t, "journalctl --no-pager -o cat -u svtest.service")
		for _, svc := range []string{"flood", "badfd"} {
			n := 0
			for _, l := range strings.Split(out, "\n") {
				if strings.Contains(l, svc) && strings.Contains(l, "warning") {
					n++
				}
			}
			if n > 3 {
				t.Errorf("%d warnings about %s (want at most a few)", n, svc)
			}
			t.Logf("warnings about %s: %d", svc, n)
		}
	})

	t.Run("JournaldStoppedAndBack", func(t *testing.T) {
		restartsBefore := restartsOf(t, c, "logged")
		const units = "systemd-journald.socket systemd-journald-dev-log.socket systemd-journald.service"
		// Stopping journald's sockets drops what sits unread in their
		// queue: the kernel frees a socket's queued datagrams with the
		// socket, and no sender can tell a datagram journald read from
		// one it dropped. journal-log cannot save a line it handed over
		// in journald's last moments (nor can any native-protocol or
		// stdout-stream client). So the ticker holds, journald writes
		// every tick it printed, and only then do the sockets go: the
		// ticks of the outage are journal-log's to keep.
		c.MustSh(t, "rm -f /run/ticker.held && touch /run/ticker.hold")
		defer c.Sh("rm -f /run/ticker.hold")
		held := strings.TrimSpace(c.Eventually(t, "ticker holds", 10*time.Second, "cat /run/ticker.held 2>/dev/null || true",
			func(s string) bool { return strings.TrimSpace(s) != "" }))
		last, err := strconv.Atoi(held)
		if err != nil || last < 1 {
			t.Fatalf("ticker held after %q ticks", held)
		}
		waitEntries(t, c, "the ticks before the outage", "-t ticker", func(es []entry) bool {
			return len(es) > 0 && es[len(es)-1]["MESSAGE"] == "tick "+strconv.Itoa(last-1)
		})
		stopped := time.Now().UnixMicro()
		c.MustSh(t, "systemctl stop "+units)
		defer c.Sh("systemctl start " + units) // also when a check below fails
		c.MustSh(t, "rm /run/ticker.hold")     // it ticks on into the outage
		// Supervision goes on without journald: logged (whose output goes
		// to its log/, not to a journald stream that the outage breaks)
		// stopped and started three times, each start once its stop is done.
		for i := 1; i <= 3; i++ {
			c.MustSh(t, "svc -d /srv/sv/logged && svbridge wait -d -t 10 /srv/sv/logged && svc -u /srv/sv/logged")
			c.Eventually(t, "logged started again without journald", 20*time.Second, "svbridge status --json /srv/sv/logged", func(s string) bool {
				var in []svinfo.Info
				return json.Unmarshal([]byte(s), &in) == nil && len(in) == 1 && in[0].Restarts != nil && *in[0].Restarts >= restartsBefore+i
			})
		}
		restarted := time.Now().UnixMicro()
		c.MustSh(t, "systemctl start "+units)
		// The next event of logged's supervise finds journald back.
		c.MustSh(t, "svc -d /srv/sv/logged && svbridge wait -d -t 10 /srv/sv/logged && svc -u /srv/sv/logged")
		// supervise says once, in the journal, that it could not write.
		gap := waitEntries(t, c, "gap note", "_SYSTEMD_UNIT=svtest.service MESSAGE_ID="+journalobs.GapMessageID,
			func(es []entry) bool { return len(es) > 0 })
		t.Logf("gap note: %s", gap[0]["MESSAGE"])
		// The entries of the outage were kept and sent late, with their time.
		during := 0
		for _, e := range journalEntries(t, c, "SVC_NAME=logged SVC_EVENT=exited") {
			if us, _ := strconv.ParseInt(e["SVC_EVENT_USEC"], 10, 64); us > stopped && us < restarted {
				during++
			}
		}
		if during < 3 {
			t.Errorf("%d exits of the outage reached the journal, want >= 3", during)
		}
		// journal-log (a log/run) waited and lost no line: the ticks are
		// consecutive across the outage, and go on after it.
		n := consecutiveTicks(t, c, restarted)
		t.Logf("%d consecutive ticks across the outage, %d of them printed from its start", n, n-last)
		if st := show(t, c, "ActiveState"); st != "active" {
			t.Fatalf("svtest %s after journald restart", st)
		}
		waitEntries(t, c, "entries after journald is back", "SVC_NAME=logged SVC_EVENT=wanted-down", func(es []entry) bool {
			for _, e := range es {
				if us, _ := strconv.ParseInt(e["SVC_EVENT_USEC"], 10, 64); us > restarted {
					return true
				}
			}
			return false
		})
		if out, err := c.Sh("svok /srv/sv/logged && svok /srv/sv/web && svok /srv/sv/crash"); err != nil {
			t.Fatalf("supervise lost across journald's outage: %v %s", err, out)
		}
		// A restart keeps the sockets (systemd holds them), so what waits
		// in them is read by the next journald: no tick is lost then
		// either, with no hold.
		c.MustSh(t, "systemctl restart systemd-journald.service")
		n = consecutiveTicks(t, c, time.Now().UnixMicro())
		t.Logf("%d consecutive ticks across systemctl restart systemd-journald", n)
		if st := show(t, c, "ActiveState"); st != "active" {
			t.Fatalf("svtest %s after systemctl restart systemd-journald", st)
		}
	})

	t.Run("ReloadOnSIGHUP", func(t *testing.T) {
		pid, since := notifying(t, c)
		c.MustSh(t, "systemctl kill -s HUP --kill-whom=main svtest.service")
		q := "journalctl --no-pager -o cat -u svtest.service --since @" + since + " | grep 'notification message from PID " + pid + "'"
		out := c.Eventually(t, "RELOADING=1 then READY=1", 15*time.Second, q, func(s string) bool {
			r := strings.Index(s, "RELOADING=1, MONOTONIC_USEC=")
			return r >= 0 && strings.Contains(s[r:], "READY=1")
		})
		t.Logf("notifications around SIGHUP:\n%s", out)
		c.Eventually(t, "active after reload", 15*time.Second, "systemctl show -P ActiveState svtest.service",
			func(s string) bool { return strings.TrimSpace(s) == "active" })
	})

	t.Run("WatchdogRestartsFrozenSvscan", func(t *testing.T) {
		pid := show(t, c, "MainPID")
		nr, _ := strconv.Atoi(show(t, c, "NRestarts"))
		c.MustSh(t, "kill -STOP "+pid)
		c.Eventually(t, "restart by the watchdog", 30*time.Second,
			"systemctl show -p NRestarts -p MainPID -p ActiveState svtest.service", func(s string) bool {
				p := map[string]string{}
				for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
					k, v, _ := strings.Cut(l, "=")
					p[k] = v
				}
				n, _ := strconv.Atoi(p["NRestarts"])
				return n > nr && p["MainPID"] != pid && p["MainPID"] != "0" && p["ActiveState"] == "active"
			})
		c.Eventually(t, "watchdog message", 10*time.Second, "journalctl --no-pager -u svtest.service | grep -i 'watchdog timeout'", nil)
		statusTextMatchesTree(t, c, "after the watchdog restart", nil)
	})

	t.Run("SvscanAddsAndForgets", func(t *testing.T) {
		q := "_SYSTEMD_UNIT=svtest.service SYSLOG_IDENTIFIER=svscan"
		es := waitEntries(t, c, "svscan's service-added entries", q+" MESSAGE_ID="+journalobs.ServiceAddedMessageID,
			func(es []entry) bool { return countEvent(es, "service-added") >= 10 })
		for _, e := range es {
			if e["SVC_NAME"] == "tinydyn-pop" && (e["SVC_DIR"] != "/srv/real/a/pop" || e["SVSCAN_DIR"] != "/srv/sv" ||
				e["MESSAGE"] != "svscan: supervising tinydyn-pop (/srv/real/a/pop)") {
				t.Errorf("added entry: %v", e)
			}
		}
		// Taken out as daemontools says (rename, svc -dx): forgotten once
		// its supervise processes have exited.
		from := time.Now().UnixMicro()
		c.MustSh(t, "mv /srv/sv/other-pop /srv/sv/.other-pop && svc -dx /srv/sv/.other-pop")
		es = waitEntries(t, c, "other-pop forgotten", q+" SVC_NAME=other-pop MESSAGE_ID="+journalobs.ServiceForgottenMessageID,
			func(es []entry) bool { return len(es) > 0 })
		if e := es[0]; e["SVC_EVENT"] != "service-forgotten" || e["SVC_DIR"] != "/srv/real/b/pop" ||
			e["MESSAGE"] != "svscan: forgot other-pop: gone from /srv/sv, its supervise has exited" {
			t.Errorf("forgotten entry: %v", e)
		}
		// Back in the scan dir: added again.
		c.MustSh(t, "mv /srv/sv/.other-pop /srv/sv/other-pop")
		waitEntries(t, c, "other-pop added again", q+" SVC_NAME=other-pop MESSAGE_ID="+journalobs.ServiceAddedMessageID,
			func(es []entry) bool {
				for _, e := range es {
					if ts, _ := strconv.ParseInt(e["__REALTIME_TIMESTAMP"], 10, 64); ts > from {
						return true
					}
				}
				return false
			})
	})

	t.Run("Stop", func(t *testing.T) {
		pid, since := notifying(t, c)
		c.MustSh(t, "systemctl stop svtest.service")
		c.Eventually(t, "STOPPING=1", 10*time.Second, "journalctl --no-pager -o cat -u svtest.service --since @"+since+
			" | grep 'notification message from PID "+pid+" (STOPPING=1)'", nil)
		if st := show(t, c, "Result"); st != "success" {
			t.Errorf("Result after stop: %q", st)
		}
	})
}
