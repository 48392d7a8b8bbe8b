// Package tai64n encodes and decodes TAI64N timestamps as daemontools uses
// them: the 12-byte packed form at the start of supervise/status, and the
// 25-character external label "@4000000000000000xxxxxxxx" of multilog and
// tai64n.
//
// Like libtai, a Unix time u maps to TAI64 second 2^62 + 10 + u (the fixed
// 10-second TAI-UTC offset of 1970; leap seconds since are not added).
package tai64n

import "time"

// Offset is the TAI64 label of the Unix epoch.
const Offset = uint64(1)<<62 + 10

// PackedSize is the size of a packed TAI64N stamp; LabelSize that of "@" plus
// 24 hex digits.
const (
	PackedSize = 12
	LabelSize  = 25
)

// Stamp is a TAI64N moment: a TAI64 second label and nanoseconds.
type Stamp struct {
	Sec  uint64
	Nano uint32
}

// FromTime converts a Go time.
func FromTime(t time.Time) Stamp {
	return Stamp{Sec: Offset + uint64(t.Unix()), Nano: uint32(t.Nanosecond())}
}

// Now is FromTime(time.Now()).
func Now() Stamp { return FromTime(time.Now()) }

// Time converts back to a Go time.
func (s Stamp) Time() time.Time {
	return time.Unix(int64(s.Sec-Offset), int64(s.Nano))
}

// Pack writes the 12-byte big-endian form into b[:12].
func (s Stamp) Pack(b []byte) {
	_ = b[11]
	for i := 7; i >= 0; i-- {
		b[i] = byte(s.Sec >> (8 * (7 - i)))
	}
	b[8] = byte(s.Nano >> 24)
	b[9] = byte(s.Nano >> 16)
	b[10] = byte(s.Nano >> 8)
	b[11] = byte(s.Nano)
}

// Unpack reads the 12-byte form from b[:12].
func Unpack(b []byte) Stamp {
	_ = b[11]
	var s Stamp
	for i := 0; i < 8; i++ {
		s.Sec = s.Sec<<8 | uint64(b[i])
	}
	s.Nano = uint32(b[8])<<24 | uint32(b[9])<<16 | uint32(b[10])<<8 | uint32(b[11])
	return s
}

const hexDigits = "0123456789abcdef"

// AppendLabel appends "@" and 24 lower-case hex digits to b.
func (s Stamp) AppendLabel(b []byte) []byte {
	var p [PackedSize]byte
	s.Pack(p[:])
	b = append(b, '@')
	for _, c := range p {
		b = append(b, hexDigits[c>>4], hexDigits[c&15])
	}
	return b
}

// Label returns the 25-character external form.
func (s Stamp) Label() string { return string(s.AppendLabel(make([]byte, 0, LabelSize))) }

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// ParseLabel reads a label from the start of b: "@" followed by exactly 24
// hex digits. It reports false when b does not start with a whole label.
func ParseLabel(b []byte) (Stamp, bool) {
	if len(b) < LabelSize || b[0] != '@' {
		return Stamp{}, false
	}
	var p [PackedSize]byte
	for i := 0; i < PackedSize; i++ {
		hi, ok1 := unhex(b[1+2*i])
		lo, ok2 := unhex(b[2+2*i])
		if !ok1 || !ok2 {
			return Stamp{}, false
		}
		p[i] = hi<<4 | lo
	}
	return Unpack(p[:]), true
}
