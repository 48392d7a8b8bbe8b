package supervise

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/svbridge/svbridge/supervise/state"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

var timerNames = [...]string{TimerRestart: "restart", TimerUp: "up", TimerKill: "kill", TimerFinish: "finish"}

// render writes actions in a compact form for table tests.
func render(acts []Action) string {
	var out []string
	for _, a := range acts {
		switch a.Kind {
		case ActSpawnRun:
			out = append(out, "spawn")
		case ActSpawnFinish:
			out = append(out, fmt.Sprintf("finish(%d,%d)", a.Code, a.Sig))
		case ActSignal:
			out = append(out, fmt.Sprintf("kill(%d,%s)", a.Pid, sigName(a.Sig)))
		case ActSetTimer:
			out = append(out, fmt.Sprintf("set(%s,%v)", timerNames[a.Timer], a.After))
		case ActCancelTimer:
			out = append(out, "cancel("+timerNames[a.Timer]+")")
		case ActAnnounce:
			out = append(out, "announce")
		case ActEmit:
			out = append(out, "emit("+string(a.Event.Kind)+")")
		case ActExit:
			out = append(out, "exit")
		}
	}
	return strings.Join(out, " ")
}

func sigName(s syscall.Signal) string {
	names := map[syscall.Signal]string{syscall.SIGTERM: "TERM", syscall.SIGCONT: "CONT", syscall.SIGKILL: "KILL",
		syscall.SIGSTOP: "STOP", syscall.SIGHUP: "HUP", syscall.SIGALRM: "ALRM", syscall.SIGINT: "INT",
		syscall.SIGQUIT: "QUIT", syscall.SIGUSR1: "USR1", syscall.SIGUSR2: "USR2", syscall.SIGWINCH: "WINCH"}
	return names[s]
}

type step struct {
	in   Input
	at   time.Duration // since t0
	want string        // rendered actions
}

func runSteps(t *testing.T, m *Machine, steps []step) {
	t.Helper()
	for i, s := range steps {
		s.in.Now = t0.Add(s.at)
		got := render(m.Step(s.in))
		if got != s.want {
			t.Fatalf("step %d (%+v):\n got  %s\n want %s", i, s.in, got, s.want)
		}
	}
}

func ctl(c byte) Input { return Input{Kind: InControl, Byte: c} }

func TestMachineBootAndRestart(t *testing.T) {
	m := NewMachine(true, t0)
	runSteps(t, m, []step{
		{Input{Kind: InBoot}, 0, "announce spawn"},
		{Input{Kind: InRunStarted, Pid: 10}, 0, "announce emit(started) set(up,1s)"},
		{Input{Kind: InTimer, Timer: TimerUp}, time.Second, "announce emit(up)"},
		// exits after 3 s: no finish file, restart at once (last start was > 1 s ago)
		{Input{Kind: InRunExited, Pid: 10, Code: 1}, 3 * time.Second, "cancel(up) cancel(kill) announce emit(exited) finish(1,0)"},
		{Input{Kind: InFinishNone}, 3 * time.Second, "announce emit(restarting) spawn"},
		{Input{Kind: InRunStarted, Pid: 11}, 3 * time.Second, "announce emit(started) set(up,1s)"},
		// exits 200 ms after its start: the restart waits for the rest of the 1 s pause
		{Input{Kind: InRunExited, Pid: 11, Code: -1, Sig: 9}, 3*time.Second + 200*time.Millisecond, "cancel(up) cancel(kill) announce emit(exited) finish(-1,9)"},
	})
	// The action carries the raw code; the driver maps -1 to 256 for ./finish.
}

func TestMachineFinishArgs(t *testing.T) {
	m := NewMachine(true, t0)
	m.Step(Input{Kind: InBoot, Now: t0})
	m.Step(Input{Kind: InRunStarted, Pid: 5, Now: t0})
	acts := m.Step(Input{Kind: InRunExited, Pid: 5, Code: -1, Sig: 15, Now: t0.Add(2 * time.Second)})
	last := acts[len(acts)-1]
	if last.Kind != ActSpawnFinish || last.Code != -1 || last.Sig != syscall.SIGTERM {
		t.Fatalf("got %s", render(acts))
	}
	runSteps(t, m, []step{
		{Input{Kind: InFinishStarted, Pid: 6, FinishLimit: 5 * time.Second}, 2 * time.Second, "set(finish,5s) announce"},
		{Input{Kind: InTimer, Timer: TimerFinish}, 7 * time.Second, "kill(6,KILL)"},
		{Input{Kind: InRunExited, Pid: 6, Code: -1, Sig: 9}, 7 * time.Second, "cancel(finish) announce emit(restarting) spawn"},
	})
	if s := m.Snapshot(); s.LastExit == nil || s.LastExit.Signal != 15 {
		t.Fatalf("last exit %+v", s.LastExit)
	}
}

func TestMachinePauseBetweenStarts(t *testing.T) {
	m := NewMachine(true, t0)
	runSteps(t, m, []step{
		{Input{Kind: InBoot}, 0, "announce spawn"},
		{Input{Kind: InRunStarted, Pid: 10}, 0, "announce emit(started) set(up,1s)"},
		{Input{Kind: InRunExited, Pid: 10}, 100 * time.Millisecond, "cancel(up) cancel(kill) announce emit(exited) finish(0,0)"},
		{Input{Kind: InFinishNone}, 100 * time.Millisecond, "announce emit(restarting) announce set(restart,900ms)"},
	})
	if s := m.Snapshot(); s.State != state.Starting {
		t.Fatalf("state %q while the restart waits", s.State)
	}
	runSteps(t, m, []step{
		{Input{Kind: InTimer, Timer: TimerRestart}, time.Second, "spawn"},
	})
}

func TestMachineRunFailedRetriesOnceASecond(t *testing.T) {
	m := NewMachine(true, t0)
	runSteps(t, m, []step{
		{Input{Kind: InBoot}, 0, "announce spawn"},
		{Input{Kind: InRunFailed}, 0, "announce emit(exited) announce emit(restarting) announce set(restart,1s)"},
		{Input{Kind: InTimer, Timer: TimerRestart}, time.Second, "spawn"},
		{Input{Kind: InRunFailed}, time.Second, "announce emit(exited) announce emit(restarting) announce set(restart,1s)"},
		{Input{Kind: InTimer, Timer: TimerRestart}, 2 * time.Second, "spawn"},
		// the third short run in a row: flapping, once
		{Input{Kind: InRunFailed}, 2 * time.Second, "announce emit(exited) announce emit(flapping) announce emit(restarting) announce set(restart,1s)"},
		{Input{Kind: InTimer, Timer: TimerRestart}, 3 * time.Second, "spawn"},
		{Input{Kind: InRunFailed}, 3 * time.Second, "announce emit(exited) announce emit(restarting) announce set(restart,1s)"},
		// svc -d cancels the pending start
		{ctl('d'), 3*time.Second + 10*time.Millisecond, "cancel(restart) announce emit(wanted-down)"},
	})
	if s := m.Snapshot(); s.State != state.Down || !s.Flapping || s.LastExit.Code != 111 {
		t.Fatalf("snapshot %+v", s)
	}
}

func TestMachineNormallyDown(t *testing.T) {
	m := NewMachine(false, t0)
	runSteps(t, m, []step{
		{Input{Kind: InBoot}, 0, "announce"},
		{ctl('o'), time.Second, "announce spawn"},
		{Input{Kind: InRunStarted, Pid: 7}, time.Second, "announce emit(started) set(up,1s)"},
		{Input{Kind: InRunExited, Pid: 7}, 5 * time.Second, "cancel(up) cancel(kill) announce emit(exited) finish(0,0)"},
		{Input{Kind: InFinishNone}, 5 * time.Second, "announce emit(down)"},
	})
	if m.WantByte() != 0 {
		t.Fatalf("want byte %q after -o", m.WantByte())
	}
}

func TestMachineControlSignals(t *testing.T) {
	m := NewMachine(true, t0)
	m.Step(Input{Kind: InBoot, Now: t0})
	m.Step(Input{Kind: InRunStarted, Pid: 42, Now: t0, KillAfter: 2 * time.Second})
	runSteps(t, m, []step{
		{ctl('a'), 0, "kill(42,ALRM)"},
		{ctl('h'), 0, "kill(42,HUP)"},
		{ctl('i'), 0, "kill(42,INT)"},
		{ctl('t'), 0, "kill(42,TERM)"},
		{ctl('k'), 0, "kill(42,KILL)"},
		{ctl('q'), 0, "kill(42,QUIT)"},
		{ctl('1'), 0, "kill(42,USR1)"},
		{ctl('2'), 0, "kill(42,USR2)"},
		{ctl('w'), 0, "kill(42,WINCH)"},
		{ctl('p'), 0, "announce kill(42,STOP)"},
		{ctl('c'), 0, "announce kill(42,CONT)"},
		{ctl('?'), 0, ""},
		{ctl('u'), 0, "announce"},
		{ctl('d'), 0, "kill(42,TERM) kill(42,CONT) set(kill,2s) announce emit(wanted-down)"},
		{Input{Kind: InTimer, Timer: TimerKill}, 2 * time.Second, "kill(42,KILL)"},
		{ctl('x'), 2 * time.Second, "announce"},
		{Input{Kind: InRunExited, Pid: 42, Code: -1, Sig: 9}, 2 * time.Second, "cancel(up) cancel(kill) announce emit(exited) finish(-1,9)"},
		{Input{Kind: InFinishNone}, 2 * time.Second, "announce exit"},
	})
	if !m.Done() {
		t.Fatal("not done after x")
	}
	if acts := m.Step(ctl('u')); acts != nil {
		t.Fatalf("acted after exit: %s", render(acts))
	}
}

func TestMachineSignalsNeedAPid(t *testing.T) {
	m := NewMachine(false, t0)
	m.Step(Input{Kind: InBoot, Now: t0})
	for _, c := range []byte("ahiktq12w") {
		if got := render(m.Step(ctl(c))); got != "" {
			t.Errorf("%c while down: %s", c, got)
		}
	}
	runSteps(t, m, []step{
		{ctl('p'), 0, "announce"},
		{ctl('d'), 0, "announce"}, // already wanted down: no event
		{ctl('x'), 0, "announce exit"},
	})
}

func TestMachineReadiness(t *testing.T) {
	m := NewMachine(true, t0)
	m.Step(Input{Kind: InBoot, Now: t0})
	runSteps(t, m, []step{
		{Input{Kind: InReady}, 0, ""}, // nothing runs yet
		{Input{Kind: InRunStarted, Pid: 3}, 0, "announce emit(started) set(up,1s)"},
		{Input{Kind: InReady, Pid: 99}, 0, ""}, // another run's pipe
		{Input{Kind: InReady, Pid: 3}, 100 * time.Millisecond, "announce emit(ready)"},
		{Input{Kind: InReady}, 200 * time.Millisecond, ""},
		{Input{Kind: InStatusText, Text: "serving"}, 0, "announce emit(status)"},
		{Input{Kind: InStatusText, Text: "serving"}, 0, ""},
		{Input{Kind: InStopping}, 0, "announce emit(stopping)"},
	})
	s := m.Snapshot()
	if s.State != state.Up || !s.Ready || s.StatusText != "serving" || !s.Stopping || s.ReadySince == nil {
		t.Fatalf("snapshot %+v", s)
	}
	m.Step(Input{Kind: InRunExited, Pid: 3, Now: t0.Add(3 * time.Second)})
	if s := m.Snapshot(); s.Ready || s.Pid != 0 {
		t.Fatalf("after exit %+v", s)
	}
}

func TestMachineOnceDuringFinish(t *testing.T) {
	m := NewMachine(false, t0)
	runSteps(t, m, []step{
		{Input{Kind: InBoot}, 0, "announce"},
		{ctl('u'), 0, "announce spawn"},
		{Input{Kind: InRunStarted, Pid: 3}, 0, "announce emit(started) set(up,1s)"},
		{ctl('d'), 2 * time.Second, "kill(3,TERM) kill(3,CONT) announce emit(wanted-down)"},
		{Input{Kind: InRunExited, Pid: 3, Code: 0}, 2 * time.Second, "cancel(up) cancel(kill) announce emit(exited) finish(0,0)"},
		{Input{Kind: InFinishStarted, Pid: 4, FinishLimit: time.Second}, 2 * time.Second, "set(finish,1s) announce"},
		{ctl('o'), 2 * time.Second, "announce"},
		{Input{Kind: InRunExited, Pid: 4}, 2 * time.Second, "cancel(finish) announce emit(restarting) spawn"},
	})
}

func TestMachineStatus18(t *testing.T) {
	m := NewMachine(true, t0)
	m.Step(Input{Kind: InBoot, Now: t0})
	m.Step(Input{Kind: InRunStarted, Pid: 77, Now: t0.Add(time.Second)})
	m.Step(ctl('p'))
	s := m.Status18()
	if s.Pid != 77 || !s.Paused || s.Want != 'u' || !s.When.Time().Equal(t0.Add(time.Second)) {
		t.Fatalf("status %+v", s)
	}
	b := s.Encode()
	if b[16] != 1 || b[17] != 'u' || b[12] != 77 {
		t.Fatalf("bytes % x", b)
	}
}

// FuzzMachine drives the machine with random inputs, answering spawns as a
// driver would, and checks its invariants after every step.
func FuzzMachine(f *testing.F) {
	f.Add([]byte("udopchaitkxq12w"), false)
	f.Add([]byte{'d', 0x80, 0x81, 'u', 0x82, 'x', 0x80}, true)
	f.Add([]byte{0xff, 't', 0x80, 'd', 'u', 0x80, 'x', 0x80, 'u'}, false)
	f.Fuzz(func(t *testing.T, b []byte, normallyUp bool) {
		m := NewMachine(normallyUp, t0)
		now := t0
		nextPid := 100
		timers := map[TimerKind]bool{}
		feed := func(in Input) {
			queue := []Input{in}
			for len(queue) > 0 {
				in := queue[0]
				queue = queue[1:]
				in.Now = now
				for _, a := range m.Step(in) {
					switch a.Kind {
					case ActSpawnRun:
						if m.RunPid() != 0 || m.FinishPid() != 0 {
							t.Fatalf("spawn while run=%d finish=%d", m.RunPid(), m.FinishPid())
						}
						nextPid++
						if nextPid%5 == 0 {
							queue = append(queue, Input{Kind: InRunFailed})
						} else {
							queue = append(queue, Input{Kind: InRunStarted, Pid: nextPid, KillAfter: time.Second})
						}
					case ActSpawnFinish:
						nextPid++
						if nextPid%2 == 0 {
							queue = append(queue, Input{Kind: InFinishStarted, Pid: nextPid, FinishLimit: time.Second})
						} else {
							queue = append(queue, Input{Kind: InFinishNone})
						}
					case ActSignal:
						if a.Pid == 0 || (a.Pid != m.RunPid() && a.Pid != m.FinishPid()) {
							t.Fatalf("signal to %d (run %d finish %d)", a.Pid, m.RunPid(), m.FinishPid())
						}
					case ActSetTimer:
						timers[a.Timer] = true
					case ActCancelTimer:
						delete(timers, a.Timer)
					case ActExit:
						if m.RunPid() != 0 || m.FinishPid() != 0 {
							t.Fatal("exit with children")
						}
					}
				}
			}
			if m.RunPid() != 0 && m.FinishPid() != 0 {
				t.Fatal("run and finish at once")
			}
			if w := m.WantByte(); w != 'u' && w != 'd' && w != 0 {
				t.Fatalf("want byte %q", w)
			}
			if s := m.Snapshot(); (s.State == state.Up) != (m.RunPid() != 0 && (m.up || m.ready)) || (m.phase == phaseWait && m.RunPid() != 0) {
				t.Fatalf("snapshot %+v pending %v", s, m.phase == phaseWait)
			}
			if m.Status18().Pid != m.RunPid() {
				t.Fatal("status pid")
			}
		}
		if len(b) > 0 && b[0] == 0xff {
			// Adoption in place of the boot, with the recorded want.
			feed(Input{Kind: InAdopt, Pid: 99, Since: t0, Byte: []byte{'u', 'd', 0}[b[len(b)-1]%3], Paused: normallyUp})
			b = b[1:]
		} else {
			feed(Input{Kind: InBoot})
		}
		for _, c := range b {
			now = now.Add(time.Duration(c%7) * 300 * time.Millisecond)
			switch {
			case c < 0x80:
				feed(ctl(c))
			case c < 0x90:
				feed(Input{Kind: InRunExited, Pid: m.RunPid(), Code: int(c & 3), Sig: int(c & 4)})
			case c < 0xa0:
				feed(Input{Kind: InRunExited, Pid: m.FinishPid()})
			case c < 0xb0:
				k := TimerKind(c) % numTimers
				if timers[k] {
					delete(timers, k)
					feed(Input{Kind: InTimer, Timer: k})
				}
			case c < 0xc0:
				feed(Input{Kind: InReady})
			case c < 0xd0:
				feed(Input{Kind: InStatusText, Text: string(rune('a' + c&7))})
			default:
				feed(Input{Kind: InStopping})
			}
		}
	})
}

func TestMachineExitWhilePending(t *testing.T) {
	m := NewMachine(true, t0)
	runSteps(t, m, []step{
		{Input{Kind: InBoot}, 0, "announce spawn"},
		{Input{Kind: InRunFailed}, 0, "announce emit(exited) announce emit(restarting) announce set(restart,1s)"},
		{ctl('x'), 100 * time.Millisecond, "announce cancel(restart) exit"},
	})
	if !m.Done() {
		t.Fatal("not done")
	}
}

// An adopted run: nothing is spawned, it is up at once with the recorded
// want, signals go to its pid, and an exit of unknown code follows the
// usual restart rule (./finish gets 256 0 from the driver).
func TestMachineAdopt(t *testing.T) {
	m := NewMachine(true, t0.Add(time.Hour))
	runSteps(t, m, []step{
		{Input{Kind: InAdopt, Pid: 42, Since: t0, Byte: 'u', KillAfter: 2 * time.Second}, time.Hour, "announce emit(adopted)"},
	})
	if s := m.Snapshot(); s.State != state.Up || s.Pid != 42 || !s.Since.Equal(t0) || s.Want != state.WantUp {
		t.Fatalf("snapshot %+v", s)
	}
	runSteps(t, m, []step{
		{ctl('t'), time.Hour, "kill(42,TERM)"},
		{Input{Kind: InRunExited, Pid: 42, Unknown: true, Code: 7}, time.Hour + time.Second, "cancel(up) cancel(kill) announce emit(exited) finish(-1,0)"},
		{Input{Kind: InFinishNone}, time.Hour + time.Second, "announce emit(restarting) spawn"},
	})
	if e := m.Snapshot().LastExit; e == nil || !e.Unknown || e.Code != -1 || e.Signal != 0 {
		t.Fatalf("last exit %+v", e)
	}
}

// An adopted run that was wanted down (svc -d arrived before its
// supervisor died) stays wanted down: its exit does not restart it.
func TestMachineAdoptWantedDown(t *testing.T) {
	m := NewMachine(true, t0)
	runSteps(t, m, []step{
		{Input{Kind: InAdopt, Pid: 42, Since: t0, Byte: 'd'}, time.Second, "announce emit(adopted)"},
		{ctl('k'), 2 * time.Second, "kill(42,KILL)"},
		{Input{Kind: InRunExited, Pid: 42, Unknown: true}, 2 * time.Second, "cancel(up) cancel(kill) announce emit(exited) finish(-1,0)"},
		{Input{Kind: InFinishNone}, 2 * time.Second, "announce emit(down)"},
		{ctl('u'), 3 * time.Second, "announce spawn"},
	})
}

// An Event says what happened and carries the status right after it: the
// want, normally up, restarts and STATUS= text are read from there.
func TestMachineEventCarriesStatus(t *testing.T) {
	m := NewMachine(false, t0)
	m.Step(Input{Kind: InBoot, Now: t0})
	event := func(acts []Action, kind EventKind) Event {
		t.Helper()
		for _, a := range acts {
			if a.Kind == ActEmit && a.Event.Kind == kind {
				return *a.Event
			}
		}
		t.Fatalf("no %s in %s", kind, render(acts))
		return Event{}
	}
	m.Step(Input{Kind: InControl, Byte: 'o', Now: t0})
	ev := event(m.Step(Input{Kind: InRunStarted, Pid: 7, Now: t0}), EventStarted)
	if ev.Pid != 7 || ev.Status.Pid != 7 || ev.Status.Want != state.WantOnce || ev.Status.NormallyUp || ev.Status.State != state.Starting {
		t.Fatalf("started %+v", ev)
	}
	ev = event(m.Step(Input{Kind: InStatusText, Text: "warming", Now: t0.Add(time.Second / 2)}), EventStatus)
	if ev.Status.StatusText != "warming" || ev.Status != m.Snapshot() {
		t.Fatalf("status %+v", ev)
	}
	ev = event(m.Step(Input{Kind: InRunExited, Pid: 7, Code: 3, Now: t0.Add(2 * time.Second)}), EventExited)
	if ev.Pid != 7 || ev.Status.Pid != 0 || ev.Exit != (state.Exit{Code: 3, Time: t0.Add(2 * time.Second)}) ||
		ev.Status.LastExit == nil || *ev.Status.LastExit != ev.Exit || ev.Uptime != 2*time.Second || ev.Status.Restarts != 0 {
		t.Fatalf("exited %+v", ev)
	}
	m.Step(Input{Kind: InFinishNone, Now: t0.Add(2 * time.Second)})
	m.Step(Input{Kind: InControl, Byte: 'u', Now: t0.Add(3 * time.Second)})
	ev = event(m.Step(Input{Kind: InRunStarted, Pid: 8, Now: t0.Add(3 * time.Second)}), EventStarted)
	if ev.Status.Restarts != 1 || ev.Status.Want != state.WantUp {
		t.Fatalf("second start %+v", ev)
	}
}
