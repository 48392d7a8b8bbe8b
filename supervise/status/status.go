// Package status encodes and decodes supervise/status exactly as daemontools
// 0.76 lays it out: 18 bytes, TAI64N of the last change (12), the pid in
// little-endian (4), the paused flag (1) and the want byte 'u', 'd' or 0 (1).
// Status is the record of those bytes as they are (any byte is kept, as
// svstat reads any); supervise writes it as the projection of the status
// model, state.Status.Status18, whose state.Want values are these bytes.
package status

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"

	"github.com/svbridge/svbridge/internal/tai64n"
)

// Size is the length of a daemontools status file.
const Size = 18

// Want byte values.
const (
	WantNone byte = 0
	WantUp   byte = 'u'
	WantDown byte = 'd'
)

// Status is the decoded content of supervise/status.
type Status struct {
	When   tai64n.Stamp // last change of state
	Pid    int          // 0 when the service is down
	Paused bool
	Want   byte // WantNone, WantUp or WantDown
}

// ErrSize is returned by Decode for input that is not exactly Size bytes.
var ErrSize = errors.New("status file is not 18 bytes")

// Encode returns the 18-byte form. As daemontools does, the paused flag is
// written only while there is a pid.
func (s Status) Encode() [Size]byte {
	var b [Size]byte
	s.When.Pack(b[:12])
	p := uint32(s.Pid)
	b[12], b[13], b[14], b[15] = byte(p), byte(p>>8), byte(p>>16), byte(p>>24)
	if s.Paused && s.Pid != 0 {
		b[16] = 1
	}
	b[17] = s.Want
	return b
}

// Decode parses exactly Size bytes. Any byte value is accepted in the paused
// and want positions (non-zero paused means paused), as svstat accepts them.
func Decode(b []byte) (Status, error) {
	if len(b) != Size {
		return Status{}, ErrSize
	}
	return Status{
		When:   tai64n.Unpack(b[:12]),
		Pid:    int(uint32(b[12]) | uint32(b[13])<<8 | uint32(b[14])<<16 | uint32(b[15])<<24),
		Paused: b[16] != 0,
		Want:   b[17],
	}, nil
}

// Write stores s as dir/supervise/status atomically: it writes
// supervise/status.new and renames it over supervise/status, as
// daemontools' announce() does.
func Write(dir string, s Status) error {
	b := s.Encode()
	tmp := filepath.Join(dir, "supervise", "status.new")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b[:]); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	// rename(2) itself, not os.Rename: that one reports EEXIST for a
	// directory in the way, where the original's message says EISDIR.
	to := filepath.Join(dir, "supervise", "status")
	if err := syscall.Rename(tmp, to); err != nil {
		return &os.LinkError{Op: "rename", Old: tmp, New: to, Err: err}
	}
	return nil
}
