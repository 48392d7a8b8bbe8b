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
