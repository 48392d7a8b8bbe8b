package supervise

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/svbridge/svbridge/internal/cli"
)

// The per-service NOTIFY_SOCKET: a datagram socket in the abstract
// namespace (no file, no sun_path length worry), owned by the supervisor.
// Any process may send to it (systemd's NotifyAccess=all). READY=1,
// STATUS=... and STOPPING=1 are recorded; other well-formed assignments
// are ignored; anything else is garbage, reported once. A flood is cut
// down to notifyBurst messages a second, reported once; beyond that, the
// first READY=1 and the first STOPPING=1 of the second still count (state
// changes), STATUS= and the rest do not. Memory stays bounded: one fixed
// buffer, and the kernel's socket queue.

const (
	notifyBuf     = 4096 // longer datagrams are cut (and the rest ignored)
	notifyBurst   = 200  // messages per second beyond which a flood is declared
	maxStatusText = 512
)

type notifySocket struct {
	s    *Supervisor
	f    *os.File
	name string

	windowStart  time.Time
	count        int
	warnedFlood  bool
	warnedGarble bool
	ready        bool // READY=1 posted in this second
	stopping     bool // STOPPING=1 posted in this second
}

func newNotifySocket(s *Supervisor) (*notifySocket, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_DGRAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	// An empty name asks Linux to pick a unique abstract address
	// ("autobind", e.g. @0001f): short, and no counter shared between the
	// supervisors of one process.
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{}); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		syscall.Close(fd)
		return nil, err
	}
	ua, ok := sa.(*syscall.SockaddrUnix)
	if !ok || len(ua.Name) < 2 || ua.Name[0] != '@' {
		syscall.Close(fd)
		return nil, syscall.EAFNOSUPPORT
	}
	return &notifySocket{s: s, f: os.NewFile(uintptr(fd), ua.Name), name: ua.Name}, nil
}

func (n *notifySocket) close() { n.f.Close() }

// serve reads datagrams until the socket is closed. It sleeps in the
// runtime's poller between messages.
func (n *notifySocket) serve() {
	buf := make([]byte, notifyBuf)
	for {
		m, err := n.f.Read(buf)
		if err != nil {
			if err == syscall.EINTR || err == io.EOF {
				continue // io.EOF: an empty datagram, not the end of the socket
			}
			return
		}
		n.handle(buf[:m], time.Now())
	}
}

func (n *notifySocket) handle(msg []byte, now time.Time) {
	if now.Sub(n.windowStart) >= time.Second {
		n.windowStart, n.count = now, 0
		n.ready, n.stopping = false, false
	}
	n.count++
	ins, garbage := ParseNotify(msg)
	flood := n.count > notifyBurst
	switch {
	case flood && !n.warnedFlood:
		n.warnedFlood = true
		cli.Warn(n.s.log, n.s.prog, "notify socket of ", n.s.name, " flooded: ignoring messages beyond ", strconv.Itoa(notifyBurst), " a second")
	case !flood && garbage && !n.warnedGarble:
		n.warnedGarble = true
		cli.Warn(n.s.log, n.s.prog, "notify socket of ", n.s.name, ": ignoring malformed message")
	}
	for _, in := range ins {
		// A daemon that floods STATUS= and then says READY=1 in the
		// same second is still ready; one of each a second is enough.
		if flood && !(in.Kind == InReady && !n.ready || in.Kind == InStopping && !n.stopping) {
			continue
		}
		n.note(in)
		in.Now = now
		n.s.post(in)
	}
}

// note remembers a READY=1 or STOPPING=1 posted in this second, so that a
// flood of them is not posted over and over.
func (n *notifySocket) note(in Input) {
	switch in.Kind {
	case InReady:
		n.ready = true
	case InStopping:
		n.stopping = true
	}
}

// ParseNotify reads one sd_notify datagram: newline-separated KEY=VALUE
// assignments. It returns the inputs for READY=1, STATUS= and STOPPING=1,
// and whether the datagram held anything that is not an assignment with an
// upper-case key (garbage). Other assignments (MAINPID=, WATCHDOG=1, ...)
// are ignored.
func ParseNotify(msg []byte) (ins []Input, garbage bool) {
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
		key, val := string(line[:eq]), line[eq+1:]
		switch key {
		case "READY":
			if string(val) == "1" {
				ins = append(ins, Input{Kind: InReady})
			}
		case "STOPPING":
			if string(val) == "1" {
				ins = append(ins, Input{Kind: InStopping})
			}
		case "STATUS":
			if len(val) > maxStatusText {
				val = val[:maxStatusText]
			}
			ins = append(ins, Input{Kind: InStatusText, Text: string(bytes.ToValidUTF8(val, []byte("?")))})
		}
	}
	return ins, garbage
}

func validKey(k []byte) bool {
	for _, c := range k {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
