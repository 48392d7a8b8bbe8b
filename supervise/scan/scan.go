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
// of the process.
package scan

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/inotify"
	"github.com/svbridge/svbridge/supervise"
	"github.com/svbridge/svbridge/supervise/pidfd"
	"github.com/svbridge/svbridge/supervise/reap"
	"github.com/svbridge/svbridge/supervise/svctl"
	"github.com/svbridge/svbridge/supervise/svdir"
)

// Defaults of Config.
const (
	DefaultInterval    = 5 * time.Second        // daemontools' rescan period
	DefaultSettle      = 40 * time.Millisecond  // quiet time before starting a freshly made dir
	DefaultLogGrace    = 10 * time.Second       // how long a stopping logger may take to drain
	DefaultMaxServices = 1000                   // daemontools' SERVICES
	DefaultStopLimit   = 10 * time.Second       // longest orderly stop before what is left is killed
	forceGrace         = 3 * time.Second        // all-in-one: after the kill, how long before svscan returns anyway
	unreachableAfter   = time.Second            // FIFO failures this long make svscan signal a supervise itself
	fdsPerSupervisor   = 8                      // all-in-one: descriptors one supervisor may need (files, notify socket, a spawn's pipes)
	fdReserve          = 64                     // all-in-one: descriptors kept free for running services and svscan
	fdRecount          = 256                    // all-in-one: closer than this to the reserve, descriptors are counted again
	retryControl       = 100 * time.Millisecond // retry period of svc commands while stopping
	youngPending       = time.Second            // a periodic scan leaves younger new dirs to the settle logic
)

// Config is what a Scanner needs. Zero durations take the defaults.
type Config struct {
	Dir string // the scan directory ("." after svscan's chdir)
	// Path is the scan directory's absolute path as given, links not
	// resolved; services are named after their entries in it (a link
	// NAME -> /elsewhere/x is the service NAME). Empty: Dir made absolute.
	Path     string
	Launcher Launcher
	Reaper   *reap.Reaper           // required: starts and reaps the supervise processes
	Observer supervise.ScanObserver // may be nil
	Warn     io.Writer              // svscan's own warnings ("svscan: warning: ...")
	Prog     string                 // program name in messages; "svscan" if empty

	// Stdin, Stdout and Stderr are inherited by the supervise processes
	// (nil: svscan's own). A service with a log dir gets the pipe as
	// stdout; its logger gets the pipe as stdin.
	Stdin, Stdout, Stderr *os.File
	Environ               []string // nil: os.Environ()

	// InProcess runs each supervisor inside this process (the engine of
	// package supervise, one goroutine set per service dir, all children
	// reaped by Reaper) instead of starting a supervise process. Events
	// then receives every supervisor's transitions (may be nil).
	InProcess bool
	Events    supervise.Observer

	// OwnCgroup: svscan is the main process of a systemd service whose
	// cgroup is its own (the unit leaves the other processes alive when
	// svscan dies). After an orderly stop, svscan then ends whatever is
	// still in its cgroup, so that nothing of the tree is left behind.
	OwnCgroup bool

	Interval    time.Duration // rescan period
	Settle      time.Duration // quiet time before starting a dir noticed while it is being filled
	LogGrace    time.Duration // after "x" to a stopping logger, how long before "dx"
	StopLimit   time.Duration // after SIGTERM, how long before every supervise left (and its children) is killed
	MaxServices int
}

// fileKey identifies a service directory as daemontools does: by device
// and inode, so a renamed directory keeps its supervise and its pipe.
type fileKey struct{ dev, ino uint64 }

// entry is one service directory being supervised.
type entry struct {
	key    fileKey
	name   string
	active bool // seen by the current scan
	hasLog bool
	pid    int // supervise NAME, 0 if not running
	logPid int // supervise log (in NAME), 0 if not running
	r, w   *os.File
	stream *os.File // in-process: the observer's output file, kept while the supervisor runs

	// A supervise (of NAME, of NAME/log) that this scanner did not start
	// (it outlived the previous svscan): followed through a pidfd.
	proc, logProc *pidfd.Proc

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

type exited struct {
	pid int
}

// Scanner is one svscan.
type Scanner struct {
	cfg      Config
	prog     string
	entries  []*entry
	exits    chan exited
	watch    *inotify.Watcher
	scanWd   int32
	pending  map[string]*pending
	stopping bool
	lastScan time.Time
	lastID   int // in-process supervisors get ids -1, -2, ... in place of pids
	inproc   map[int]*supervise.Supervisor

	noFds    []string  // supervise not started for want of descriptors since the last scan
	fdFree   int       // all-in-one: free descriptors, as last counted less what was handed out since
	stopAt   time.Time // SIGTERM arrived
	forcedAt time.Time // StopLimit passed: what was left has been killed
}

// New returns a Scanner for cfg.
func New(cfg Config) *Scanner {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Settle <= 0 {
		cfg.Settle = DefaultSettle
	}
	if cfg.LogGrace <= 0 {
		cfg.LogGrace = DefaultLogGrace
	}
	if cfg.StopLimit <= 0 {
		cfg.StopLimit = DefaultStopLimit
	}
	if cfg.MaxServices <= 0 {
		cfg.MaxServices = DefaultMaxServices
	}
	if cfg.Dir == "" {
		cfg.Dir = "."
	}
	if cfg.Path == "" {
		if abs, err := filepath.Abs(cfg.Dir); err == nil {
			cfg.Path = abs
		} else {
			cfg.Path = cfg.Dir
		}
	}
	if cfg.Warn == nil {
		cfg.Warn = io.Discard
	}
	if cfg.Stdin == nil {
		cfg.Stdin = os.Stdin
	}
	if cfg.Stdout == nil {
		cfg.Stdout = os.Stdout
	}
	if cfg.Stderr == nil {
		cfg.Stderr = os.Stderr
	}
	if cfg.Environ == nil {
		cfg.Environ = os.Environ()
	}
	prog := cfg.Prog
	if prog == "" {
		prog = "svscan"
	}
	return &Scanner{
		cfg:     cfg,
		prog:    prog,
		exits:   make(chan exited, 64),
		pending: make(map[string]*pending),
		inproc:  make(map[int]*supervise.Supervisor),
		scanWd:  -1,
	}
}

func (s *Scanner) warn(parts ...any) { cli.Warn(s.cfg.Warn, s.prog, parts...) }

func (s *Scanner) path(name string) string { return filepath.Join(s.cfg.Dir, name) }

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
		case x := <-s.exits:
			s.exited(x.pid)
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
			case e.pid != 0 && !e.downSent:
				consider(now.Add(retryControl))
			case e.pid == 0 && e.logPid != 0 && !e.exitSent:
				consider(now.Add(retryControl))
			case e.pid == 0 && e.logPid != 0 && !e.killSent:
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

// running counts the supervise processes still alive.
func (s *Scanner) running() int {
	n := 0
	for _, e := range s.entries {
		if e.pid != 0 {
			n++
		}
		if e.logPid != 0 {
			n++
		}
	}
	return n
}

// scan is one pass of daemontools' doit(): every subdirectory gets its
// supervise (and its logger's), entries whose directory is gone and whose
// supervise processes have exited are forgotten.
func (s *Scanner) scan() {
	s.lastScan = time.Now()
	s.fdFree = 0 // count again
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
			for _, pid := range []int{e.pid, e.logPid} {
				if sup := s.inproc[pid]; sup != nil {
					sup.CheckDir()
				}
			}
		}
	}
	s.sweep()
	s.reportNoFds()
	s.scanDone()
}

// reportNoFds says once per scan which supervise could not be started for
// want of descriptors (they are tried again at the next scan).
func (s *Scanner) reportNoFds() {
	if len(s.noFds) == 0 {
		return
	}
	more := ""
	if n := len(s.noFds) - 1; n > 0 {
		more = " and " + strconv.Itoa(n) + " more"
	}
	s.warn("unable to start supervise ", s.noFds[0], more, ": ", syscall.EMFILE)
	s.noFds = s.noFds[:0]
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

// sweep forgets inactive entries with no supervise left and closes their
// pipe, as daemontools does at the end of a scan.
func (s *Scanner) sweep() {
	s.entries = slices.DeleteFunc(s.entries, func(e *entry) bool {
		if !e.active && e.pid == 0 && e.logPid == 0 {
			s.closePipe(e)
			if s.cfg.Observer != nil {
				s.cfg.Observer.Forgotten(e.name)
			}
			return true
		}
		return false
	})
}

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
			if s.cfg.InProcess && !s.haveFds(2) {
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
	if e.pid == 0 {
		if !e.hasLog && e.logPid == 0 {
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
	if e.hasLog && e.logPid == 0 {
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

func (s *Scanner) openPipe(e *entry) error {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return err
	}
	e.r = os.NewFile(uintptr(p[0]), "log pipe (read)")
	e.w = os.NewFile(uintptr(p[1]), "log pipe (write)")
	e.hasLog = true
	return nil
}

// closeWrite drops the scanner's write end, so the logger sees end of file
// once the service's side is gone too.
func (s *Scanner) closeWrite(e *entry) {
	if e.w != nil {
		e.w.Close()
		e.w = nil
	}
}

func (s *Scanner) closePipe(e *entry) {
	s.closeWrite(e)
	if e.r != nil {
		e.r.Close()
		e.r = nil
	}
}

func (s *Scanner) closeAll() {
	for _, e := range s.entries {
		s.closePipe(e)
	}
}

// startMain starts "supervise NAME" in the scan directory; its stdout is
// the log pipe, or the observer's stream, or svscan's stdout.
func (s *Scanner) startMain(e *entry) {
	if p, held := liveSupervisor(s.path(e.name)); held {
		// A supervise outlived the previous svscan: leave it running.
		if p != nil {
			e.pid, e.proc, e.downSent = p.Pid, p, false
			s.follow(p)
		}
		return
	}
	out, errf := s.cfg.Stdout, s.cfg.Stderr
	var stream *os.File
	if e.hasLog {
		if e.w == nil {
			return // stopping: the pipe's write end is closed
		}
		out = e.w
	} else if s.cfg.Observer != nil {
		f, err := s.cfg.Observer.ServiceOutput(e.name)
		if err != nil {
			s.warn("unable to set up output for ", e.name, ": ", err)
		} else if f != nil {
			stream, out, errf = f, f, f
		}
	}
	pid, err := s.spawn(s.cfg.Dir, e.name, [3]*os.File{s.cfg.Stdin, out, errf})
	if stream != nil {
		if s.cfg.InProcess && err == nil {
			e.stream = stream // the supervisor uses it for every ./run
		} else {
			stream.Close() // the supervise process has its own copy now
		}
	}
	if err != nil {
		s.startFailed(e.name, err)
		return
	}
	e.pid = pid
	e.downSent = false
}

// startLog starts "supervise log" inside NAME, as daemontools does, with
// the read end of the pipe as its stdin.
func (s *Scanner) startLog(e *entry) {
	if e.r == nil {
		return
	}
	if p, held := liveSupervisor(filepath.Join(s.path(e.name), svdir.Log)); held {
		if p != nil {
			e.logPid, e.logProc, e.exitSent, e.killSent = p.Pid, p, false, false
			s.follow(p)
		}
		return
	}
	pid, err := s.spawn(s.path(e.name), svdir.Log, [3]*os.File{e.r, s.cfg.Stdout, s.cfg.Stderr})
	if err != nil {
		s.startFailed(e.name+"/"+svdir.Log, err)
		return
	}
	e.logPid = pid
	e.exitSent, e.killSent = false, false
}

// pipeFailed reports a log pipe that could not be made; for want of
// descriptors, with the supervise not started in this scan.
func (s *Scanner) pipeFailed(name string, err error) {
	if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
		s.startFailed(name, err)
		return
	}
	s.warn("unable to create pipe for ", name, ": ", err)
}

// startFailed reports a supervise that could not start. In-process, the
// engine's setup error is printed as the supervise program would print it.
func (s *Scanner) startFailed(name string, err error) {
	if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
		if !slices.Contains(s.noFds, name) {
			s.noFds = append(s.noFds, name)
		}
		return
	}
	var se *supervise.SetupError
	if errors.As(err, &se) {
		cli.Message(s.cfg.Warn, "supervise", "fatal", se.Error())
		return
	}
	s.warn("unable to start supervise ", name, ": ", err)
}

// spawn starts the supervise program on dir operand, in directory wd,
// through the reaper; exits come back on s.exits.
func (s *Scanner) spawn(wd, operand string, files [3]*os.File) (int, error) {
	if s.cfg.InProcess {
		return s.spawnInProcess(wd, operand, files)
	}
	attr := &syscall.ProcAttr{
		Dir:   wd,
		Env:   s.environ(wd),
		Files: []uintptr{files[0].Fd(), files[1].Fd(), files[2].Fd()},
	}
	l := s.cfg.Launcher
	pid, err := s.cfg.Reaper.Start(l.Path, l.argv(operand), attr, func(pid int, _ syscall.WaitStatus) {
		s.exits <- exited{pid}
	})
	for _, f := range files {
		// Fd() must stay valid until the fork is done.
		keepAlive(f)
	}
	return pid, err
}

// environ is the environment of a supervise started in wd (relative to
// the scan directory): svscan's, with PWD set to wd's path through the
// scan directory as a shell would set it, so that supervise names a
// linked service's logger NAME/log (see supervise.ServiceName).
func (s *Scanner) environ(wd string) []string {
	env := make([]string, 0, len(s.cfg.Environ)+1)
	for _, kv := range s.cfg.Environ {
		if !strings.HasPrefix(kv, "PWD=") {
			env = append(env, kv)
		}
	}
	return append(env, "PWD="+s.logical(wd))
}

// logical returns the path of p (relative to the scan directory) through
// the scan directory's own path.
func (s *Scanner) logical(p string) string {
	if rel, err := filepath.Rel(s.cfg.Dir, p); err == nil {
		return filepath.Join(s.cfg.Path, rel)
	}
	return filepath.Join(s.cfg.Path, p)
}

// exited handles the end of a supervise process.
func (s *Scanner) exited(pid int) {
	delete(s.inproc, pid)
	for _, e := range s.entries {
		switch pid {
		case e.pid:
			e.pid = 0
			if e.proc != nil {
				e.proc.Close()
				e.proc = nil
			}
			if e.stream != nil {
				e.stream.Close()
				e.stream = nil
			}
			if s.stopping {
				s.closeWrite(e)
			}
			return
		case e.logPid:
			e.logPid = 0
			if e.logProc != nil {
				e.logProc.Close()
				e.logProc = nil
			}
			if s.stopping {
				switch {
				case e.exitSent || e.killSent:
					s.closePipe(e) // drained (or given up on)
				case e.pid != 0 || s.unread(e) > 0:
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

// collect notes every supervise that has exited by now, as daemontools'
// wait_nohang loop at the top of each scan does: the exits already posted
// by the reaper, and the ones it has not reaped yet (a SIGHUP may be
// handled before the SIGCHLD that came with it).
func (s *Scanner) collect() {
	for {
		select {
		case x := <-s.exits:
			s.exited(x.pid)
			continue
		default:
		}
		break
	}
	for _, e := range s.entries {
		// A supervise we did not start is not our child: its end comes
		// from its pidfd (follow).
		if e.pid != 0 && e.proc == nil && dead(e.pid) {
			s.exited(e.pid)
		}
		if e.logPid != 0 && e.logProc == nil && dead(e.logPid) {
			s.exited(e.logPid)
		}
	}
}

// dead reports whether child pid has exited, without reaping it (the
// reaper does that, and then reports a pid that no entry has any more).
// The pid cannot be reused before it is reaped.
func dead(pid int) bool {
	if pid < 0 {
		return false // an in-process supervisor: its end is posted on s.exits
	}
	var info unix.Siginfo
	err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	if err == unix.ECHILD {
		return true // already reaped
	}
	return err == nil && info.Signo == int32(unix.SIGCHLD)
}

// unread returns how many bytes wait in e's pipe.
func (s *Scanner) unread(e *entry) int {
	if e.r == nil {
		return 0
	}
	n, err := unix.IoctlGetInt(int(e.r.Fd()), unix.TIOCINQ)
	if err != nil {
		return 0
	}
	return n
}

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
		if e.pid != 0 {
			if !e.downSent {
				e.downSent = s.control(e, e.pid, e.name, "dx", now)
			}
			continue
		}
		s.closeWrite(e)
		if e.logPid == 0 {
			s.closePipe(e)
			continue
		}
		log := filepath.Join(e.name, svdir.Log)
		switch {
		case !e.exitSent:
			if s.control(e, e.logPid, log, "x", now) {
				e.exitSent, e.exitAt = true, now
			}
		case !e.killSent && now.Sub(e.exitAt) >= s.cfg.LogGrace:
			e.killSent = s.control(e, e.logPid, log, "dx", now)
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
		for _, pid := range []int{e.pid, e.logPid} {
			if sup := s.inproc[pid]; sup != nil {
				sup.Control([]byte("dxk"))
			} else if pid > 0 {
				killTree(pid, syscall.SIGKILL)
			}
		}
	}
}

// control sends cmds to the supervise of dir (relative to the scan dir),
// whose pid is pid. In all-in-one mode it needs no FIFO. A supervise that
// has only just started may not have opened its FIFO yet: failures are
// retried by the caller and reported once, after a second; then, as the
// FIFO cannot reach it (directory gone, no descriptors left), its children
// and then the supervise itself get SIGTERM, and the command counts as
// delivered.
func (s *Scanner) control(e *entry, pid int, dir, cmds string, now time.Time) bool {
	if sup := s.inproc[pid]; sup != nil {
		sup.Control([]byte(cmds))
		return true
	}
	err := svctl.Control(s.path(dir), []byte(cmds))
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
		if s.stopping && pid > 0 {
			e.failSince = time.Time{}
			killTree(pid, syscall.SIGTERM)
			return true
		}
	}
	return false
}

// haveFds reports whether n descriptors can be handed out with fdReserve
// left, and counts them as handed out. It counts the open descriptors only
// when the last count, less what was handed out since, comes near the
// reserve, so starting many services costs few counts.
func (s *Scanner) haveFds(n int) bool {
	if s.fdFree < n+fdReserve+fdRecount {
		s.fdFree = fdRoom()
	}
	if s.fdFree < n+fdReserve {
		return false
	}
	s.fdFree -= n
	return true
}

// fdRoom returns how many more descriptors this process may open (0 when
// it cannot even count them).
func fdRoom() int {
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) != nil {
		return 0
	}
	f, err := os.Open("/proc/self/fd")
	if err != nil {
		return 0
	}
	names, _ := f.Readdirnames(-1)
	f.Close()
	if lim.Cur > 1<<30 {
		return 1 << 30
	}
	return max(int(lim.Cur)-len(names), 0)
}

// killTree sends sig to the children of pid (to the process group of a
// child that leads one), with SIGCONT after SIGTERM, then to pid itself.
// The children are found in /proc/PID/task/*/children.
func killTree(pid int, sig syscall.Signal) {
	for _, c := range children(pid) {
		if pg, err := syscall.Getpgid(c); err == nil && pg == c {
			syscall.Kill(-c, sig)
		}
		syscall.Kill(c, sig)
		if sig == syscall.SIGTERM {
			syscall.Kill(c, syscall.SIGCONT)
		}
	}
	syscall.Kill(pid, sig)
}

// children lists the child processes of pid.
func children(pid int) []int {
	tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	var kids []int
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + t.Name() + "/children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil && c > 0 {
				kids = append(kids, c)
			}
		}
	}
	return kids
}

// spawnInProcess runs the supervise engine on wd/operand in this process.
// Its setup (lock, FIFOs, first status) is done before it returns, as a
// supervise process would do it before anything else.
func (s *Scanner) spawnInProcess(wd, operand string, files [3]*os.File) (int, error) {
	if !s.haveFds(fdsPerSupervisor) {
		// Leave the running services their descriptors: status writes,
		// restarts, svscan's own stop.
		return 0, syscall.EMFILE
	}
	dir := filepath.Join(wd, operand)
	name := operand
	if operand == svdir.Log {
		name = filepath.Join(filepath.Base(wd), svdir.Log)
	}
	sup, err := supervise.New(supervise.Config{
		Dir:      dir,
		Name:     name,
		Service:  supervise.ServiceName(s.logical(dir)),
		Reaper:   s.cfg.Reaper,
		Observer: s.cfg.Events,
		Log:      s.cfg.Warn,
		Environ:  s.cfg.Environ,
		Stdin:    files[0],
		Stdout:   files[1],
		Stderr:   files[2],
	})
	if err != nil {
		return 0, err
	}
	s.lastID--
	id := s.lastID
	s.inproc[id] = sup
	go func() {
		sup.Run()
		s.exits <- exited{id}
	}()
	return id, nil
}
