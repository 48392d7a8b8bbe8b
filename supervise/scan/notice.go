package scan

import (
	"os"
	"path/filepath"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/internal/inotify"
	"github.com/svbridge/svbridge/supervise/svdir"
)

// Masks: on the scan directory, a new entry (mkdir, symlink, rename into
// it); on a service directory still being filled, anything that shows it
// is still changing.
const (
	maskScanDir    = unix.IN_CREATE | unix.IN_MOVED_TO
	maskServiceDir = unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_ATTRIB | unix.IN_CLOSE_WRITE | unix.IN_DELETE
)

func keepAlive(f *os.File) { runtime.KeepAlive(f) }

// openWatch watches the scan directory for new entries. Without inotify
// the scanner still works, with the periodic rescan only.
func (s *Scanner) openWatch() {
	w, err := inotify.New()
	if err != nil {
		s.warn("unable to watch ", s.cfg.Dir, ": ", err)
		return
	}
	wd, err := w.Add(s.cfg.Dir, maskScanDir)
	if err != nil {
		w.Close()
		s.warn("unable to watch ", s.cfg.Dir, ": ", err)
		return
	}
	s.watch, s.scanWd = w, wd
}

func (s *Scanner) closeWatch() {
	if s.watch != nil {
		s.watch.Close()
		s.watch = nil
	}
}

// watchEvents handles a batch of inotify events.
//
// While stopping, a directory renamed inside the scan dir still gets its
// new name recorded (start starts nothing then), so the "dx" that is
// retried reaches it.
func (s *Scanner) watchEvents(evs []inotify.Event, now time.Time) {
	started := false
	for _, ev := range evs {
		switch {
		case ev.Overflow():
			if !s.stopping {
				s.scan()
			}
			return
		case ev.Wd == s.scanWd:
			if ev.Ignored() {
				s.scanWd = -1 // the scan dir itself went away
				continue
			}
			if s.noticed(ev, now) {
				started = true
			}
		default:
			for _, p := range s.pending {
				if p.watch && p.wd == ev.Wd {
					if ev.Ignored() {
						p.watch = false
					}
					p.last = now
				}
			}
		}
	}
	if started && !s.stopping {
		s.sweep()
		s.scanDone()
	}
}

// noticed handles a new entry in the scan directory. A directory moved in
// or reached through a new symlink is complete: it is started at once. A
// directory just made with mkdir is probably being filled: it waits until
// it has a run file and nothing changed in it for Settle.
func (s *Scanner) noticed(ev inotify.Event, now time.Time) bool {
	name := ev.Name
	if name == "" || name[0] == '.' {
		return false
	}
	if ev.Mask&unix.IN_ISDIR != 0 && ev.Mask&unix.IN_MOVED_TO == 0 && !s.stopping {
		if _, ok := s.pending[name]; ok {
			return false
		}
		p := &pending{born: now, last: now}
		if s.watch != nil {
			if wd, err := s.watch.Add(s.path(name), maskServiceDir); err == nil {
				p.wd, p.watch = wd, true
			}
		}
		s.pending[name] = p
		return false
	}
	s.dropPending(name)
	return s.start(name)
}

// settle starts the pending directories that hold a run file and have been
// quiet for Settle. The others wait for more events or for the periodic
// scan, which starts them whatever they hold, as daemontools would.
func (s *Scanner) settle(now time.Time) {
	started := false
	for name, p := range s.pending {
		if now.Sub(p.last) < s.cfg.Settle {
			continue
		}
		if _, err := os.Stat(filepath.Join(s.path(name), svdir.Run)); err != nil {
			if _, err := os.Lstat(s.path(name)); err != nil {
				s.dropPending(name) // gone again
			} else {
				p.last = now.Add(s.cfg.Interval) // nothing to do until it changes
			}
			continue
		}
		s.dropPending(name)
		if s.start(name) {
			started = true
		}
	}
	if started {
		s.sweep()
		s.scanDone()
	}
}

func (s *Scanner) dropPending(name string) {
	p, ok := s.pending[name]
	if !ok {
		return
	}
	if p.watch && s.watch != nil {
		s.watch.Remove(p.wd)
	}
	delete(s.pending, name)
}
