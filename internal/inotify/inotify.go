// Package inotify is Linux's inotify(7) for svbridge: the decoding of the
// records read(2) returns, and a Watcher whose reads sleep in Go's runtime
// poller. It links only golang.org/x/sys, so the lean supervise binary can
// use it: svscan (new entries in the scan directory), supervise (the
// removal of its own directory), svscan's systemd notifier (status files
// renamed into place) and `svbridge wait` all read their events here.
package inotify

import (
	"encoding/binary"
	"errors"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Event is one record read from an inotify descriptor.
type Event struct {
	Wd   int32  // the watch it is about; -1 for a queue overflow
	Mask uint32 // IN_* bits
	Name string // the entry's name inside the watched directory; "" for the directory itself
}

// Overflow tells whether the kernel's queue overflowed: events were lost,
// so whatever the watcher follows must be looked at again.
func (e Event) Overflow() bool { return e.Mask&unix.IN_Q_OVERFLOW != 0 }

// Ignored tells whether the watch is gone (removed, or its directory
// deleted or unmounted): it must be added again to go on watching.
func (e Event) Ignored() bool { return e.Mask&unix.IN_IGNORED != 0 }

// HeaderSize is the size of struct inotify_event before its name.
const HeaderSize = unix.SizeofInotifyEvent

// MinBuffer is the smallest read buffer that holds any one event: a header
// and the longest name with its NUL. Smaller buffers make read(2) fail.
const MinBuffer = HeaderSize + unix.NAME_MAX + 1

// ErrTruncated: a buffer ends inside a record.
var ErrTruncated = errors.New("truncated inotify event")

// Parse decodes a buffer returned by read(2) on an inotify descriptor:
// records of wd (int32), mask, cookie, len (uint32, host byte order)
// followed by len bytes of NUL-padded name. A record cut short is
// ErrTruncated; the records before it are returned.
func Parse(buf []byte) ([]Event, error) {
	var evs []Event
	for len(buf) > 0 {
		if len(buf) < HeaderSize {
			return evs, ErrTruncated
		}
		wd := int32(binary.NativeEndian.Uint32(buf[0:4]))
		mask := binary.NativeEndian.Uint32(buf[4:8])
		n := binary.NativeEndian.Uint32(buf[12:16])
		buf = buf[HeaderSize:]
		if uint64(n) > uint64(len(buf)) {
			return evs, ErrTruncated
		}
		name := buf[:n]
		for i, c := range name {
			if c == 0 {
				name = name[:i]
				break
			}
		}
		evs = append(evs, Event{Wd: wd, Mask: mask, Name: string(name)})
		buf = buf[n:]
	}
	return evs, nil
}

// Watcher is one inotify descriptor. Add and Remove may be called from any
// goroutine; Read (or the goroutine of Events) is for one reader.
type Watcher struct {
	fd int
	f  *os.File

	once sync.Once
	c    chan []Event // made by Events
}

// New opens an inotify descriptor (close-on-exec, non-blocking: reads
// wait in the runtime's poller, not in a thread).
func New() (*Watcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, err
	}
	return &Watcher{fd: fd, f: os.NewFile(uintptr(fd), "inotify")}, nil
}

// Add watches path for the events in mask and returns the watch's
// descriptor, the Wd of its events.
func (w *Watcher) Add(path string, mask uint32) (int32, error) {
	wd, err := unix.InotifyAddWatch(w.fd, path, mask)
	return int32(wd), err
}

// Remove drops a watch (its last event is an IN_IGNORED).
func (w *Watcher) Remove(wd int32) error {
	_, err := unix.InotifyRmWatch(w.fd, uint32(wd))
	return err
}

// Read waits for events and returns those of one read(2) into buf (at
// least MinBuffer bytes). It fails once the Watcher is closed.
func (w *Watcher) Read(buf []byte) ([]Event, error) {
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			return nil, err
		}
		evs, err := Parse(buf[:n])
		if len(evs) > 0 || err != nil {
			return evs, err
		}
	}
}

// ReadTimeout is Read waiting at most d; when no event came by then, it
// returns no event and no error.
func (w *Watcher) ReadTimeout(buf []byte, d time.Duration) ([]Event, error) {
	if err := w.f.SetReadDeadline(time.Now().Add(d)); err != nil {
		return nil, err
	}
	evs, err := w.Read(buf)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return nil, nil
	}
	return evs, err
}

// Events starts, on its first call, a goroutine that reads batches of
// events (one read(2) each) and sends them on the returned channel, which
// is closed when reading ends: at Close, or on a read error.
func (w *Watcher) Events() <-chan []Event {
	w.once.Do(func() {
		w.c = make(chan []Event, 16)
		go func() {
			defer close(w.c)
			buf := make([]byte, 64<<10)
			for {
				evs, err := w.Read(buf)
				if len(evs) > 0 {
					w.c <- evs
				}
				if err != nil && !errors.Is(err, ErrTruncated) {
					return
				}
			}
		}()
	})
	return w.c
}

// Close releases the descriptor and ends the goroutine of Events, even
// when nobody receives from its channel any more.
func (w *Watcher) Close() error {
	err := w.f.Close()
	w.once.Do(func() {}) // no goroutine after Close
	if w.c != nil {
		go func() {
			for range w.c {
			}
		}()
	}
	return err
}
