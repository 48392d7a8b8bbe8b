package main

import (
	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/prog/lean"
	"github.com/svbridge/svbridge/internal/prog/supervise"
	"github.com/svbridge/svbridge/internal/prog/svscan"
	"github.com/svbridge/svbridge/internal/prog/updateservice"
)

// program is one daemontools-syntax program of the multi-call binary.
type program struct {
	main  cli.Main
	short string // one line for help and man pages
	usage string // the synopsis, as the original's usage message
}

// about has each program's one-line description (for help and man pages)
// and synopsis (as the original's usage message).
var about = map[string][2]string{
	"svscanboot":     {"start svscan with its output to readproctitle or the journal", "svscanboot [dir]"},
	"svscan":         {"start and monitor a collection of services", "svscan [dir]"},
	"supervise":      {"start and monitor one service", "supervise dir"},
	"svc":            {"control supervised services", "svc [-udopchaitkxq12w] dir ..."},
	"svok":           {"check whether supervise is running", "svok dir"},
	"svstat":         {"print the status of supervised services", "svstat dir ..."},
	"readproctitle":  {"maintain an automatically rotated log in memory for ps", "readproctitle args ....."},
	"multilog":       {"read a sequence of lines and log them to directories", "multilog script"},
	"tai64n":         {"put a precise timestamp on each line", "tai64n"},
	"tai64nlocal":    {"convert TAI64N timestamps to local time", "tai64nlocal"},
	"setuidgid":      {"run a program under a specified account's uid and gid", "setuidgid account child"},
	"envuidgid":      {"run a program with UID and GID set to an account's", "envuidgid account child"},
	"envdir":         {"run a program with environment variables from a directory", "envdir dir child"},
	"softlimit":      {"run a program with new resource limits", "softlimit [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child"},
	"setlock":        {"run a program with a file locked", "setlock [-nNxX] file program [arg ...]"},
	"fghack":         {"an anti-backgrounding tool", "fghack child"},
	"pgrphack":       {"run a program in a separate process group", "pgrphack child"},
	"update-service": {"add or remove a service directory in /etc/service (Debian daemontools-run)", "update-service --add|--remove DIR [NAME] | --list|--check [NAME]"},
}

// programs are picked by argv[0] (a symlink named after them) or by the first
// argument ("svbridge svc -u DIR"). They parse their own arguments. The lean
// binary's programs (package lean) and the three that only svbridge runs.
var programs = func() map[string]program {
	mains := map[string]cli.Main{
		"svscan":         svscan.Main,
		"supervise":      supervise.Main,
		"update-service": updateservice.Main,
	}
	for name, m := range lean.Programs {
		mains[name] = m
	}
	ps := make(map[string]program, len(mains))
	for name, m := range mains {
		ps[name] = program{main: m, short: about[name][0], usage: about[name][1]}
	}
	return ps
}()
