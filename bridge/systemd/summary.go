package systemd

import (
	"strconv"
	"strings"

	"github.com/svbridge/svbridge/bridge/journal"
	"github.com/svbridge/svbridge/bridge/svinfo"
)

// maxListed is how many troubled services the STATUS line names.
const maxListed = 3

// Summary is the one-line STATUS= text for a tree, e.g.
// "12 services: 11 up, 1 down (web: restarting, exit 1)". Services wanted
// up but not running, flapping or unsupervised are named, up to maxListed.
func Summary(infos []svinfo.Info) string {
	up, down, unsup := 0, 0, 0
	var trouble []string
	for i := range infos {
		in := &infos[i]
		switch {
		case !in.Supervised:
			unsup++
			trouble = append(trouble, in.Name+": not supervised")
			continue
		case in.Pid != 0:
			up++
		default:
			down++
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
		what = "flapping"
	case in.Pid == 0 && in.Want == "up":
		what = "restarting"
	default:
		return ""
	}
	if e := in.LastExit; e != nil {
		if e.Unknown {
			what += ", exit code unknown"
		} else if e.Signal != 0 {
			what += ", " + journal.SignalName(e.Signal)
		} else {
			what += ", exit " + strconv.Itoa(e.Code)
		}
	}
	return what
}
