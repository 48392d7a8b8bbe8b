package journal

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/internal/testkit"
	"github.com/svbridge/svbridge/supervise"
)

// fakeJournald is a unixgram socket of our own standing in for journald's
// native socket. It decodes what it receives, datagrams or passed files.
type fakeJournald struct {
	path  string
	fd    int
	close func() // journald goes away
}

func listen(t *testing.T, path string) *fakeJournald {
	t.Helper()
	fd, close := testkit.ListenDatagram(t, path)
	return &fakeJournald{path: path, fd: fd, close: close}
}

// recv returns the next entry, decoded.
func (j *fakeJournald) recv(t *testing.T) map[string]string {
	t.Helper()
	buf := make([]byte, 1<<20)
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := unix.Recvmsg(j.fd, buf, oob, 0)
	if err != nil {
		t.Fatalf("recv: %v", err)
	}
	data := buf[:n]
	if oobn > 0 {
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil || len(msgs) != 1 {
			t.Fatalf("control message: %v", err)
		}
		fds, err := unix.ParseUnixRights(&msgs[0])
		if err != nil || len(fds) != 1 {
			t.Fatalf("rights: %v", err)
		}
		f := os.NewFile(uintptr(fds[0]), "passed")
		defer f.Close()
		if seals, err := unix.FcntlInt(f.Fd(), unix.F_GET_SEALS, 0); err != nil || seals&unix.F_SEAL_WRITE == 0 {
			t.Errorf("passed fd not sealed: %v %v", seals, err)
		}
		f.Seek(0, io.SeekStart)
		data, err = io.ReadAll(f)
		if err != nil {
			t.Fatal(err)
		}
	}
	fields, err := Decode(data)
	if err != nil {
		t.Fatalf("decode %q: %v", data, err)
	}
	m := map[string]string{}
	for _, f := range fields {
		m[f.Name] = f.Value
	}
	return m
}

func TestEncodeDecode(t *testing.T) {
	in := []Field{{"MESSAGE", "hello"}, {"MULTI", "a\nb\n"}, {"EMPTY", ""}, {"EQ", "x=y"}}
	b, err := Encode(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	want := "MESSAGE=hello\nMULTI\n\x04\x00\x00\x00\x00\x00\x00\x00a\nb\n\nEMPTY=\nEQ=x=y\n"
	if string(b) != want {
		t.Fatalf("got %q\nwant %q", b, want)
	}
	out, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("decoded %d fields", len(out))
	}
	for i := range in {
		if in[i] != out[i] {
			t.Errorf("field %d: %q != %q", i, out[i], in[i])
		}
	}
}

func TestValidName(t *testing.T) {
	for name, ok := range map[string]bool{"SVC_NAME": true, "A1": true, "_PID": false, "": false,
		"lower": false, "1X": false, "A-B": false, "A=B": false, strings.Repeat("A", 65): false} {
		if ValidName(name) != ok {
			t.Errorf("ValidName(%q) = %v", name, !ok)
		}
	}
	if _, err := Encode(nil, []Field{{"bad name", "x"}}); !errors.Is(err, ErrFieldName) {
		t.Errorf("Encode accepted a bad name: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	b, _ := Encode(nil, []Field{{"A", "b"}, {"C", "d\ne"}})
	f.Add(b)
	f.Add([]byte("X\n\xff\xff\xff\xff\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fields, err := Decode(data)
		if err != nil {
			return
		}
		for _, fl := range fields {
			if !ValidName(fl.Name) {
				return
			}
		}
		again, err := Encode(nil, fields)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(again)
		if err != nil || len(back) != len(fields) {
			t.Fatalf("round trip: %v", err)
		}
		for i := range back {
			if back[i] != fields[i] {
				t.Fatalf("round trip changed field %d", i)
			}
		}
	})
}

func TestSendDatagramAndBigEntry(t *testing.T) {
	j := listen(t, filepath.Join(t.TempDir(), "socket"))
	c, err := NewConn(j.path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Send([]Field{{"MESSAGE", "small"}, {"X", "1\n2"}}); err != nil {
		t.Fatal(err)
	}
	if m := j.recv(t); m["MESSAGE"] != "small" || m["X"] != "1\n2" {
		t.Fatalf("got %q", m)
	}
	// Bigger than any datagram the kernel takes: goes as a sealed memfd.
	big := strings.Repeat("0123456789abcdef", 1<<20/16*20)
	if err := c.Send([]Field{{"MESSAGE", "big"}, {"BLOB", big}}); err != nil {
		t.Fatal(err)
	}
	if m := j.recv(t); m["MESSAGE"] != "big" || m["BLOB"] != big {
		t.Fatalf("big entry: got MESSAGE %q, %d bytes of BLOB", m["MESSAGE"], len(m["BLOB"]))
	}
}

func TestObserverFields(t *testing.T) {
	j := listen(t, filepath.Join(t.TempDir(), "socket"))
	var errs testkit.SyncBuffer
	o, err := NewObserverTo(j.path, "supervise", &errs)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1700000000, 0)
	o.Observe(supervise.Event{Kind: supervise.EventExited, Time: now, Service: "web", Dir: "/srv/web",
		Pid: 42, ExitCode: 3, Uptime: 2500 * time.Millisecond, Want: 'u', NormallyUp: true, Restarts: 7})
	m := j.recv(t)
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
	o.Observe(supervise.Event{Kind: supervise.EventExited, Service: "web", Pid: 43, ExitCode: -1, Signal: 9, Want: 'u'})
	m = j.recv(t)
	if m["SVC_SIGNAL"] != "9" || m["SVC_SIGNAL_NAME"] != "SIGKILL" || m["SVC_EXIT_CODE"] != "" || !strings.Contains(m["MESSAGE"], "signal SIGKILL") {
		t.Errorf("signal entry: %q", m)
	}
	// ./run could not be executed: no process, an exit 111 as daemontools counts it.
	o.Observe(supervise.Event{Kind: supervise.EventExited, Service: "web", Dir: "/srv/web", ExitCode: 111, Want: 'd'})
	m = j.recv(t)
	if m["SVC_HOW_ENDED"] != "supervise could not start /srv/web/run (counted as exit code 111)." ||
		m["SVC_ENDED"] != "could not be started" || m["SVC_NEXT"] != "It is wanted down (svc -d), so supervise does not start it again." {
		t.Errorf("failed start entry: %q", m)
	}
	o.Observe(supervise.Event{Kind: supervise.EventExited, Service: "web", Pid: 44, ExitCode: -1, Unknown: true, Want: 'u'})
	m = j.recv(t)
	if m["SVC_EXIT_UNKNOWN"] != "1" || m["SVC_EXIT_CODE"] != "" || m["SVC_SIGNAL"] != "" || m["MESSAGE"] != "web: exited, code unknown (pid 44)" {
		t.Errorf("unknown-code entry: %q", m)
	}
	o.Observe(supervise.Event{Kind: supervise.EventAdopted, Service: "web", Pid: 45, Want: 'u'})
	m = j.recv(t)
	if m["MESSAGE_ID"] != "836734ef12e04a6dbb0ab1366593f7d2" || m["SVC_EVENT"] != "adopted" || m["SVC_STATE"] != "up" || m["MESSAGE"] != "web: adopted (pid 45)" {
		t.Errorf("adoption entry: %q", m)
	}
	if errs.String() != "" {
		t.Errorf("stderr: %q", errs.String())
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
	j := listen(t, path)
	var errs testkit.SyncBuffer
	o, err := NewObserverTo(path, "supervise", &errs)
	if err != nil {
		t.Fatal(err)
	}
	o.Observe(supervise.Event{Kind: supervise.EventUp, Service: "a"})
	j.recv(t)
	j.close()
	done := make(chan struct{})
	go func() {
		// 7 + the next event + the gap note: within the kernel's default
		// queue of 10 datagrams (net.unix.max_dgram_qlen) of our fake.
		for i := 0; i < 7; i++ {
			o.Observe(supervise.Event{Kind: supervise.EventStatus, Service: "a", Restarts: i, Text: "step"})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Observe blocked while journald was gone")
	}
	if got := strings.Count(errs.String(), "unable to send to journald"); got != 1 {
		t.Fatalf("warned %d times: %q", got, errs.String())
	}
	j = listen(t, path)
	o.Observe(supervise.Event{Kind: supervise.EventDown, Service: "a"})
	for i := 0; i < 7; i++ {
		m := j.recv(t)
		if m["SVC_EVENT"] != "status" || m["SVC_RESTARTS"] != strings.TrimSpace(string(rune('0'+i))) {
			t.Fatalf("backlog entry %d: %q", i, m)
		}
	}
	if m := j.recv(t); m["SVC_EVENT"] != "down" {
		t.Fatalf("last entry: %q", m)
	}
	if !strings.Contains(errs.String(), "8 entries sent late, 0 lost") {
		t.Errorf("no recovery note: %q", errs.String())
	}
	if m := j.recv(t); m["MESSAGE_ID"] != GapMessageID || m["SVC_LATE_ENTRIES"] != "8" || m["SVC_LOST_ENTRIES"] != "0" {
		t.Errorf("gap entry: %q", m)
	}
}

// TestObserverFullQueue: a journald that does not read (stuck) must not
// block the engine either.
func TestObserverFullQueue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "socket")
	listen(t, path) // never read
	var errs testkit.SyncBuffer
	o, err := NewObserverTo(path, "supervise", &errs)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		for i := 0; i < 5000; i++ {
			o.Observe(supervise.Event{Kind: supervise.EventStatus, Service: "flood", Restarts: i, Text: "flood"})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Observe blocked on a full journald queue")
	}
	if got := strings.Count(errs.String(), "unable to send"); got != 1 {
		t.Fatalf("warned %d times: %q", got, errs.String())
	}
}

func TestNewObserverAbsent(t *testing.T) {
	if o := newObserver(filepath.Join(t.TempDir(), "none")); o != nil {
		t.Fatalf("NewObserver without journald = %v", o)
	}
}

func TestStreamHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stdout")
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	unix.Listen(fd, 1)
	f, err := OpenStream(path, StreamOptions{Identifier: "web\nx", Priority: 6})
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("hello\n")
	f.Close()
	nfd, _, err := unix.Accept(fd)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(os.NewFile(uintptr(nfd), "accepted"))
	if want := "web_x\n\n6\n0\n0\n0\n0\nhello\n"; string(got) != want {
		t.Fatalf("got %q want %q", got, want)
	}
}

// TestCopyLines: lines become entries; a <N> prefix sets the priority; a
// line longer than MaxLine is split; journald going away makes CopyLines
// wait (one warning), and nothing is lost once it is back.
func TestCopyLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "socket")
	j := listen(t, path)
	c, err := NewConn(path, true)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", MaxLine+10)
	in := "one\n<3>two\n\n" + long + "\nlast-no-newline"
	var errs testkit.SyncBuffer
	if err := CopyLines(strings.NewReader(in), c, LineOptions{Identifier: "web", Priority: 6, LevelPrefix: true, Stderr: &errs, Prog: "svbridge journal-log"}); err != nil {
		t.Fatal(err)
	}
	want := []struct{ msg, prio string }{{"one", "6"}, {"two", "3"}, {"", "6"}, {long[:MaxLine], "6"}, {long[MaxLine:], "6"}, {"last-no-newline", "6"}}
	for _, w := range want {
		m := j.recv(t)
		if m["MESSAGE"] != w.msg || m["PRIORITY"] != w.prio || m["SYSLOG_IDENTIFIER"] != "web" || m["SVC_NAME"] != "web" {
			t.Fatalf("got %.40q prio %s, want %.40q prio %s", m["MESSAGE"], m["PRIORITY"], w.msg, w.prio)
		}
	}
	// journald away: CopyLines blocks and retries until a socket is back.
	j.close()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- CopyLines(pr, c, LineOptions{Identifier: "web", Priority: 6, Retry: 20 * time.Millisecond, Stderr: &errs, Prog: "svbridge journal-log"})
	}()
	pw.Write([]byte("kept-1\nkept-2\n"))
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errs.String(), "unable to send") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // several retries happen here; they must not warn again
	j = listen(t, path)
	pw.Close()
	for _, w := range []string{"kept-1", "kept-2"} {
		if m := j.recv(t); m["MESSAGE"] != w {
			t.Fatalf("after outage got %q want %q", m["MESSAGE"], w)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(errs.String(), "unable to send"); n != 1 {
		t.Fatalf("warned %d times: %q", n, errs.String())
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

// FuzzForEachLine: every byte of the input ends up in exactly one message,
// a stripped "<N>" prefix or a line's newline; no message holds a newline
// or exceeds MaxLine.
func FuzzForEachLine(f *testing.F) {
	f.Add([]byte("a\n<3>b\n\n<9>c"), true)
	f.Add([]byte(strings.Repeat("x", MaxLine+5)+"\ny"), false)
	f.Add([]byte("\r\n<1>\n"), true)
	f.Fuzz(func(t *testing.T, in []byte, prefix bool) {
		total, stripped := 0, 0
		err := ForEachLine(bytes.NewReader(in), prefix, 6, func(msg []byte, prio int) error {
			if len(msg) > MaxLine || bytes.IndexByte(msg, '\n') >= 0 || prio < 0 || prio > 7 {
				t.Fatalf("bad message %q prio %d", msg, prio)
			}
			total += len(msg)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Count the prefixes the same way ForEachLine strips them.
		for _, l := range bytes.Split(in, []byte("\n")) {
			for len(l) > MaxLine {
				if prefix && isPrefix(l) {
					stripped += 3
				}
				l = l[MaxLine:]
			}
			if prefix && isPrefix(l) {
				stripped += 3
			}
		}
		// ReadLine drops a \r before the \n: count those as consumed too.
		crlf := bytes.Count(in, []byte("\r\n"))
		if got := total + stripped + bytes.Count(in, []byte("\n")) + crlf; got != len(in) {
			t.Fatalf("bytes accounted %d, input %d (%q)", got, len(in), in)
		}
	})
}

func isPrefix(l []byte) bool {
	return len(l) >= 3 && l[0] == '<' && l[2] == '>' && l[1] >= '0' && l[1] <= '7'
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
		Pid: 1234, ExitCode: 1, Uptime: time.Second, Want: 'u', NormallyUp: true, Restarts: 3}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o.Observe(ev)
	}
}
