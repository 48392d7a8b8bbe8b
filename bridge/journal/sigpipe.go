package journal

import (
	"os"
	"os/signal"
	"syscall"
)

// KeepWritesAlive makes a write to a broken standard output or error
// return EPIPE instead of killing the process. Under systemd, stdout and
// stderr are journald stream sockets: when journald stops, the next message
// a daemon prints would otherwise end it (Go's default for SIGPIPE on fds 1
// and 2), and with it the supervision of its service. Unlike ignoring the
// signal, this is not inherited by the programs the daemon executes.
func KeepWritesAlive() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
}
