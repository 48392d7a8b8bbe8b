// Package fghack is daemontools' fghack, an anti-backgrounding tool: it runs
// a child holding 31 write ends of a pipe, and waits until every one of them
// is closed (by the child and by whatever it started and left behind), then
// exits with the child's exit code.
package fghack

import (
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/internal/chain"
	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/rlimit"
)

const (
	prog = "fghack"
	// extra is how many copies of the pipe's write end the child gets on
	// top of the first one.
	extra = 30
)

// Main runs fghack.
func Main(e *cli.Env) int {
	if len(e.Args) < 2 {
		return cli.Usage(e.Stderr, prog, "fghack child")
	}
	argv := e.Args[1:]
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return cli.Fatal(e.Stderr, prog, cli.ExitTemp, "unable to create pipe: ", err)
	}
	attr := &syscall.ProcAttr{Env: e.Environment(), Files: childFiles(p[1])}
	var pid int
	err := chain.Search(argv[0], chain.SearchPath(attr.Env), func(name string) error {
		var err error
		pid, err = rlimit.ForkExec(name, argv, attr)
		return err
	})
	unix.Close(p[1])
	if err != nil {
		return chain.Fail(e.Stderr, prog, argv[0], err)
	}
	var b [1]byte
	for {
		n, err := unix.Read(p[0], b[:])
		if n == 1 || err == unix.EINTR {
			continue
		}
		break
	}
	var ws unix.WaitStatus
	for {
		_, err = unix.Wait4(pid, &ws, 0, nil)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return cli.Fatal(e.Stderr, prog, cli.ExitTemp, "wait failed: ", err)
	}
	if ws.Signaled() {
		return cli.Fatal(e.Stderr, prog, cli.ExitTemp, "child crashed")
	}
	return ws.ExitStatus()
}

// childFiles maps the child's descriptors for ForkExec as the original's
// fork and dup give them: each descriptor fghack inherited (open and not
// close-on-exec) keeps its number, and the write end w takes the 1+extra
// lowest numbers left. The other numbers are closed in the child (they hold
// only close-on-exec descriptors of the Go runtime). Every inherited
// descriptor is listed, so ForkExec's shuffling cannot land on one.
func childFiles(w int) []uintptr {
	top := 0
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		for _, ent := range ents {
			if n, err := strconv.Atoi(ent.Name()); err == nil {
				top = max(top, n)
			}
		}
	}
	var files []uintptr
	need := 1 + extra
	for i := 0; need > 0 || i <= top; i++ {
		flags, err := unix.FcntlInt(uintptr(i), unix.F_GETFD, 0)
		switch {
		case err == nil && flags&unix.FD_CLOEXEC == 0 && i != w:
			files = append(files, uintptr(i))
		case need > 0:
			files = append(files, uintptr(w))
			need--
		default:
			files = append(files, ^uintptr(0))
		}
	}
	return files
}
