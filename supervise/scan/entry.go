package scan

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// fileKey identifies a service directory as daemontools does: by device
// and inode, so a renamed directory keeps its supervise and its pipe.
type fileKey struct{ dev, ino uint64 }

// entry is one service directory being supervised.
type entry struct {
	key    fileKey
	name   string
	active bool // seen by the current scan
	hasLog bool
	main   supervisor // supervise NAME, nil if not running
	log    supervisor // supervise log (in NAME), nil if not running
	r, w   *os.File   // the log pipe

	// Orderly stop.
	downSent   bool      // "dx" delivered to supervise NAME
	exitSent   bool      // "x" delivered to supervise NAME/log
	exitAt     time.Time // when "x" was delivered
	killSent   bool      // "dx" delivered to supervise NAME/log after LogGrace
	failSince  time.Time // first failed delivery, for one warning
	failWarned bool
}

// pending is a directory created in the scan dir (mkdir) that is probably
// still being filled: it is started once it holds a run file and has been
// quiet for Settle, so a log/ made right after run is not missed.
type pending struct {
	wd    int32
	born  time.Time
	last  time.Time // last change seen inside it
	watch bool      // wd is valid
}

// lookupName finds the entry whose directory is called name now.
func (s *Scanner) lookupName(name string) *entry {
	k, ok := s.keyOf(name)
	if !ok {
		return nil
	}
	return s.lookup(k)
}

func (s *Scanner) keyOf(name string) (fileKey, bool) {
	var st unix.Stat_t
	if unix.Stat(s.path(name), &st) != nil {
		return fileKey{}, false
	}
	return fileKey{uint64(st.Dev), st.Ino}, true
}

func (s *Scanner) lookup(k fileKey) *entry {
	for _, e := range s.entries {
		if e.key == k {
			return e
		}
	}
	return nil
}

// running counts the supervisors still alive.
func (s *Scanner) running() int {
	n := 0
	for _, e := range s.entries {
		if e.main != nil {
			n++
		}
		if e.log != nil {
			n++
		}
	}
	return n
}
