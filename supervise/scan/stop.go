package scan

import (
	"errors"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/svbridge/svbridge/supervise/svctl"
	"github.com/svbridge/svbridge/supervise/svdir"
)

const (
	forceGrace       = 3 * time.Second // after the kill, how long svscan waits at most for what it killed to end
	unreachableAfter = time.Second     // FIFO failures this long make svscan signal a supervise itself
)

// stopStep moves the orderly stop on: "dx" to every service's supervise;
// once a service's supervise has exited, the scanner's write end of the
// pipe is closed and its logger's supervise gets "x", so the logger reads
// up to end of file, exits, and is not restarted; a logger that has not
// finished after LogGrace gets "dx". A supervise that its FIFO cannot
// reach is signalled directly; StopLimit after SIGTERM, whatever is left
// is killed.
func (s *Scanner) stopStep(now time.Time) {
	if s.forcedAt.IsZero() && now.Sub(s.stopAt) >= s.cfg.StopLimit {
		s.force(now)
	}
	for _, e := range s.entries {
		if e.main != nil {
			if !e.downSent {
				e.downSent = s.control(e, e.main, e.name, "dx", now)
			}
			continue
		}
		s.closeWrite(e)
		if e.log == nil {
			s.closePipe(e)
			continue
		}
		log := filepath.Join(e.name, svdir.Log)
		switch {
		case !e.exitSent:
			if s.control(e, e.log, log, "x", now) {
				e.exitSent, e.exitAt = true, now
			}
		case !e.killSent && now.Sub(e.exitAt) >= s.cfg.LogGrace:
			e.killSent = s.control(e, e.log, log, "dx", now)
		}
	}
}

// force ends what is left after StopLimit: in all-in-one mode, each
// supervisor kills its service and exits; otherwise each supervise
// process and its children get SIGKILL.
func (s *Scanner) force(now time.Time) {
	s.forcedAt = now
	n := s.running()
	if n == 0 {
		return
	}
	s.warn("stop took longer than ", s.cfg.StopLimit.String(), ": killing ", strconv.Itoa(n), " supervise left")
	for _, e := range s.entries {
		for _, sup := range []supervisor{e.main, e.log} {
			if sup != nil {
				s.killed = append(s.killed, sup.signal(syscall.SIGKILL)...)
			}
		}
	}
}

// control sends cmds to sup, the supervise of dir (relative to the scan
// dir). A supervise that has only just started may not have opened its
// FIFO yet: failures are retried by the caller and reported once, after a
// second; then, as the FIFO cannot reach it (directory gone, no
// descriptors left), its children and then the supervise itself get
// SIGTERM, and the command counts as delivered.
func (s *Scanner) control(e *entry, sup supervisor, dir, cmds string, now time.Time) bool {
	err := sup.control(s.path(dir), []byte(cmds))
	if err == nil {
		e.failSince = time.Time{}
		return true
	}
	if e.failSince.IsZero() {
		e.failSince = now
	} else if now.Sub(e.failSince) >= unreachableAfter {
		if !e.failWarned {
			e.failWarned = true
			var ce *svctl.Error
			if errors.As(err, &ce) {
				err = ce.Err
			}
			s.warn("unable to control ", dir, ": ", err)
		}
		if s.stopping {
			e.failSince = time.Time{}
			sup.signal(syscall.SIGTERM)
			return true
		}
	}
	return false
}
