package journal

import (
	"errors"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// Conn sends entries to journald's native socket. It is safe for concurrent
// use. A Conn made with NewConn never blocks: when journald's queue is full
// Send fails with EAGAIN and the caller decides what to do.
type Conn struct {
	mu       sync.Mutex
	fd       int
	addr     unix.SockaddrUnix
	blocking bool
	buf      []byte
}

// NewConn opens a datagram socket for sending to path (normally
// SocketPath). It does not check that journald listens there: Send does.
// With blocking set, Send waits while journald's queue is full.
func NewConn(path string, blocking bool) (*Conn, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	// Big entries go as a file anyway; a larger buffer keeps most in one datagram.
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 8<<20)
	return &Conn{fd: fd, addr: unix.SockaddrUnix{Name: path}, blocking: blocking}, nil
}

// Close releases the socket.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fd < 0 {
		return nil
	}
	err := unix.Close(c.fd)
	c.fd = -1
	return err
}

// Send writes one entry made of fields.
func (c *Conn) Send(fields []Field) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := Encode(c.buf[:0], fields)
	c.buf = b
	if err != nil {
		return err
	}
	return c.sendLocked(b)
}

// SendEncoded writes an entry already in the native form (from Encode).
func (c *Conn) SendEncoded(b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sendLocked(b)
}

func (c *Conn) flags() int {
	if c.blocking {
		return 0
	}
	return unix.MSG_DONTWAIT
}

func (c *Conn) sendLocked(b []byte) error {
	if c.fd < 0 {
		return unix.EBADF
	}
	err := unix.Sendmsg(c.fd, b, nil, &c.addr, c.flags())
	if err == unix.EMSGSIZE || err == unix.ENOBUFS {
		return c.sendFileLocked(b)
	}
	return err
}

// sendFileLocked passes the entry in a file descriptor, as journald accepts
// for entries that do not fit in a datagram: a sealed memfd, or else an
// unlinked file in /dev/shm.
func (c *Conn) sendFileLocked(b []byte) error {
	f, err := entryFile(b)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Sendmsg(c.fd, nil, unix.UnixRights(int(f.Fd())), &c.addr, c.flags())
}

func entryFile(b []byte) (*os.File, error) {
	fd, err := unix.MemfdCreate("journal-entry", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err == nil {
		f := os.NewFile(uintptr(fd), "memfd:journal-entry")
		if _, err := f.Write(b); err != nil {
			f.Close()
			return nil, err
		}
		seals := unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE | unix.F_SEAL_SEAL
		if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, seals); err != nil {
			f.Close()
			return nil, err
		}
		return f, nil
	}
	f, err := os.CreateTemp("/dev/shm", "journal-entry-")
	if err != nil {
		return nil, errors.Join(errors.New("no memfd and no file in /dev/shm"), err)
	}
	os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Available tells whether a journald socket exists at path.
func Available(path string) bool {
	var st unix.Stat_t
	return unix.Stat(path, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFSOCK
}
