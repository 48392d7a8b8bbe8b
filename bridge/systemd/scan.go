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
	"sync"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/bridge/journal"
	"github.com/svbridge/svbridge/bridge/svinfo"
	"github.com/svbridge/svbridge/supervise"
)

// Timing of the STATUS= line and of the watchdog.
const (
	statusMinInterval = time.Second     // at most one STATUS= per second
	statusRefresh     = 5 * time.Second // re-read the tree at least this often
	aliveWindow       = 11 * time.Second
)

// Scan is the ScanObserver of an svscan run by systemd.
type Scan struct {
	dir       string
	notifying bool // NOTIFY_SOCKET is set
	stderr    io.Writer

	watchdog    time.Duration // WATCHDOG_USEC; 0 = no watchdog
	aliveWindow time.Duration // how old the last Alive may be for WATCHDOG=1

	mu         sync.Mutex
	services   []string
	ready      bool // READY=1 sent
	reloading  bool
	stopping   bool
	lastAlive  time.Time
	lastPing   time.Time
	lastStatus string
	statusAt   time.Time
	dirty      bool
	warned     bool
	watches    map[string]bool
	missing    int // services whose supervise/ could not be watched yet

	journal *journal.Conn     // svscan's own entries (nil without journald)
	dirs    map[string]string // service name -> resolved directory, for Forgotten

	ifd  int // inotify, -1 if none
	quit chan struct{}
	done chan struct{}
}

// NewScanObserver returns the ScanObserver for an svscan of scanDir, or nil
// when svscan does not run under systemd (neither NOTIFY_SOCKET nor
// INVOCATION_ID set). NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID stay in
// svscan's own environment, where go-systemd's daemon package reads them at
// each send; svscan gives its children an environment without them.
func NewScanObserver(scanDir string) supervise.ScanObserver {
	s := newScan(scanDir, os.Stderr)
	if s == nil {
		return nil
	}
	journal.KeepWritesAlive() // stderr is a journald stream that may break
	return s
}

func newScan(scanDir string, stderr io.Writer) *Scan {
	if os.Getenv("NOTIFY_SOCKET") == "" && os.Getenv("INVOCATION_ID") == "" {
		return nil
	}
	abs, err := filepath.Abs(scanDir)
	if err != nil {
		abs = scanDir
	}
	s := &Scan{dir: abs, stderr: stderr, aliveWindow: aliveWindow, ifd: -1, watches: map[string]bool{},
		quit: make(chan struct{}), done: make(chan struct{})}
	s.notifying = os.Getenv("NOTIFY_SOCKET") != ""
	// WATCHDOG_USEC, if WATCHDOG_PID is unset or ours.
	if d, err := daemon.SdWatchdogEnabled(false); err == nil && d > 0 {
		s.watchdog = d
	}
	if fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK); err == nil {
		s.ifd = fd
	}
	if journal.Available(journal.SocketPath) && os.Getenv("SVBRIDGE_JOURNAL") != "off" {
		if c, err := journal.NewConn(journal.SocketPath, false); err == nil {
			s.journal = c
		}
	}
	s.dirs = map[string]string{}
	go s.loop()
	return s
}

func (s *Scan) warn(msg string) {
	if s.stderr != nil {
		io.WriteString(s.stderr, "svscan: warning: "+msg+"\n")
	}
}

// notify sends msg, and says once on stderr if systemd cannot be reached.
func (s *Scan) notify(msg string) {
	if !s.notifying {
		return
	}
	sent, err := daemon.SdNotify(false, msg)
	if err == nil && !sent {
		err = errNoSocket // NOTIFY_SOCKET was taken out of the environment
	}
	if err != nil {
		if !s.warned {
			s.warned = true
			s.warn("unable to notify systemd: " + err.Error())
		}
		return
	}
	s.warned = false
}

// ScanDone sends READY=1 after the first scan (and after a reload) and
// refreshes the STATUS= line.
func (s *Scan) ScanDone(services []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.services = append(s.services[:0], services...)
	s.lastAlive = time.Now()
	if !s.ready || s.reloading {
		s.waitSupervisedLocked()
	}
	s.addWatchesLocked()
	sum := s.summaryLocked()
	if !s.ready || s.reloading {
		s.ready, s.reloading = true, false
		s.notify("READY=1\nSTATUS=" + sum)
		s.lastStatus, s.statusAt, s.dirty = sum, time.Now(), false
		return
	}
	s.sendStatusLocked(sum, false)
}

// errNoSocket: NOTIFY_SOCKET disappeared from the environment.
var errNoSocket = errors.New("NOTIFY_SOCKET is no longer set")

// readyWait bounds how long ScanDone waits, before READY=1, for the
// supervise processes just spawned to answer.
const readyWait = 3 * time.Second

// waitSupervisedLocked waits (at most readyWait) until every service has a
// supervise running, so READY=1 and the first STATUS= describe a started
// tree rather than processes still setting up.
func (s *Scan) waitSupervisedLocked() {
	deadline := time.Now().Add(readyWait)
	for _, name := range s.services {
		d := filepath.Join(s.dir, name)
		for {
			in := svinfo.Read(d, time.Now())
			if in.Supervised || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// Added writes svscan's journal entry for a new service.
func (s *Scan) Added(service string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dir := filepath.Join(s.dir, service)
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	s.dirs[service] = dir
	s.sendEntry(journal.ServiceAddedFields(service, dir, s.dir))
}

// Forgotten writes svscan's journal entry for a service it forgot.
func (s *Scan) Forgotten(service string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dir, ok := s.dirs[service]
	if !ok {
		dir = filepath.Join(s.dir, service)
	}
	delete(s.dirs, service)
	s.sendEntry(journal.ServiceForgottenFields(service, dir, s.dir))
}

// sendEntry sends one of svscan's own entries; journald being away costs
// the entry, nothing else (supervise's entries carry the service's story).
func (s *Scan) sendEntry(f []journal.Field) {
	if s.journal != nil {
		s.journal.Send(f)
	}
}

// Alive records that svscan's loop turned, and pings the watchdog if due.
func (s *Scan) Alive() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastAlive = time.Now()
	s.pingLocked(s.lastAlive)
}

// Stopping sends STOPPING=1.
func (s *Scan) Stopping() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopping = true
	s.notify("STOPPING=1")
}

// Reloading sends RELOADING=1 with MONOTONIC_USEC; the next ScanDone sends
// READY=1.
func (s *Scan) Reloading() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reloading = true
	s.notify("RELOADING=1\nMONOTONIC_USEC=" + monotonicUsec())
}

// ServiceOutput connects a service without log/ to journald as a stdout
// stream identified by the service's name (journalctl -t NAME). It returns
// nil, nil when journald's stream socket is absent.
func (s *Scan) ServiceOutput(service string) (*os.File, error) {
	if !journal.Available(journal.StreamPath) {
		return nil, nil
	}
	return journal.OpenStream(journal.StreamPath, journal.StreamOptions{Identifier: service, Priority: journal.PriInfo})
}

// Close stops the background goroutine (for tests; svscan just exits).
func (s *Scan) Close() {
	close(s.quit)
	<-s.done
	if s.ifd >= 0 {
		unix.Close(s.ifd)
	}
	if s.journal != nil {
		s.journal.Close()
	}
}

// pingLocked sends WATCHDOG=1 when half the interval has passed since the
// last ping and svscan's loop was seen alive recently.
func (s *Scan) pingLocked(now time.Time) {
	if s.watchdog == 0 {
		return // (an orderly stop keeps pinging: it may take a while)
	}
	if now.Sub(s.lastAlive) > s.aliveWindow {
		return // the loop is stuck: let systemd's watchdog fire
	}
	if now.Sub(s.lastPing) >= s.watchdog/2 {
		s.lastPing = now
		s.notify("WATCHDOG=1")
	}
}

func (s *Scan) summaryLocked() string {
	now := time.Now()
	infos := make([]svinfo.Info, 0, len(s.services))
	for _, name := range s.services {
		in := svinfo.Read(filepath.Join(s.dir, name), now)
		in.Name = name
		infos = append(infos, in)
	}
	return Summary(infos)
}

// sendStatusLocked sends STATUS= if it changed and the rate limit allows;
// otherwise it leaves the tree marked dirty for the loop.
func (s *Scan) sendStatusLocked(sum string, force bool) {
	if sum == s.lastStatus && !force {
		s.dirty = false
		return
	}
	if time.Since(s.statusAt) < statusMinInterval {
		s.dirty = true
		return
	}
	s.notify("STATUS=" + sum)
	s.lastStatus, s.statusAt, s.dirty = sum, time.Now(), false
}

// addWatchesLocked watches every service's supervise/ directory (and its
// log's), where supervise renames status files into place.
func (s *Scan) addWatchesLocked() {
	if s.ifd < 0 {
		return
	}
	s.missing = 0
	for _, name := range s.services {
		for i, d := range []string{filepath.Join(s.dir, name, "supervise"), filepath.Join(s.dir, name, "log", "supervise")} {
			if s.watches[d] {
				continue
			}
			if _, err := unix.InotifyAddWatch(s.ifd, d, unix.IN_MOVED_TO|unix.IN_CLOSE_WRITE|unix.IN_DELETE_SELF); err == nil {
				s.watches[d] = true
				s.dirty = true // it may have changed before we watched it
			} else if i == 0 {
				s.missing++ // supervise has not made it yet: try again soon
			}
		}
	}
}

// loop follows the tree between svscan's calls: inotify events mark the
// STATUS= line dirty, a refresh re-reads the tree every few seconds, and
// the watchdog is pinged on time as long as Alive was called recently.
func (s *Scan) loop() {
	defer close(s.done)
	tick := 250 * time.Millisecond
	if s.watchdog > 0 && s.watchdog/4 < tick {
		tick = s.watchdog / 4
	}
	buf := make([]byte, 4096)
	lastRefresh, lastWatch := time.Now(), time.Now()
	for {
		select {
		case <-s.quit:
			return
		default:
		}
		changed := false
		if s.ifd >= 0 {
			fds := []unix.PollFd{{Fd: int32(s.ifd), Events: unix.POLLIN}}
			unix.Poll(fds, int(tick/time.Millisecond))
			for {
				n, err := unix.Read(s.ifd, buf)
				if err != nil || n <= 0 {
					break
				}
				changed = true
				for off := 0; off+unix.SizeofInotifyEvent <= n; {
					if mask := nativeUint32(buf[off+4:]); mask&unix.IN_IGNORED != 0 {
						s.mu.Lock()
						clear(s.watches) // a supervise/ went away: watch again
						s.mu.Unlock()
					}
					off += unix.SizeofInotifyEvent + int(nativeUint32(buf[off+12:]))
				}
			}
		} else {
			time.Sleep(tick)
		}
		now := time.Now()
		s.mu.Lock()
		s.pingLocked(now)
		if s.ready && !s.stopping {
			if changed {
				s.dirty = true
			}
			refresh := now.Sub(lastRefresh) >= statusRefresh
			if refresh || (s.missing > 0 && now.Sub(lastWatch) >= time.Second) {
				s.addWatchesLocked()
				lastWatch = now
			}
			if refresh {
				lastRefresh = now
			}
			if (s.dirty || refresh) && now.Sub(s.statusAt) >= statusMinInterval {
				s.sendStatusLocked(s.summaryLocked(), false)
			}
		}
		s.mu.Unlock()
	}
}
