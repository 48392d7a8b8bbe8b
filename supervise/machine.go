package supervise

import (
	"syscall"
	"time"

	"github.com/svbridge/svbridge/supervise/state"
	"github.com/svbridge/svbridge/supervise/status"
)

// The Machine is supervise's state × event table, without processes,
// files or clocks: Step takes one Input (with the time it happened) and
// returns the Actions the driver must carry out, in order. Spawning is a
// round trip: Step returns ActSpawnRun and the driver answers at once with
// InRunStarted or InRunFailed (ActSpawnFinish: InFinishStarted or
// InFinishNone), before any other input.

// InputKind names what happened.
type InputKind uint8

const (
	InBoot          InputKind = iota + 1 // supervise has set up its directory
	InControl                            // a byte arrived on supervise/control
	InRunStarted                         // ./run was spawned: Pid, KillAfter
	InRunFailed                          // ./run could not be spawned
	InRunExited                          // a child exited: Pid, Code, Sig
	InFinishStarted                      // ./finish was spawned: Pid, FinishLimit
	InFinishNone                         // there is no ./finish (or it could not start)
	InTimer                              // a timer set by ActSetTimer fired
	InReady                              // the daemon said it is ready (Pid 0: any run)
	InStatusText                         // STATUS=Text
	InStopping                           // STOPPING=1
	InAdopt                              // in place of InBoot: ./run is already running (Pid, Since, Byte = want, Paused, Ready, KillAfter)
	InCheckDir                           // the driver is asked to check its directory; Step ignores it
)

// TimerKind names the machine's timers. Timers exist only while something
// is pending; an idle machine has none.
type TimerKind uint8

const (
	TimerRestart TimerKind = iota // the 1 s pause between two starts
	TimerUp                       // 1 s after a start: the run counts as up
	TimerKill                     // timeout-kill after svc -d
	TimerFinish                   // timeout-finish
	numTimers
)

// Input is one event fed to Step.
type Input struct {
	Kind        InputKind
	Now         time.Time
	Byte        byte          // InControl
	Pid         int           // InRunStarted, InRunExited, InFinishStarted, InReady
	Code        int           // InRunExited: exit code, -1 if signalled
	Sig         int           // InRunExited: signal number
	Timer       TimerKind     // InTimer
	KillAfter   time.Duration // InRunStarted: timeout-kill, 0 = none
	FinishLimit time.Duration // InFinishStarted: timeout-finish
	Text        string        // InStatusText
	Unknown     bool          // InRunExited: the exit code cannot be read (adopted process)
	Since       time.Time     // InAdopt: when the run started, as recorded
	Paused      bool          // InAdopt
	Ready       bool          // InAdopt

	gen uint64 // the driver's timer generation (InTimer); Step ignores it
}

// ActionKind names what the driver must do.
type ActionKind uint8

const (
	ActSpawnRun    ActionKind = iota + 1 // start ./run, answer InRunStarted/InRunFailed
	ActSpawnFinish                       // start ./finish Code Sig, answer InFinishStarted/InFinishNone
	ActSignal                            // send Sig to Pid (its group in killpg mode)
	ActSetTimer                          // (re)arm Timer to fire After from now
	ActCancelTimer                       // disarm Timer
	ActAnnounce                          // write supervise/status and status.json
	ActEmit                              // give Event to the Observer
	ActExit                              // supervise is done (svc -x and nothing runs)
)

// Action is one thing for the driver to do.
type Action struct {
	Kind  ActionKind
	Pid   int
	Sig   syscall.Signal
	Timer TimerKind
	After time.Duration
	Code  int    // ActSpawnFinish
	Event *Event // ActEmit (a pointer: the machine keeps its slice of Actions, which stays small)
}

// Pause is the minimum time between two starts of ./run, as daemontools'
// sleep(1) after each fork.
const Pause = time.Second

// UpAfter is how long a run must last to count as up (and not flapping).
const UpAfter = time.Second

// FlapRuns is the number of consecutive runs shorter than UpAfter that
// make a service "flapping".
const FlapRuns = 3

// signals maps the svc letters that only send a signal.
var signals = [256]syscall.Signal{
	'a': syscall.SIGALRM, 'h': syscall.SIGHUP, 'i': syscall.SIGINT,
	'k': syscall.SIGKILL, 't': syscall.SIGTERM, 'q': syscall.SIGQUIT,
	'1': syscall.SIGUSR1, '2': syscall.SIGUSR2, 'w': syscall.SIGWINCH,
}

// phase is where a service is in its cycle, as s6-supervise's states
// (down, up, finish, last-up, last-finish), with daemontools' pause between
// two starts and svc -o. Each phase says which child exists, so that a
// ./run and a ./finish at once, a start waiting while ./run runs, or an
// exit asked with nothing to wait for cannot be written down.
//
//	phaseDown       --a start-->        phaseRun, or phaseWait while the pause lasts
//	phaseWait       --TimerRestart-->   a start
//	phaseRun        --./run ends-->     phaseFinish
//	phaseFinish     --./finish ends-->  a start if wanted up, else phaseDown
//	phaseFinishOnce --./finish ends-->  a start
//	phaseLastRun    --./run ends-->     phaseLastFinish
//	phaseLastFinish --./finish ends-->  phaseExited
//
// (a start: at boot, on svc -u or -o, or after ./finish; "./finish ends"
// includes there being none, and a ./run that cannot be spawned ends at
// once, as an exit 111.)
//
// svc -x takes phaseRun to phaseLastRun, the finish phases to
// phaseLastFinish, and phaseDown or phaseWait to phaseExited at once; svc -o
// during ./finish takes phaseFinish to phaseFinishOnce, svc -d back; svc -d
// takes phaseWait to phaseDown.
type phase uint8

const (
	phaseDown       phase = iota // nothing runs and no start is owed (or ./run is being started: one Step's round trip)
	phaseWait                    // nothing runs; ./run starts when TimerRestart ends the pause between starts
	phaseRun                     // ./run runs (pid)
	phaseFinish                  // ./run has ended; ./finish runs (pid), or is being started (pid 0)
	phaseFinishOnce              // as phaseFinish, then ./run starts once (svc -o came during ./finish)
	phaseLastRun                 // ./run runs; supervise exits once it and ./finish have ended (svc -x)
	phaseLastFinish              // ./finish runs or is being started; then supervise exits
	phaseExited                  // ActExit was returned: the machine takes no more input
)

// runFacts is what is known of the current run of ./run: set anew at each
// start, read only while the phase says ./run runs.
type runFacts struct {
	up         bool // it has lasted UpAfter
	ready      bool // it said it is ready
	paused     bool // svc -p
	stopping   bool // it said STOPPING=1
	killAfter  time.Duration
	start      time.Time
	readySince time.Time
}

// Machine is the state of one supervised service: a phase, the want, the
// facts of the current run, and the history that status.json reports.
type Machine struct {
	NormallyUp bool // no ./down file

	phase phase
	pid   int        // the child of the phase: ./run in phaseRun and phaseLastRun, ./finish in the finish phases (0 while being started)
	want  state.Want // svc -u, -d, -o; up or down at first as ./down says
	runFacts

	since      time.Time // last change of run pid (the status file's stamp)
	lastStart  time.Time
	statusText string      // the last STATUS= of the current or last run
	lastExit   *state.Exit // how the last run ended
	starts     int
	quick      int // consecutive short runs
	flapping   bool

	acts []Action
}

// NewMachine returns the machine of a service that is normally up (no
// ./down file) or not, as daemontools starts: wanting it up unless down.
func NewMachine(normallyUp bool, now time.Time) *Machine {
	return &Machine{NormallyUp: normallyUp, want: state.Normally(normallyUp), since: now}
}

// running tells whether ./run runs.
func (m *Machine) running() bool { return m.phase == phaseRun || m.phase == phaseLastRun }

// finishing tells whether ./finish runs or is being started.
func (m *Machine) finishing() bool {
	return m.phase == phaseFinish || m.phase == phaseFinishOnce || m.phase == phaseLastFinish
}

// Done reports whether the machine has asked the driver to exit.
func (m *Machine) Done() bool { return m.phase == phaseExited }

// RunPid returns the pid of ./run, or 0.
func (m *Machine) RunPid() int {
	if m.running() {
		return m.pid
	}
	return 0
}

// FinishPid returns the pid of ./finish, or 0.
func (m *Machine) FinishPid() int {
	if m.finishing() {
		return m.pid
	}
	return 0
}

// WantByte is the want byte of supervise/status: 'u', 'd' or 0 after svc -o.
func (m *Machine) WantByte() byte { return m.want.Byte() }

// Status18 returns the daemontools status as it must be written now: the
// projection of Snapshot onto the 18 bytes.
func (m *Machine) Status18() status.Status {
	s := m.Snapshot()
	return s.Status18()
}

// Snapshot returns the status of the service now (without what only the
// driver knows: supervisor and start times), from which supervise/status
// and status.json are written.
func (m *Machine) Snapshot() state.Status {
	s := state.Status{
		Pid: m.RunPid(), Since: m.since, StatusText: m.statusText, NormallyUp: m.NormallyUp,
		Want: m.want, LastExit: m.lastExit, Restarts: m.restarts(), Flapping: m.flapping,
	}
	switch m.phase {
	case phaseRun, phaseLastRun:
		s.State = state.Starting
		if m.up || m.ready {
			s.State = state.Up
		}
		s.Ready, s.Paused, s.Stopping = m.ready, m.paused, m.stopping
		if m.ready {
			r := m.readySince
			s.ReadySince = &r
		}
	case phaseWait:
		s.State = state.Starting
	case phaseFinish, phaseFinishOnce, phaseLastFinish:
		s.State = state.Down // until ./finish is known to run
		if m.pid != 0 {
			s.State = state.Finish
		}
	default:
		s.State = state.Down
	}
	return s
}

func (m *Machine) restarts() int {
	if m.starts == 0 {
		return 0
	}
	return m.starts - 1
}

func (m *Machine) do(a Action) { m.acts = append(m.acts, a) }

// emit gives the driver an Event of kind about pid, with the status as it
// is now, after the transition.
func (m *Machine) emit(kind EventKind, now time.Time, pid int) *Event {
	ev := &Event{Kind: kind, Time: now, Pid: pid, Status: m.Snapshot()}
	m.acts = append(m.acts, Action{Kind: ActEmit, Event: ev})
	return ev
}

func (m *Machine) announce() { m.do(Action{Kind: ActAnnounce}) }

func (m *Machine) signal(pid int, sig syscall.Signal) {
	m.do(Action{Kind: ActSignal, Pid: pid, Sig: sig})
}

func (m *Machine) setTimer(t TimerKind, d time.Duration) {
	m.do(Action{Kind: ActSetTimer, Timer: t, After: d})
}

func (m *Machine) cancelTimer(t TimerKind) { m.do(Action{Kind: ActCancelTimer, Timer: t}) }

// Step applies one input and returns the actions, which stay valid until
// the next call.
func (m *Machine) Step(in Input) []Action {
	m.acts = m.acts[:0]
	if m.phase == phaseExited {
		return nil
	}
	now := in.Now
	switch in.Kind {
	case InBoot:
		m.announce()
		if m.want == state.WantUp {
			m.tryStart(now)
		}
	case InAdopt:
		m.adopt(in, now)
	case InControl:
		m.control(in.Byte, now)
	case InRunStarted:
		m.phase, m.pid = phaseRun, in.Pid
		m.runFacts = runFacts{start: now, killAfter: in.KillAfter}
		m.starts++
		m.since, m.lastStart = now, now
		m.statusText = ""
		m.announce()
		m.emit(EventStarted, now, m.pid)
		m.setTimer(TimerUp, UpAfter)
	case InRunFailed:
		// As daemontools' forked child that could not exec: an exit 111
		// at once, and the next try after the pause.
		m.starts++
		m.lastStart, m.since = now, now
		m.announce()
		m.exited(now, 0, 111, 0, false, 0, false)
	case InRunExited:
		if in.Pid == 0 || in.Pid != m.pid {
			break
		}
		if m.running() {
			m.cancelTimer(TimerUp)
			m.cancelTimer(TimerKill)
			if m.phase == phaseLastRun {
				m.phase = phaseLastFinish
			} else {
				m.phase = phaseFinish
			}
			m.pid = 0
			m.since = now
			m.announce()
			if in.Unknown {
				in.Code, in.Sig = -1, 0
			}
			m.exited(now, in.Pid, in.Code, in.Sig, in.Unknown, now.Sub(m.start), true)
		} else if m.finishing() {
			m.cancelTimer(TimerFinish)
			m.afterRun(now)
		}
	case InFinishStarted:
		if m.finishing() && m.pid == 0 {
			m.pid = in.Pid
			m.setTimer(TimerFinish, in.FinishLimit)
			m.announce()
		}
	case InFinishNone:
		if m.finishing() && m.pid == 0 {
			m.afterRun(now)
		}
	case InTimer:
		m.timer(in.Timer, now)
	case InReady:
		if m.running() && !m.ready && (in.Pid == 0 || in.Pid == m.pid) {
			m.ready = true
			m.readySince = now
			m.announce()
			m.emit(EventReady, now, m.pid)
		}
	case InStatusText:
		if m.running() && m.statusText != in.Text {
			m.statusText = in.Text
			m.announce()
			m.emit(EventStatus, now, m.pid)
		}
	case InStopping:
		if m.running() && !m.stopping {
			m.stopping = true
			m.announce()
			m.emit(EventStopping, now, m.pid)
		}
	}
	return m.acts
}

// adopt takes over a ./run left running by a supervisor that died: it is
// the first input, in place of InBoot. The run keeps the want and pause it
// had, counts as up at once, and nothing is spawned.
func (m *Machine) adopt(in Input, now time.Time) {
	if m.phase != phaseDown || m.starts != 0 || in.Pid <= 0 {
		return
	}
	switch w := state.Want(in.Byte); w {
	case state.WantUp, state.WantDown, state.WantOnce:
		m.want = w
	}
	since := in.Since
	if since.IsZero() || since.After(now) {
		since = now
	}
	m.phase, m.pid = phaseRun, in.Pid
	m.runFacts = runFacts{up: true, ready: in.Ready, paused: in.Paused, killAfter: in.KillAfter, start: since}
	if in.Ready {
		m.readySince = now
	}
	m.starts++
	m.since, m.lastStart = since, since
	m.announce()
	m.emit(EventAdopted, now, m.pid)
}

// exited records the end of a run (spawned says whether a process ran) and
// starts ./finish or goes on with afterRun.
func (m *Machine) exited(now time.Time, pid, code, sig int, unknown bool, uptime time.Duration, spawned bool) {
	m.lastExit = &state.Exit{Code: code, Signal: sig, Time: now, Unknown: unknown}
	ev := m.emit(EventExited, now, pid)
	ev.Exit, ev.Uptime = *m.lastExit, uptime
	if uptime < UpAfter {
		m.quick++
		if m.quick >= FlapRuns && !m.flapping {
			m.flapping = true
			m.announce()
			m.emit(EventFlapping, now, pid).Uptime = uptime
		}
	} else {
		m.quick = 0
		m.flapping = false
	}
	if spawned {
		m.do(Action{Kind: ActSpawnFinish, Code: code, Sig: syscall.Signal(sig)})
		return
	}
	m.afterRun(now)
}

// afterRun decides, once ./run and ./finish are both gone, whether to exit,
// restart or stay down.
func (m *Machine) afterRun(now time.Time) {
	was := m.phase
	m.phase, m.pid = phaseDown, 0
	m.announce()
	if was == phaseLastFinish {
		m.phase = phaseExited
		m.do(Action{Kind: ActExit})
		return
	}
	if m.want == state.WantUp || was == phaseFinishOnce {
		m.emit(EventRestarting, now, 0)
		m.tryStart(now)
		return
	}
	m.emit(EventDown, now, 0)
}

// tryStart starts ./run from phaseDown, at once or after the pause.
func (m *Machine) tryStart(now time.Time) {
	if m.phase != phaseDown {
		return
	}
	if !m.lastStart.IsZero() {
		if wait := m.lastStart.Add(Pause).Sub(now); wait > 0 {
			m.phase = phaseWait
			m.announce()
			m.setTimer(TimerRestart, wait)
			return
		}
	}
	m.do(Action{Kind: ActSpawnRun})
}

func (m *Machine) timer(t TimerKind, now time.Time) {
	switch t {
	case TimerRestart:
		if m.phase == phaseWait {
			m.phase = phaseDown
			m.tryStart(now)
		}
	case TimerUp:
		if m.running() && !m.up {
			m.up = true
			m.quick = 0
			m.flapping = false
			m.announce()
			m.emit(EventUp, now, m.pid)
		}
	case TimerKill:
		if m.running() {
			m.signal(m.pid, syscall.SIGKILL)
		}
	case TimerFinish:
		if m.finishing() && m.pid != 0 {
			m.signal(m.pid, syscall.SIGKILL)
		}
	}
}

func (m *Machine) control(c byte, now time.Time) {
	switch c {
	case 'u':
		m.want = state.WantUp
		m.announce()
		m.tryStart(now)
	case 'd':
		wasDown := m.want == state.WantDown
		m.want = state.WantDown
		switch m.phase {
		case phaseRun, phaseLastRun:
			m.signal(m.pid, syscall.SIGTERM)
			m.signal(m.pid, syscall.SIGCONT)
			m.paused = false
			if m.killAfter > 0 {
				m.setTimer(TimerKill, m.killAfter)
			}
		case phaseFinishOnce:
			m.phase = phaseFinish
		case phaseWait:
			m.phase = phaseDown
			m.cancelTimer(TimerRestart)
		}
		m.announce()
		if !wasDown {
			m.emit(EventWantedDown, now, m.RunPid())
		}
	case 'o':
		m.want = state.WantOnce
		m.announce()
		if m.phase == phaseFinish && m.pid != 0 {
			m.phase = phaseFinishOnce
		}
		m.tryStart(now)
	case 'p':
		if m.running() {
			m.paused = true
		}
		m.announce()
		if m.running() {
			m.signal(m.pid, syscall.SIGSTOP)
		}
	case 'c':
		m.paused = false
		m.announce()
		if m.running() {
			m.signal(m.pid, syscall.SIGCONT)
		}
	case 'x':
		m.announce()
		switch m.phase {
		case phaseRun:
			m.phase = phaseLastRun
		case phaseFinish, phaseFinishOnce:
			m.phase = phaseLastFinish
		case phaseWait:
			m.cancelTimer(TimerRestart)
			fallthrough
		case phaseDown:
			m.phase = phaseExited
			m.do(Action{Kind: ActExit})
		}
	default:
		if sig := signals[c]; sig != 0 && m.running() {
			m.signal(m.pid, sig)
		}
	}
}
