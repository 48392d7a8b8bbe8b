package scan

import (
	"os"
	"path/filepath"
	"syscall"

	"github.com/svbridge/svbridge/supervise"
	"github.com/svbridge/svbridge/supervise/pidfd"
	"github.com/svbridge/svbridge/supervise/svdir"
)

// inProcessStarter runs the supervise engine of each directory inside this
// process (all-in-one mode), within the descriptors left in fds.
type inProcessStarter struct {
	cfg   Config
	fds   *fdBudget
	exits chan<- supervisor
}

// inProcess is a supervisor running in this process.
type inProcess struct {
	sup    *supervise.Supervisor
	stream *os.File // the observer's output file, kept for every ./run; may be nil
}

// start sets the engine up (lock, FIFOs, first status) before it returns,
// as a supervise process would do it before anything else, and runs it.
func (st *inProcessStarter) start(l launch) (supervisor, error) {
	if !st.fds.take(fdsPerSupervisor) {
		// Leave the running services their descriptors: status writes,
		// restarts, svscan's own stop.
		if l.own != nil {
			l.own.Close()
		}
		return nil, syscall.EMFILE
	}
	dir := filepath.Join(l.wd, l.operand)
	name := l.operand
	if l.operand == svdir.Log {
		name = filepath.Join(filepath.Base(l.wd), svdir.Log)
	}
	sup, err := supervise.New(supervise.Config{
		Dir:      dir,
		Name:     name,
		Service:  supervise.ServiceName(filepath.Join(l.logicalWd, l.operand)),
		Reaper:   st.cfg.Reaper,
		Observer: st.cfg.Events,
		Log:      st.cfg.Warn,
		Environ:  st.cfg.Environ,
		Stdin:    l.files[0],
		Stdout:   l.files[1],
		Stderr:   l.files[2],
	})
	if err != nil {
		if l.own != nil {
			l.own.Close()
		}
		return nil, err
	}
	h := &inProcess{sup: sup, stream: l.own}
	go func() {
		sup.Run()
		st.exits <- h
	}()
	return h, nil
}

// control needs no FIFO: it cannot fail.
func (p *inProcess) control(_ string, cmds []byte) error {
	p.sup.Control(cmds)
	return nil
}

// signal: SIGKILL is svc -dxk (the supervisor kills its service and
// exits once it has reaped it), any other signal svc -dx.
func (p *inProcess) signal(sig syscall.Signal) []*pidfd.Proc {
	if sig == syscall.SIGKILL {
		p.sup.Control([]byte("dxk"))
	} else {
		p.sup.Control([]byte("dx"))
	}
	return nil
}

func (p *inProcess) checkDir() { p.sup.CheckDir() }

// exitedNow is false: the end is posted as soon as Run returns.
func (p *inProcess) exitedNow() bool { return false }

func (p *inProcess) release() {
	if p.stream != nil {
		p.stream.Close()
	}
}
