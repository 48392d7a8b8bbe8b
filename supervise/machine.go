package supervise

import (
	"syscall"
	"time"

	"github.com/svbridge/svbridge/internal/tai64n"
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
	Code  int // ActSpawnFinish
	Event Event
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

// Machine is the state of one supervised service.
type Machine struct {
	NormallyUp bool // no ./down file

	wantSet   bool // false after svc -o: run once, do not restart
	wantUp    bool
	paused    bool
	exiting   bool // svc -x seen
	done      bool // ActExit returned
	run       int  // pid of ./run, 0 if none
	finish    int  // pid of ./finish, 0 if none
	pending   bool // a start waits for TimerRestart
	once      bool // svc -o arrived while ./finish ran: start once after it
	up        bool // the run lasted UpAfter
	ready     bool
	stopping  bool
	killAfter time.Duration

	since      time.Time // last change of run pid (the status file's stamp)
	runStart   time.Time
	lastStart  time.Time
	readySince time.Time
	statusText string
	lastExit   *state.Exit
	starts     int
	quick      int // consecutive short runs
	flapping   bool

	acts []Action
}

// NewMachine returns the machine of a service that is normally up (no
// ./down file) or not, as daemontools starts: wanting it up unless down.
func NewMachine(normallyUp bool, now time.Time) *Machine {
	return &Machine{NormallyUp: normallyUp, wantSet: true, wantUp: normallyUp, since: now}
}

// Done reports whether the machine has asked the driver to exit.
func (m *Machine) Done() bool { return m.done }

// RunPid returns the pid of ./run, or 0.
func (m *Machine) RunPid() int { return m.run }

// FinishPid returns the pid of ./finish, or 0.
func (m *Machine) FinishPid() int { return m.finish }

// WantByte is the want byte of supervise/status: 'u', 'd' or 0 after svc -o.
func (m *Machine) WantByte() byte {
	if !m.wantSet {
		return status.WantNone
	}
	if m.wantUp {
		return status.WantUp
	}
	return status.WantDown
}

// Status18 returns the daemontools status as it must be written now.
func (m *Machine) Status18() status.Status {
	return status.Status{When: tai64n.FromTime(m.since), Pid: m.run, Paused: m.paused && m.run != 0, Want: m.WantByte()}
}

// Snapshot returns the status.json content.
func (m *Machine) Snapshot() state.Status {
	s := state.Status{
		Pid: m.run, Since: m.since, Ready: m.ready, StatusText: m.statusText,
		NormallyUp: m.NormallyUp, Paused: m.paused && m.run != 0, LastExit: m.lastExit,
		Restarts: m.restarts(), Flapping: m.flapping, Stopping: m.stopping && m.run != 0,
	}
	switch m.WantByte() {
	case status.WantUp:
		s.Want = state.WantUp
	case status.WantDown:
		s.Want = state.WantDown
	}
	switch {
	case m.run != 0 && (m.up || m.ready):
		s.State = state.Up
	case m.run != 0 || m.pending:
		s.State = state.Starting
	case m.finish != 0:
		s.State = state.Finish
	default:
		s.State = state.Down
	}
	if m.ready {
		r := m.readySince
		s.ReadySince = &r
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

func (m *Machine) emit(kind EventKind, now time.Time, pid int) *Event {
	m.acts = append(m.acts, Action{Kind: ActEmit, Event: Event{
		Kind: kind, Time: now, Pid: pid, Want: m.WantByte(), NormallyUp: m.NormallyUp, Restarts: m.restarts(),
	}})
	return &m.acts[len(m.acts)-1].Event
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
	if m.done {
		return nil
	}
	now := in.Now
	switch in.Kind {
	case InBoot:
		m.announce()
		if m.wantUp {
			m.tryStart(now)
		}
	case InAdopt:
		m.adopt(in, now)
	case InControl:
		m.control(in.Byte, now)
	case InRunStarted:
		m.run = in.Pid
		m.starts++
		m.since, m.runStart, m.lastStart = now, now, now
		m.paused, m.up, m.ready, m.stopping = false, false, false, false
		m.statusText = ""
		m.killAfter = in.KillAfter
		m.announce()
		m.emit(EventStarted, now, m.run)
		m.setTimer(TimerUp, UpAfter)
	case InRunFailed:
		// As daemontools' forked child that could not exec: an exit 111
		// at once, and the next try after the pause.
		m.starts++
		m.lastStart, m.since = now, now
		m.announce()
		m.exited(now, 0, 111, 0, false, 0, false)
	case InRunExited:
		if in.Pid == 0 {
			break
		}
		if in.Pid == m.run {
			m.cancelTimer(TimerUp)
			m.cancelTimer(TimerKill)
			m.run = 0
			m.since = now
			m.paused, m.ready, m.stopping = false, false, false
			m.announce()
			if in.Unknown {
				in.Code, in.Sig = -1, 0
			}
			m.exited(now, in.Pid, in.Code, in.Sig, in.Unknown, now.Sub(m.runStart), true)
		} else if in.Pid == m.finish {
			m.finish = 0
			m.cancelTimer(TimerFinish)
			m.afterRun(now)
		}
	case InFinishStarted:
		m.finish = in.Pid
		m.setTimer(TimerFinish, in.FinishLimit)
		m.announce()
	case InFinishNone:
		m.afterRun(now)
	case InTimer:
		m.timer(in.Timer, now)
	case InReady:
		if m.run != 0 && !m.ready && (in.Pid == 0 || in.Pid == m.run) {
			m.ready = true
			m.readySince = now
			m.announce()
			m.emit(EventReady, now, m.run)
		}
	case InStatusText:
		if m.run != 0 && m.statusText != in.Text {
			m.statusText = in.Text
			m.announce()
			m.emit(EventStatus, now, m.run).Text = in.Text
		}
	case InStopping:
		if m.run != 0 && !m.stopping {
			m.stopping = true
			m.announce()
			m.emit(EventStopping, now, m.run)
		}
	}
	return m.acts
}

// adopt takes over a ./run left running by a supervisor that died: it is
// the first input, in place of InBoot. The run keeps the want and pause it
// had, counts as up at once, and nothing is spawned.
func (m *Machine) adopt(in Input, now time.Time) {
	if m.run != 0 || m.finish != 0 || m.starts != 0 || in.Pid <= 0 {
		return
	}
	switch in.Byte {
	case status.WantUp:
		m.wantSet, m.wantUp = true, true
	case status.WantDown:
		m.wantSet, m.wantUp = true, false
	case status.WantNone:
		m.wantSet = false
	}
	since := in.Since
	if since.IsZero() || since.After(now) {
		since = now
	}
	m.run = in.Pid
	m.starts++
	m.since, m.runStart, m.lastStart = since, since, since
	m.paused, m.up, m.ready, m.stopping = in.Paused, true, in.Ready, false
	if in.Ready {
		m.readySince = now
	}
	m.killAfter = in.KillAfter
	m.announce()
	m.emit(EventAdopted, now, m.run)
}

// exited records the end of a run (spawned says whether a process ran) and
// starts ./finish or goes on with afterRun.
func (m *Machine) exited(now time.Time, pid, code, sig int, unknown bool, uptime time.Duration, spawned bool) {
	m.lastExit = &state.Exit{Code: code, Signal: sig, Time: now, Unknown: unknown}
	ev := m.emit(EventExited, now, pid)
	ev.ExitCode, ev.Signal, ev.Uptime, ev.Unknown = code, sig, uptime, unknown
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
	m.announce()
	if m.exiting {
		m.done = true
		m.do(Action{Kind: ActExit})
		return
	}
	if (m.wantSet && m.wantUp) || m.once {
		m.once = false
		m.emit(EventRestarting, now, 0)
		m.tryStart(now)
		return
	}
	m.emit(EventDown, now, 0)
}

func (m *Machine) tryStart(now time.Time) {
	if m.run != 0 || m.finish != 0 || m.pending {
		return
	}
	if !m.lastStart.IsZero() {
		if wait := m.lastStart.Add(Pause).Sub(now); wait > 0 {
			m.pending = true
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
		if m.pending {
			m.pending = false
			m.tryStart(now)
		}
	case TimerUp:
		if m.run != 0 && !m.up {
			m.up = true
			m.quick = 0
			if m.flapping {
				m.flapping = false
			}
			m.announce()
			m.emit(EventUp, now, m.run)
		}
	case TimerKill:
		if m.run != 0 {
			m.signal(m.run, syscall.SIGKILL)
		}
	case TimerFinish:
		if m.finish != 0 {
			m.signal(m.finish, syscall.SIGKILL)
		}
	}
}

func (m *Machine) control(c byte, now time.Time) {
	switch c {
	case 'u':
		m.wantSet, m.wantUp = true, true
		m.announce()
		if m.run == 0 {
			m.tryStart(now)
		}
	case 'd':
		wasDown := m.wantSet && !m.wantUp
		m.wantSet, m.wantUp = true, false
		if m.run != 0 {
			m.signal(m.run, syscall.SIGTERM)
			m.signal(m.run, syscall.SIGCONT)
			m.paused = false
			if m.killAfter > 0 {
				m.setTimer(TimerKill, m.killAfter)
			}
		}
		m.once = false
		if m.pending {
			m.pending = false
			m.cancelTimer(TimerRestart)
		}
		m.announce()
		if !wasDown {
			m.emit(EventWantedDown, now, m.run)
		}
	case 'o':
		m.wantSet = false
		m.announce()
		if m.run == 0 {
			if m.finish != 0 {
				m.once = true
			}
			m.tryStart(now)
		}
	case 'p':
		m.paused = true
		m.announce()
		if m.run != 0 {
			m.signal(m.run, syscall.SIGSTOP)
		}
	case 'c':
		m.paused = false
		m.announce()
		if m.run != 0 {
			m.signal(m.run, syscall.SIGCONT)
		}
	case 'x':
		m.exiting = true
		m.announce()
		if m.run == 0 && m.finish == 0 {
			if m.pending {
				m.pending = false
				m.cancelTimer(TimerRestart)
			}
			m.done = true
			m.do(Action{Kind: ActExit})
		}
	default:
		if sig := signals[c]; sig != 0 && m.run != 0 {
			m.signal(m.run, sig)
		}
	}
}
