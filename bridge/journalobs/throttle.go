package journalobs

import (
	"strconv"
	"time"

	"github.com/svbridge/svbridge/bridge/journal"
	"github.com/svbridge/svbridge/supervise"
	"github.com/svbridge/svbridge/supervise/state"
)

// SummaryEvery is how often, at most, a flapping service gets an entry.
const SummaryEvery = time.Minute

// Kinds of entries (SVC_EVENT) that only the journal has: they sum up
// events of supervise that are not written one by one.
const (
	// EventRestarts counts a flapping service's restarts since the last
	// entry about it: "crashy: 57 restarts in the last minute, last exit
	// code 3".
	EventRestarts supervise.EventKind = "restarts"
	// EventRecovered says a flapping service has stayed up for a second.
	EventRecovered supervise.EventKind = "recovered"
)

// Throttle decides which events of a service become journal entries, so
// that a crash loop cannot flood the journal:
//
//   - a restart writes one entry, the exit: neither the "restarting" event
//     nor the "started", "up" and "ready" of the run it starts are written
//     (they are for a start at boot or by svc -u / svc -o);
//   - once the service is flapping (the "flapping" entry), its exits and
//     restarts are counted, not written, and a "restarts" entry sums them
//     up at most once every SummaryEvery, at the first restart after it is
//     due;
//   - a flapping service that stays up for a second writes "recovered"
//     (in place of "up"); one wanted down or down first writes the
//     restarts counted since the last entry about it.
//
// It keeps one state per service directory (an in-process svscan has one
// observer for all). Its clock is the events' Time: tests need no timer.
// It is not safe for concurrent use.
type Throttle struct {
	svcs map[string]*serviceLog
}

type serviceLog struct {
	restarted bool // the current (or next) run was started by a restart
	flapping  bool
	flapSince time.Time
	summaryAt time.Time       // last entry about the flapping
	counted   int             // restarts since summaryAt
	total     int             // restarts since flapSince
	lastExit  supervise.Event // the last "exited" event
}

// Entries returns the entries (zero, one or two) to write for ev, with
// SYSLOG_IDENTIFIER ident.
func (t *Throttle) Entries(ev supervise.Event, ident string) [][]journal.Field {
	if t.svcs == nil {
		t.svcs = map[string]*serviceLog{}
	}
	key := ev.Dir + "\x00" + ev.Service
	st := t.svcs[key]
	if st == nil {
		st = &serviceLog{}
		t.svcs[key] = st
	}
	one := func() [][]journal.Field { return [][]journal.Field{Fields(ev, ident)} }
	switch ev.Kind {
	case supervise.EventStarted:
		if st.restarted {
			return nil // the exit's entry said it restarts
		}
		return one()
	case supervise.EventUp:
		if st.flapping {
			st.flapping = false
			return [][]journal.Field{recoveredFields(ev, ident, st)}
		}
		if st.restarted {
			return nil
		}
		return one()
	case supervise.EventReady:
		if st.restarted || st.flapping {
			return nil
		}
		return one()
	case supervise.EventExited:
		st.lastExit = ev
		if st.flapping {
			return nil
		}
		return one()
	case supervise.EventRestarting:
		st.restarted = true
		if !st.flapping {
			return nil
		}
		st.counted++
		st.total++
		if ev.Time.Sub(st.summaryAt) >= SummaryEvery {
			return [][]journal.Field{st.summary(ev, ident)}
		}
		return nil
	case supervise.EventFlapping:
		st.flapping, st.flapSince, st.summaryAt, st.counted, st.total = true, ev.Time, ev.Time, 0, 0
		return [][]journal.Field{flappingFields(ev, ident, st.lastExit)}
	case supervise.EventWantedDown, supervise.EventDown:
		st.restarted = false
		var out [][]journal.Field
		if st.flapping && st.counted > 0 {
			out = append(out, st.summary(ev, ident))
		}
		return append(out, Fields(ev, ident))
	case supervise.EventStatus, supervise.EventStopping:
		if st.flapping {
			return nil
		}
		return one()
	}
	return one()
}

// summary returns the "restarts" entry for what was counted until ev, and
// starts counting again.
func (st *serviceLog) summary(ev supervise.Event, ident string) []journal.Field {
	window := ev.Time.Sub(st.summaryAt)
	in := "in the last minute"
	if window < 50*time.Second || window >= 90*time.Second {
		in = "in the last " + Duration(window)
	}
	n := strconv.Itoa(st.counted) + " restarts"
	if st.counted == 1 {
		n = "1 restart"
	}
	last := st.lastExit
	msg := ev.Service + ": " + n + " " + in + ", last " + exitPhrase(last, false)
	f := []journal.Field{{Name: "MESSAGE", Value: msg}, {Name: "MESSAGE_ID", Value: MessageIDs[EventRestarts]},
		{Name: "PRIORITY", Value: strconv.Itoa(journal.PriErr)}, {Name: "SYSLOG_IDENTIFIER", Value: ident},
		{Name: "SVC_NAME", Value: ev.Service}, {Name: "SVC_DIR", Value: ev.Dir}, {Name: "SVC_EVENT", Value: string(EventRestarts)},
		{Name: "SVC_STATE", Value: state.Flapping.String()},
		{Name: "SVC_RESTARTS_COUNTED", Value: strconv.Itoa(st.counted)},
		{Name: "SVC_PERIOD", Value: Duration(window)}, {Name: "SVC_PERIOD_USEC", Value: strconv.FormatInt(window.Microseconds(), 10)},
		{Name: "SVC_ENDED", Value: exitPhrase(last, true)},
		{Name: "SVC_RESTARTS", Value: strconv.Itoa(ev.Status.Restarts)}}
	f = append(f, exitFields(last)...)
	if !ev.Time.IsZero() {
		f = append(f, journal.Field{Name: "SVC_EVENT_USEC", Value: strconv.FormatInt(ev.Time.UnixMicro(), 10)})
	}
	st.summaryAt, st.counted = ev.Time, 0
	return f
}

func flappingFields(ev supervise.Event, ident string, last supervise.Event) []journal.Field {
	f := Fields(ev, ident)
	f[0].Value = ev.Service + ": flapping: " + strconv.Itoa(supervise.FlapRuns) +
		" runs in a row ended within a second, the last " + exitPhrase(last, true) +
		"; supervise restarts it once a second, the journal sums it up once a minute"
	f = append(f, journal.Field{Name: "SVC_ENDED", Value: exitPhrase(last, true)}, journal.Field{Name: "SVC_FLAP_RUNS", Value: strconv.Itoa(supervise.FlapRuns)})
	return append(f, exitFields(last)...)
}

func recoveredFields(ev supervise.Event, ident string, st *serviceLog) []journal.Field {
	f := Fields(ev, ident)
	period := ev.Time.Sub(st.flapSince)
	n := strconv.Itoa(st.total) + " restarts"
	if st.total == 1 {
		n = "1 restart"
	}
	pid := ""
	if ev.Pid != 0 {
		pid = " (pid " + strconv.Itoa(ev.Pid) + ")"
	}
	for i := range f {
		switch f[i].Name {
		case "MESSAGE":
			f[i].Value = ev.Service + ": recovered: up" + pid + " after flapping for " + Duration(period) + ", " + n
		case "MESSAGE_ID":
			f[i].Value = MessageIDs[EventRecovered]
		case "SVC_EVENT":
			f[i].Value = string(EventRecovered)
		case "PRIORITY":
			f[i].Value = strconv.Itoa(journal.PriNotice)
		}
	}
	return append(f, journal.Field{Name: "SVC_PERIOD", Value: Duration(period)},
		journal.Field{Name: "SVC_PERIOD_USEC", Value: strconv.FormatInt(period.Microseconds(), 10)},
		journal.Field{Name: "SVC_RESTARTS_COUNTED", Value: strconv.Itoa(st.total)})
}

// exitPhrase says how the run of ev (an "exited" event) ended: "exit code
// 3" or "killed by signal SIGSEGV"; with verb, "exited with code 3" or
// "was killed by signal SIGSEGV".
func exitPhrase(ev supervise.Event, verb bool) string {
	switch {
	case ev.Kind != supervise.EventExited:
		if verb {
			return "ended"
		}
		return "exit unknown"
	case ev.Exit.Unknown && verb:
		return "exited, code unknown"
	case ev.Exit.Unknown:
		return "exit code unknown"
	case ev.Pid == 0 && ev.Exit.Signal == 0 && verb:
		return "could not be started"
	case ev.Exit.Signal != 0 && verb:
		return "was killed by signal " + SignalName(ev.Exit.Signal)
	case ev.Exit.Signal != 0:
		return "killed by signal " + SignalName(ev.Exit.Signal)
	case verb:
		return "exited with code " + strconv.Itoa(ev.Exit.Code)
	}
	return "exit code " + strconv.Itoa(ev.Exit.Code)
}

// exitFields are the machine-readable fields of how ev's run ended.
func exitFields(ev supervise.Event) []journal.Field {
	if ev.Kind != supervise.EventExited {
		return nil
	}
	if ev.Exit.Unknown {
		return []journal.Field{{Name: "SVC_EXIT_UNKNOWN", Value: "1"}}
	}
	if ev.Exit.Signal != 0 {
		return []journal.Field{{Name: "SVC_SIGNAL", Value: strconv.Itoa(ev.Exit.Signal)}, {Name: "SVC_SIGNAL_NAME", Value: SignalName(ev.Exit.Signal)}}
	}
	return []journal.Field{{Name: "SVC_EXIT_CODE", Value: strconv.Itoa(ev.Exit.Code)}}
}
