package scan

import (
	"os"
	"syscall"

	"github.com/svbridge/svbridge/supervise/pidfd"
)

// A supervisor is one running supervise of a directory as the scanner
// sees it: a supervise process it started (process.go), one it found
// running and follows through a pidfd (adopt.go), or the engine of package
// supervise inside this process (inprocess.go). Its end is posted once on
// the scanner's exits channel.
type supervisor interface {
	// control delivers svc command bytes; path is the service directory
	// now (relative to the scan directory: it may have been renamed).
	control(path string, cmds []byte) error
	// signal ends the supervisor and its service by sig: SIGTERM when its
	// FIFO cannot reach it, SIGKILL when the stop limit has passed. With
	// SIGKILL it returns the processes it killed whose end is not the
	// supervisor's own (a supervise process's children), held by pidfd,
	// for the caller to wait on.
	signal(sig syscall.Signal) (killed []*pidfd.Proc)
	// checkDir: the directory has left the scan directory.
	checkDir()
	// exitedNow reports, without waiting, an end that may not have been
	// posted yet (a child process not reaped yet).
	exitedNow() bool
	// release frees what the supervisor holds, once its end is handled.
	release()
}

// A starter starts supervisors of one kind: supervise processes, or
// supervisors inside this process (Config.InProcess).
type starter interface {
	start(l launch) (supervisor, error)
}

// launch is what a starter needs to start the supervisor of one directory.
type launch struct {
	wd, operand string // supervise's directory operand, and where it runs (relative to the scan directory)
	logicalWd   string // wd through the scan directory's path as given (links kept)
	files       [3]*os.File
	// own is a file made for this supervisor alone (the observer's
	// output stream), or nil. The starter closes it once it no longer
	// needs it, whether the start succeeds or not.
	own *os.File
}
