package multilog

import (
	"io"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// Keeper is an input that keeps what it has handed out until the Logger
// says it is logged, so that a multilog killed with SIGKILL leaves in its
// input whatever it had not written yet, for the next multilog to read.
//
// Consume is called before each read: every input byte before offset
// written is in the log (written to current, or deliberately not logged),
// and the line in progress starts at offset line (line <= written, or
// line == written when no line is in progress). The input drops what is
// before line, so that a line cut by a kill is read again whole; it drops
// up to written instead when a long line has kept too much.
type Keeper interface {
	Consume(written, line int64)
}

// PipeInput reads a pipe without taking anything out of it: it copies the
// pipe's content into a private pipe with tee(2) and reads that copy; bytes
// leave the input pipe only through Consume, once they are in the log.
// A new multilog on the same pipe (as supervise starts one) thus reads again
// what the previous one had read but not logged: at least once, never lost.
type PipeInput struct {
	fd      int // the input pipe (normally 0)
	privR   int // the private pipe tee(2) fills
	privW   int
	null    int // /dev/null, for splice(2) to drop input; -1: read instead
	wr, rd  int // the wake-up pipe
	kw, kr  int // the SIGIO pipe
	ep      int // epoll: the input (edge-triggered) and both pipes above
	sigio   chan os.Signal
	stop    chan struct{} // closed: the SIGIO goroutine ends
	stopped chan struct{} // closed by it when it has
	flags   int           // the input's file status flags, when armed
	armed   bool          // O_ASYNC is set on the input, we own its SIGIO
	noAsync bool          // O_ASYNC could not be set
	handed  int64
	dropped int64
	keepMax int64 // how much of a long line may stay in the input
	scratch []byte
}

// IsPipe reports whether fd is a pipe or a FIFO.
func IsPipe(fd int) bool {
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFIFO
}

// NewPipeInput wraps fd, which must be a pipe (see IsPipe).
func NewPipeInput(fd int) (*PipeInput, error) {
	p := &PipeInput{fd: fd, privR: -1, privW: -1, null: -1, wr: -1, rd: -1, kw: -1, kr: -1, ep: -1}
	fail := func(err error) (*PipeInput, error) {
		p.Close()
		return nil, err
	}
	var pp [2]int
	if err := unix.Pipe2(pp[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return fail(err)
	}
	p.rd, p.wr = pp[0], pp[1]
	if err := unix.Pipe2(pp[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return fail(err)
	}
	p.kr, p.kw = pp[0], pp[1]
	if err := unix.Pipe2(pp[:], unix.O_CLOEXEC); err != nil {
		return fail(err)
	}
	p.privR, p.privW = pp[0], pp[1]
	// The private pipe must hold at least what the input pipe holds.
	size, err := unix.FcntlInt(uintptr(fd), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		return fail(err)
	}
	priv, err := unix.FcntlInt(uintptr(p.privW), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		return fail(err)
	}
	if priv < size {
		if n, err := unix.FcntlInt(uintptr(p.privW), unix.F_SETPIPE_SZ, size); err == nil {
			priv = n
		}
	}
	// A long line in progress may stay in the input up to a quarter of
	// the smaller pipe (and always the line the actions see): the rest of
	// each read is new data, and the writer is never stopped by us.
	p.keepMax = int64(max(min(size, priv)/4, LineMax+1))
	if n, err := unix.Open("/dev/null", unix.O_WRONLY|unix.O_CLOEXEC, 0); err == nil {
		p.null = n
	}
	if p.ep, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return fail(err)
	}
	// Edge-triggered: the input holds bytes we keep, so it is always
	// readable; each write to it still reports an event (Linux wakes
	// pipe readers on every write once the pipe has been polled).
	if err := unix.EpollCtl(p.ep, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET, Fd: int32(fd)}); err != nil {
		return fail(err)
	}
	for _, k := range []int{p.rd, p.kr} {
		if err := unix.EpollCtl(p.ep, unix.EPOLL_CTL_ADD, k, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(k)}); err != nil {
			return fail(err)
		}
	}
	p.sigio = make(chan os.Signal, 1)
	p.stop = make(chan struct{})
	p.stopped = make(chan struct{})
	signal.Notify(p.sigio, unix.SIGIO)
	go func() {
		defer close(p.stopped)
		for {
			select {
			case <-p.sigio:
				unix.Write(p.kw, []byte{0})
			case <-p.stop:
				return
			}
		}
	}()
	return p, nil
}

// Wake makes a waiting (or the next) Read return ErrWake.
func (p *PipeInput) Wake() { unix.Write(p.wr, []byte{0}) }

// Close releases everything but fd itself.
func (p *PipeInput) Close() {
	p.disarm()
	if p.sigio != nil {
		signal.Stop(p.sigio)
		close(p.stop)
		<-p.stopped // it writes to kw: close that after
		p.sigio = nil
	}
	for _, fd := range []int{p.privR, p.privW, p.null, p.wr, p.rd, p.kw, p.kr, p.ep} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	p.privR, p.privW, p.null, p.wr, p.rd, p.kw, p.kr, p.ep = -1, -1, -1, -1, -1, -1, -1, -1
}

// arm asks for SIGIO on each write to the input. Epoll alone misses one:
// a write that finds the pipe not empty (our kept bytes) and fills it
// sleeps without waking the reader, so it would wait for us while we wait
// for it; Linux sends the owner's SIGIO before such a writer sleeps.
func (p *PipeInput) arm() error {
	if p.armed {
		return nil
	}
	fl, err := unix.FcntlInt(uintptr(p.fd), unix.F_GETFL, 0)
	if err != nil {
		return err
	}
	if _, err := unix.FcntlInt(uintptr(p.fd), unix.F_SETOWN, unix.Getpid()); err != nil {
		return err
	}
	if _, err := unix.FcntlInt(uintptr(p.fd), unix.F_SETFL, fl|unix.O_ASYNC); err != nil {
		return err
	}
	p.flags, p.armed = fl&^unix.O_ASYNC, true
	return nil
}

// disarm stops the SIGIOs (while we read, they would only cost time).
func (p *PipeInput) disarm() {
	if p.armed {
		unix.FcntlInt(uintptr(p.fd), unix.F_SETFL, p.flags)
		p.armed = false
	}
}

// Read returns input bytes that follow those handed out before, leaving
// them in the input pipe; it waits until there are some, or Wake is called.
func (p *PipeInput) Read(b []byte) (int, error) {
	defer p.disarm()
	hup := false
	for {
		kept := int(p.handed - p.dropped)
		t, err := unix.Tee(p.fd, p.privW, kept+len(b), unix.SPLICE_F_NONBLOCK)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			t = 0 // empty, with a writer
		case err != nil:
			return 0, err
		case t == 0:
			return 0, io.EOF // empty, and no writer
		}
		if int(t) > kept {
			if _, err := p.drain(p.privR, kept); err != nil {
				return 0, err
			}
			n, err := readFull(p.privR, b[:int(t)-kept])
			if err != nil {
				return 0, err
			}
			p.handed += int64(n)
			return n, nil
		}
		if t > 0 {
			// Only what we keep: nothing new.
			if _, err := p.drain(p.privR, int(t)); err != nil {
				return 0, err
			}
			if hup {
				return 0, io.EOF
			}
			if p.hungUp() {
				// Look once more: the last writer may have
				// written just before it went.
				hup = true
				continue
			}
			if !p.armed && !p.noAsync {
				// Look once more once armed: a writer may
				// have filled the pipe and slept before.
				if p.arm() != nil {
					p.noAsync = true // look every 100 ms instead
				}
				continue
			}
		}
		timeout := -1
		if t > 0 && p.noAsync {
			timeout = 100
		}
		if err := p.wait(timeout); err != nil {
			return 0, err
		}
	}
}

// hungUp reports whether the input has no writer left.
func (p *PipeInput) hungUp() bool {
	fds := []unix.PollFd{{Fd: int32(p.fd), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, 0)
		if err != unix.EINTR {
			return err == nil && fds[0].Revents&unix.POLLHUP != 0
		}
	}
}

// wait blocks until something is written to the input, it hangs up, or
// Wake is called (ErrWake), or for at most timeout ms (unless -1).
func (p *PipeInput) wait(timeout int) error {
	var ev [3]unix.EpollEvent
	for {
		n, err := unix.EpollWait(p.ep, ev[:], timeout)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		woken := false
		for _, e := range ev[:n] {
			var junk [64]byte
			switch int(e.Fd) {
			case p.rd:
				unix.Read(p.rd, junk[:])
				woken = true
			case p.kr:
				unix.Read(p.kr, junk[:])
			}
		}
		if woken {
			return ErrWake
		}
		return nil
	}
}

// Consume drops from the input pipe what the Logger has logged (see Keeper).
func (p *PipeInput) Consume(written, line int64) {
	to := line
	if written-line > p.keepMax {
		to = written
	}
	if n := to - p.dropped; n > 0 {
		// These bytes are in the pipe (we have read copies of them), so
		// dropping them cannot block; a failure leaves the rest to be
		// read again, which at worst duplicates them.
		m, _ := p.drain(p.fd, int(n))
		p.dropped += int64(m)
	}
}

// drain removes n bytes from the head of pipe fd; it returns how many it
// removed, which is n unless there is an error.
func (p *PipeInput) drain(fd, n int) (int, error) {
	want := n
	for n > 0 {
		if p.null >= 0 {
			m, err := unix.Splice(fd, nil, p.null, nil, n, 0)
			if err == unix.EINTR {
				continue
			}
			if err == nil && m > 0 {
				n -= int(m)
				continue
			}
			if err == nil {
				return want - n, io.ErrUnexpectedEOF
			}
			unix.Close(p.null) // no splice to /dev/null here: read instead
			p.null = -1
		}
		if p.scratch == nil {
			p.scratch = make([]byte, 64<<10)
		}
		m, err := readFull(fd, p.scratch[:min(n, len(p.scratch))])
		n -= m
		if err != nil {
			return want - n, err
		}
	}
	return want, nil
}

// readFull reads len(b) bytes that are known to be in pipe fd.
func readFull(fd int, b []byte) (int, error) {
	done := 0
	for done < len(b) {
		m, err := unix.Read(fd, b[done:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return done, err
		}
		if m == 0 {
			return done, io.ErrUnexpectedEOF
		}
		done += m
	}
	return done, nil
}
