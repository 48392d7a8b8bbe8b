// Package sdnotifytest is a fake systemd for the tests of sd_notify
// senders: a NOTIFY_SOCKET of the test's own that records every datagram.
package sdnotifytest

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/internal/testkit"
)

// Systemd is a NOTIFY_SOCKET at Path.
type Systemd struct {
	Path string
	mu   sync.Mutex
	msgs []string
}

// Listen makes the socket in a temporary directory of t and records what
// arrives until the test ends.
func Listen(t testing.TB) *Systemd {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	fd, _ := testkit.ListenDatagram(t, path)
	tv := unix.Timeval{Usec: 100000} // the reader checks for the end this often
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	s := &Systemd{Path: path}
	done := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			select {
			case <-stop:
				return
			default:
			}
			n, _, err := unix.Recvfrom(fd, buf, 0)
			if err == nil {
				s.mu.Lock()
				s.msgs = append(s.msgs, string(buf[:n]))
				s.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	return s
}

// Messages returns the datagrams received so far, in order.
func (s *Systemd) Messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

// Count returns how many datagrams so far begin with prefix.
func (s *Systemd) Count(prefix string) int {
	n := 0
	for _, m := range s.Messages() {
		if strings.HasPrefix(m, prefix) {
			n++
		}
	}
	return n
}

// WaitFor returns the first datagram that satisfies ok, waiting at most
// within for it; the test fails if none comes.
func (s *Systemd) WaitFor(t testing.TB, within time.Duration, what string, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		for _, m := range s.Messages() {
			if ok(m) {
				return m
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %s within %v among %q", what, within, s.Messages())
	return ""
}
