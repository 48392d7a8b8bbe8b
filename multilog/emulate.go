package multilog

import "bytes"

// The original multilog hands its output to each directory through a
// 512-byte buffer that it flushes when full and whenever it is about to
// read more input (it reads 1024 bytes at a time); each flush goes to
// c_write, which decides where current is cut: once current is within 2000
// bytes of the size limit, a write is shortened to its last newline, and
// current is finished when a write leaves it at or past that mark ending
// in a newline; a write never takes current past the limit itself.
//
// We write in much larger blocks, but we replay those buffer and c_write
// steps on byte counts (no copying, no system calls), so the files are cut
// at exactly the places the original cuts them for the same input read in
// the same pieces. emulate.go holds that replay.

const (
	origBuf    = 512  // the original's per-directory output buffer
	origInBuf  = 1024 // its input buffer
	origOutMax = 8192 // BUFFER_OUTSIZE, the direct-write chunk of buffer_put
	nearEnd    = 2000
	// writeAhead is how much output we keep before writing it for real.
	writeAhead = 256 << 10
)

// cwrite replays the original's allwrite(c_write) over the chunk of out that
// starts a bytes and ends b bytes before the end of out.
func (d *logDir) cwrite(a, b int) {
	size := d.spec.Size
	for a > b {
		start := len(d.out) - a
		if d.bytes >= size {
			d.rotate(start)
			start = len(d.out) - a
		}
		n := a - b
		if uint64(n) >= size-d.bytes {
			n = int(size - d.bytes)
		}
		if d.bytes+uint64(n) >= size-nearEnd {
			if w := bytes.LastIndexByte(d.out[start:start+n], '\n'); w >= 0 {
				n = w + 1
			}
		}
		d.bytes += uint64(n)
		a -= n
		if d.bytes >= size-nearEnd && d.out[start+n-1] == '\n' {
			d.rotate(start + n)
		}
	}
}

// vflush replays buffer_flush.
func (d *logDir) vflush() {
	if d.p > 0 {
		p := d.p
		d.p = 0
		d.cwrite(p, 0)
	}
	if len(d.out)-d.wpos >= writeAhead {
		d.writeOut(len(d.out) - d.p)
	}
}

// vput replays buffer_put of the l bytes just appended to out.
func (d *logDir) vput(l int) {
	if l <= origBuf-d.p {
		d.p += l
		return
	}
	if d.p > 0 {
		p := d.p
		d.p = 0
		d.cwrite(p+l, l)
	}
	if l > origBuf {
		// Written directly, in pieces of at most 8192 bytes.
		for l > origBuf {
			n := min(l, origOutMax)
			d.cwrite(l, l-n)
			l -= n
		}
	}
	d.p = l
	if len(d.out)-d.wpos >= writeAhead {
		d.writeOut(len(d.out) - d.p)
	}
}

// vputc replays buffer_PUTC for each of the l bytes just appended to out.
func (d *logDir) vputc(l int) {
	for l > 0 {
		if d.p == origBuf {
			// Flush the full buffer, which ends l bytes before the end.
			d.p = 0
			d.cwrite(origBuf+l, l)
		}
		n := min(l, origBuf-d.p)
		d.p += n
		l -= n
	}
	if len(d.out)-d.wpos >= writeAhead {
		d.writeOut(len(d.out) - d.p)
	}
}
