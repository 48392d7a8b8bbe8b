// Package scan is svscan's engine: it starts one supervise per
// subdirectory of a scan directory, and a second one for NAME/log joined to
// the first by a pipe that the scanner holds, so either side can be
// restarted without losing a line. It rescans every few seconds as
// daemontools 0.76 does, and also reacts at once to new entries (inotify).
// On SIGTERM it stops every service, then each logger once its service is
// down and the pipe is drained, and returns.
//
// All state lives in a Scanner (no package globals), and children are
// started and reaped through a supervise/reap.Reaper shared with the rest
// of the process. A supervisor is a supervise process, or in all-in-one
// mode (Config.InProcess) the engine of package supervise running inside
// this process; the scanner sees both through one small interface
// (starter.go).
package scan

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/inotify"
	"github.com/svbridge/svbridge/supervise/pidfd"
)

// retryControl is the retry period of svc commands while stopping.
const retryControl = 100 * time.Millisecond

// Scanner is one svscan.
type Scanner struct {
	cfg      Config
	starter  starter
	fds      *fdBudget // all-in-one: descriptors left to hand out; nil otherwise
	entries  []*entry
	exits    chan supervisor // supervisors that have ended
	watch    *inotify.Watcher
	scanWd   int32
	pending  map[string]*pending
	stopping bool
	lastScan time.Time

	noFds    []string      // supervise not started for want of descriptors since the last scan
	stopAt   time.Time     // SIGTERM arrived
	forcedAt time.Time     // StopLimit passed: what was left has been killed
	killed   []*pidfd.Proc // services killed then, not children of this process
}

// New returns a Scanner for cfg.
func New(cfg Config) *Scanner {
	s := &Scanner{
		cfg:     cfg.withDefaults(),
		exits:   make(chan supervisor, 64),
		pending: make(map[string]*pending),
		scanWd:  -1,
	}
	if s.cfg.InProcess {
		s.fds = &fdBudget{}
		s.starter = &inProcessStarter{cfg: s.cfg, fds: s.fds, exits: s.exits}
	} else {
		s.starter = &processStarter{cfg: s.cfg, exits: s.exits}
	}
	return s
}

func (s *Scanner) warn(parts ...any) { cli.Warn(s.cfg.Warn, s.cfg.Prog, parts...) }

// path returns the path of name, relative to the scan directory.
func (s *Scanner) path(name string) string { return filepath.Join(s.cfg.Dir, name) }

// logical returns the path of p (relative to the scan directory) through
// the scan directory's own path.
func (s *Scanner) logical(p string) string {
	if rel, err := filepath.Rel(s.cfg.Dir, p); err == nil {
		return filepath.Join(s.cfg.Path, rel)
	}
	return filepath.Join(s.cfg.Path, p)
}

// Run scans and supervises until SIGTERM arrives on sigs and every
// supervise it started has exited; it returns the exit code (0). SIGHUP
// rescans at once. Other signals are ignored.
func (s *Scanner) Run(sigs <-chan os.Signal) int {
	s.openWatch()
	defer s.closeWatch()

	s.scan()
	if s.cfg.InProcess {
		// Starting every supervisor leaves garbage (directory reads, the
		// first status files): give its pages back to the kernel now
		// rather than after minutes, so the tree's resident size is its
		// steady one from the start.
		debug.FreeOSMemory()
	}
	// The loop turns at least every DefaultInterval (an observer's
	// watchdog counts on Alive), even when scans are further apart.
	period := min(s.cfg.Interval, DefaultInterval)
	tick := time.NewTicker(period)
	defer tick.Stop()
	wake := time.NewTimer(time.Hour)
	defer wake.Stop()

	for {
		if s.cfg.Observer != nil {
			s.cfg.Observer.Alive()
		}
		if s.stopping {
			now := time.Now()
			s.stopStep(now)
			if s.running() == 0 || !s.forcedAt.IsZero() && now.Sub(s.forcedAt) >= forceGrace {
				s.closeAll()
				// A killed process ends when the kernel next runs it:
				// svscan returns once they have, not just their supervise.
				waitAll(s.killed, time.Until(s.forcedAt.Add(forceGrace)))
				if s.cfg.OwnCgroup {
					s.endLeftovers()
				}
				return cli.ExitOK
			}
		}
		s.armWake(wake, time.Now())
		var watchC <-chan []inotify.Event
		if s.watch != nil {
			watchC = s.watch.Events()
		}
		select {
		case sig := <-sigs:
			switch sig {
			case syscall.SIGTERM:
				if !s.stopping {
					s.stopping = true
					s.stopAt = time.Now()
					if s.cfg.Observer != nil {
						s.cfg.Observer.Stopping()
					}
				}
			case syscall.SIGHUP:
				if !s.stopping {
					if s.cfg.Observer != nil {
						s.cfg.Observer.Reloading()
					}
					s.scan()
				}
			}
		case sup := <-s.exits:
			s.exited(sup)
		case evs, ok := <-watchC:
			if !ok {
				s.watch.Close()
				s.watch = nil // the reader died: periodic scans only
				continue
			}
			s.watchEvents(evs, time.Now())
		case now := <-tick.C:
			if !s.stopping && now.Sub(s.lastScan) >= s.cfg.Interval-period/10 {
				s.scan()
			}
		case <-wake.C:
			if !s.stopping {
				s.settle(time.Now())
			}
		}
	}
}

// armWake sets wake to the next moment the loop has work without an
// event: a pending directory that may have settled, or a retry while
// stopping. With nothing to do it stays stopped (no idle wake-ups beyond
// the rescan ticker).
func (s *Scanner) armWake(wake *time.Timer, now time.Time) {
	var next time.Time
	consider := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	if s.stopping {
		if s.forcedAt.IsZero() {
			consider(s.stopAt.Add(s.cfg.StopLimit))
		} else {
			consider(s.forcedAt.Add(forceGrace))
		}
		for _, e := range s.entries {
			switch {
			case e.main != nil && !e.downSent:
				consider(now.Add(retryControl))
			case e.main == nil && e.log != nil && !e.exitSent:
				consider(now.Add(retryControl))
			case e.main == nil && e.log != nil && !e.killSent:
				consider(e.exitAt.Add(s.cfg.LogGrace))
			}
		}
	} else {
		for _, p := range s.pending {
			consider(p.last.Add(s.cfg.Settle))
		}
	}
	wake.Stop()
	if !next.IsZero() {
		d := next.Sub(now)
		if d < time.Millisecond {
			d = time.Millisecond
		}
		wake.Reset(d)
	}
}
