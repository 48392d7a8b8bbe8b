// Package sdnotify is systemd's sd_notify protocol (sd_notify(3)) as
// svbridge speaks it on both sides: Parse reads a datagram as systemd
// does, Send is a client, and Environ takes systemd's variables out of a
// child's environment. It links only golang.org/x/sys, so the lean
// supervise binary (whose per-service NOTIFY_SOCKET receives these
// datagrams) can use it; svscan sends through go-systemd's daemon package.
// sdnotifytest is a fake NOTIFY_SOCKET for tests.
package sdnotify

import (
	"bytes"
	"errors"
	"strings"

	"golang.org/x/sys/unix"
)

// The variables systemd gives the process it supervises: where to send,
// and its watchdog (WATCHDOG_PID says which process it is for).
const (
	EnvSocket       = "NOTIFY_SOCKET"
	EnvWatchdogUsec = "WATCHDOG_USEC"
	EnvWatchdogPid  = "WATCHDOG_PID"
)

// Assignment is one KEY=VALUE line of a datagram.
type Assignment struct {
	Key, Value string
}

// Parse reads one datagram: newline-separated KEY=VALUE assignments, the
// key made of upper-case letters, digits and '_'. Empty lines are skipped;
// any other line that is not such an assignment makes garbage true (and is
// skipped). Values are returned as they are (any bytes).
func Parse(msg []byte) (as []Assignment, garbage bool) {
	for len(msg) > 0 {
		line := msg
		if i := bytes.IndexByte(msg, '\n'); i >= 0 {
			line, msg = msg[:i], msg[i+1:]
		} else {
			msg = nil
		}
		if len(line) == 0 {
			continue
		}
		eq := bytes.IndexByte(line, '=')
		if eq <= 0 || !validKey(line[:eq]) {
			garbage = true
			continue
		}
		as = append(as, Assignment{Key: string(line[:eq]), Value: string(line[eq+1:])})
	}
	return as, garbage
}

func validKey(k []byte) bool {
	for _, c := range k {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// ErrNoSocket: there is no NOTIFY_SOCKET to send to.
var ErrNoSocket = errors.New(EnvSocket + " not set")

// Send sends msg as one datagram to socket, a path or "@name" for the
// abstract namespace, without waiting: a full queue is EAGAIN.
func Send(socket, msg string) error {
	if socket == "" {
		return ErrNoSocket
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.Sendto(fd, []byte(msg), unix.MSG_DONTWAIT, &unix.SockaddrUnix{Name: socket})
}

// Environ returns env without NOTIFY_SOCKET, WATCHDOG_USEC and
// WATCHDOG_PID, with NOTIFY_SOCKET=socket added when socket is not empty:
// the environment a supervisor gives its children, systemd's variables
// being the supervisor's own. env is not changed.
func Environ(env []string, socket string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if isVar(kv, EnvSocket) || isVar(kv, EnvWatchdogUsec) || isVar(kv, EnvWatchdogPid) {
			continue
		}
		out = append(out, kv)
	}
	if socket != "" {
		out = append(out, EnvSocket+"="+socket)
	}
	return out
}

func isVar(kv, name string) bool {
	return strings.HasPrefix(kv, name) && len(kv) > len(name) && kv[len(name)] == '='
}
