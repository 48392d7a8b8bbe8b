package sdnotify_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/internal/sdnotify"
	"github.com/svbridge/svbridge/internal/sdnotify/sdnotifytest"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in      string
		want    []sdnotify.Assignment
		garbage bool
	}{
		{"READY=1", []sdnotify.Assignment{{"READY", "1"}}, false},
		{"READY=1\nSTATUS=ok now\n", []sdnotify.Assignment{{"READY", "1"}, {"STATUS", "ok now"}}, false},
		{"MAINPID=12\n\n\nWATCHDOG=1", []sdnotify.Assignment{{"MAINPID", "12"}, {"WATCHDOG", "1"}}, false},
		{"STATUS=a=b", []sdnotify.Assignment{{"STATUS", "a=b"}}, false},
		{"STATUS=", []sdnotify.Assignment{{"STATUS", ""}}, false},
		{"hello\nREADY=1", []sdnotify.Assignment{{"READY", "1"}}, true},
		{"=1", nil, true},
		{"ready=1", nil, true},
		{"A-B=1", nil, true},
		{"STATUS=\xff\xfe", []sdnotify.Assignment{{"STATUS", "\xff\xfe"}}, false},
		{"", nil, false},
	}
	for _, c := range cases {
		got, garbage := sdnotify.Parse([]byte(c.in))
		if !slices.Equal(got, c.want) || garbage != c.garbage {
			t.Errorf("%q: %q garbage %v, want %q garbage %v", c.in, got, garbage, c.want, c.garbage)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("READY=1\nSTATUS=hi"))
	f.Add([]byte("\x00garbage=\n=\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		as, garbage := sdnotify.Parse(b)
		lines := 0
		for _, l := range bytes.Split(b, []byte("\n")) {
			if len(l) > 0 {
				lines++
			}
		}
		if len(as) > lines || len(as) < lines && !garbage {
			t.Fatalf("%d assignments from %d lines, garbage %v", len(as), lines, garbage)
		}
		for _, a := range as {
			if a.Key == "" || strings.ContainsAny(a.Key, "=\n") || strings.Contains(a.Value, "\n") {
				t.Fatalf("assignment %q", a)
			}
		}
	})
}

// TestSend: a datagram to a path and to an abstract socket, read back
// through Parse.
func TestSend(t *testing.T) {
	sd := sdnotifytest.Listen(t)
	if err := sdnotify.Send(sd.Path, "READY=1\nSTATUS=up"); err != nil {
		t.Fatal(err)
	}
	m := sd.WaitFor(t, 10*time.Second, "READY=1", func(m string) bool { return strings.HasPrefix(m, "READY=1") })
	if as, garbage := sdnotify.Parse([]byte(m)); garbage || len(as) != 2 || as[1] != (sdnotify.Assignment{Key: "STATUS", Value: "up"}) {
		t.Fatalf("got %q", m)
	}

	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrUnix{}); err != nil { // autobind: an abstract name
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	name := sa.(*unix.SockaddrUnix).Name
	if err := sdnotify.Send(name, "STOPPING=1"); err != nil {
		t.Fatalf("send to %q: %v", name, err)
	}
	buf := make([]byte, 64)
	n, _, err := unix.Recvfrom(fd, buf, unix.MSG_DONTWAIT)
	if err != nil || string(buf[:n]) != "STOPPING=1" {
		t.Fatalf("abstract socket %q got %q, %v", name, buf[:n], err)
	}
	if err := sdnotify.Send("", "READY=1"); err != sdnotify.ErrNoSocket {
		t.Fatalf("no socket: %v", err)
	}
}

func TestEnviron(t *testing.T) {
	env := []string{"PATH=/bin", "NOTIFY_SOCKET=/run/systemd/notify", "WATCHDOG_USEC=1000", "WATCHDOG_PID=1",
		"NOTIFY_SOCKETX=kept", "WATCHDOG=kept", "HOME=/"}
	in := slices.Clone(env)
	want := []string{"PATH=/bin", "NOTIFY_SOCKETX=kept", "WATCHDOG=kept", "HOME=/"}
	if got := sdnotify.Environ(env, ""); !slices.Equal(got, want) {
		t.Errorf("without a socket: %q", got)
	}
	if got := sdnotify.Environ(env, "@0001f"); !slices.Equal(got, append(want, "NOTIFY_SOCKET=@0001f")) {
		t.Errorf("with a socket: %q", got)
	}
	if !slices.Equal(env, in) {
		t.Errorf("env changed: %q", env)
	}
}
