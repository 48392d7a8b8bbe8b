package multilog

import (
	"io"

	"golang.org/x/sys/unix"
)

// FileInput reads a file descriptor, and can be woken while it waits: the
// original's read(2) is interrupted by SIGTERM and SIGALRM, so that it can
// rotate or stop while its input is idle. A Go program cannot interrupt a
// read, so FileInput waits in poll(2) on the input and a wake-up pipe.
type FileInput struct {
	fd     int
	wr, rd int
}

// NewFileInput wraps fd (normally 0).
func NewFileInput(fd int) (*FileInput, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return nil, err
	}
	return &FileInput{fd: fd, rd: p[0], wr: p[1]}, nil
}

// Wake makes a waiting (or the next) Read return ErrWake.
func (f *FileInput) Wake() { unix.Write(f.wr, []byte{0}) }

// Close releases the wake-up pipe (not fd).
func (f *FileInput) Close() {
	unix.Close(f.rd)
	unix.Close(f.wr)
}

// Read waits until fd is readable or Wake is called.
func (f *FileInput) Read(b []byte) (int, error) {
	fds := []unix.PollFd{{Fd: int32(f.fd), Events: unix.POLLIN}, {Fd: int32(f.rd), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			break // read anyway
		}
		if fds[1].Revents != 0 {
			var junk [64]byte
			unix.Read(f.rd, junk[:])
			return 0, ErrWake
		}
		if fds[0].Revents != 0 {
			break
		}
	}
	for {
		n, err := unix.Read(f.fd, b)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return 0, nil // not ready after all: wait again
		case err != nil:
			return 0, err
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}
