package scan

import (
	"os"

	"golang.org/x/sys/unix"
)

// Masks: on the scan directory, a new entry (mkdir, symlink, rename into
// it); on a service directory still being filled, anything that shows it
// is still changing.
const (
	maskScanDir    = unix.IN_CREATE | unix.IN_MOVED_TO
	maskServiceDir = unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_ATTRIB | unix.IN_CLOSE_WRITE | unix.IN_DELETE
	maskIsDir      = unix.IN_ISDIR
	maskMovedTo    = unix.IN_MOVED_TO
	maskOverflow   = unix.IN_Q_OVERFLOW
	maskIgnored    = unix.IN_IGNORED
)

// watcher is an inotify descriptor read by one goroutine that posts batches
// of events on C. Watches are added and removed from the scanner's loop.
type watcher struct {
	fd int
	f  *os.File
	C  chan []inotifyEvent
}

func newWatcher() (*watcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, err
	}
	w := &watcher{fd: fd, f: os.NewFile(uintptr(fd), "inotify"), C: make(chan []inotifyEvent, 16)}
	go w.read()
	return w, nil
}

func (w *watcher) add(path string, mask uint32) (int32, error) {
	wd, err := unix.InotifyAddWatch(w.fd, path, mask)
	return int32(wd), err
}

func (w *watcher) remove(wd int32) {
	unix.InotifyRmWatch(w.fd, uint32(wd))
}

// read runs until the descriptor is closed. A read error other than a
// closed file ends the goroutine too: the scanner then relies on its
// periodic rescan, as daemontools does.
func (w *watcher) read() {
	buf := make([]byte, 64*1024)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			close(w.C)
			return
		}
		evs, _ := parseInotify(buf[:n])
		if len(evs) > 0 {
			w.C <- evs
		}
	}
}

func (w *watcher) close() {
	w.f.Close()
	// Let the reader go if it is blocked on a full channel.
	go func() {
		for range w.C {
		}
	}()
}
