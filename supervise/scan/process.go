package scan

import (
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/supervise/pidfd"
	"github.com/svbridge/svbridge/supervise/svctl"
)

// processStarter starts one supervise process per directory (Launcher),
// through the reaper.
type processStarter struct {
	cfg   Config
	exits chan<- supervisor
}

// process is a supervise process: a child of this process, or (proc set)
// one that outlived the previous svscan, followed through a pidfd.
type process struct {
	pid  int
	proc *pidfd.Proc // nil for a child
}

func (st *processStarter) start(l launch) (supervisor, error) {
	if l.own != nil {
		defer l.own.Close() // the supervise process has its own copy
	}
	attr := &syscall.ProcAttr{
		Dir:   l.wd,
		Env:   st.environ(l.logicalWd),
		Files: []uintptr{l.files[0].Fd(), l.files[1].Fd(), l.files[2].Fd()},
	}
	sup := &process{}
	pid, err := st.cfg.Reaper.Start(st.cfg.Launcher.Path, st.cfg.Launcher.argv(l.operand), attr, func(int, syscall.WaitStatus) {
		st.exits <- sup
	})
	for _, f := range l.files {
		// Fd() must stay valid until the fork is done.
		keepAlive(f)
	}
	if err != nil {
		return nil, err
	}
	sup.pid = pid
	return sup, nil
}

// environ is the environment of a supervise started in a directory whose
// path through the scan directory is logicalWd: svscan's, with PWD set to
// it as a shell would set it, so that supervise names a linked service's
// logger NAME/log (see supervise.ServiceName).
func (st *processStarter) environ(logicalWd string) []string {
	env := make([]string, 0, len(st.cfg.Environ)+1)
	for _, kv := range st.cfg.Environ {
		if !strings.HasPrefix(kv, "PWD=") {
			env = append(env, kv)
		}
	}
	return append(env, "PWD="+logicalWd)
}

// control writes cmds to the supervise's FIFO. A supervise that has only
// just started may not have opened it yet.
func (p *process) control(path string, cmds []byte) error { return svctl.Control(path, cmds) }

// signal sends sig to the supervise's children (to the process group of a
// child that leads one), with SIGCONT after SIGTERM, then to the supervise
// itself (through its pidfd when it is not a child). With SIGKILL it
// returns the children it killed, held by pidfd.
func (p *process) signal(sig syscall.Signal) (killed []*pidfd.Proc) {
	for _, c := range children(p.pid) {
		if sig == syscall.SIGKILL {
			// Held before the kill: its end is what the caller waits for.
			if h, err := pidfd.OpenCurrent(c); err == nil {
				killed = append(killed, h)
			}
		}
		if pg, err := syscall.Getpgid(c); err == nil && pg == c {
			syscall.Kill(-c, sig)
		}
		syscall.Kill(c, sig)
		if sig == syscall.SIGTERM {
			syscall.Kill(c, syscall.SIGCONT)
		}
	}
	if p.proc != nil {
		p.proc.Signal(sig)
	} else {
		syscall.Kill(p.pid, sig)
	}
	return killed
}

// checkDir does nothing: a supervise process watches its directory itself.
func (p *process) checkDir() {}

// exitedNow reports whether a child has exited, without reaping it (the
// reaper does that, and then posts a supervisor that no entry has any
// more). The pid cannot be reused before it is reaped. The end of a
// followed process comes from its pidfd only.
func (p *process) exitedNow() bool {
	if p.proc != nil {
		return false
	}
	var info unix.Siginfo
	err := unix.Waitid(unix.P_PID, p.pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	if err == unix.ECHILD {
		return true // already reaped
	}
	return err == nil && info.Signo == int32(unix.SIGCHLD)
}

func (p *process) release() {
	if p.proc != nil {
		p.proc.Close()
	}
}

// children lists the child processes of pid, from
// /proc/PID/task/*/children.
func children(pid int) []int {
	tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	var kids []int
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + t.Name() + "/children")
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil && c > 0 {
				kids = append(kids, c)
			}
		}
	}
	return kids
}
