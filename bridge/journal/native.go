// Package journal is systemd-journald's protocol, without go-systemd or
// the net package, so the lean supervise binary can link it: entries with
// the native protocol (a datagram of KEY=value fields to
// /run/systemd/journal/socket, or a sealed memfd passed with SCM_RIGHTS
// when an entry is too big for a datagram), stdout streams
// (/run/systemd/journal/stdout) and lines copied into entries. It knows
// nothing of supervise: what supervise's events become is package
// bridge/journalobs; journaltest is a fake journald for tests.
package journal

import (
	"encoding/binary"
	"errors"
	"strings"
)

// Socket paths of journald: the default of every sender here, which takes
// the path as a parameter (tests pass sockets of their own).
const (
	SocketPath = "/run/systemd/journal/socket"
	StreamPath = "/run/systemd/journal/stdout"
)

// Field is one field of an entry. Name must match [A-Z0-9_]+ and must not
// begin with '_' (journald keeps those for itself); Value may hold any bytes.
type Field struct {
	Name, Value string
}

// ErrFieldName is returned for a field name journald would reject.
var ErrFieldName = errors.New("invalid journal field name")

// ValidName tells whether journald accepts name as a user field name.
func ValidName(name string) bool {
	if name == "" || len(name) > 64 || name[0] == '_' || (name[0] >= '0' && name[0] <= '9') {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// Encode appends the native-protocol form of fields to buf: NAME=value\n for
// a value without a newline, else NAME\n, the value's length as 64-bit
// little-endian, the value and \n.
func Encode(buf []byte, fields []Field) ([]byte, error) {
	for _, f := range fields {
		if !ValidName(f.Name) {
			return buf, ErrFieldName
		}
		buf = append(buf, f.Name...)
		if strings.IndexByte(f.Value, '\n') < 0 {
			buf = append(buf, '=')
			buf = append(buf, f.Value...)
		} else {
			buf = append(buf, '\n')
			buf = binary.LittleEndian.AppendUint64(buf, uint64(len(f.Value)))
			buf = append(buf, f.Value...)
		}
		buf = append(buf, '\n')
	}
	return buf, nil
}

// Decode parses the native-protocol form back into fields. It is what
// journald does with a datagram; the tests and the fuzzer use it.
func Decode(b []byte) ([]Field, error) {
	var out []Field
	for len(b) > 0 {
		nl := -1
		eq := -1
		for i, c := range b {
			if c == '=' && eq < 0 {
				eq = i
			}
			if c == '\n' {
				nl = i
				break
			}
		}
		if nl < 0 {
			return out, errors.New("journal: entry not terminated by a newline")
		}
		if eq >= 0 && eq < nl {
			out = append(out, Field{string(b[:eq]), string(b[eq+1 : nl])})
			b = b[nl+1:]
			continue
		}
		name := string(b[:nl])
		b = b[nl+1:]
		if len(b) < 8 {
			return out, errors.New("journal: short binary field length")
		}
		n := binary.LittleEndian.Uint64(b)
		b = b[8:]
		if n > uint64(len(b)) || uint64(len(b))-n < 1 {
			return out, errors.New("journal: binary field longer than the entry")
		}
		if b[n] != '\n' {
			return out, errors.New("journal: binary field not followed by a newline")
		}
		out = append(out, Field{name, string(b[:n])})
		b = b[n+1:]
	}
	return out, nil
}

// Syslog priorities (the PRIORITY field).
const (
	PriErr     = 3
	PriWarning = 4
	PriNotice  = 5
	PriInfo    = 6
)
