package systemd

import (
	"strconv"
	"strings"

	"github.com/svbridge/svbridge/bridge/journalobs"
	"github.com/svbridge/svbridge/bridge/svinfo"
	"github.com/svbridge/svbridge/supervise/state"
)

// maxListed is how many troubled services the STATUS line names.
const maxListed = 3

// Summary is the one-line STATUS= text for a tree, e.g.
// "12 services: 11 up, 1 down (web: restarting, exit 1)". Services wanted
// up but not running, flapping or unsupervised are named, up to maxListed.
//
// A service counts as up when its process runs, it is not flapping, and it
// is not a restart still in its first second: so a crash loop counts as
// down from one line to the next, whether its process happens to run at
// the moment or not. A first start in its first second is "starting".
func Summary(infos []svinfo.Info) string {
	up, down, starting, unsup := 0, 0, 0, 0
	var trouble []string
	for i := range infos {
		in := &infos[i]
		switch {
		case !in.Supervised:
			unsup++
			trouble = append(trouble, in.Name+": not supervised")
			continue
		case in.Pid == 0 || in.Flapping || restarting(in):
			down++
		case in.State == state.Starting:
			starting++
		default:
			up++
		}
		if t := troubleOf(in); t != "" {
			trouble = append(trouble, in.Name+": "+t)
		}
	}
	var b strings.Builder
	b.WriteString(strconv.Itoa(len(infos)))
	if len(infos) == 1 {
		b.WriteString(" service: ")
	} else {
		b.WriteString(" services: ")
	}
	b.WriteString(strconv.Itoa(up) + " up, " + strconv.Itoa(down) + " down")
	if starting > 0 {
		b.WriteString(", " + strconv.Itoa(starting) + " starting")
	}
	if unsup > 0 {
		b.WriteString(", " + strconv.Itoa(unsup) + " not supervised")
	}
	if len(trouble) > 0 {
		b.WriteString(" (")
		for i, t := range trouble {
			if i == maxListed {
				b.WriteString("; +" + strconv.Itoa(len(trouble)-maxListed) + " more")
				break
			}
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(t)
		}
		b.WriteString(")")
	}
	return b.String()
}

// troubleOf says what is wrong with a supervised service, or "".
func troubleOf(in *svinfo.Info) string {
	var what string
	switch {
	case in.Flapping:
		what = state.Flapping.String()
	case (in.Pid == 0 && in.Want == state.WantUp) || restarting(in):
		what = state.Restarting.String()
	default:
		return ""
	}
	if e := in.LastExit; e != nil {
		if e.Unknown {
			what += ", exit code unknown"
		} else if e.Signal != 0 {
			what += ", " + journalobs.SignalName(e.Signal)
		} else {
			what += ", exit " + strconv.Itoa(e.Code)
		}
	}
	return what
}

// restarting tells whether in is a run started again after an exit that
// has not yet lasted its first second (status.json says "starting").
func restarting(in *svinfo.Info) bool {
	return in.Pid != 0 && in.State == state.Starting && in.LastExit != nil
}
