package multilog

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/tai64n"
	"golang.org/x/sys/unix"
)

// ErrWake is returned by an Input's Read when a signal arrived while it
// waited: the Logger then looks at its flags before reading again.
var ErrWake = errors.New("woken")

// Options are what a Logger needs from its program.
type Options struct {
	Stderr  io.Writer // warnings, and the lines of the e action
	Environ []string  // the processors' environment
	Pause   time.Duration
}

// Logger runs a script over an input stream.
type Logger struct {
	sc     *Script
	dirs   []*logDir
	status []*os.File // by action index, for Status actions
	env    *env
	stderr io.Writer

	needHead bool // some action looks at the line
	head     [LineMax + 1]byte
	stamp    [tai64n.LabelSize + 1]byte

	rotateReq atomic.Bool
	exitReq   atomic.Bool

	// input state
	buf       []byte
	base      int64 // input offset of buf[0]
	readEnd   int64 // input offset after the last read
	nextB     int64 // next 1024-byte read boundary of the original inside the last read
	inTail    bool  // the head of a long line is out; copying the rest
	longStart int64 // input offset of that long line
	lineStart int   // in buf, when a line is pending
	stamped   bool  // the pending line has its stamp
	lastNL    bool  // the last byte read was a newline
	stampLen  int
	headMaxIn int
	alertBuf  []byte
}

// Open prepares every =file and log directory of the script, in the
// original's order. A failure is an *InitError; nothing has been read then.
func Open(sc *Script, opt Options) (*Logger, error) {
	if opt.Pause == 0 {
		opt.Pause = 5 * time.Second
	}
	if opt.Stderr == nil {
		opt.Stderr = io.Discard
	}
	l := &Logger{sc: sc, stderr: opt.Stderr, lastNL: true}
	l.env = &env{
		warn:    func(parts ...any) { cli.Warn(opt.Stderr, "multilog", parts...) },
		pause:   opt.Pause,
		stderr:  opt.Stderr,
		environ: opt.Environ,
	}
	l.status = make([]*os.File, len(sc.Actions))
	for i, a := range sc.Actions {
		if a.Kind != Status {
			continue
		}
		f, err := os.OpenFile(a.File, os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_NONBLOCK, 0o600)
		if err != nil {
			l.Close()
			return nil, initErr("unable to create "+a.File, unwrapPath(err))
		}
		f.Close()
		f, err = os.OpenFile(a.File, os.O_WRONLY|unix.O_NONBLOCK, 0)
		if err != nil {
			l.Close()
			return nil, initErr("unable to write "+a.File, unwrapPath(err))
		}
		l.status[i] = f
	}
	for _, a := range sc.Actions {
		switch a.Kind {
		case Select, Deselect, Alert, Status:
			l.needHead = true
		}
	}
	for _, spec := range sc.Dirs {
		d := &logDir{spec: spec, env: l.env, fd: -1, lock: -1, cur: -1}
		if err := d.restart(); err != nil {
			d.closeFDs()
			l.Close()
			return nil, err
		}
		l.dirs = append(l.dirs, d)
	}
	l.stamp[tai64n.LabelSize] = ' '
	if sc.Timestamp {
		l.stampLen = tai64n.LabelSize + 1
	}
	l.headMaxIn = LineMax - l.stampLen
	return l, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ForceRotate asks for every non-empty current to be finished at the next
// read, as SIGALRM does. It is safe to call from another goroutine.
func (l *Logger) ForceRotate() { l.rotateReq.Store(true) }

// Exit asks the Logger to stop at the end of the line it is reading, as
// SIGTERM does. It is safe to call from another goroutine.
func (l *Logger) Exit() { l.exitReq.Store(true) }

// Close releases files without finishing anything (used after an Open
// failure); Run finishes the directories itself.
func (l *Logger) Close() {
	for _, f := range l.status {
		if f != nil {
			f.Close()
		}
	}
	for _, d := range l.dirs {
		d.closeFDs()
	}
	l.dirs = nil
}

// readBuf is our input buffer size; pipes hand over at most 64 KiB.
const readBuf = 128 << 10

// Run copies lines from in to the log until end of input (or an Exit
// request at the end of a line), then finishes every current (mode 0744).
// When in is a Keeper, Run tells it what is logged before each read.
func (l *Logger) Run(in io.Reader) {
	l.buf = make([]byte, 0, readBuf+2*LineMax)
	keeper, _ := in.(Keeper)
	for {
		// The original flushes everything before each read, then
		// handles a pending SIGALRM, then a pending SIGTERM.
		l.flushAll()
		if l.rotateReq.Swap(false) {
			for _, d := range l.dirs {
				if d.bytes > 0 {
					d.fullcurrent()
				}
			}
		}
		if keeper != nil {
			// Everything before the line in progress is written
			// (and of a long line, its head and what came after).
			written := l.base + int64(l.lineStart)
			line := written
			if l.inTail {
				line = l.longStart
			}
			keeper.Consume(written, line)
		}
		want := readBuf
		if l.exitReq.Load() {
			if l.lastNL {
				break
			}
			want = 1 // read no further than the end of this line
		}
		// Keep a pending partial line at the front of buf.
		n := copy(l.buf, l.buf[l.lineStart:])
		l.base += int64(l.lineStart)
		l.buf, l.lineStart = l.buf[:n], 0
		off := len(l.buf)
		n, err := in.Read(l.buf[off : off+want])
		if n <= 0 {
			if err == ErrWake {
				continue
			}
			if err == nil {
				continue
			}
			break // end of input, or a read error, which the original takes as the end
		}
		l.buf = l.buf[:off+n]
		start := l.base + int64(off)
		l.readEnd = start + int64(n)
		l.nextB = start + origInBuf
		l.lastNL = l.buf[off+n-1] == '\n'
		l.process(off)
	}
	// End of input: a partial line is logged with a newline added.
	if l.inTail {
		l.putcAll([]byte{'\n'})
	} else if l.stamped || l.lineStart < len(l.buf) {
		if !l.stamped {
			l.takeStamp()
		}
		l.line(l.buf[l.lineStart:])
		l.putcAll([]byte{'\n'})
	}
	for _, d := range l.dirs {
		d.vflush()
		d.close()
	}
	l.dirs = nil
	for _, f := range l.status {
		if f != nil {
			f.Close()
		}
	}
	if keeper != nil {
		keeper.Consume(l.readEnd, l.readEnd)
	}
}

func (l *Logger) flushAll() {
	for _, d := range l.dirs {
		d.vflush()
		d.writeOut(len(d.out))
	}
}

// cross replays the original's input reads up to consuming the byte at
// input offset o: each 1024-byte read flushes the output buffers.
func (l *Logger) cross(o int64) {
	if l.nextB > o || l.nextB >= l.readEnd {
		return
	}
	for l.nextB <= o && l.nextB < l.readEnd {
		l.nextB += origInBuf
	}
	for _, d := range l.dirs {
		d.vflush()
	}
}

func (l *Logger) takeStamp() {
	if l.sc.Timestamp {
		tai64n.Now().AppendLabel(l.stamp[:0])
	}
	l.stamped = true
}

// process handles buf from index i (new data) on.
func (l *Logger) process(i int) {
	buf := l.buf
	for {
		if l.inTail {
			rest := buf[i:]
			nl := bytes.IndexByte(rest, '\n')
			seg := rest
			if nl >= 0 {
				seg = rest[:nl]
			}
			l.tail(seg, l.base+int64(i))
			if nl < 0 {
				l.lineStart = len(buf)
				return
			}
			l.cross(l.base + int64(i+nl))
			l.putcAll([]byte{'\n'})
			l.inTail = false
			i += nl + 1
			l.lineStart = i
			continue
		}
		// A line starts (or continues) at l.lineStart.
		ls := l.lineStart
		if ls >= len(buf) {
			return
		}
		if !l.stamped {
			l.takeStamp()
		}
		limit := min(len(buf), ls+l.headMaxIn)
		if nl := bytes.IndexByte(buf[max(i, ls):limit], '\n'); nl >= 0 {
			e := max(i, ls) + nl
			l.cross(l.base + int64(e))
			l.line(buf[ls:e])
			l.putcAll([]byte{'\n'})
			l.stamped = false
			i = e + 1
			l.lineStart = i
			continue
		}
		if limit-ls < l.headMaxIn {
			return // wait for more of this line
		}
		// A long line: its first LineMax bytes are the line the actions
		// see; the rest is copied as it comes.
		l.cross(l.base + int64(limit-1))
		l.line(buf[ls:limit])
		l.stamped = false
		l.inTail = true
		l.longStart = l.base + int64(ls)
		i = limit
		l.lineStart = i
	}
}

// line runs the actions on one line (at most LineMax bytes with the stamp)
// and puts it into the selected directories, without its newline.
func (l *Logger) line(b []byte) {
	sl := l.stampLen
	if l.needHead {
		h := l.head[:]
		copy(h, l.stamp[:sl])
		copy(h[sl:], b)
		ll := sl + len(b)
		sel := true
		for i := range l.sc.Actions {
			a := &l.sc.Actions[i]
			switch a.Kind {
			case Select:
				if !sel && Match(a.Pattern, h[:ll]) {
					sel = true
				}
			case Deselect:
				if sel && Match(a.Pattern, h[:ll]) {
					sel = false
				}
			case Alert:
				if sel {
					l.alert(h[:ll])
				}
			case Status:
				if sel {
					l.writeStatus(i, h[:ll])
				}
			case Dir:
				l.dirs[a.Dir].sel = sel
			}
		}
	} else {
		for _, d := range l.dirs {
			d.sel = true
		}
	}
	for _, d := range l.dirs {
		if d.sel {
			d.out = append(d.out, l.stamp[:sl]...)
			d.out = append(d.out, b...)
			d.vput(sl + len(b))
		}
	}
}

func (l *Logger) alert(h []byte) {
	b := l.alertBuf[:0]
	if len(h) > 200 {
		b = append(append(b, h[:200]...), "...\n"...)
	} else {
		b = append(append(b, h...), '\n')
	}
	l.alertBuf = b
	l.stderr.Write(b)
}

// writeStatus writes the line padded with newlines to 1001 bytes at the
// start of the =file.
func (l *Logger) writeStatus(i int, h []byte) {
	var rec [LineMax + 1]byte
	n := copy(rec[:], h)
	for j := n; j < len(rec); j++ {
		rec[j] = '\n'
	}
	f := l.status[i]
	for {
		w, err := f.WriteAt(rec[:], 0)
		if err == nil && w == len(rec) {
			return
		}
		if err == nil {
			err = io.ErrShortWrite
		}
		l.env.pausing("unable to write ", l.sc.Actions[i].File, ", pausing: ", unwrapPath(err))
	}
}

// tail copies bytes of a long line past its head, starting at input offset o.
func (l *Logger) tail(seg []byte, o int64) {
	for len(seg) > 0 {
		n := len(seg)
		if l.nextB < l.readEnd && l.nextB < o+int64(n) {
			n = int(max(l.nextB-o, 0))
		}
		if n > 0 {
			l.putcAll(seg[:n])
			seg, o = seg[n:], o+int64(n)
		}
		if len(seg) > 0 {
			l.cross(o)
		}
	}
}

func (l *Logger) putcAll(b []byte) {
	for _, d := range l.dirs {
		if d.sel {
			d.out = append(d.out, b...)
			d.vputc(len(b))
		}
	}
}
