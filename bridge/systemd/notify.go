package systemd

import (
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// notifier sends sd_notify datagrams to one socket. It never blocks.
type notifier struct {
	mu   sync.Mutex
	fd   int
	addr unix.SockaddrUnix
}

// newNotifier opens a socket for the NOTIFY_SOCKET value path: a file path,
// or "@name" for an abstract socket.
func newNotifier(path string) (*notifier, error) {
	if path == "" || (path[0] != '/' && path[0] != '@') {
		return nil, unix.EINVAL
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return &notifier{fd: fd, addr: unix.SockaddrUnix{Name: path}}, nil
}

// send sends one notification, e.g. "READY=1" or "STATUS=...".
func (n *notifier) send(msg string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return unix.Sendmsg(n.fd, []byte(msg), nil, &n.addr, unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL)
}

func (n *notifier) close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	unix.Close(n.fd)
	n.fd = -1
}

// monotonicUsec is CLOCK_MONOTONIC in microseconds, for RELOADING=1.
func monotonicUsec() string {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return strconv.FormatInt(ts.Sec*1000000+ts.Nsec/1000, 10)
}
