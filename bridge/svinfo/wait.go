package svinfo

import (
	"errors"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/internal/inotify"
)

// Cond is what Wait waits for.
type Cond int

const (
	CondUp    Cond = iota // a process runs (svstat's "up")
	CondReady             // up and ready (READY=1 or notification-fd); up under C supervise
	CondDown              // nothing runs, ./finish done
)

// Errors of Wait.
var (
	ErrTimeout       = errors.New("timed out")
	ErrNotSupervised = errors.New("supervise not running")
)

// NotSupervisedError names the directory without a supervise.
type NotSupervisedError struct{ Dir, Why string }

func (e *NotSupervisedError) Error() string { return e.Dir + ": " + e.Why }
func (e *NotSupervisedError) Unwrap() error { return ErrNotSupervised }

func (c Cond) holds(i *Info) bool {
	switch c {
	case CondUp:
		return i.Up()
	case CondReady:
		return i.IsReady()
	case CondDown:
		return i.Down()
	}
	return false
}

// Wait blocks until cond holds for every dir (or, with any, for one of
// them), or timeout passes (0: no timeout). It watches supervise/ with
// inotify and also re-reads the status every second (or every 100 ms
// without inotify). It fails with a *NotSupervisedError as soon as a dir has
// no supervise, and with ErrTimeout.
func Wait(dirs []string, cond Cond, any bool, timeout time.Duration) error {
	return wait(dirs, cond, any, timeout, false)
}

// WaitPending is Wait for dirs whose supervise may not run yet (svscan
// starts one at its next scan, within 5 seconds): until the timeout, a dir
// without a supervise is one whose cond does not hold yet, not an error.
func WaitPending(dirs []string, cond Cond, any bool, timeout time.Duration) error {
	return wait(dirs, cond, any, timeout, true)
}

func wait(dirs []string, cond Cond, any bool, timeout time.Duration, pending bool) error {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	w, err := inotify.New()
	if err != nil {
		w = nil
	} else {
		defer w.Close()
	}
	watched := make([]bool, len(dirs))
	buf := make([]byte, 4096)
	for {
		if w != nil {
			for i, d := range dirs {
				if !watched[i] {
					_, err := w.Add(filepath.Join(d, "supervise"),
						unix.IN_MOVED_TO|unix.IN_CLOSE_WRITE|unix.IN_CREATE|unix.IN_ATTRIB|unix.IN_DELETE_SELF)
					watched[i] = err == nil
				}
			}
		}
		done := 0
		now := time.Now()
		for _, d := range dirs {
			info := Read(d, now)
			if !info.Supervised && pending {
				continue // not yet: watched again at the next turn
			}
			if !info.Supervised {
				why := info.Error
				if why == "" {
					why = "supervise not running"
				}
				return &NotSupervisedError{d, why}
			}
			if cond.holds(&info) {
				done++
			}
		}
		if done == len(dirs) || (any && done > 0) {
			return nil
		}
		step := time.Second
		if w == nil {
			step = 100 * time.Millisecond
		}
		if !deadline.IsZero() {
			left := time.Until(deadline)
			if left <= 0 {
				return ErrTimeout
			}
			step = min(step, left)
		}
		if w == nil {
			time.Sleep(step)
			continue
		}
		evs, _ := w.ReadTimeout(buf, step)
		for _, ev := range evs {
			// A removed supervise/ (IN_IGNORED) must be watched again.
			if ev.Ignored() {
				clear(watched)
			}
		}
	}
}
