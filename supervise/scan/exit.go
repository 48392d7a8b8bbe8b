package scan

import (
	"os"

	"github.com/svbridge/svbridge/supervise/svdir"
)

// exited handles the end of a supervisor. One that no entry has any more
// (already noted by collect) is ignored.
func (s *Scanner) exited(sup supervisor) {
	for _, e := range s.entries {
		switch sup {
		case e.main:
			e.main = nil
			sup.release()
			if s.stopping {
				s.closeWrite(e)
			}
			s.lost(e.name)
			return
		case e.log:
			e.log = nil
			sup.release()
			s.lost(e.name + "/" + svdir.Log)
			if s.stopping {
				switch {
				case e.exitSent || e.killSent:
					s.closePipe(e) // drained (or given up on)
				case e.main != nil || s.unread(e) > 0:
					// The logger died while its service still writes, or
					// before the rest was read: start another one.
					s.startLog(e)
				default:
					s.closePipe(e)
				}
			}
			return
		}
	}
}

// collect notes every supervisor that has ended by now, as daemontools'
// wait_nohang loop at the top of each scan does: the ends already posted,
// and children the reaper has not reaped yet (a SIGHUP may be handled
// before the SIGCHLD that came with it).
func (s *Scanner) collect() {
	for {
		select {
		case sup := <-s.exits:
			s.exited(sup)
			continue
		default:
		}
		break
	}
	for _, e := range s.entries {
		if e.main != nil && e.main.exitedNow() {
			s.exited(e.main)
		}
		if e.log != nil && e.log.exitedNow() {
			s.exited(e.log)
		}
	}
}

// lost tells the observer that the supervise of service (a name relative
// to the scan directory) ended on its own: not in an orderly stop, and not
// because its directory left the scan directory (that is Forgotten).
func (s *Scanner) lost(service string) {
	if s.stopping || s.cfg.Observer == nil {
		return
	}
	if _, err := os.Stat(s.path(service)); err != nil {
		return
	}
	s.cfg.Observer.Lost(service)
}
