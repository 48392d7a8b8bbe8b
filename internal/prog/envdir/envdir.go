// Package envdir is daemontools' envdir: run a child with environment
// variables set (or removed) from the files of a directory.
package envdir

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/internal/chain"
	"github.com/svbridge/svbridge/internal/cli"
)

const (
	prog = "envdir"
	// envdir is the one program whose usage error exits 111.
	usage = "envdir: usage: envdir dir child\n"
)

// Value turns the content of a file into a variable's value as the original
// does: the first line, with trailing spaces and tabs removed, and each NUL
// turned into a newline. ok is false for empty content, which removes the
// variable.
func Value(content []byte) (value string, ok bool) {
	if len(content) == 0 {
		return "", false
	}
	if i := bytes.IndexByte(content, '\n'); i >= 0 {
		content = content[:i]
	}
	content = bytes.TrimRight(content, " \t")
	return string(bytes.ReplaceAll(content, []byte{0}, []byte{'\n'})), true
}

// Main runs envdir.
func Main(e *cli.Env) int {
	if len(e.Args) < 3 {
		io.WriteString(e.Stderr, usage)
		return cli.ExitTemp
	}
	dir := e.Args[1]
	changes, code := read(e, dir)
	if code != 0 {
		return code
	}
	return chain.Run(e, prog, e.Args[2:], chain.Edit(e.Environment(), changes))
}

// read returns the environment changes the files of dir ask for, in
// directory order, or the exit code of a fatal error.
func read(e *cli.Env, dir string) ([]string, int) {
	fatal := func(err error, what ...any) ([]string, int) {
		return nil, cli.Fatal(e.Stderr, prog, cli.ExitTemp, append(what, ": ", err)...)
	}
	// Work from inside dir and go back, as the original does: the same
	// system calls fail in the same cases, with the same messages.
	here, err := unix.Open(".", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fatal(err, "unable to switch to current directory")
	}
	defer unix.Close(here)
	if err := unix.Chdir(dir); err != nil {
		return fatal(err, "unable to switch to directory ", dir)
	}
	d, err := os.Open(".")
	if err != nil {
		return fatal(err, "unable to read directory ", dir)
	}
	defer d.Close()
	entries, err := d.ReadDir(-1)
	if err != nil {
		return fatal(err, "unable to read directory ", dir)
	}
	var changes []string
	// buf plays the part of the original's reused buffer: a name that
	// vanished (a dangling symbolic link) gets the previous file's text
	// again, as the original gives it.
	var buf []byte
	for _, ent := range entries {
		name := ent.Name()
		if name[0] == '.' {
			continue
		}
		content, err := readFile(name)
		switch {
		case err == unix.ENOENT:
			// keep buf
		case err != nil:
			return fatal(err, "unable to read ", dir, "/", name)
		default:
			buf = content
		}
		v, ok := Value(buf)
		if !ok {
			changes = append(changes, name)
			continue
		}
		changes = append(changes, name+"="+v)
		buf = append([]byte(v), 0)
	}
	if err := unix.Fchdir(here); err != nil {
		return fatal(err, "unable to switch to starting directory")
	}
	return changes, 0
}

// readFile reads all of name, opened as the original opens it (non-blocking, so a FIFO without a writer reads empty).
func readFile(name string) ([]byte, error) {
	fd, err := unix.Open(name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var out []byte
	b := make([]byte, 4096)
	for {
		n, err := unix.Read(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return out, nil
		}
		out = append(out, b[:n]...)
	}
}
