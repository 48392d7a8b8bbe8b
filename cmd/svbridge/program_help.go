package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// programHelp is what "svbridge help PROGRAM" prints after the program's
// one-line description and usage line: its options (only those it accepts)
// and its exit codes. The programs parse their own arguments as daemontools
// does, so none of them takes --help; this text is the only help they have
// besides their man page.
var programHelp = map[string]string{
	"svscanboot": `DIR defaults to /etc/service.
Under systemd (INVOCATION_ID or JOURNAL_STREAM set) it replaces itself with
"svscan DIR": same pid, environment, notify socket and journal stream.
Otherwise (SysV init) it does what Debian's script does: stdin, stdout and
stderr to /dev/null, "svc -dx DIR/* DIR/*/log", then
"svscan DIR 2>&1 | readproctitle service errors: ...".

exit codes:
  100  usage (more than one argument)
  111  svscan cannot be found or run
  the exit code of svscan otherwise (under SysV init)`,

	"svscan": `Scans DIR (default: the current directory) every 5 seconds, or at once on
SIGHUP, and runs "supervise NAME" for each subdirectory not starting with a
dot, and "supervise NAME/log" with a pipe between them when NAME/log exists.
SIGTERM stops the services, then their loggers, and exits.

exit codes:
  0    stopped by SIGTERM once every supervise has exited
  111  DIR cannot be entered`,

	"supervise": `Runs DIR/run, restarts it when it exits, and takes orders from svc through
DIR/supervise/control. Also reads DIR/finish, DIR/down, DIR/timeout-kill,
DIR/killpg, DIR/notification-fd (see supervise(8)).

exit codes:
  0    told to exit (svc -x) and DIR/run has stopped
  100  usage
  111  fatal error (DIR cannot be entered, supervise/lock is held by another
       supervise, ...)`,

	"svc": `options (getopt: they may be clustered, as in -dx; "--" ends them):
  -u  up: start the service if it is not running; restart it if it stops
  -d  down: send TERM then CONT; do not restart it
  -o  once: start it if it is not running; do not restart it
  -p  pause: send STOP
  -c  continue: send CONT
  -h  hangup: send HUP
  -a  alarm: send ALRM
  -i  interrupt: send INT
  -t  terminate: send TERM
  -k  kill: send KILL
  -x  exit: supervise exits as soon as the service is down
  -q  send QUIT       (svbridge, daemontools-encore)
  -1  send USR1       (svbridge, daemontools-encore)
  -2  send USR2       (svbridge, daemontools-encore)
  -w  send WINCH      (svbridge)

exit codes:
  0    always once the options are read (a DIR that cannot be controlled
       gets a warning: "svc: warning: unable to control DIR: ...")
  100  an unknown option ("svc: illegal option -- Z" and the option list)
  111  the current directory cannot be opened`,

	"svok": `exit codes:
  0    a supervise is running for DIR
  100  no supervise is running for DIR, or usage
  111  DIR cannot be entered or supervise/ok cannot be opened`,

	"svstat": `Prints one line per DIR: "DIR: up (pid N) S seconds", "DIR: down S seconds",
with ", normally up"/", normally down", ", paused", ", want up"/", want down".

exit codes:
  0    always (a DIR that cannot be read gets its error on its line)
  111  the current directory cannot be opened`,

	"readproctitle": `The last argument must be at least 5 bytes long (dots, by convention): the
newest bytes read from stdin are shown in its place (ps, /proc/PID/cmdline).

exit codes:
  0    end of input
  100  usage (silently)`,

	"multilog": `script actions (words, as arguments):
  t          put a TAI64N label at the start of each line (first word only)
  -pattern   deselect the lines that match pattern
  +pattern   select the lines that match pattern
  e          copy the selected lines to stderr
  =file      keep the last selected line in file
  sSIZE      the following directories rotate current at SIZE bytes
  nNUM       the following directories keep NUM files
  !processor the following directories pipe rotated files through processor
  ./dir /dir a log directory (a word starting with . or /)

exit codes:
  0    end of input (or SIGTERM)
  111  a directory cannot be created, opened or locked, or another system
       error`,

	"tai64n": `Reads lines on stdin and writes them with a TAI64N label and a space before
each.

exit codes:
  0    end of input
  111  read or write error`,

	"tai64nlocal": `Reads lines on stdin and turns a TAI64N label at the start of a line into
local time (YYYY-MM-DD HH:MM:SS.nnnnnnnnn).

exit codes:
  0    end of input
  111  read or write error`,

	"setuidgid": `Runs child with the uid and gid of account (from /etc/passwd), and its gid
as the only supplementary group.

exit codes:
  100  usage
  111  unknown account, unable to set the ids, or unable to run child
  child's exit code otherwise (setuidgid replaces itself with it)`,

	"envuidgid": `Runs child with $UID and $GID set to account's uid and gid.

exit codes:
  100  usage
  111  unknown account or unable to run child
  child's exit code otherwise (envuidgid replaces itself with it)`,

	"envdir": `Each file in dir sets the variable of its name to its first line (an empty
file removes the variable); then runs child.

exit codes:
  111  usage, dir cannot be read, or unable to run child
  child's exit code otherwise (envdir replaces itself with it)`,

	"softlimit": `options (each sets the soft limit; "=" means the hard limit):
  -a allbytes       all segments together (RLIMIT_AS)
  -c corebytes      core file size
  -d databytes      data segment
  -f filebytes      file size
  -l lockbytes      locked memory
  -m membytes       -a, -d, -l and -s together
  -o openfiles      open descriptors
  -p processes      processes
  -r residentbytes  resident set size
  -s stackbytes     stack
  -t cpusecs        CPU time

exit codes:
  100  usage
  111  unable to set a limit or to run child
  child's exit code otherwise (softlimit replaces itself with it)`,

	"setlock": `options:
  -n  no delay: if file is locked, give up
  -N  delay: wait until file is free (the default)
  -x  if file cannot be opened or locked, exit 0
  -X  if file cannot be opened or locked, say so and exit 111 (the default)

exit codes:
  0    file cannot be opened or locked and -x was given
  100  usage
  111  file cannot be opened or locked, or unable to run program
  program's exit code otherwise (setlock replaces itself with it)`,

	"fghack": `Runs child with the write end of a pipe on 31 descriptors, and waits until
every process holding one has exited: a daemon that backgrounds itself stays
under supervise.

exit codes:
  100  usage
  111  unable to create the pipe or run child, or child crashed
  child's exit code otherwise`,

	"pgrphack": `Runs child in a new process group.

exit codes:
  100  usage
  111  unable to run child
  child's exit code otherwise (pgrphack replaces itself with it)`,

	"update-service": `options (the original's words, as Debian's daemontools-run script):
  --add, -a DIR [NAME]   link DIR into /etc/service (or $SVDIR) as NAME
  --remove, -r DIR|NAME  stop and unlink the service
  --list, -l [NAME]      list the services (or whether NAME is one)
  --check, -c [NAME]     the same, silently: the exit code tells

exit codes:
  0    done
  1    usage or failure (a message and an empty line on stderr)`,
}

// programHelpFunc prints a program's help: its one-line description, its
// usage line, programHelp, and a reminder that the program itself parses its
// arguments as daemontools does (no --help).
func programHelpFunc(name string, p program) func(*cobra.Command, []string) {
	return func(cmd *cobra.Command, _ []string) {
		writeProgramHelp(cmd.OutOrStdout(), name, p)
	}
}

func writeProgramHelp(w io.Writer, name string, p program) {
	fmt.Fprintf(w, "%s: %s\n\nusage: %s\n\n%s\n\n", name, p.short, p.usage, programHelp[name])
	fmt.Fprintf(w, "Run as %q (a link named %s) or as \"svbridge %s ...\": it parses its\n"+
		"arguments as daemontools does, and has no --help. See %s(8).\n", name+" ...", name, name, name)
}
