package journal_test

import (
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svbridge/svbridge/bridge/journal"
	"github.com/svbridge/svbridge/bridge/journal/journaltest"
	"github.com/svbridge/svbridge/internal/testkit"
)

func TestSendDatagramAndBigEntry(t *testing.T) {
	j := journaltest.Listen(t, filepath.Join(t.TempDir(), "socket"))
	c, err := journal.NewConn(j.Path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Send([]journal.Field{{Name: "MESSAGE", Value: "small"}, {Name: "X", Value: "1\n2"}}); err != nil {
		t.Fatal(err)
	}
	if m := j.Recv(t); m["MESSAGE"] != "small" || m["X"] != "1\n2" {
		t.Fatalf("got %q", m)
	}
	// Bigger than any datagram the kernel takes: goes as a sealed memfd.
	big := strings.Repeat("0123456789abcdef", 1<<20/16*20)
	if err := c.Send([]journal.Field{{Name: "MESSAGE", Value: "big"}, {Name: "BLOB", Value: big}}); err != nil {
		t.Fatal(err)
	}
	if m := j.Recv(t); m["MESSAGE"] != "big" || m["BLOB"] != big {
		t.Fatalf("big entry: got MESSAGE %q, %d bytes of BLOB", m["MESSAGE"], len(m["BLOB"]))
	}
}

// TestCopyLines: lines become entries; a <N> prefix sets the priority; a
// line longer than journal.MaxLine is split; journald going away makes journal.CopyLines
// wait (one warning), and nothing is lost once it is back.
func TestCopyLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "socket")
	j := journaltest.Listen(t, path)
	c, err := journal.NewConn(path, true)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", journal.MaxLine+10)
	in := "one\n<3>two\n\n" + long + "\nlast-no-newline"
	var errs testkit.SyncBuffer
	if err := journal.CopyLines(strings.NewReader(in), c, journal.LineOptions{Identifier: "web", Priority: 6, LevelPrefix: true, Stderr: &errs, Prog: "svbridge journal-log"}); err != nil {
		t.Fatal(err)
	}
	want := []struct{ msg, prio string }{{"one", "6"}, {"two", "3"}, {"", "6"}, {long[:journal.MaxLine], "6"}, {long[journal.MaxLine:], "6"}, {"last-no-newline", "6"}}
	for _, w := range want {
		m := j.Recv(t)
		if m["MESSAGE"] != w.msg || m["PRIORITY"] != w.prio || m["SYSLOG_IDENTIFIER"] != "web" || m["SVC_NAME"] != "web" {
			t.Fatalf("got %.40q prio %s, want %.40q prio %s", m["MESSAGE"], m["PRIORITY"], w.msg, w.prio)
		}
	}
	// journald away: journal.CopyLines blocks and retries until a socket is back.
	j.Close()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- journal.CopyLines(pr, c, journal.LineOptions{Identifier: "web", Priority: 6, Retry: 20 * time.Millisecond, Stderr: &errs, Prog: "svbridge journal-log"})
	}()
	pw.Write([]byte("kept-1\nkept-2\n"))
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errs.String(), "unable to send") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // several retries happen here; they must not warn again
	j = journaltest.Listen(t, path)
	pw.Close()
	for _, w := range []string{"kept-1", "kept-2"} {
		if m := j.Recv(t); m["MESSAGE"] != w {
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
