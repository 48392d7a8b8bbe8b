package supervise

import (
	"errors"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/sdnotify"
	"github.com/svbridge/svbridge/supervise/svdir"
)

// Files in the service directory that turn on the extras. Each is off
// unless its file exists.
const (
	FileTimeoutKill    = svdir.TimeoutKill
	FileTimeoutFinish  = svdir.TimeoutFinish
	FileKillPG         = svdir.KillPG
	FileNotificationFD = svdir.NotificationFD
)

// DefaultFinishLimit is how long ./finish may run without timeout-finish.
const DefaultFinishLimit = 5 * time.Second

// maxNotificationFD bounds the notification-fd number.
const maxNotificationFD = 1023

func (s *Supervisor) stdio() []uintptr {
	fds := []uintptr{0, 1, 2}
	for i, f := range []*os.File{s.cfg.Stdin, s.cfg.Stdout, s.cfg.Stderr} {
		if f != nil {
			fds[i] = f.Fd()
		}
	}
	return fds
}

func (s *Supervisor) environ() []string {
	base := s.cfg.Environ
	if base == nil {
		base = os.Environ()
	}
	socket := ""
	if s.notify != nil {
		socket = s.notify.name
	}
	return sdnotify.Environ(base, socket)
}

func (s *Supervisor) exists(name string) bool {
	_, err := os.Lstat(s.path(name))
	return err == nil
}

// spawnRun starts ./run and returns the Input that answers ActSpawnRun.
func (s *Supervisor) spawnRun() Input {
	killpg := s.exists(FileKillPG)
	killAfter, _ := readMillis(s.path(FileTimeoutKill))
	files := s.stdio()
	var readEnd *os.File
	var writeFd = -1
	if s.exists(FileNotificationFD) {
		n, ok := readNumber(s.path(FileNotificationFD))
		if !ok || n < 3 || n > maxNotificationFD {
			if !s.warnedNfd {
				s.warnedNfd = true
				cli.Warn(s.log, s.prog, "invalid ", s.name, "/", FileNotificationFD, ": starting ", s.name, "/run without readiness notification")
			}
		} else {
			var p [2]int
			if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
				cli.Warn(s.log, s.prog, "unable to create pipe for ", s.name, "/", FileNotificationFD, ": ", err)
			} else {
				syscall.SetNonblock(p[0], true)
				readEnd = os.NewFile(uintptr(p[0]), "notification-fd")
				writeFd = p[1]
				for len(files) <= n {
					files = append(files, ^uintptr(0)) // closed in the child
				}
				files[n] = uintptr(writeFd)
			}
		}
	}
	attr := &syscall.ProcAttr{
		Dir:   s.dir,
		Env:   s.environ(),
		Files: files,
		Sys:   &syscall.SysProcAttr{Setsid: killpg},
	}
	s.spawning.Lock()
	pid, err := s.cfg.Reaper.Start("./"+svdir.Run, []string{"./" + svdir.Run}, attr, s.reaped)
	if err == nil {
		s.runPid.Store(int64(pid)) // as the machine's step will
	}
	s.spawning.Unlock()
	if writeFd >= 0 {
		syscall.Close(writeFd)
	}
	if err != nil {
		if readEnd != nil {
			readEnd.Close()
		}
		switch {
		case errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.ENOMEM):
			cli.Warn(s.log, s.prog, "unable to fork for ", s.name, ": ", err)
		case errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE):
			// Out of descriptors: said once, until a start succeeds.
			if !s.warnedFds {
				s.warnedFds = true
				cli.Fatal(s.log, s.prog, 0, "unable to start ", s.name, "/run: ", err)
			}
		default:
			cli.Fatal(s.log, s.prog, 0, "unable to start ", s.name, "/run: ", err)
		}
		return Input{Kind: InRunFailed}
	}
	s.killpg = killpg
	s.runNotify = ""
	if s.notify != nil {
		s.runNotify = s.notify.name
	}
	s.warnedFds = false
	if s.readyPipe != nil {
		s.readyPipe.Close()
	}
	s.readyPipe = readEnd
	if readEnd != nil {
		go s.readReady(readEnd, pid)
	}
	return Input{Kind: InRunStarted, Pid: pid, KillAfter: killAfter}
}

// spawnFinish starts ./finish CODE SIG when it exists. The arguments follow
// s6: the exit code of ./run (256 when a signal killed it) and the signal
// number (0 when it exited).
func (s *Supervisor) spawnFinish(code, sig int) Input {
	if _, err := os.Stat(s.path(svdir.Finish)); err != nil {
		return Input{Kind: InFinishNone}
	}
	if code < 0 {
		code = 256 // killed by a signal, or an adopted run whose code is unknown (signal 0)
	}
	limit := DefaultFinishLimit
	if d, ok := readMillis(s.path(FileTimeoutFinish)); ok && d > 0 {
		limit = d
	}
	attr := &syscall.ProcAttr{
		Dir:   s.dir,
		Env:   s.environ(),
		Files: s.stdio(),
		Sys:   &syscall.SysProcAttr{},
	}
	argv := []string{"./" + svdir.Finish, strconv.Itoa(code), strconv.Itoa(sig)}
	pid, err := s.cfg.Reaper.Start(argv[0], argv, attr, s.reaped)
	if err != nil {
		cli.Warn(s.log, s.prog, "unable to start ", s.name, "/finish: ", err)
		return Input{Kind: InFinishNone}
	}
	return Input{Kind: InFinishStarted, Pid: pid, FinishLimit: limit}
}

// reaped is the reaper's callback for our children.
func (s *Supervisor) reaped(pid int, ws syscall.WaitStatus) {
	in := Input{Kind: InRunExited, Pid: pid, Now: time.Now()}
	if ws.Signaled() {
		in.Code, in.Sig = -1, int(ws.Signal())
	} else {
		in.Code = ws.ExitStatus()
	}
	s.post(in)
}

// readReady waits for a newline on the notification-fd pipe of run pid.
func (s *Supervisor) readReady(f *os.File, pid int) {
	var b [64]byte
	for {
		n, err := f.Read(b[:])
		for _, c := range b[:n] {
			if c == '\n' {
				f.Close() // as s6: the daemon's later writes do not pile up
				s.post(Input{Kind: InReady, Pid: pid})
				return
			}
		}
		if err != nil {
			return
		}
	}
}
