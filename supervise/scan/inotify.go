package scan

import (
	"encoding/binary"
	"errors"
)

// inotifyEvent is one record read from an inotify descriptor.
type inotifyEvent struct {
	Wd   int32
	Mask uint32
	Name string // the entry's name inside the watched directory; "" for the directory itself
}

// inotifyHeader is the size of struct inotify_event before its name.
const inotifyHeader = 16

var errShortEvent = errors.New("truncated inotify event")

// parseInotify decodes a buffer returned by read(2) on an inotify
// descriptor: records of wd (int32), mask, cookie, len (uint32, host byte
// order) followed by len bytes of NUL-padded name. A record cut short is an
// error; the records before it are returned.
func parseInotify(buf []byte) ([]inotifyEvent, error) {
	var evs []inotifyEvent
	for len(buf) > 0 {
		if len(buf) < inotifyHeader {
			return evs, errShortEvent
		}
		wd := int32(binary.NativeEndian.Uint32(buf[0:4]))
		mask := binary.NativeEndian.Uint32(buf[4:8])
		n := binary.NativeEndian.Uint32(buf[12:16])
		buf = buf[inotifyHeader:]
		if uint64(n) > uint64(len(buf)) {
			return evs, errShortEvent
		}
		name := buf[:n]
		for i, c := range name {
			if c == 0 {
				name = name[:i]
				break
			}
		}
		evs = append(evs, inotifyEvent{Wd: wd, Mask: mask, Name: string(name)})
		buf = buf[n:]
	}
	return evs, nil
}
