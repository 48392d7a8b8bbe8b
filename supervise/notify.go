package supervise

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/sdnotify"
)

// The per-service NOTIFY_SOCKET: a datagram socket in the abstract
// namespace (no file, no sun_path length worry), owned by the supervisor.
// Any process can find it (/proc/net/unix) and send to it, so a datagram
// counts only when the kernel's credentials of its sender (SO_PASSCRED)
// say root or the uid the service's main process runs as (its real or
// effective uid, read from /proc when the message comes): such a sender
// could signal or ptrace the service anyway. Short-lived helpers of the
// service (systemd-notify from ./run, a child that exits right after
// sending) pass, since their uid is taken at sending time. Other senders
// are ignored, with one warning (and then at most one a minute). READY=1,
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
	notifyMaxFds  = 16          // descriptors passed along (BARRIER=1) that are closed at once
	rejectWarnGap = time.Minute // at most one warning this often for refused senders
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
	warnedReject time.Time
	refused      refusal // the last sender refused, so a spray costs no /proc read each
}

// refusal remembers one refused sender uid for one main process, for a
// second.
type refusal struct {
	pid   int
	uid   uint32
	until time.Time
}

// newNotifySocket makes the supervisor's notify socket. prefer, when it
// is an abstract name ("@..."), is the name an adopted run was given by
// the supervisor before: bound again when it is free (that supervisor's
// socket went with it), so the run's READY=1 and STATUS= reach this one;
// when it is taken, or not given, Linux picks a name.
func newNotifySocket(s *Supervisor, prefer string) (*notifySocket, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_DGRAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	bound := false
	if len(prefer) > 1 && prefer[0] == '@' && len(prefer) < 108 {
		bound = syscall.Bind(fd, &syscall.SockaddrUnix{Name: prefer}) == nil
	}
	// An empty name asks Linux to pick a unique abstract address
	// ("autobind", e.g. @0001f): short, and no counter shared between the
	// supervisors of one process.
	if !bound {
		if err := syscall.Bind(fd, &syscall.SockaddrUnix{}); err != nil {
			syscall.Close(fd)
			return nil, err
		}
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_PASSCRED, 1); err != nil {
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

// notifyBufs holds the receive buffers of every notify socket of the
// process: a buffer is taken only while a datagram is being read and
// handled, not for the time a supervisor waits (all-in-one svscan runs
// hundreds of supervisors, nearly all of them idle).
var notifyBufs = sync.Pool{New: func() any {
	// oob: room for the sender's credentials and notifyMaxFds descriptors
	return &notifyBuffers{oob: make([]byte, syscall.CmsgSpace(syscall.SizeofUcred)+syscall.CmsgSpace(4*notifyMaxFds))}
}}

type notifyBuffers struct {
	buf [notifyBuf]byte
	oob []byte
}

// serve reads datagrams until the socket is closed. It sleeps in the
// runtime's poller between messages, holding no buffer.
func (n *notifySocket) serve() {
	rc, err := n.f.SyscallConn()
	if err != nil {
		return
	}
	for {
		var b *notifyBuffers
		var m, oobn int
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			b = notifyBufs.Get().(*notifyBuffers)
			m, oobn, _, _, rerr = syscall.Recvmsg(int(fd), b.buf[:], b.oob[:], syscall.MSG_CMSG_CLOEXEC)
			if rerr == syscall.EAGAIN {
				notifyBufs.Put(b)
				b = nil
				return false
			}
			return true
		})
		if err != nil {
			if b != nil {
				notifyBufs.Put(b)
			}
			return // closed at exit
		}
		if rerr != nil {
			notifyBufs.Put(b)
			if rerr == syscall.EINTR || rerr == syscall.ENOMEM || rerr == syscall.ENOBUFS {
				continue
			}
			return
		}
		cred := credentials(b.oob[:oobn])
		now := time.Now()
		if n.allowed(cred, now) {
			n.handle(b.buf[:m], now)
		} else {
			n.refuse(cred, now)
		}
		notifyBufs.Put(b)
	}
}

// credentials returns the sender's credentials from a datagram's control
// messages (nil when there are none), and closes any descriptors that came
// with it (systemd-notify's BARRIER=1 sends one and waits for its close).
func credentials(oob []byte) *syscall.Ucred {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var cred *syscall.Ucred
	for i := range msgs {
		switch msgs[i].Header.Type {
		case syscall.SCM_CREDENTIALS:
			if c, err := syscall.ParseUnixCredentials(&msgs[i]); err == nil {
				cred = c
			}
		case syscall.SCM_RIGHTS:
			if fds, err := syscall.ParseUnixRights(&msgs[i]); err == nil {
				for _, fd := range fds {
					syscall.Close(fd)
				}
			}
		}
	}
	return cred
}

// allowed says whether a sender may act for the service: root, or the
// real or effective uid of the service's main process.
func (n *notifySocket) allowed(cred *syscall.Ucred, now time.Time) bool {
	if cred == nil {
		return false
	}
	if cred.Uid == 0 {
		return true
	}
	pid := int(n.s.runPid.Load())
	if pid <= 0 {
		// a ./run being started may be the sender: wait for its pid
		n.s.spawning.Lock()
		pid = int(n.s.runPid.Load())
		n.s.spawning.Unlock()
	}
	if pid <= 0 {
		return false
	}
	if r := n.refused; r.pid == pid && r.uid == cred.Uid && now.Before(r.until) {
		return false
	}
	real, eff, ok := procUids(pid)
	if ok && (cred.Uid == real || cred.Uid == eff) {
		return true
	}
	n.refused = refusal{pid: pid, uid: cred.Uid, until: now.Add(time.Second)}
	return false
}

// refuse reports a refused sender: once, then at most once a minute.
func (n *notifySocket) refuse(cred *syscall.Ucred, now time.Time) {
	if !n.warnedReject.IsZero() && now.Sub(n.warnedReject) < rejectWarnGap {
		return
	}
	n.warnedReject = now
	who := "a sender without credentials"
	if cred != nil {
		who = "pid " + strconv.Itoa(int(cred.Pid)) + " uid " + strconv.FormatUint(uint64(cred.Uid), 10)
	}
	cli.Warn(n.s.log, n.s.prog, "notify socket of ", n.s.name, ": ignoring messages from ", who, ": neither root nor the service's user")
}

// procUids reads the real and effective uid of pid from /proc.
func procUids(pid int) (real, eff uint32, ok bool) {
	b := readSome("/proc/"+strconv.Itoa(pid)+"/status", 4096)
	i := bytes.Index(b, []byte("\nUid:"))
	if i < 0 {
		return 0, 0, false
	}
	f := bytes.Fields(b[i+len("\nUid:"):])
	if len(f) < 2 {
		return 0, 0, false
	}
	r, err1 := strconv.ParseUint(string(f[0]), 10, 32)
	e, err2 := strconv.ParseUint(string(f[1]), 10, 32)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return uint32(r), uint32(e), true
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

// ParseNotify reads one sd_notify datagram (sdnotify.Parse): it returns
// the inputs for READY=1, STATUS= and STOPPING=1, and whether the datagram
// held anything that is not an assignment with an upper-case key
// (garbage). Other assignments (MAINPID=, WATCHDOG=1, ...) are ignored.
func ParseNotify(msg []byte) (ins []Input, garbage bool) {
	as, garbage := sdnotify.Parse(msg)
	for _, a := range as {
		switch a.Key {
		case "READY":
			if a.Value == "1" {
				ins = append(ins, Input{Kind: InReady})
			}
		case "STOPPING":
			if a.Value == "1" {
				ins = append(ins, Input{Kind: InStopping})
			}
		case "STATUS":
			val := a.Value
			if len(val) > maxStatusText {
				val = val[:maxStatusText]
			}
			ins = append(ins, Input{Kind: InStatusText, Text: strings.ToValidUTF8(val, "?")})
		}
	}
	return ins, garbage
}
