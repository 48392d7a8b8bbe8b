package journalobs

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/svbridge/svbridge/supervise"
)

// sim drives the real supervise.Machine on a fake clock: ./run lasts
// runFor and ends as end says; timers fire when the clock reaches them.
// Every event goes through a Throttle; sim keeps the entries it lets out.
type sim struct {
	t       *testing.T
	m       *supervise.Machine
	now     time.Time
	timers  map[supervise.TimerKind]time.Time
	pid     int
	exitAt  time.Time
	runFor  time.Duration // <0: runs until signalled
	code    int
	sig     int
	th      Throttle
	entries []map[string]string
}

func newSim(t *testing.T) *sim {
	t0 := time.Unix(1800000000, 0)
	s := &sim{t: t, m: supervise.NewMachine(true, t0), now: t0, timers: map[supervise.TimerKind]time.Time{},
		runFor: 5 * time.Millisecond, code: 3}
	s.step(supervise.Input{Kind: supervise.InBoot})
	return s
}

func (s *sim) step(in supervise.Input) {
	in.Now = s.now
	acts := append([]supervise.Action(nil), s.m.Step(in)...)
	for _, a := range acts {
		switch a.Kind {
		case supervise.ActSpawnRun:
			s.pid++
			if s.runFor >= 0 {
				s.exitAt = s.now.Add(s.runFor)
			} else {
				s.exitAt = time.Time{}
			}
			s.step(supervise.Input{Kind: supervise.InRunStarted, Pid: s.pid})
		case supervise.ActSpawnFinish:
			s.step(supervise.Input{Kind: supervise.InFinishNone})
		case supervise.ActSetTimer:
			s.timers[a.Timer] = s.now.Add(a.After)
		case supervise.ActCancelTimer:
			delete(s.timers, a.Timer)
		case supervise.ActSignal:
			if a.Sig == 15 && s.m.RunPid() == a.Pid {
				s.exitAt, s.code, s.sig = s.now, -1, 15
			}
		case supervise.ActEmit:
			ev := *a.Event
			ev.Service, ev.Dir = "crashy", "/etc/crashy"
			for _, f := range s.th.Entries(ev, "supervise") {
				m := map[string]string{}
				for _, x := range f {
					m[x.Name] = x.Value
				}
				s.entries = append(s.entries, m)
			}
		}
	}
}

// run moves the clock on by d, delivering exits and timers in time order.
func (s *sim) run(d time.Duration) {
	end := s.now.Add(d)
	for {
		next, what := end, -1
		if s.m.RunPid() != 0 && !s.exitAt.IsZero() && s.exitAt.Before(next) {
			next, what = s.exitAt, 100
		}
		for k, at := range s.timers {
			if at.Before(next) {
				next, what = at, int(k)
			}
		}
		if what < 0 {
			s.now = end
			return
		}
		s.now = next
		if what == 100 {
			pid := s.m.RunPid()
			s.exitAt = time.Time{}
			s.step(supervise.Input{Kind: supervise.InRunExited, Pid: pid, Code: s.code, Sig: s.sig})
		} else {
			delete(s.timers, supervise.TimerKind(what))
			s.step(supervise.Input{Kind: supervise.InTimer, Timer: supervise.TimerKind(what)})
		}
	}
}

func (s *sim) since(i int) []map[string]string { return s.entries[i:] }

func events(es []map[string]string) string {
	var b []string
	for _, e := range es {
		b = append(b, e["SVC_EVENT"])
	}
	return strings.Join(b, " ")
}

// TestThrottleCrashLoop: five minutes of a service exiting 3 after 5 ms
// (about 300 restarts) write started, three exits, "flapping", then one
// summary a minute at most; when the service is fixed, one "recovered".
func TestThrottleCrashLoop(t *testing.T) {
	s := newSim(t)
	s.run(5 * time.Minute)
	restarts := s.m.Snapshot().Restarts
	if restarts < 290 {
		t.Fatalf("only %d restarts in 5 min: the simulation is wrong", restarts)
	}
	head := "started exited exited exited flapping"
	if got := events(s.entries); !strings.HasPrefix(got, head+" restarts") || strings.Count(got, " ") > 4+5 {
		t.Fatalf("entries: %s", got)
	}
	sums := s.entries[5:]
	if len(sums) < 4 || len(sums) > 5 {
		t.Fatalf("%d summaries in 5 minutes, want 4 or 5: %s", len(sums), events(sums))
	}
	re := regexp.MustCompile(`^crashy: (\d+) restarts in the last minute, last exit code 3$`)
	counted := 0
	prev, _ := strconv.ParseInt(s.entries[4]["SVC_EVENT_USEC"], 10, 64)
	for _, e := range sums {
		m := re.FindStringSubmatch(e["MESSAGE"])
		if m == nil || e["SVC_RESTARTS_COUNTED"] != m[1] || e["SVC_EXIT_CODE"] != "3" || e["SVC_ENDED"] != "exited with code 3" ||
			e["MESSAGE_ID"] != MessageIDs[EventRestarts] || e["SVC_NAME"] != "crashy" {
			t.Errorf("summary entry: %v", e)
		}
		n, _ := strconv.Atoi(m[1])
		counted += n
		at, _ := strconv.ParseInt(e["SVC_EVENT_USEC"], 10, 64)
		if at-prev < time.Minute.Microseconds() {
			t.Errorf("two entries about the flapping %v apart", time.Duration(at-prev)*time.Microsecond)
		}
		prev = at
	}
	if counted < 240 || counted > restarts {
		t.Errorf("summaries count %d restarts of %d", counted, restarts)
	}
	if !strings.Contains(s.entries[4]["MESSAGE"], "3 runs in a row ended within a second, the last exited with code 3") {
		t.Errorf("flapping entry: %q", s.entries[4]["MESSAGE"])
	}

	// Fixed: the next run stays up. One entry: recovered.
	n := len(s.entries)
	s.runFor = -1
	s.run(10 * time.Second)
	got := s.since(n)
	if len(got) != 1 || got[0]["SVC_EVENT"] != "recovered" || got[0]["MESSAGE_ID"] != MessageIDs[EventRecovered] {
		t.Fatalf("after the fix: %v", got)
	}
	if !regexp.MustCompile(`^crashy: recovered: up \(pid \d+\) after flapping for 4 min \d+ s, \d+ restarts$`).MatchString(got[0]["MESSAGE"]) {
		t.Errorf("recovered message %q", got[0]["MESSAGE"])
	}

	// A plain restart now: exactly one entry, the exit (nor started nor up).
	n = len(s.entries)
	s.runFor, s.code = 10*time.Second, 1
	s.step(supervise.Input{Kind: supervise.InRunExited, Pid: s.m.RunPid(), Code: 1})
	s.run(30 * time.Second) // three more 10-second runs
	got = s.since(n)
	if events(got) != "exited exited exited" {
		t.Fatalf("restarts of a service that stays up 10 s: %s", events(got))
	}
	if got[1]["MESSAGE"] != "crashy: exited with code 1 after 10 s (pid "+got[1]["SVC_PID"]+")" {
		t.Errorf("exit message %q", got[1]["MESSAGE"])
	}
}

// TestThrottleWantedDownWhileFlapping: svc -d in a crash loop (signal)
// (between two runs, as it mostly is) first sums up what was counted, then
// says it is wanted down.
func TestThrottleWantedDownWhileFlapping(t *testing.T) {
	s := newSim(t)
	s.code, s.sig = -1, 11
	s.run(20 * time.Second)
	n := len(s.entries)
	s.step(supervise.Input{Kind: supervise.InControl, Byte: 'd'})
	s.run(5 * time.Second)
	got := s.since(n)
	if events(got) != "restarts wanted-down" {
		t.Fatalf("svc -d while flapping: %s", events(s.entries))
	}
	if !regexp.MustCompile(`^crashy: \d+ restarts in the last 1\d s, last killed by signal SIGSEGV$`).MatchString(got[0]["MESSAGE"]) ||
		got[0]["SVC_SIGNAL_NAME"] != "SIGSEGV" || got[0]["SVC_EXIT_CODE"] != "" {
		t.Errorf("summary at svc -d: %v", got[0])
	}
	// svc -u: the start is written (asked for), the loop goes on as before.
	n = len(s.entries)
	s.step(supervise.Input{Kind: supervise.InControl, Byte: 'u'})
	s.run(3 * time.Minute)
	got = s.since(n)
	if e := events(got); !strings.HasPrefix(e, "started restarts") || strings.Count(e, "restarts") > 3 {
		t.Errorf("after svc -u: %s", e)
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0 µs", 850 * time.Microsecond: "850 µs", 4717 * time.Microsecond: "4.7 ms", 47 * time.Millisecond: "47 ms",
		time.Second: "1 s", 2500 * time.Millisecond: "2.5 s", 12 * time.Second: "12 s", 59900 * time.Millisecond: "60 s",
		3 * time.Minute: "3 min", 200 * time.Second: "3 min 20 s", 125 * time.Minute: "2 h 5 min",
		28 * time.Hour: "1 day 4 h", 72 * time.Hour: "3 days",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}
