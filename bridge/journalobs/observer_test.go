package journalobs

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/bridge/journal/journaltest"
	"github.com/svbridge/svbridge/internal/testkit"
	"github.com/svbridge/svbridge/supervise"
	"github.com/svbridge/svbridge/supervise/state"
)

func TestObserverFields(t *testing.T) {
	j := journaltest.Listen(t, filepath.Join(t.TempDir(), "socket"))
	var errs testkit.SyncBuffer
	o, err := NewObserverTo(j.Path, "supervise", &errs)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1700000000, 0)
	o.Observe(supervise.Event{Kind: supervise.EventExited, Time: now, Service: "web", Dir: "/srv/web",
		Pid: 42, Exit: state.Exit{Code: 3}, Uptime: 2500 * time.Millisecond, Status: state.Status{Want: 'u', NormallyUp: true, Restarts: 7}})
	m := j.Recv(t)
	want := map[string]string{
		"MESSAGE": "web: exited with code 3 after 2.5 s (pid 42)", "MESSAGE_ID": MessageIDs[supervise.EventExited],
		"PRIORITY": "4", "SYSLOG_IDENTIFIER": "supervise", "SVC_NAME": "web", "SVC_DIR": "/srv/web",
		"SVC_EVENT": "exited", "SVC_STATE": "down", "SVC_PID": "42", "SVC_EXIT_CODE": "3",
		"SVC_UPTIME_USEC": "2500000", "SVC_RESTARTS": "7", "SVC_WANT": "up", "SVC_NORMALLY": "up",
		"SVC_EVENT_USEC": "1700000000000000", "SVC_ENDED": "exited with code 3", "SVC_UPTIME": "2.5 s",
		"SVC_NEXT":      "It is wanted up, so supervise starts it again, a second after its last start at the earliest.",
		"SVC_HOW_ENDED": "The process of the service web (/srv/web/run) exited with code 3 after running for 2.5 s.",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	if _, ok := m["SVC_SIGNAL"]; ok {
		t.Error("SVC_SIGNAL set for a plain exit")
	}
	o.Observe(supervise.Event{Kind: supervise.EventExited, Service: "web", Pid: 43, Exit: state.Exit{Code: -1, Signal: 9}, Status: state.Status{Want: 'u'}})
	m = j.Recv(t)
	if m["SVC_SIGNAL"] != "9" || m["SVC_SIGNAL_NAME"] != "SIGKILL" || m["SVC_EXIT_CODE"] != "" || !strings.Contains(m["MESSAGE"], "signal SIGKILL") {
		t.Errorf("signal entry: %q", m)
	}
	// ./run could not be executed: no process, an exit 111 as daemontools counts it.
	o.Observe(supervise.Event{Kind: supervise.EventExited, Service: "web", Dir: "/srv/web", Exit: state.Exit{Code: 111}, Status: state.Status{Want: 'd'}})
	m = j.Recv(t)
	if m["SVC_HOW_ENDED"] != "supervise could not start /srv/web/run (counted as exit code 111)." ||
		m["SVC_ENDED"] != "could not be started" || m["SVC_NEXT"] != "It is wanted down (svc -d), so supervise does not start it again." {
		t.Errorf("failed start entry: %q", m)
	}
	o.Observe(supervise.Event{Kind: supervise.EventExited, Service: "web", Pid: 44, Exit: state.Exit{Code: -1, Unknown: true}, Status: state.Status{Want: 'u'}})
	m = j.Recv(t)
	if m["SVC_EXIT_UNKNOWN"] != "1" || m["SVC_EXIT_CODE"] != "" || m["SVC_SIGNAL"] != "" || m["MESSAGE"] != "web: exited, code unknown (pid 44)" {
		t.Errorf("unknown-code entry: %q", m)
	}
	o.Observe(supervise.Event{Kind: supervise.EventAdopted, Service: "web", Pid: 45, Status: state.Status{Want: 'u'}})
	m = j.Recv(t)
	if m["MESSAGE_ID"] != "836734ef12e04a6dbb0ab1366593f7d2" || m["SVC_EVENT"] != "adopted" || m["SVC_STATE"] != "up" || m["MESSAGE"] != "web: adopted (pid 45)" {
		t.Errorf("adoption entry: %q", m)
	}
	if errs.String() != "" {
		t.Errorf("stderr: %q", errs.String())
	}
}

// TestFieldsFromStatus: what is not the event itself is read from the
// status after it, in the status model's words (SVC_WANT "once" where
// status.json says "", SVC_NORMALLY as the want without svc).
func TestFieldsFromStatus(t *testing.T) {
	ev := supervise.Event{Kind: supervise.EventStatus, Service: "web", Pid: 9,
		Status: state.Status{State: state.Up, Pid: 9, Want: state.WantOnce, NormallyUp: false, Restarts: 2, StatusText: "warming up"}}
	m := map[string]string{}
	for _, f := range Fields(ev, "supervise") {
		m[f.Name] = f.Value
	}
	want := map[string]string{"SVC_STATE": "up", "SVC_WANT": "once", "SVC_NORMALLY": "down", "SVC_RESTARTS": "2",
		"SVC_STATUS_TEXT": "warming up", "MESSAGE": "web: status: warming up", "SVC_PID": "9"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
}

func TestEveryKindHasIDAndMessage(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range []supervise.EventKind{supervise.EventStarted, supervise.EventUp, supervise.EventReady,
		supervise.EventExited, supervise.EventRestarting, supervise.EventFlapping, supervise.EventWantedDown,
		supervise.EventDown, supervise.EventStatus, supervise.EventStopping, supervise.EventSuperviseLost,
		supervise.EventAdopted} {
		id := MessageIDs[k]
		if len(id) != 32 || seen[id] {
			t.Errorf("%s: bad or duplicate id %q", k, id)
		}
		seen[id] = true
		if m := Message(supervise.Event{Kind: k, Service: "x"}); !strings.HasPrefix(m, "x: ") || len(m) < 5 {
			t.Errorf("%s: message %q", k, m)
		}
		if State(supervise.Event{Kind: k}) == "unknown" {
			t.Errorf("%s: no state", k)
		}
	}
}

// TestObserverJournaldGoneAndBack: journald disappears, events keep coming
// (Observe must not block), one warning is printed, and once a journald
// listens again the kept entries arrive in order.
func TestObserverJournaldGoneAndBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "socket")
	j := journaltest.Listen(t, path)
	var errs testkit.SyncBuffer
	o, err := NewObserverTo(path, "supervise", &errs)
	if err != nil {
		t.Fatal(err)
	}
	o.Observe(supervise.Event{Kind: supervise.EventUp, Service: "a"})
	j.Recv(t)
	j.Close()
	done := make(chan struct{})
	go func() {
		// 7 + the next event + the gap note: within the kernel's default
		// queue of 10 datagrams (net.unix.max_dgram_qlen) of our fake.
		for i := 0; i < 7; i++ {
			o.Observe(supervise.Event{Kind: supervise.EventStatus, Service: "a", Status: state.Status{Restarts: i, StatusText: "step"}})
		}
		close(done)
	}()
	testkit.Receive(t, done, 10*time.Second, "Observe blocked while journald was gone")
	if got := strings.Count(errs.String(), "unable to send to journald"); got != 1 {
		t.Fatalf("warned %d times: %q", got, errs.String())
	}
	j = journaltest.Listen(t, path)
	o.Observe(supervise.Event{Kind: supervise.EventDown, Service: "a"})
	for i := 0; i < 7; i++ {
		m := j.Recv(t)
		if m["SVC_EVENT"] != "status" || m["SVC_RESTARTS"] != strings.TrimSpace(string(rune('0'+i))) {
			t.Fatalf("backlog entry %d: %q", i, m)
		}
	}
	if m := j.Recv(t); m["SVC_EVENT"] != "down" {
		t.Fatalf("last entry: %q", m)
	}
	if !strings.Contains(errs.String(), "8 entries sent late, 0 lost") {
		t.Errorf("no recovery note: %q", errs.String())
	}
	if m := j.Recv(t); m["MESSAGE_ID"] != GapMessageID || m["SVC_LATE_ENTRIES"] != "8" || m["SVC_LOST_ENTRIES"] != "0" {
		t.Errorf("gap entry: %q", m)
	}
}

// TestObserverFullQueue: a journald that does not read (stuck) must not
// block the engine either.
func TestObserverFullQueue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "socket")
	journaltest.Listen(t, path) // never read
	var errs testkit.SyncBuffer
	o, err := NewObserverTo(path, "supervise", &errs)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		for i := 0; i < 5000; i++ {
			o.Observe(supervise.Event{Kind: supervise.EventStatus, Service: "flood", Status: state.Status{Restarts: i, StatusText: "flood"}})
		}
		close(done)
	}()
	testkit.Receive(t, done, 20*time.Second, "Observe blocked on a full journald queue")
	if got := strings.Count(errs.String(), "unable to send"); got != 1 {
		t.Fatalf("warned %d times: %q", got, errs.String())
	}
}

func TestNewObserverAbsent(t *testing.T) {
	if o := newObserver(filepath.Join(t.TempDir(), "none")); o != nil {
		t.Fatalf("NewObserver without journald = %v", o)
	}
}

// TestCatalogCoversMessageIDs: units/svbridge.catalog explains every
// MESSAGE_ID we send, and only those.
func TestCatalogCoversMessageIDs(t *testing.T) {
	b, err := os.ReadFile("../../units/svbridge.catalog")
	if err != nil {
		t.Fatal(err)
	}
	inCatalog := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		if id, ok := strings.CutPrefix(l, "-- "); ok {
			if len(id) != 32 {
				t.Errorf("bad catalog id line %q", l)
			}
			inCatalog[id] = true
		}
	}
	if !inCatalog[GapMessageID] {
		t.Errorf("GapMessageID not in the catalog")
	}
	delete(inCatalog, GapMessageID)
	for _, id := range []string{ServiceAddedMessageID, ServiceForgottenMessageID} {
		if !inCatalog[id] {
			t.Errorf("svscan's MESSAGE_ID %s not in the catalog", id)
		}
		delete(inCatalog, id)
	}
	for kind, id := range MessageIDs {
		if !inCatalog[id] {
			t.Errorf("%s: MESSAGE_ID %s not in the catalog", kind, id)
		}
		delete(inCatalog, id)
	}
	for id := range inCatalog {
		t.Errorf("catalog entry %s matches no event", id)
	}
}

// BenchmarkObserve: the cost supervise pays per transition with the
// journald observer on (encode + one non-blocking datagram to a socket that
// a goroutine drains, standing in for journald).
func BenchmarkObserve(b *testing.B) {
	path := filepath.Join(b.TempDir(), "socket")
	fd, close := testkit.ListenDatagram(b, path)
	defer close()
	go func() {
		buf := make([]byte, 65536)
		for {
			if _, _, err := unix.Recvfrom(fd, buf, 0); err == unix.EBADF {
				return
			}
		}
	}()
	o, err := NewObserverTo(path, "supervise", io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	ev := supervise.Event{Kind: supervise.EventExited, Time: time.Now(), Service: "web", Dir: "/etc/service/web",
		Pid: 1234, Exit: state.Exit{Code: 1}, Uptime: time.Second, Status: state.Status{Want: 'u', NormallyUp: true, Restarts: 3}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o.Observe(ev)
	}
}

// TestSignalName: x/sys's names, as the journal has always had them, and
// the number for a signal without a name.
func TestSignalName(t *testing.T) {
	for n, want := range map[int]string{1: "SIGHUP", 6: "SIGABRT", 9: "SIGKILL", 11: "SIGSEGV", 15: "SIGTERM",
		16: "SIGSTKFLT", 29: "SIGIO", 30: "SIGPWR", 31: "SIGSYS", 0: "0", 64: "64"} {
		if got := SignalName(n); got != want {
			t.Errorf("SignalName(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestSuperviseLostFields: svscan's entry for a supervise that ended on
// its own carries the documented MESSAGE_ID (explained in the catalog), the
// event name, error priority and the names.
func TestSuperviseLostFields(t *testing.T) {
	m := map[string]string{}
	for _, f := range SuperviseLostFields("web/log", "/srv/web/log", "/etc/service") {
		m[f.Name] = f.Value
	}
	want := map[string]string{
		"MESSAGE_ID": "25a21fcb59c84dc5a3a7adac6196d6b2", "SVC_EVENT": "supervise-lost", "PRIORITY": "3",
		"SYSLOG_IDENTIFIER": "svscan", "SVC_NAME": "web/log", "SVC_DIR": "/srv/web/log", "SVSCAN_DIR": "/etc/service",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s=%q, want %q", k, m[k], v)
		}
	}
	if !strings.HasPrefix(m["MESSAGE"], "svscan: the supervise of web/log ended") {
		t.Errorf("MESSAGE=%q", m["MESSAGE"])
	}
	catalog, err := os.ReadFile(filepath.Join("..", "..", "units", "svbridge.catalog"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(catalog), "-- 25a21fcb59c84dc5a3a7adac6196d6b2\n") {
		t.Error("the catalog does not explain supervise-lost")
	}
}
