// Package systemd connects svscan to systemd when it runs as a systemd
// service: sd_notify (READY=1 after the first scan, a STATUS= line that
// follows the tree, WATCHDOG=1 only while svscan's loop turns, STOPPING=1,
// RELOADING=1) and journald stdout streams for services without a log/.
//
// The sd_notify client and the watchdog interval are go-systemd's
// (github.com/coreos/go-systemd/v22/daemon): svscan runs from the multi-call
// svbridge binary, which links net anyway. The lean per-service supervise
// binary does not link this package (see package supervise/cmd/supervise).
package systemd

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/bridge/journal"
	"github.com/svbridge/svbridge/bridge/journalobs"
	"github.com/svbridge/svbridge/bridge/svinfo"
	"github.com/svbridge/svbridge/internal/inotify"
	"github.com/svbridge/svbridge/supervise"
)

// Timing of the STATUS= line, of READY=1 and of the watchdog.
const (
	statusMinInterval = time.Second     // at most one STATUS= per second
	statusRefresh     = 5 * time.Second // without inotify: re-read the tree this often
	watchRetry        = time.Second     // a supervise/ not made yet: try to watch it again this often
	aliveWindow       = 11 * time.Second
	// readyWait bounds how long READY=1 waits for the supervise processes
	// just spawned to answer, and readyPoll is how often it looks.
	readyWait = 3 * time.Second
	readyPoll = 10 * time.Millisecond
	// closeWait bounds how long Close waits for the messages still queued.
	closeWait = time.Second
)

// Notifier is svscan's link to systemd (a supervise.ScanObserver): it
// sends READY=1, STATUS=, WATCHDOG=1, RELOADING=1 and STOPPING=1 on
// NOTIFY_SOCKET, writes svscan's journal entries and opens journald
// streams for services without a log/.
//
// svscan's loop calls its methods; they only record what happened and
// wake the Notifier's goroutine, which does the sending, the reading of
// status files and the waiting, so a slow systemd or a service still
// starting never holds svscan's loop. The goroutine sleeps until something
// is due: an inotify event on a supervise/ directory, a call from svscan,
// or a timer armed for the next watchdog ping, the next STATUS= the rate
// limit allows, or READY=1 waiting for the supervise processes.
type Notifier struct {
	dir       string
	notifying bool // NOTIFY_SOCKET is set
	stderr    io.Writer

	watchdog time.Duration // WATCHDOG_USEC; 0 = no watchdog

	mu          sync.Mutex // guards what svscan's calls and the goroutine share
	aliveWindow time.Duration
	services    []string
	ready       bool      // READY=1 sent
	readyDue    bool      // READY=1 to send once the supervise processes answer
	readyBy     time.Time // ... or at this time whatever they do
	reloading   bool
	stopping    bool
	scanned     bool     // a ScanDone the goroutine has not seen yet
	out         []string // messages queued for systemd
	lastAlive   time.Time
	pingArmed   bool // the goroutine has the next watchdog ping planned

	// The goroutine's own.
	lastPing   time.Time
	lastStatus string
	statusAt   time.Time
	dirty      bool
	warned     bool
	watches    map[string]bool
	missing    int // services whose supervise/ could not be watched yet
	lastWatch  time.Time
	refreshAt  time.Time // without inotify: the last re-read of the tree

	journal *journal.Conn     // svscan's own entries (nil without journald)
	dirs    map[string]string // service name -> resolved directory, for Forgotten (under mu)

	w    *inotify.Watcher // nil without inotify
	kick chan struct{}
	quit chan struct{}
	done chan struct{}
}

var _ supervise.ScanObserver = (*Notifier)(nil)

// NewNotifier returns the Notifier of an svscan of scanDir, or nil when
// svscan does not run under systemd (neither NOTIFY_SOCKET nor
// INVOCATION_ID set). NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID stay in
// svscan's own environment, where go-systemd's daemon package reads them at
// each send; svscan gives its children an environment without them.
func NewNotifier(scanDir string) *Notifier {
	n := newNotifier(scanDir, os.Stderr)
	if n == nil {
		return nil
	}
	journal.KeepWritesAlive() // stderr is a journald stream that may break
	return n
}

func newNotifier(scanDir string, stderr io.Writer) *Notifier {
	if os.Getenv("NOTIFY_SOCKET") == "" && os.Getenv("INVOCATION_ID") == "" {
		return nil
	}
	abs, err := filepath.Abs(scanDir)
	if err != nil {
		abs = scanDir
	}
	n := &Notifier{dir: abs, stderr: stderr, aliveWindow: aliveWindow, watches: map[string]bool{},
		dirs: map[string]string{}, kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	n.notifying = os.Getenv("NOTIFY_SOCKET") != ""
	// WATCHDOG_USEC, if WATCHDOG_PID is unset or ours.
	if d, err := daemon.SdWatchdogEnabled(false); err == nil && d > 0 {
		n.watchdog = d
	}
	if w, err := inotify.New(); err == nil {
		n.w = w
	}
	if journal.Available(journal.SocketPath) && os.Getenv("SVBRIDGE_JOURNAL") != "off" {
		if c, err := journal.NewConn(journal.SocketPath, false); err == nil {
			n.journal = c
		}
	}
	go n.loop()
	return n
}

// wake has the goroutine look at what changed; it never waits.
func (n *Notifier) wake() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// ScanDone has READY=1 sent after the first scan (and after a reload),
// once the supervise processes just spawned answer, and the STATUS= line
// refreshed.
func (n *Notifier) ScanDone(services []string) {
	n.mu.Lock()
	n.services = append(n.services[:0], services...)
	n.lastAlive = time.Now()
	if !n.ready || n.reloading {
		if !n.readyDue {
			n.readyDue, n.readyBy = true, n.lastAlive.Add(readyWait)
		}
		n.reloading = false
	}
	n.scanned = true
	n.mu.Unlock()
	n.wake()
}

// Added writes svscan's journal entry for a new service.
func (n *Notifier) Added(service string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	dir := filepath.Join(n.dir, service)
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	n.dirs[service] = dir
	n.sendEntry(journalobs.ServiceAddedFields(service, dir, n.dir))
}

// Forgotten writes svscan's journal entry for a service it forgot.
func (n *Notifier) Forgotten(service string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	dir, ok := n.dirs[service]
	if !ok {
		dir = filepath.Join(n.dir, service)
	}
	delete(n.dirs, service)
	n.sendEntry(journalobs.ServiceForgottenFields(service, dir, n.dir))
}

// Lost writes svscan's journal entry for a supervise that ended on its own.
func (n *Notifier) Lost(service string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	top, _, _ := strings.Cut(service, "/")
	dir, ok := n.dirs[top]
	if !ok {
		dir = filepath.Join(n.dir, top)
	}
	if service != top {
		dir = filepath.Join(dir, service[len(top)+1:])
	}
	n.sendEntry(journalobs.SuperviseLostFields(service, dir, n.dir))
}

// sendEntry sends one of svscan's own entries; journald being away costs
// the entry, nothing else (supervise's entries carry the service's story).
// The socket never blocks (MSG_DONTWAIT).
func (n *Notifier) sendEntry(f []journal.Field) {
	if n.journal != nil {
		n.journal.Send(f)
	}
}

// Alive records that svscan's loop turned, for the watchdog.
func (n *Notifier) Alive() {
	n.mu.Lock()
	n.lastAlive = time.Now()
	idle := n.watchdog > 0 && !n.pingArmed
	n.mu.Unlock()
	if idle {
		n.wake() // the pings had stopped: the loop is back
	}
}

// Stopping has STOPPING=1 sent.
func (n *Notifier) Stopping() {
	n.queue(func() { n.stopping = true }, "STOPPING=1")
}

// Reloading has RELOADING=1 sent with MONOTONIC_USEC (taken now); the next
// ScanDone sends READY=1.
func (n *Notifier) Reloading() {
	n.queue(func() { n.reloading = true }, "RELOADING=1\nMONOTONIC_USEC="+monotonicUsec())
}

func (n *Notifier) queue(set func(), msg string) {
	n.mu.Lock()
	set()
	n.out = append(n.out, msg)
	n.mu.Unlock()
	n.wake()
}

// ServiceOutput connects a service without log/ to journald as a stdout
// stream identified by the service's name (journalctl -t NAME). It returns
// nil, nil when journald's stream socket is absent.
func (n *Notifier) ServiceOutput(service string) (*os.File, error) {
	if !journal.Available(journal.StreamPath) {
		return nil, nil
	}
	return journal.OpenStream(journal.StreamPath, journal.StreamOptions{Identifier: service, Priority: journal.PriInfo})
}

// Close sends what is still queued (STOPPING=1 at the end of an orderly
// stop), waiting at most a second, and stops the goroutine.
func (n *Notifier) Close() {
	close(n.quit)
	select {
	case <-n.done:
	case <-time.After(closeWait):
		return // systemd does not take messages: leave the goroutine to the exit
	}
	if n.w != nil {
		n.w.Close()
	}
	if n.journal != nil {
		n.journal.Close()
	}
}

func (n *Notifier) warn(msg string) {
	if n.stderr != nil {
		io.WriteString(n.stderr, "svscan: warning: "+msg+"\n")
	}
}

// errNoSocket: NOTIFY_SOCKET disappeared from the environment.
var errNoSocket = errors.New("NOTIFY_SOCKET is no longer set")

// notify sends msg, and says once on stderr if systemd cannot be reached.
func (n *Notifier) notify(msg string) {
	if !n.notifying {
		return
	}
	sent, err := daemon.SdNotify(false, msg)
	if err == nil && !sent {
		err = errNoSocket // NOTIFY_SOCKET was taken out of the environment
	}
	if err != nil {
		if !n.warned {
			n.warned = true
			n.warn("unable to notify systemd: " + err.Error())
		}
		return
	}
	n.warned = false
}

// loop runs the Notifier's goroutine: it does what is due, then sleeps
// until an event, a call from svscan, or the next thing due.
func (n *Notifier) loop() {
	defer close(n.done)
	var events <-chan []inotify.Event
	if n.w != nil {
		events = n.w.Events()
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-n.quit:
			n.mu.Lock()
			out := n.out
			n.out = nil
			n.mu.Unlock()
			for _, m := range out {
				n.notify(m)
			}
			return
		case <-n.kick:
		case evs, ok := <-events:
			if !ok {
				events = nil // the reader died: svscan's scans still refresh the line
				break
			}
			n.dirty = true
			for _, ev := range evs {
				if ev.Ignored() || ev.Overflow() {
					clear(n.watches) // a supervise/ went away: watch again
				}
			}
		case <-timer.C:
		}
		now := time.Now()
		if next := n.step(now); !next.IsZero() {
			timer.Reset(next.Sub(now))
		} else {
			timer.Stop()
		}
	}
}

// step does what is due at now and returns when something is due next
// (zero: nothing until an event or a call).
func (n *Notifier) step(now time.Time) time.Time {
	n.mu.Lock()
	out := n.out
	n.out = nil
	rewatch := n.scanned || len(n.watches) == 0
	if n.scanned {
		n.scanned = false
		n.dirty = true // (the STATUS= line is sent only if it changed)
	}
	services := slices.Clone(n.services)
	readyDue, readyBy, ready, stopping := n.readyDue, n.readyBy, n.ready, n.stopping
	n.mu.Unlock()

	for _, m := range out {
		n.notify(m)
	}
	var next time.Time
	soonest := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	if readyDue && stopping {
		readyDue = false // an orderly stop began while the tree was starting
		n.mu.Lock()
		n.readyDue = false
		n.mu.Unlock()
	}
	if readyDue {
		if now.Before(readyBy) && !n.supervised(services, now) {
			soonest(now.Add(readyPoll))
		} else {
			n.addWatches(services, now)
			sum := n.summary(services, now)
			n.notify("READY=1\nSTATUS=" + sum)
			n.lastStatus, n.statusAt, n.dirty = sum, now, false
			n.mu.Lock()
			n.ready, n.readyDue = true, false
			n.mu.Unlock()
			ready, readyDue, rewatch = true, false, false
		}
	}
	if ready && !readyDue && !stopping {
		if rewatch || n.missing > 0 && now.Sub(n.lastWatch) >= watchRetry {
			n.addWatches(services, now)
		}
		if n.w == nil && now.Sub(n.refreshAt) >= statusRefresh {
			n.refreshAt, n.dirty = now, true
		}
		if n.dirty {
			if at := n.statusAt.Add(statusMinInterval); now.Before(at) {
				soonest(at)
			} else {
				n.sendStatus(n.summary(services, now), now)
			}
		}
		if n.missing > 0 {
			soonest(n.lastWatch.Add(watchRetry))
		}
		if n.w == nil {
			soonest(n.refreshAt.Add(statusRefresh))
		}
	}
	if t := n.ping(now); !t.IsZero() {
		soonest(t)
	}
	return next
}

// supervised tells whether every service has a supervise that answers.
func (n *Notifier) supervised(services []string, now time.Time) bool {
	for _, name := range services {
		if in := svinfo.Read(filepath.Join(n.dir, name), now); !in.Supervised {
			return false
		}
	}
	return true
}

// ping sends WATCHDOG=1 when half the interval has passed since the last
// ping and svscan's loop was seen alive within aliveWindow, and returns
// when the next ping is due: zero when there is no watchdog, or when the
// loop must turn (Alive) before another ping (let systemd's watchdog fire
// if it is stuck). An orderly stop keeps pinging: it may take a while.
func (n *Notifier) ping(now time.Time) time.Time {
	if n.watchdog == 0 {
		return time.Time{}
	}
	n.mu.Lock()
	lastAlive, window := n.lastAlive, n.aliveWindow
	n.mu.Unlock()
	if now.Sub(lastAlive) <= window && now.Sub(n.lastPing) >= n.watchdog/2 {
		n.lastPing = now
		n.notify("WATCHDOG=1")
	}
	next := n.lastPing.Add(n.watchdog / 2)
	n.mu.Lock()
	defer n.mu.Unlock()
	if next.Sub(n.lastAlive) > n.aliveWindow {
		n.pingArmed = false // Alive wakes the goroutine
		return time.Time{}
	}
	n.pingArmed = true
	return next
}

func (n *Notifier) summary(services []string, now time.Time) string {
	infos := make([]svinfo.Info, 0, len(services))
	for _, name := range services {
		in := svinfo.Read(filepath.Join(n.dir, name), now)
		in.Name = name
		infos = append(infos, in)
	}
	return Summary(infos)
}

// sendStatus sends STATUS= if it changed (the caller keeps the rate limit).
func (n *Notifier) sendStatus(sum string, now time.Time) {
	n.dirty = false
	if sum == n.lastStatus {
		return
	}
	n.notify("STATUS=" + sum)
	n.lastStatus, n.statusAt = sum, now
}

// addWatches watches every service's supervise/ directory (and its log's),
// where supervise renames status files into place.
func (n *Notifier) addWatches(services []string, now time.Time) {
	if n.w == nil {
		return
	}
	n.missing, n.lastWatch = 0, now
	for _, name := range services {
		for i, d := range []string{filepath.Join(n.dir, name, "supervise"), filepath.Join(n.dir, name, "log", "supervise")} {
			if n.watches[d] {
				continue
			}
			if _, err := n.w.Add(d, unix.IN_MOVED_TO|unix.IN_CLOSE_WRITE|unix.IN_DELETE_SELF); err == nil {
				n.watches[d] = true
				n.dirty = true // it may have changed before we watched it
			} else if i == 0 {
				n.missing++ // supervise has not made it yet: try again soon
			}
		}
	}
}
