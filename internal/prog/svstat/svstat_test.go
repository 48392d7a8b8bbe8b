package svstat

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/tai64n"
	"github.com/svbridge/svbridge/supervise/status"
	"github.com/svbridge/svbridge/supervise/svctl"
)

func TestRender(t *testing.T) {
	now := tai64n.Stamp{Sec: tai64n.Offset + 1000, Nano: 5}
	at := func(sec uint64) tai64n.Stamp { return tai64n.Stamp{Sec: tai64n.Offset + sec, Nano: 999999999} }
	for _, tc := range []struct {
		info svctl.Info
		err  error
		want string
	}{
		{info: svctl.Info{NormallyUp: true, Status: status.Status{When: at(990), Pid: 12}}, want: "d: up (pid 12) 10 seconds\n"},
		{info: svctl.Info{Status: status.Status{When: at(990), Pid: 12}}, want: "d: up (pid 12) 10 seconds, normally down\n"},
		{info: svctl.Info{Status: status.Status{When: at(1000), Pid: 12, Paused: true, Want: 'd'}}, want: "d: up (pid 12) 0 seconds, normally down, paused, want down\n"},
		{info: svctl.Info{NormallyUp: true, Status: status.Status{When: at(1), Pid: 4294967295, Want: 'u'}}, want: "d: up (pid 4294967295) 999 seconds\n"},
		{info: svctl.Info{NormallyUp: true, Status: status.Status{When: at(400)}}, want: "d: down 600 seconds, normally up\n"},
		{info: svctl.Info{Status: status.Status{When: at(400), Want: 'u', Paused: true}}, want: "d: down 600 seconds, want up\n"},
		{info: svctl.Info{Status: status.Status{When: at(400), Want: 'd'}}, want: "d: down 600 seconds\n"},
		// A stamp in the future counts as now.
		{info: svctl.Info{Status: status.Status{When: at(5000)}}, want: "d: down 0 seconds\n"},
		// Seconds go through a double, as tai_approx: 2^62+10+1000 rounds to a multiple of 1024.
		{info: svctl.Info{Status: status.Status{}}, want: "d: down 4611686018427388928 seconds\n"},
		{err: &svctl.Error{Op: svctl.OpChdir, Err: syscall.ENOENT}, want: "d: unable to chdir: file does not exist\n"},
		{err: &svctl.Error{Op: svctl.OpStatDown, Err: syscall.ELOOP}, want: "d: unable to stat down: symbolic link loop\n"},
		{err: &svctl.Error{Op: svctl.OpOpenOK, Err: svctl.ErrNotRunning}, want: "d: supervise not running\n"},
		{err: &svctl.Error{Op: svctl.OpOpenOK, Err: syscall.ENOTDIR}, want: "d: unable to open supervise/ok: not a directory\n"},
		{err: &svctl.Error{Op: svctl.OpOpenStatus, Err: syscall.ENOENT}, want: "d: unable to open supervise/status: file does not exist\n"},
		{err: &svctl.Error{Op: svctl.OpReadStatus, Err: svctl.ErrBadFormat}, want: "d: unable to read supervise/status: bad format\n"},
		{err: &svctl.Error{Op: svctl.OpReadStatus, Err: syscall.EISDIR}, want: "d: unable to read supervise/status: is a directory\n"},
	} {
		if got := string(Render(nil, "d", tc.info, tc.err, now)); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}

func TestMainNoArgs(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main(&cli.Env{Args: []string{"svstat"}, Stdout: &out, Stderr: &errb}); code != 0 || out.Len()+errb.Len() != 0 {
		t.Fatalf("code %d out %q err %q", code, out.String(), errb.String())
	}
}

func TestMainLines(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	os.Mkdir(plain, 0755)
	var out, errb bytes.Buffer
	code := Main(&cli.Env{Args: []string{"svstat", "-x", plain}, Stdout: &out, Stderr: &errb})
	want := "-x: unable to chdir: file does not exist\n" + plain + ": unable to open supervise/ok: file does not exist\n"
	if code != 0 || out.String() != want || errb.Len() != 0 {
		t.Fatalf("code %d out %q err %q", code, out.String(), errb.String())
	}
}

// FuzzRender renders any 18 status bytes and checks the line against the
// fields: state word, pid, seconds and the flags svstat adds.
func FuzzRender(f *testing.F) {
	f.Add("svc", make([]byte, status.Size), true, uint64(tai64n.Offset+5))
	f.Add("/service/x", []byte("@\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x10\x00\x00\x00\x01d"), false, uint64(tai64n.Offset))
	f.Fuzz(func(t *testing.T, dir string, raw []byte, normallyUp bool, nowSec uint64) {
		st, err := status.Decode(raw)
		if err != nil {
			line := string(Render(nil, dir, svctl.Info{}, &svctl.Error{Op: svctl.OpReadStatus, Err: svctl.ErrBadFormat}, tai64n.Stamp{Sec: nowSec}))
			if line != dir+": unable to read supervise/status: bad format\n" {
				t.Fatalf("error line %q", line)
			}
			return
		}
		now := tai64n.Stamp{Sec: nowSec}
		line := string(Render(nil, dir, svctl.Info{NormallyUp: normallyUp, Status: st}, nil, now))
		rest, ok := strings.CutPrefix(line, dir+": ")
		if !ok || !strings.HasSuffix(rest, "\n") || strings.Count(rest, "\n") != 1 {
			t.Fatalf("framing %q", line)
		}
		up := st.Pid != 0
		head := "down "
		if up {
			head = "up (pid " + strconv.FormatUint(uint64(uint32(st.Pid)), 10) + ") "
		}
		rest, ok = strings.CutPrefix(rest, head)
		if !ok {
			t.Fatalf("%q does not start with %q", line, head)
		}
		num, rest, _ := strings.Cut(rest, " seconds")
		secs, err := strconv.ParseUint(num, 10, 64)
		if err != nil {
			t.Fatalf("seconds %q in %q", num, line)
		}
		if st.When.Sec > nowSec && secs != 0 {
			t.Fatalf("future stamp gives %d seconds", secs)
		}
		if d := nowSec - st.When.Sec; st.When.Sec <= nowSec && (secs > d+d/(1<<52)+1 || secs+d/(1<<52)+1 < d) {
			t.Fatalf("seconds %d for a difference of %d", secs, d)
		}
		var flags []string
		if up && !normallyUp {
			flags = append(flags, ", normally down")
		}
		if !up && normallyUp {
			flags = append(flags, ", normally up")
		}
		if up && st.Paused {
			flags = append(flags, ", paused")
		}
		if !up && st.Want == 'u' {
			flags = append(flags, ", want up")
		}
		if up && st.Want == 'd' {
			flags = append(flags, ", want down")
		}
		if want := strings.Join(flags, "") + "\n"; rest != want {
			t.Fatalf("flags %q want %q in %q", rest, want, line)
		}
	})
}

func TestSecondsNeverNegative(t *testing.T) {
	now := tai64n.Now()
	if s := Seconds(tai64n.Stamp{Sec: now.Sec + 100}, now); s != 0 {
		t.Fatal(s)
	}
	if s := Seconds(tai64n.Stamp{Sec: now.Sec - 7, Nano: 999999999}, now); s != 7 {
		t.Fatal(s)
	}
	if !errors.Is(&svctl.Error{Err: svctl.ErrNotRunning}, svctl.ErrNotRunning) {
		t.Fatal("unwrap")
	}
}
