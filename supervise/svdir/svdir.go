// Package svdir names the on-disk contract of a daemontools service
// directory, once, for supervise and for the programs that talk to it.
package svdir

const (
	Run    = "run"    // the service's program
	Finish = "finish" // optional, run after run exits (runit/s6 style)
	Down   = "down"   // present: the service is normally down
	Log    = "log"    // optional logger service directory

	Supervise = "supervise" // supervise's state directory inside the service dir

	// Inside Supervise (relative to the service dir).
	Lock      = "supervise/lock"
	Control   = "supervise/control"
	OK        = "supervise/ok"
	Status    = "supervise/status"
	StatusNew = "supervise/status.new"
)

// Optional files that turn on supervise's extras (each off unless present).
const (
	TimeoutKill    = "timeout-kill"    // ms: after svc -d's TERM, KILL if ./run is still there
	TimeoutFinish  = "timeout-finish"  // ms: ./finish is KILLed after this (default 5000)
	KillPG         = "killpg"          // ./run leads its own process group; signals go to the group
	NotificationFD = "notification-fd" // s6 readiness: the fd on which ./run writes a newline

	StatusJSON = "supervise/status.json" // supervise's machine-readable status (package supervise/state)
)
