package main

import (
	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/prog/envdir"
	"github.com/svbridge/svbridge/internal/prog/envuidgid"
	"github.com/svbridge/svbridge/internal/prog/fghack"
	"github.com/svbridge/svbridge/internal/prog/multilog"
	"github.com/svbridge/svbridge/internal/prog/pgrphack"
	"github.com/svbridge/svbridge/internal/prog/readproctitle"
	"github.com/svbridge/svbridge/internal/prog/setlock"
	"github.com/svbridge/svbridge/internal/prog/setuidgid"
	"github.com/svbridge/svbridge/internal/prog/softlimit"
	"github.com/svbridge/svbridge/internal/prog/supervise"
	"github.com/svbridge/svbridge/internal/prog/svc"
	"github.com/svbridge/svbridge/internal/prog/svok"
	"github.com/svbridge/svbridge/internal/prog/svscan"
	"github.com/svbridge/svbridge/internal/prog/svscanboot"
	"github.com/svbridge/svbridge/internal/prog/svstat"
	"github.com/svbridge/svbridge/internal/prog/tai64n"
	"github.com/svbridge/svbridge/internal/prog/tai64nlocal"
	"github.com/svbridge/svbridge/internal/prog/updateservice"
)

// program is one daemontools-syntax program of the multi-call binary.
type program struct {
	main  cli.Main
	short string // one line for help and man pages
	usage string // the synopsis, as the original's usage message
}

// programs are picked by argv[0] (a symlink named after them) or by the first
// argument ("svbridge svc -u DIR"). They parse their own arguments.
var programs = map[string]program{
	"svscanboot":    {svscanboot.Main, "start svscan with its output to readproctitle or the journal", "svscanboot [dir]"},
	"svscan":        {svscan.Main, "start and monitor a collection of services", "svscan [dir]"},
	"supervise":     {supervise.Main, "start and monitor one service", "supervise dir"},
	"svc":           {svc.Main, "control supervised services", "svc [-udopchaitkxq12w] dir ..."},
	"svok":          {svok.Main, "check whether supervise is running", "svok dir"},
	"svstat":        {svstat.Main, "print the status of supervised services", "svstat dir ..."},
	"readproctitle": {readproctitle.Main, "maintain an automatically rotated log in memory for ps", "readproctitle args ....."},
	"multilog":      {multilog.Main, "read a sequence of lines and log them to directories", "multilog script"},
	"tai64n":        {tai64n.Main, "put a precise timestamp on each line", "tai64n"},
	"tai64nlocal":   {tai64nlocal.Main, "convert TAI64N timestamps to local time", "tai64nlocal"},
	"setuidgid":     {setuidgid.Main, "run a program under a specified account's uid and gid", "setuidgid account child"},
	"envuidgid":     {envuidgid.Main, "run a program with UID and GID set to an account's", "envuidgid account child"},
	"envdir":        {envdir.Main, "run a program with environment variables from a directory", "envdir dir child"},
	"softlimit":     {softlimit.Main, "run a program with new resource limits", "softlimit [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child"},
	"setlock":       {setlock.Main, "run a program with a file locked", "setlock [-nNxX] file program [arg ...]"},
	"fghack":        {fghack.Main, "an anti-backgrounding tool", "fghack child"},
	"pgrphack":      {pgrphack.Main, "run a program in a separate process group", "pgrphack child"},

	"update-service": {updateservice.Main, "add or remove a service directory in /etc/service (Debian daemontools-run)", "update-service --add|--remove DIR [NAME] | --list|--check [NAME]"},
}
