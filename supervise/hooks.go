// Package supervise is the supervision engine: one Supervisor per service
// directory (daemontools' supervise), the svscan scanner, spawning and
// reaping. It knows nothing of systemd: the bridge plugs in through the
// Observer and ScanObserver interfaces below.
package supervise

import (
	"os"
	"time"

	"github.com/svbridge/svbridge/supervise/state"
)

// EventKind names a transition of a supervised service. The strings are
// stable: they are the SVC_EVENT field of journald entries and appear in
// JSON status.
type EventKind string

const (
	EventStarted       EventKind = "started"        // ./run was spawned (pid known)
	EventUp            EventKind = "up"             // ./run has been running for 1 s
	EventReady         EventKind = "ready"          // the daemon said READY=1 or wrote to its notification-fd
	EventExited        EventKind = "exited"         // ./run exited (Exit says how)
	EventRestarting    EventKind = "restarting"     // will be started again after the pause
	EventFlapping      EventKind = "flapping"       // exited within 1 s several times in a row
	EventWantedDown    EventKind = "wanted-down"    // svc -d / -o asked for it to stay down
	EventDown          EventKind = "down"           // ./run (and ./finish) is no longer running and stays down
	EventStatus        EventKind = "status"         // the daemon sent STATUS=...
	EventStopping      EventKind = "stopping"       // the daemon sent STOPPING=1
	EventSuperviseLost EventKind = "supervise-lost" // svscan saw a supervise process die
	EventAdopted       EventKind = "adopted"        // a new supervisor took over a ./run still running
)

// Event is one transition, as delivered to an Observer: what happened
// (Kind, Time, the service, the pid it is about, how a run ended) and
// Status, the service's status right after it, from which an observer
// reads the want, normally up, restarts, the STATUS= text and the rest:
// the same model supervise/status.json is written from.
type Event struct {
	Kind    EventKind
	Time    time.Time
	Service string        // the service's name (base name of Dir; "NAME/log" for a logger)
	Dir     string        // absolute service directory
	Pid     int           // the pid the event is about (0 if none); for EventExited and EventFlapping, the run that ended
	Exit    state.Exit    // for EventExited: how the run ended (Code -1 when killed by a signal or Unknown)
	Uptime  time.Duration // for EventExited and EventFlapping: how long the run lasted
	Status  state.Status  // the status after the event (without what only the driver knows: supervisor pid, start times)
}

// Observer receives every Event of a supervisor, synchronously, in order.
// It must not block for long: the engine calls it from its event loop.
type Observer interface {
	Observe(Event)
}

// ScanObserver lets the systemd bridge follow svscan without svscan knowing
// systemd. All methods are called from svscan's main loop.
type ScanObserver interface {
	// ScanDone is called after every scan with the service names being
	// supervised; the first call means every service has been started.
	ScanDone(services []string)
	// Added is called when svscan finds a new service directory, named
	// as in the scan directory, before it starts its supervise.
	Added(service string)
	// Forgotten is called when svscan forgets a service: its directory is
	// gone from the scan directory and its supervise processes have exited.
	Forgotten(service string)
	// Lost is called when the supervise of a service (or of its logger,
	// "NAME/log") ends while svscan is not stopping and the directory is
	// still in the scan directory: the service runs unsupervised until the
	// next scan starts a new supervise, which adopts it.
	Lost(service string)
	// Alive is called on every turn of svscan's loop (at least every few
	// seconds), so a watchdog can tell a live loop from a stuck one.
	Alive()
	// Stopping is called when svscan begins an orderly stop (SIGTERM).
	Stopping()
	// Reloading is called on SIGHUP before the rescan; ScanDone follows.
	Reloading()
	// ServiceOutput may return a file to use as stdout and stderr of a
	// service that has no log/ directory (a journald stream under systemd),
	// or nil to leave svscan's own stdout and stderr.
	ServiceOutput(service string) (*os.File, error)
}
