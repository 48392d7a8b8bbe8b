package scan

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/supervise/svdir"
)

// youngPending: a periodic scan leaves younger new dirs to the settle
// logic (notice.go).
const youngPending = time.Second

// scan is one pass of daemontools' doit(): every subdirectory gets its
// supervise (and its logger's), entries whose directory is gone and whose
// supervise processes have exited are forgotten.
func (s *Scanner) scan() {
	s.lastScan = time.Now()
	s.fds.recount()
	s.collect()
	for _, e := range s.entries {
		e.active = false
	}
	names, err := readNames(s.cfg.Dir)
	if err != nil {
		s.warn("unable to read directory: ", err)
		// As daemontools: keep every entry (active or not) until a scan
		// succeeds.
		for _, e := range s.entries {
			e.active = true
		}
	} else {
		now := time.Now()
		for _, name := range names {
			if p, ok := s.pending[name]; ok && now.Sub(p.born) < youngPending {
				// Being filled right now: the settle logic starts it. Keep
				// an existing entry alive meanwhile.
				if e := s.lookupName(name); e != nil {
					e.active = true
				}
				continue
			}
			s.dropPending(name)
			s.start(name)
		}
	}
	for _, e := range s.entries {
		if !e.active {
			// Gone from the scan dir: an all-in-one supervisor checks
			// whether its files are still reachable (a supervise process
			// watches the scan dir itself).
			for _, sup := range []supervisor{e.main, e.log} {
				if sup != nil {
					sup.checkDir()
				}
			}
		}
	}
	s.sweep()
	s.reportNoFds()
	s.scanDone()
}

// readNames lists dir without "." and "..", in directory order.
func readNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

// start is daemontools' start(fn): name gets an entry if it is a new
// directory, and its supervise processes are started if they are not
// running. It reports whether name is a service directory (now known).
func (s *Scanner) start(name string) bool {
	if name == "" || name[0] == '.' {
		return false
	}
	var st unix.Stat_t
	if err := unix.Stat(s.path(name), &st); err != nil {
		s.warn("unable to stat ", name, ": ", err)
		return false
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return false
	}
	k := fileKey{uint64(st.Dev), st.Ino}
	e := s.lookup(k)
	if e == nil {
		if len(s.entries) >= s.cfg.MaxServices {
			s.warn("unable to start ", name, ": running too many services")
			return false
		}
		e = &entry{key: k}
		hasLog, err := s.logDir(name)
		if err != nil {
			s.warn("unable to stat ", name, "/log: ", err)
			return false
		}
		if hasLog && !s.recoverPipe(e, name) {
			if !s.fds.take(2) {
				s.startFailed(name, syscall.EMFILE)
				return false
			}
			if err := s.openPipe(e); err != nil {
				s.pipeFailed(name, err)
				return false
			}
		}
		s.entries = append(s.entries, e)
		if s.cfg.Observer != nil {
			s.cfg.Observer.Added(name)
		}
	}
	e.name = name
	e.active = true
	if s.stopping {
		return true
	}
	if e.main == nil {
		if !e.hasLog && e.log == nil {
			// Not in daemontools: a log/ made after the service was
			// first seen is picked up when its supervise is (re)started.
			if hasLog, err := s.logDir(name); err == nil && hasLog {
				if err := s.openPipe(e); err != nil {
					s.pipeFailed(name, err)
				}
			}
		}
		s.startMain(e)
	}
	if e.hasLog && e.log == nil {
		s.startLog(e)
	}
	return true
}

// logDir reports whether name/log is a directory.
func (s *Scanner) logDir(name string) (bool, error) {
	var st unix.Stat_t
	err := unix.Stat(filepath.Join(s.path(name), svdir.Log), &st)
	if err == unix.ENOENT {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return st.Mode&unix.S_IFMT == unix.S_IFDIR, nil
}

// sweep forgets inactive entries with no supervise left and closes their
// pipe, as daemontools does at the end of a scan.
func (s *Scanner) sweep() {
	s.entries = slices.DeleteFunc(s.entries, func(e *entry) bool {
		if !e.active && e.main == nil && e.log == nil {
			s.closePipe(e)
			if s.cfg.Observer != nil {
				s.cfg.Observer.Forgotten(e.name)
			}
			return true
		}
		return false
	})
}

// scanDone tells the observer which services the scan found.
func (s *Scanner) scanDone() {
	if s.cfg.Observer == nil {
		return
	}
	names := make([]string, 0, len(s.entries))
	for _, e := range s.entries {
		if e.active {
			names = append(names, e.name)
		}
	}
	slices.Sort(names)
	s.cfg.Observer.ScanDone(names)
}
