package journal

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Stream options: what journald's stdout protocol header carries.
type StreamOptions struct {
	Identifier  string // SYSLOG_IDENTIFIER of every line (journalctl -t)
	Priority    int    // 0..7, the priority of lines without a prefix
	LevelPrefix bool   // parse sd-daemon "<N>" prefixes on lines
}

// OpenStream connects to journald's stdout socket at path (normally
// StreamPath) and writes the stream header. What is written to the returned
// file becomes journal lines, so it can be given to a process as its stdout
// and stderr. The socket is write-only (read side shut down).
func OpenStream(path string, o StreamOptions) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	unix.Shutdown(fd, unix.SHUT_RD)
	prio := o.Priority
	if prio < 0 || prio > 7 {
		prio = 6
	}
	// identifier, unit id (empty), priority, level prefix, forward to
	// syslog, kmsg, console: one per line, as journald reads them.
	ident := strings.Map(func(r rune) rune {
		if r == '\n' {
			return '_'
		}
		return r
	}, o.Identifier)
	hdr := ident + "\n\n" + strconv.Itoa(prio) + "\n" + bit(o.LevelPrefix) + "\n0\n0\n0\n"
	for b := []byte(hdr); len(b) > 0; {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			unix.Close(fd)
			return nil, err
		}
		b = b[n:]
	}
	return os.NewFile(uintptr(fd), "journal-stream:"+o.Identifier), nil
}

func bit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
