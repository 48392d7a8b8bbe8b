// Package journalobs turns supervise's events into journald entries: the
// fields of each entry (SVC_*, a readable MESSAGE, the catalog's
// MESSAGE_IDs), a Throttle that keeps a crash loop from flooding the
// journal, and the Observer that sends them through package journal
// without ever blocking the engine. svscan's own entries (a service added
// or forgotten) are made here too. The wire protocol is package journal's.
package journalobs

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/bridge/journal"
	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/supervise"
	"github.com/svbridge/svbridge/supervise/state"
)

// MessageIDs: one fixed 128-bit id per kind of event, explained by
// units/svbridge.catalog (journalctl -x).
var MessageIDs = map[supervise.EventKind]string{
	supervise.EventStarted:       "bf5a1616da834da6988e077c494cd7f4",
	supervise.EventUp:            "8356e422abf94db6940c5d6a1636449b",
	supervise.EventReady:         "823005040eb2461fa9a2e0f097a95e7a",
	supervise.EventExited:        "783e7b93c5c84a94ac6e2ba46bc77e80",
	supervise.EventRestarting:    "d00ff4e31a3545658c2788245ad6ca8e",
	supervise.EventFlapping:      "7a1f56c5a9fa4af6a78854b1fbc3fb06",
	supervise.EventWantedDown:    "ff1260f4d85f46998dd9b238b89e0be4",
	supervise.EventDown:          "767c7befd167473ea497577029e14384",
	supervise.EventStatus:        "2c57e8121d744cd694acb61e3812c28a",
	supervise.EventStopping:      "f60f7ae9c2244f66a01a7c25e887ebaa",
	supervise.EventSuperviseLost: "25a21fcb59c84dc5a3a7adac6196d6b2",
	EventRestarts:                "ac9f5dc7aa744c6695b8363ec393818c",
	EventRecovered:               "3c7c8bf39cb04e47a7c96cae6717c2c5",
	supervise.EventAdopted:       "836734ef12e04a6dbb0ab1366593f7d2",
}

// GapMessageID marks the entry supervise writes when journald answers
// again after it could not be reached: how long, and how many entries were
// lost (beyond the backlog) or sent late.
const GapMessageID = "9e5b9fefb07b477880cfbdea57094d7a"

// MESSAGE_IDs of svscan's own entries: a service added to, or forgotten
// by, the scan.
const (
	ServiceAddedMessageID     = "dfba9630548944cd87f3b9d1434c1167"
	ServiceForgottenMessageID = "35f107fc51224606b87b9362fc7cad54"
)

// Kinds (SVC_EVENT) of svscan's own entries, beside supervise's
// EventSuperviseLost.
const (
	EventServiceAdded     supervise.EventKind = "service-added"
	EventServiceForgotten supervise.EventKind = "service-forgotten"
)

// ServiceAddedFields is svscan's entry for a service found in scanDir
// (dir is where it really is).
func ServiceAddedFields(service, dir, scanDir string) []journal.Field {
	msg := "svscan: supervising " + service
	if dir != filepath.Join(scanDir, service) {
		msg += " (" + dir + ")"
	}
	return svscanFields(msg, ServiceAddedMessageID, EventServiceAdded, journal.PriInfo, service, dir, scanDir)
}

// ServiceForgottenFields is svscan's entry for a service it forgot: its
// directory left scanDir and its supervise processes have exited.
func ServiceForgottenFields(service, dir, scanDir string) []journal.Field {
	msg := "svscan: forgot " + service + ": gone from " + scanDir + ", its supervise has exited"
	return svscanFields(msg, ServiceForgottenMessageID, EventServiceForgotten, journal.PriNotice, service, dir, scanDir)
}

// SuperviseLostFields is svscan's entry for a supervise of service (dir
// is where it really is) that ended while svscan was not stopping.
func SuperviseLostFields(service, dir, scanDir string) []journal.Field {
	ev := supervise.Event{Kind: supervise.EventSuperviseLost, Service: service}
	msg := "svscan: the supervise of " + service + " ended; the next scan starts another, which adopts a service still running"
	return svscanFields(msg, MessageIDs[ev.Kind], ev.Kind, Priority(ev), service, dir, scanDir)
}

func svscanFields(msg, id string, event supervise.EventKind, pri int, service, dir, scanDir string) []journal.Field {
	return []journal.Field{{Name: "MESSAGE", Value: msg}, {Name: "MESSAGE_ID", Value: id}, {Name: "PRIORITY", Value: strconv.Itoa(pri)},
		{Name: "SYSLOG_IDENTIFIER", Value: "svscan"}, {Name: "SVC_NAME", Value: service}, {Name: "SVC_DIR", Value: dir},
		{Name: "SVC_EVENT", Value: string(event)}, {Name: "SVSCAN_DIR", Value: scanDir}}
}

// backlogMax is how many entries are kept while journald is unreachable;
// they are sent, oldest first, once it answers again.
const backlogMax = 128

// Observer sends journald entries for supervise's events, through a
// Throttle (one entry per restart, a summary a minute while flapping). It
// never blocks the engine: while journald is unreachable it keeps the last backlogMax entries,
// says so once on stderr, and tries again at the next event.
type Observer struct {
	conn   *journal.Conn
	ident  string
	stderr io.Writer

	mu       sync.Mutex
	throttle Throttle
	backlog  [][]byte
	lost     int
	late     int
	failing  bool
	failedAt time.Time
	failErr  string
}

// NewObserver returns an Observer sending to journald, or nil when
// journald's socket is absent (not under systemd), or when the environment
// has SVBRIDGE_JOURNAL=off. It also makes writes to a broken stderr fail
// instead of killing the process (journal.KeepWritesAlive). The result is a nil
// interface in that case, so callers may compare it with nil.
func NewObserver() supervise.Observer { return newObserver(journal.SocketPath) }

// newObserver is NewObserver with journald's native socket at path.
func newObserver(path string) supervise.Observer {
	if !journal.Available(path) || os.Getenv("SVBRIDGE_JOURNAL") == "off" {
		return nil
	}
	o, err := NewObserverTo(path, "supervise", os.Stderr)
	if err != nil {
		return nil
	}
	journal.KeepWritesAlive() // our stderr is most likely a journald stream too
	return o
}

// NewObserverTo returns an Observer sending to the native socket at path,
// with SYSLOG_IDENTIFIER ident, reporting trouble on stderr.
func NewObserverTo(path, ident string, stderr io.Writer) (*Observer, error) {
	c, err := journal.NewConn(path, false)
	if err != nil {
		return nil, err
	}
	return &Observer{conn: c, ident: ident, stderr: stderr}, nil
}

// Observe sends the entries the Throttle lets through for ev.
func (o *Observer) Observe(ev supervise.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	entries := o.throttle.Entries(ev, o.ident)
	if len(entries) == 0 {
		return
	}
	for _, fields := range entries {
		b, err := journal.Encode(nil, fields)
		if err != nil {
			continue // cannot happen: the field names are ours
		}
		o.backlog = append(o.backlog, b)
	}
	for len(o.backlog) > 0 {
		if err := o.conn.SendEncoded(o.backlog[0]); err != nil {
			if !o.failing {
				o.failing, o.failedAt, o.failErr = true, time.Now(), cli.ErrStr(err)
				o.say("warning: unable to send to journald: " + o.failErr + "; keeping going, will retry")
			}
			if len(o.backlog) > backlogMax {
				o.backlog = o.backlog[1:]
				o.lost++
			}
			return
		}
		if o.failing {
			o.late++
		}
		o.backlog[0] = nil
		o.backlog = o.backlog[1:]
	}
	o.backlog = nil
	if o.failing {
		o.recovered()
	}
}

// recovered says, once on stderr and once in the journal, that journald
// could not be reached for a while and what became of the entries.
func (o *Observer) recovered() {
	msg := "journald was unreachable for " + Duration(time.Since(o.failedAt)) +
		" (" + o.failErr + "); " + strconv.Itoa(o.late) + " entries sent late, " + strconv.Itoa(o.lost) + " lost"
	o.say("warning: " + msg)
	o.conn.Send([]journal.Field{{Name: "MESSAGE", Value: o.ident + ": " + msg}, {Name: "MESSAGE_ID", Value: GapMessageID},
		{Name: "PRIORITY", Value: strconv.Itoa(journal.PriWarning)}, {Name: "SYSLOG_IDENTIFIER", Value: o.ident},
		{Name: "SVC_LOST_ENTRIES", Value: strconv.Itoa(o.lost)}, {Name: "SVC_LATE_ENTRIES", Value: strconv.Itoa(o.late)}})
	o.failing, o.lost, o.late = false, 0, 0
}

func (o *Observer) say(s string) {
	if o.stderr != nil {
		io.WriteString(o.stderr, o.ident+": "+s+"\n")
	}
}

// State returns the SVC_STATE of the service after ev, in the status
// model's words: the state an event of its kind leaves the service in.
func State(ev supervise.Event) state.State {
	switch ev.Kind {
	case supervise.EventStarted, supervise.EventUp, supervise.EventStatus, supervise.EventAdopted:
		return state.Up
	case supervise.EventReady:
		return state.Ready
	case supervise.EventStopping:
		return state.Stopping
	case supervise.EventExited, supervise.EventDown:
		return state.Down
	case supervise.EventRestarting:
		return state.Restarting
	case supervise.EventFlapping:
		return state.Flapping
	case supervise.EventWantedDown:
		if ev.Pid != 0 {
			return state.Stopping
		}
		return state.Down
	case supervise.EventSuperviseLost:
		return state.Unsupervised
	}
	return state.Unknown
}

// Priority returns the PRIORITY of the entry for ev.
func Priority(ev supervise.Event) int {
	switch ev.Kind {
	case supervise.EventExited:
		if ev.Exit.Signal != 0 || ev.Exit.Code != 0 {
			if ev.Status.Want == state.WantDown {
				return journal.PriNotice // it was asked to stop
			}
			return journal.PriWarning
		}
		return journal.PriNotice
	case supervise.EventFlapping, supervise.EventSuperviseLost:
		return journal.PriErr
	case supervise.EventRestarting, supervise.EventWantedDown, supervise.EventDown:
		return journal.PriNotice
	}
	return journal.PriInfo
}

// Fields returns the fields of the entry for ev (see README, "systemd
// bridge"): what happened from ev, the rest from ev.Status in the status
// model's words.
func Fields(ev supervise.Event, ident string) []journal.Field {
	f := make([]journal.Field, 0, 20)
	add := func(n, v string) { f = append(f, journal.Field{Name: n, Value: v}) }
	add("MESSAGE", Message(ev))
	if id := MessageIDs[ev.Kind]; id != "" {
		add("MESSAGE_ID", id)
	}
	add("PRIORITY", strconv.Itoa(Priority(ev)))
	add("SYSLOG_IDENTIFIER", ident)
	add("SVC_NAME", ev.Service)
	add("SVC_DIR", ev.Dir)
	add("SVC_EVENT", string(ev.Kind))
	add("SVC_STATE", State(ev).String())
	if ev.Pid != 0 {
		add("SVC_PID", strconv.Itoa(ev.Pid))
	}
	if ev.Kind == supervise.EventExited {
		f = append(f, exitFields(ev)...)
		// Readable values for the catalog's sentences (journalctl -x).
		add("SVC_ENDED", exitPhrase(ev, true))
		add("SVC_UPTIME", Duration(ev.Uptime))
		add("SVC_HOW_ENDED", howEnded(ev))
		add("SVC_NEXT", next(ev))
	}
	if ev.Uptime > 0 {
		add("SVC_UPTIME_USEC", strconv.FormatInt(ev.Uptime.Microseconds(), 10))
	}
	add("SVC_RESTARTS", strconv.Itoa(ev.Status.Restarts))
	add("SVC_WANT", ev.Status.Want.JournalName())
	add("SVC_NORMALLY", state.Normally(ev.Status.NormallyUp).JournalName())
	if ev.Kind == supervise.EventStatus && ev.Status.StatusText != "" {
		add("SVC_STATUS_TEXT", ev.Status.StatusText)
	}
	if !ev.Time.IsZero() {
		add("SVC_EVENT_USEC", strconv.FormatInt(ev.Time.UnixMicro(), 10))
	}
	return f
}

// Message returns the readable MESSAGE for ev, e.g. "web: exited with code 1
// after 2.5s".
func Message(ev supervise.Event) string {
	s := ev.Service + ": "
	pid := ""
	if ev.Pid != 0 {
		pid = " (pid " + strconv.Itoa(ev.Pid) + ")"
	}
	switch ev.Kind {
	case supervise.EventStarted:
		return s + "started" + pid
	case supervise.EventUp:
		return s + "up" + pid
	case supervise.EventReady:
		return s + "ready" + pid
	case supervise.EventExited:
		var how string
		if ev.Exit.Unknown {
			how = "exited, code unknown"
		} else if ev.Exit.Signal != 0 {
			how = "killed by signal " + SignalName(ev.Exit.Signal)
		} else {
			how = "exited with code " + strconv.Itoa(ev.Exit.Code)
		}
		if ev.Uptime > 0 {
			how += " after " + Duration(ev.Uptime)
		}
		return s + how + pid
	case supervise.EventRestarting:
		return s + "restarting (restart " + strconv.Itoa(ev.Status.Restarts) + ")"
	case supervise.EventFlapping:
		return s + "flapping: exits within a second of starting, again and again"
	case supervise.EventWantedDown:
		return s + "wanted down" + pid
	case supervise.EventDown:
		return s + "down"
	case supervise.EventStatus:
		return s + "status: " + ev.Status.StatusText
	case supervise.EventStopping:
		return s + "stopping" + pid
	case supervise.EventSuperviseLost:
		return s + "supervise process lost" + pid
	case supervise.EventAdopted:
		return s + "adopted" + pid
	}
	return s + string(ev.Kind)
}

// howEnded is the catalog's sentence about the exit of ev: "The process
// of the service web (/etc/service/web/run) exited with code 1 after
// running for 4.7 ms.", or for a ./run that could not be executed (no
// process; daemontools counts it as an exit 111) "supervise could not
// start /etc/service/web/run (counted as exit code 111)."
func howEnded(ev supervise.Event) string {
	if ev.Pid == 0 {
		return "supervise could not start " + ev.Dir + "/run (counted as exit code " + strconv.Itoa(ev.Exit.Code) + ")."
	}
	return "The process of the service " + ev.Service + " (" + ev.Dir + "/run) " + exitPhrase(ev, true) +
		" after running for " + Duration(ev.Uptime) + "."
}

// next says what supervise does after the exit of ev, as the want
// says: a sentence for the catalog.
func next(ev supervise.Event) string {
	switch ev.Status.Want {
	case state.WantUp:
		return "It is wanted up, so supervise starts it again, a second after its last start at the earliest."
	case state.WantDown:
		return "It is wanted down (svc -d), so supervise does not start it again."
	}
	return "It was started to run once (svc -o), so supervise does not start it again."
}

// SignalName returns the name of signal n as x/sys knows it ("SIGTERM"
// for 15), or the number for a signal it does not name.
func SignalName(n int) string {
	if name := unix.SignalName(syscall.Signal(n)); name != "" {
		return name
	}
	return strconv.Itoa(n)
}
