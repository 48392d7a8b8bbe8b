// Package svstat is the svstat program: one line per service directory
// telling whether the service is up, for how long, and how that differs from
// what it normally is and what is wanted.
//
// One deliberate difference from daemontools 0.76: when read(2) of
// supervise/status fails (a directory, an empty FIFO), the original misses
// the error (it compares -1 with an unsigned size) and prints a zeroed or the
// previous directory's status as "down 4611686... seconds"; svstat prints
// the message the original has for that case,
// "DIR: unable to read supervise/status: ERROR". A status shorter than 18
// bytes is "unable to read supervise/status: bad format" in both.
package svstat

import (
	"errors"
	"strconv"
	"syscall"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/tai64n"
	"github.com/svbridge/svbridge/supervise/status"
	"github.com/svbridge/svbridge/supervise/svctl"
)

// Main runs svstat. Every argument is a directory (there are no options);
// failures are reported on the directory's line and the exit code is 0,
// except 111 when the current directory cannot be opened.
func Main(e *cli.Env) int {
	if err := checkCwd(); err != nil {
		return cli.Fatal(e.Stderr, "svstat", cli.ExitTemp, "unable to open current directory: ", err)
	}
	out := make([]byte, 0, 128*len(e.Args))
	for _, dir := range e.Args[1:] {
		info, err := svctl.Stat(dir)
		out = Render(out, dir, info, err, tai64n.Now())
	}
	if len(out) > 0 {
		e.Stdout.Write(out)
	}
	return cli.ExitOK
}

// Render appends the svstat line for dir to b: the failure named by err (an
// *svctl.Error from svctl.Stat), or the state in info as of now.
func Render(b []byte, dir string, info svctl.Info, err error, now tai64n.Stamp) []byte {
	b = append(b, dir...)
	b = append(b, ": "...)
	if err != nil {
		var se *svctl.Error
		switch {
		case errors.Is(err, svctl.ErrNotRunning):
			b = append(b, "supervise not running"...)
		case errors.As(err, &se):
			b = append(b, "unable to "...)
			b = append(b, se.Op...)
			b = append(b, ": "...)
			b = append(b, cli.ErrStr(se.Err)...)
		default:
			b = append(b, cli.ErrStr(err)...)
		}
		return append(b, '\n')
	}
	return append(appendState(b, info, now), '\n')
}

func appendState(b []byte, info svctl.Info, now tai64n.Stamp) []byte {
	s := info.Status
	if s.Pid != 0 {
		b = append(b, "up (pid "...)
		b = strconv.AppendUint(b, uint64(uint32(s.Pid)), 10)
		b = append(b, ") "...)
	} else {
		b = append(b, "down "...)
	}
	b = strconv.AppendUint(b, Seconds(s.When, now), 10)
	b = append(b, " seconds"...)
	up := s.Pid != 0
	if up && !info.NormallyUp {
		b = append(b, ", normally down"...)
	}
	if !up && info.NormallyUp {
		b = append(b, ", normally up"...)
	}
	if up && s.Paused {
		b = append(b, ", paused"...)
	}
	if !up && s.Want == status.WantUp {
		b = append(b, ", want up"...)
	}
	if up && s.Want == status.WantDown {
		b = append(b, ", want down"...)
	}
	return b
}

// Seconds is the age of a status stamp as svstat prints it: whole TAI64
// seconds from when to now (nanoseconds ignored), 0 for a stamp in the
// future, passed through a double as the original's tai_approx does.
func Seconds(when, now tai64n.Stamp) uint64 {
	if now.Sec < when.Sec {
		return 0
	}
	return uint64(float64(now.Sec - when.Sec))
}

func checkCwd() error {
	fd, err := syscall.Open(".", syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	return syscall.Close(fd)
}
