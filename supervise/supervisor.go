package supervise

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/inotify"
	"github.com/svbridge/svbridge/supervise/pidfd"
	"github.com/svbridge/svbridge/supervise/reap"
	"github.com/svbridge/svbridge/supervise/state"
	"github.com/svbridge/svbridge/supervise/status"
	"github.com/svbridge/svbridge/supervise/svdir"
)

// Config describes one Supervisor.
type Config struct {
	// Dir is the service directory as the process can open it (relative to
	// the working directory or absolute).
	Dir string
	// Name is how messages name the directory ("supervise: fatal: unable
	// to start NAME/run: ..."); empty means Dir.
	Name string
	// Service is the service's name for observers (Event.Service, the
	// journal's SVC_NAME): its name in the scan directory, "NAME" or
	// "NAME/log" (see ServiceName). Empty means ServiceName of Dir made
	// absolute, which names a linked directory after its target.
	Service string
	// Reaper is the process's one reaper. Required.
	Reaper *reap.Reaper
	// Observer receives every transition; nil means none.
	Observer Observer
	// Log receives supervise's own messages; nil means os.Stderr.
	Log io.Writer
	// Prog prefixes messages; empty means "supervise".
	Prog string
	// Environ is the environment given to ./run and ./finish
	// (NOTIFY_SOCKET is replaced by the supervisor's own; WATCHDOG_USEC
	// and WATCHDOG_PID, systemd's for this process, are left out: see
	// sdnotify.Environ); nil means os.Environ().
	Environ []string
	// Stdin, Stdout and Stderr of the children; nil means this process's
	// own descriptors 0, 1 and 2.
	Stdin, Stdout, Stderr *os.File
	// NoNotifySocket turns off the per-service NOTIFY_SOCKET.
	NoNotifySocket bool
	// WatchDir has the supervisor watch the directory holding its own
	// (inotify, one descriptor), so that it notices at once when its
	// directory is removed, even with nothing running. svscan's
	// all-in-one mode leaves it off and calls CheckDir from its scans.
	WatchDir bool
}

// Supervisor runs one service directory. Build it with New, then call Run.
type Supervisor struct {
	cfg     Config
	dir     string // for file access
	name    string // for messages
	absDir  string
	service string
	log     io.Writer
	prog    string

	m    *Machine
	in   chan Input
	quit chan struct{} // closed when Run returns

	initial []byte // commands found in a regular-file control
	timers  [numTimers]*time.Timer
	gen     [numTimers]uint64

	lock, control, controlW, ok *os.File
	dirWatch                    *inotify.Watcher // on the directory holding the service directory (WatchDir)

	notify     *notifySocket
	runPid     atomic.Int64 // the machine's run pid, for the notify socket's reader
	spawning   sync.Mutex   // held from the fork of ./run until runPid names it (notify.go allowed)
	readyPipe  *os.File     // read end of the notification-fd pipe of the current run
	killpg     bool         // the current run was started as a group leader
	warnedNfd  bool
	warnedJSON bool

	// Adoption: a ./run left running by a supervisor that died.
	adopt      *pidfd.Proc   // the adopted run, until it exits
	adoptFrom  status.Status // its 18-byte status as recorded
	adoptReady bool
	runNotify  string // the NOTIFY_SOCKET the run has (status.json's notify_socket)
	selfStart  uint64 // this process's start time, recorded in status.json
	bootID     string
	startPid   int    // the pid whose start time is startTick
	startTick  uint64 // cached: read once per run

	warnedFds bool // out of descriptors for ./run: said once until a start succeeds
	statusFds bool // out of descriptors for supervise/status: said once until a write succeeds

	dirKey  [2]uint64 // device and inode of the service directory at New
	suspect bool      // a status write found no directory: check it
	unsaid  []any     // the warning of that write, said if the directory is not gone
	gone    bool      // the directory is gone: no more ./run, exit when it ends
}

// SetupError is a fatal error of New, with daemontools' wording; the
// supervise program prints "supervise: fatal: " + Error() and exits 111.
type SetupError struct {
	Msg string // "unable to acquire DIR/supervise/lock: "
	Err error
}

func (e *SetupError) Error() string { return e.Msg + cli.ErrStr(e.Err) }
func (e *SetupError) Unwrap() error { return e.Err }

// New sets up the service directory as daemontools' supervise does: it
// reads ./down, creates supervise/ (0700), takes supervise/lock (exclusive,
// not waiting), makes and opens the control and ok FIFOs and writes the
// first status. It does not start ./run: Run does.
func New(cfg Config) (*Supervisor, error) {
	if cfg.Reaper == nil {
		return nil, errors.New("supervise: no reaper")
	}
	s := &Supervisor{cfg: cfg, dir: cfg.Dir, name: cfg.Name, log: cfg.Log, prog: cfg.Prog}
	if s.name == "" {
		s.name = s.dir
	}
	if s.log == nil {
		s.log = os.Stderr
	}
	if s.prog == "" {
		s.prog = "supervise"
	}
	if abs, err := filepath.Abs(s.dir); err == nil {
		s.absDir = abs
	} else {
		s.absDir = s.dir
	}
	s.service = cfg.Service
	if s.service == "" {
		s.service = ServiceName(s.absDir)
	}
	// Event.Dir is where the service really is, symlinks resolved.
	if real, err := filepath.EvalSymlinks(s.absDir); err == nil {
		s.absDir = real
	}

	var dst syscall.Stat_t
	if err := syscall.Stat(s.dir, &dst); err == nil {
		s.dirKey = [2]uint64{uint64(dst.Dev), dst.Ino}
	}
	normallyUp := true
	if _, err := os.Stat(s.path(svdir.Down)); err == nil {
		normallyUp = false
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, &SetupError{"unable to stat " + s.name + "/down: ", err}
	}
	os.Mkdir(s.path(svdir.Supervise), 0700)
	fd, err := syscall.Open(s.path(svdir.Lock), syscall.O_WRONLY|syscall.O_CREAT|syscall.O_APPEND|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0600)
	if err == nil {
		if err = syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			syscall.Close(fd)
		}
	}
	if err != nil {
		return nil, &SetupError{"unable to acquire " + s.name + "/supervise/lock: ", err}
	}
	s.lock = os.NewFile(uintptr(fd), svdir.Lock)
	fail := func(e *SetupError) (*Supervisor, error) {
		s.closeFiles()
		if s.adopt != nil {
			s.adopt.Close()
		}
		return nil, e
	}

	var initial []byte
	ctl := s.path(svdir.Control)
	syscall.Mkfifo(ctl, 0600)
	if st, err := os.Lstat(ctl); err == nil && st.Mode().IsRegular() {
		// daemontools reads a regular file here as if it were the FIFO
		// (and then spins on its end). Take its bytes as commands once,
		// then put a FIFO in its place so svc works.
		initial = readSome(ctl, 64)
		cli.Warn(s.log, s.prog, s.name+"/supervise/control is not a FIFO: replacing it")
		os.Remove(ctl)
		syscall.Mkfifo(ctl, 0600)
	}
	if s.control, err = os.OpenFile(ctl, os.O_RDONLY|syscall.O_NONBLOCK, 0); err != nil {
		return fail(&SetupError{"unable to read " + s.name + "/supervise/control: ", err})
	}
	if s.controlW, err = os.OpenFile(ctl, os.O_WRONLY|syscall.O_NONBLOCK, 0); err != nil {
		return fail(&SetupError{"unable to write " + s.name + "/supervise/control: ", err})
	}
	s.bootID = pidfd.BootID()
	s.selfStart, _ = pidfd.StartTime(os.Getpid())
	s.m = NewMachine(normallyUp, time.Now())
	s.findAdoptable()
	if s.adopt == nil {
		s.announce() // an adopted run keeps the status as it is until Run
	}
	ok := s.path(svdir.OK)
	syscall.Mkfifo(ok, 0600)
	if s.ok, err = os.OpenFile(ok, os.O_RDONLY|syscall.O_NONBLOCK, 0); err != nil {
		return fail(&SetupError{"unable to read " + s.name + "/supervise/ok: ", err})
	}
	s.in = make(chan Input, 4) // small: all-in-one svscan holds one per service; senders wait
	s.quit = make(chan struct{})
	if !cfg.NoNotifySocket {
		// an adopted run keeps its NOTIFY_SOCKET: listen there again
		ns, err := newNotifySocket(s, s.runNotify)
		if err != nil {
			cli.Warn(s.log, s.prog, "unable to create notify socket for ", s.name, ": ", err)
		} else {
			s.notify = ns
		}
	}
	if cfg.WatchDir {
		s.dirWatch = watchDir(s.absDir)
	}
	s.initial = initial
	return s, nil
}

// ServiceName returns the name of the service at path, an absolute path
// as the scan directory or the command line gives it (links not
// resolved): its base name, or "NAME/log" for the logger of NAME.
func ServiceName(path string) string {
	path = filepath.Clean(path)
	base := filepath.Base(path)
	if base == svdir.Log {
		if parent := filepath.Base(filepath.Dir(path)); parent != "/" && parent != "." {
			return parent + "/" + svdir.Log
		}
	}
	return base
}

// watchDir returns an inotify watcher on the directory that holds dir, for
// the removal or renaming of entries, or nil (the other checks still
// notice, later). Watching dir itself would not do: its IN_DELETE_SELF
// waits until the files the supervisor holds open in it are closed.
func watchDir(absDir string) *inotify.Watcher {
	w, err := inotify.New()
	if err != nil {
		return nil
	}
	const mask = syscall.IN_DELETE | syscall.IN_MOVED_FROM | syscall.IN_ONLYDIR
	if _, err := w.Add(filepath.Dir(absDir), mask); err != nil {
		w.Close()
		return nil
	}
	return w
}

// readDirWatch turns the removal or renaming of an entry named as the
// service directory (or a queue overflow: too many to tell) into a check
// of it; it sleeps in the runtime's poller meanwhile.
func (s *Supervisor) readDirWatch() {
	base := filepath.Base(s.absDir)
	buf := make([]byte, 64*inotify.MinBuffer)
	for {
		evs, err := s.dirWatch.Read(buf)
		if err != nil && !errors.Is(err, inotify.ErrTruncated) {
			return // closed at exit
		}
		for _, ev := range evs {
			if ev.Overflow() || ev.Name == base {
				s.post(Input{Kind: InCheckDir})
				break
			}
		}
	}
}

func readSome(path string, n int) []byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	b := make([]byte, n)
	m, _ := io.ReadFull(f, b)
	return b[:m]
}

func (s *Supervisor) path(name string) string { return filepath.Join(s.dir, name) }

// Dir returns the absolute service directory.
func (s *Supervisor) Dir() string { return s.absDir }

// Run supervises until svc -x is obeyed (the service and ./finish are
// down), then releases the directory and returns.
func (s *Supervisor) Run() {
	go s.readControl()
	if s.dirWatch != nil {
		go s.readDirWatch()
		s.checkGone(time.Now()) // removed before the watch was set up
	}
	if s.notify != nil {
		go s.notify.serve()
	}
	if p := s.adopt; p != nil {
		killAfter, _ := readMillis(s.path(FileTimeoutKill))
		s.killpg = s.exists(FileKillPG)
		s.apply(s.step(Input{Kind: InAdopt, Pid: p.Pid, Since: s.adoptFrom.When.Time(), Byte: s.adoptFrom.Want,
			Paused: s.adoptFrom.Paused, Ready: s.adoptReady, KillAfter: killAfter, Now: time.Now()}))
		go func() {
			if p.Wait() {
				s.post(Input{Kind: InRunExited, Pid: p.Pid, Unknown: true})
			}
		}()
	} else {
		s.apply(s.step(Input{Kind: InBoot, Now: time.Now()}))
	}
	for _, c := range s.initial {
		s.apply(s.step(Input{Kind: InControl, Byte: c, Now: time.Now()}))
	}
	for !s.m.Done() {
		in := <-s.in
		if in.Kind == InTimer {
			if in.gen != s.gen[in.Timer] {
				continue // cancelled or re-armed since
			}
			s.timers[in.Timer] = nil
		}
		if in.Now.IsZero() {
			in.Now = time.Now()
		}
		if in.Kind == InRunExited && s.adopt != nil && in.Pid == s.adopt.Pid {
			s.adopt.Close() // it is gone: nothing may be signalled through it
			s.adopt = nil
		}
		if in.Kind == InRunExited || in.Kind == InTimer || in.Kind == InCheckDir || s.suspect {
			s.checkGone(in.Now)
		}
		if in.Kind == InCheckDir {
			continue
		}
		s.apply(s.step(in))
	}
	for i := range s.timers {
		s.stopTimer(TimerKind(i))
	}
	s.announce()
	close(s.quit)
	s.closeFiles()
}

// checkGone notices a service directory that has been removed, or renamed
// out of reach (its files can no longer be written where they were): it
// says so once and acts as svc -x, so ./run is not started again and
// supervise exits once the running process (and ./finish) has ended.
func (s *Supervisor) checkGone(now time.Time) {
	s.suspect = false
	unsaid := s.unsaid
	s.unsaid = nil
	if s.gone {
		return
	}
	if !s.dirGone() {
		if unsaid != nil {
			cli.Warn(s.log, s.prog, unsaid...)
		}
		return
	}
	s.gone = true
	cli.Warn(s.log, s.prog, s.name, " is gone: not restarting ", s.name, "/run, exiting when it is down")
	s.apply(s.step(Input{Kind: InControl, Byte: 'x', Now: now}))
}

// dirGone reports whether the service directory no longer is where it
// was: no such path, another directory there, or one with no links left.
func (s *Supervisor) dirGone() bool {
	var st syscall.Stat_t
	err := syscall.Stat(s.dir, &st)
	if err == syscall.ENOENT || err == syscall.ENOTDIR {
		return true
	}
	if err != nil {
		return false // EACCES, ENOMEM, ...: not proof of anything
	}
	return st.Nlink == 0 || s.dirKey != [2]uint64{} && s.dirKey != [2]uint64{uint64(st.Dev), st.Ino}
}

// step feeds the machine and publishes its run pid for the notify socket.
func (s *Supervisor) step(in Input) []Action {
	acts := s.m.Step(in)
	s.runPid.Store(int64(s.m.RunPid()))
	return acts
}

// Control delivers svc command bytes to the supervisor as if written to
// supervise/control, without the FIFO (svscan's all-in-one mode). After
// Run has returned it does nothing.
func (s *Supervisor) Control(cmds []byte) {
	for _, c := range cmds {
		s.post(Input{Kind: InControl, Byte: c})
	}
}

// CheckDir asks the supervisor to check that its directory is still
// there (svscan's all-in-one mode, when a scan no longer finds it), so an
// idle supervisor of a removed directory ends too.
func (s *Supervisor) CheckDir() { s.post(Input{Kind: InCheckDir}) }

// post hands an input to the loop, or drops it once the loop is gone.
func (s *Supervisor) post(in Input) {
	select {
	case s.in <- in:
	case <-s.quit:
	}
}

func (s *Supervisor) closeFiles() {
	for _, f := range []*os.File{s.control, s.controlW, s.ok, s.readyPipe} {
		if f != nil {
			f.Close()
		}
	}
	if s.dirWatch != nil {
		s.dirWatch.Close()
	}
	if s.notify != nil {
		s.notify.close()
	}
	if s.lock != nil {
		// Unlock, then close: a child of this process between its fork
		// and its exec holds a copy of every descriptor, and the lock
		// would outlive the close until that exec. All-in-one svscan (and
		// any process that runs supervisors) forks all the time, and a
		// supervisor started on this directory right after would find it
		// locked.
		syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN)
		s.lock.Close()
	}
}

// readControl feeds the bytes written to supervise/control to the loop. It
// sleeps in the runtime's poller: no wake-up until a byte arrives.
func (s *Supervisor) readControl() {
	var b [64]byte
	for {
		n, err := s.control.Read(b[:])
		for _, c := range b[:n] {
			s.post(Input{Kind: InControl, Byte: c})
		}
		if err != nil && n == 0 {
			return // closed at exit
		}
	}
}

// apply carries out actions; spawn actions are answered at once with a
// follow-up Step, so the machine never waits for a spawn.
func (s *Supervisor) apply(acts []Action) {
	// Step reuses its slice: copy what is left before stepping again.
	queue := append([]Action(nil), acts...)
	// Announcements are coalesced: the files are written once before the
	// next event is delivered (an observer reading them sees the new
	// state) and once at the end.
	dirty := false
	defer func() {
		if dirty {
			s.announce()
		}
	}()
	for len(queue) > 0 {
		a := queue[0]
		queue = queue[1:]
		var next *Input
		switch a.Kind {
		case ActSpawnRun:
			in := s.spawnRun()
			next = &in
		case ActSpawnFinish:
			in := s.spawnFinish(a.Code, int(a.Sig))
			next = &in
		case ActSignal:
			s.kill(a.Pid, a.Sig)
		case ActSetTimer:
			s.setTimer(a.Timer, a.After)
		case ActCancelTimer:
			s.stopTimer(a.Timer)
		case ActAnnounce:
			dirty = true
		case ActEmit:
			if dirty {
				dirty = false
				s.announce()
			}
			if a.Event.Kind == EventExited && s.readyPipe != nil {
				s.readyPipe.Close()
				s.readyPipe = nil
			}
			if s.cfg.Observer != nil {
				ev := *a.Event
				ev.Service, ev.Dir = s.service, s.absDir
				s.cfg.Observer.Observe(ev)
			}
		case ActExit:
		}
		if next != nil {
			next.Now = time.Now()
			queue = append(append([]Action(nil), s.step(*next)...), queue...)
		}
	}
}

func (s *Supervisor) kill(pid int, sig syscall.Signal) {
	if pid <= 0 {
		return
	}
	if s.adopt != nil && pid == s.adopt.Pid {
		// Not our child: its pid could be reused once it exits, so the
		// pidfd is the only handle. Its group is signalled only while the
		// leader is known alive (its pid, hence the group id, in use).
		if s.killpg && s.adopt.Signal(0) == nil && syscall.Kill(-pid, sig) == nil {
			return
		}
		s.adopt.Signal(sig)
		return
	}
	if pid == s.m.RunPid() && s.killpg {
		if syscall.Kill(-pid, sig) == nil {
			return
		}
	}
	syscall.Kill(pid, sig)
}

func (s *Supervisor) setTimer(t TimerKind, d time.Duration) {
	s.stopTimer(t)
	g := s.gen[t]
	s.timers[t] = time.AfterFunc(d, func() { s.post(Input{Kind: InTimer, Timer: t, gen: g}) })
}

func (s *Supervisor) stopTimer(t TimerKind) {
	s.gen[t]++
	if s.timers[t] != nil {
		s.timers[t].Stop()
		s.timers[t] = nil
	}
}

// announce writes supervise/status.json and supervise/status
// (daemontools' 18 bytes, with its warnings on failure), in that order:
// status.json holds what a later supervisor needs to adopt the run (its
// start time), so a supervisor killed between the two writes leaves the
// newer record there, never an 18-byte pid that status.json cannot vouch
// for (findAdoptable).
func (s *Supervisor) announce() {
	if s.gone {
		return // nowhere to write; said once by checkGone
	}
	snap := s.m.Snapshot()
	s.writeJSON(snap)
	if err := status.Write(s.dir, snap.Status18()); err != nil {
		if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
			if s.statusFds {
				return
			}
			s.statusFds = true
		}
		var pe *os.PathError
		var le *os.LinkError
		var msg []any
		switch {
		case errors.As(err, &le):
			msg = []any{"unable to rename ", s.name, "/supervise/status.new to status: ", le.Err}
		case errors.As(err, &pe) && pe.Op == "open":
			msg = []any{"unable to open ", s.name, "/supervise/status.new: ", pe.Err}
		default:
			msg = []any{"unable to write ", s.name, "/supervise/status.new: ", err}
		}
		if errors.Is(err, syscall.ENOENT) {
			// The directory may be going (being removed right now, its
			// files first): checkGone decides before the next event and
			// says either that it is gone or this.
			s.suspect, s.unsaid = true, msg
			return
		}
		cli.Warn(s.log, s.prog, msg...)
	} else {
		s.statusFds = false
	}
}

// writeJSON writes snap, with what identifies the processes, as
// supervise/status.json; a failure is said once.
func (s *Supervisor) writeJSON(snap state.Status) {
	snap.Supervisor = os.Getpid()
	snap.SupervisorStart, snap.BootID = s.selfStart, s.bootID
	if snap.Pid != 0 {
		snap.PidStart = s.startTime(snap.Pid)
		snap.NotifySocket = s.runNotify
	}
	if err := state.Write(s.dir, &snap); err != nil && !s.warnedJSON {
		s.warnedJSON = true
		msg := []any{"unable to write ", s.name, "/", state.File, ": ", err}
		if errors.Is(err, syscall.ENOENT) {
			// as for the 18-byte file: gone, or said by checkGone
			s.suspect = true
			if s.unsaid == nil {
				s.unsaid = msg
			}
			return
		}
		cli.Warn(s.log, s.prog, msg...)
	}
}

// startTime returns the start time of run pid, read once per run.
func (s *Supervisor) startTime(pid int) uint64 {
	if pid != s.startPid {
		s.startPid, s.startTick = pid, 0
		if t, err := pidfd.StartTime(pid); err == nil {
			s.startTick = t
		}
	}
	return s.startTick
}

// findAdoptable looks at the status left by the previous supervisor of
// the directory: when it names a ./run that still runs, and that process
// is the one recorded (same start time, same boot: a reused pid is not),
// s.adopt holds it through a pidfd. Debian's supervise writes no
// status.json: its runs are never adopted.
func (s *Supervisor) findAdoptable() {
	js, err := state.Read(s.dir)
	if err != nil || js.Pid <= 0 || js.PidStart == 0 || js.BootID == "" || js.BootID != s.bootID {
		return
	}
	old, err := status.Decode(readSome(s.path(svdir.Status), status.Size+1))
	if err != nil || old.Pid != js.Pid {
		// The previous supervisor died between writing status.json and
		// the 18 bytes (announce writes them in that order): status.json
		// is the newer record.
		old = js.Status18()
	}
	p, err := pidfd.Open(js.Pid, js.PidStart)
	if err != nil {
		return
	}
	s.adopt, s.adoptFrom, s.adoptReady = p, old, js.Ready
	s.startPid, s.startTick = js.Pid, js.PidStart
	s.runNotify = js.NotifySocket
}

// readMillis reads a file holding a number of milliseconds; ok is false
// when the file is absent or does not hold a number.
func readMillis(path string) (time.Duration, bool) {
	n, ok := readNumber(path)
	if !ok {
		return 0, false
	}
	return time.Duration(n) * time.Millisecond, true
}

func readNumber(path string) (int, bool) {
	b := readSome(path, 32)
	if b == nil {
		return 0, false
	}
	i := 0
	for i < len(b) && b[i] != '\n' {
		i++
	}
	str := string(b[:i])
	for len(str) > 0 && (str[len(str)-1] == ' ' || str[len(str)-1] == '\t' || str[len(str)-1] == '\r') {
		str = str[:len(str)-1]
	}
	n, err := strconv.Atoi(str)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}
