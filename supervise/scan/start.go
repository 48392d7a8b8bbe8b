package scan

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/supervise"
	"github.com/svbridge/svbridge/supervise/svdir"
)

// startMain starts "supervise NAME" in the scan directory; its stdout is
// the log pipe, or the observer's stream, or svscan's stdout.
func (s *Scanner) startMain(e *entry) {
	if p, held := liveSupervisor(s.path(e.name)); held {
		// A supervise outlived the previous svscan: leave it running.
		if p != nil {
			e.main, e.downSent = s.follow(p), false
		}
		return
	}
	out, errf := s.cfg.Stdout, s.cfg.Stderr
	var stream *os.File
	if e.hasLog {
		if e.w == nil {
			return // stopping: the pipe's write end is closed
		}
		out = e.w
	} else if s.cfg.Observer != nil {
		f, err := s.cfg.Observer.ServiceOutput(e.name)
		if err != nil {
			s.warn("unable to set up output for ", e.name, ": ", err)
		} else if f != nil {
			stream, out, errf = f, f, f
		}
	}
	sup, err := s.spawn(s.cfg.Dir, e.name, [3]*os.File{s.cfg.Stdin, out, errf}, stream)
	if err != nil {
		s.startFailed(e.name, err)
		return
	}
	e.main, e.downSent = sup, false
}

// startLog starts "supervise log" inside NAME, as daemontools does, with
// the read end of the pipe as its stdin.
func (s *Scanner) startLog(e *entry) {
	if e.r == nil {
		return
	}
	if p, held := liveSupervisor(filepath.Join(s.path(e.name), svdir.Log)); held {
		if p != nil {
			e.log, e.exitSent, e.killSent = s.follow(p), false, false
		}
		return
	}
	sup, err := s.spawn(s.path(e.name), svdir.Log, [3]*os.File{e.r, s.cfg.Stdout, s.cfg.Stderr}, nil)
	if err != nil {
		s.startFailed(e.name+"/"+svdir.Log, err)
		return
	}
	e.log, e.exitSent, e.killSent = sup, false, false
}

// spawn starts the supervisor of dir operand, in directory wd, with files
// as its stdin, stdout and stderr; own (may be nil) is a file made for it
// alone, which is closed once it is no longer needed. Its end comes back
// on s.exits.
func (s *Scanner) spawn(wd, operand string, files [3]*os.File, own *os.File) (supervisor, error) {
	return s.starter.start(launch{wd: wd, operand: operand, logicalWd: s.logical(wd), files: files, own: own})
}

// startFailed reports a supervise that could not start. In-process, the
// engine's setup error is printed as the supervise program would print it.
func (s *Scanner) startFailed(name string, err error) {
	if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
		if !slices.Contains(s.noFds, name) {
			s.noFds = append(s.noFds, name)
		}
		return
	}
	var se *supervise.SetupError
	if errors.As(err, &se) {
		cli.Message(s.cfg.Warn, "supervise", "fatal", se.Error())
		return
	}
	s.warn("unable to start supervise ", name, ": ", err)
}

// reportNoFds says once per scan which supervise could not be started for
// want of descriptors (they are tried again at the next scan).
func (s *Scanner) reportNoFds() {
	if len(s.noFds) == 0 {
		return
	}
	more := ""
	if n := len(s.noFds) - 1; n > 0 {
		more = " and " + strconv.Itoa(n) + " more"
	}
	s.warn("unable to start supervise ", s.noFds[0], more, ": ", syscall.EMFILE)
	s.noFds = s.noFds[:0]
}
