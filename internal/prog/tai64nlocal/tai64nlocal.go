// Package tai64nlocal is the tai64nlocal program: it replaces the TAI64N
// label at the start of a line with the local time it stands for, as
// "YYYY-MM-DD HH:MM:SS.nnnnnnnnn". Lines that do not start with a whole
// label pass through unchanged. (The original crashes on a short or non-hex
// label, and drops a label cut off by the end of input.)
package tai64nlocal

import (
	"bytes"
	"strconv"
	"time"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/tai64n"
)

const prog = "tai64nlocal"

// Main runs tai64nlocal.
func Main(e *cli.Env) int {
	c := &Converter{Loc: time.Local}
	return cli.Filter(e, prog, func(out, in []byte, eof bool) []byte {
		out = c.Convert(out, in)
		if eof {
			out = c.Flush(out)
		}
		return out
	})
}

// Converter converts a stream given in pieces.
type Converter struct {
	Loc     *time.Location
	pending []byte // the start of a line, shorter than a label, no newline
	midLine bool   // the next byte is not the first of a line
}

// Convert appends the converted form of data to out. Up to 24 bytes at the
// start of a line may be held back until the label is complete.
func (c *Converter) Convert(out, data []byte) []byte {
	for len(data) > 0 {
		if c.midLine {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				return append(out, data...)
			}
			out = append(out, data[:i+1]...)
			data = data[i+1:]
			c.midLine = false
			continue
		}
		// At a line start: gather up to a label's length.
		need := tai64n.LabelSize - len(c.pending)
		take := min(need, len(data))
		if i := bytes.IndexByte(data[:take], '\n'); i >= 0 {
			// The line ends before a label could: as is.
			out = append(append(out, c.pending...), data[:i+1]...)
			c.pending = c.pending[:0]
			data = data[i+1:]
			continue
		}
		if len(c.pending) == 0 && take == tai64n.LabelSize {
			out = AppendLine(out, data[:take], c.Loc)
		} else {
			c.pending = append(c.pending, data[:take]...)
			if len(c.pending) < tai64n.LabelSize {
				return out
			}
			out = AppendLine(out, c.pending, c.Loc)
			c.pending = c.pending[:0]
		}
		data = data[take:]
		c.midLine = true
	}
	return out
}

// Flush appends what is held back at the end of input, unchanged.
func (c *Converter) Flush(out []byte) []byte {
	out = append(out, c.pending...)
	c.pending = c.pending[:0]
	return out
}

// maxDelta bounds the seconds we convert (about 34000 years either way of
// 1970); labels beyond pass through unchanged.
const maxDelta = 1 << 40

// AppendLine appends the local time that the 25 bytes of head stand for if
// they are a label, or head unchanged.
func AppendLine(out, head []byte, loc *time.Location) []byte {
	s, ok := tai64n.ParseLabel(head)
	if !ok {
		return append(out, head...)
	}
	d := int64(s.Sec - tai64n.Offset)
	if d > maxDelta || d < -maxDelta {
		return append(out, head...)
	}
	t := time.Unix(d, 0).In(loc)
	year, month, day := t.Date()
	if year < 0 {
		return append(out, head...)
	}
	hh, mm, ss := t.Clock()
	out = strconv.AppendInt(out, int64(year), 10)
	out = append(out, '-')
	out = pad(out, int(month), 2)
	out = append(out, '-')
	out = pad(out, day, 2)
	out = append(out, ' ')
	out = pad(out, hh, 2)
	out = append(out, ':')
	out = pad(out, mm, 2)
	out = append(out, ':')
	out = pad(out, ss, 2)
	out = append(out, '.')
	return pad(out, int(s.Nano), 9)
}

// pad appends v in decimal with at least width digits.
func pad(out []byte, v, width int) []byte {
	var b [20]byte
	s := strconv.AppendInt(b[:0], int64(v), 10)
	for i := len(s); i < width; i++ {
		out = append(out, '0')
	}
	return append(out, s...)
}
