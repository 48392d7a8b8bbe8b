// Package cli holds what every daemontools-style program shares: the
// environment a program runs in (so tests can call it with buffers), the
// exit codes of daemontools, and its "prog: fatal: ..." message forms.
package cli

import (
	"fmt"
	"io"
	"os"
)

// Exit codes used by daemontools 0.76.
const (
	ExitOK    = 0
	ExitUsage = 100 // usage error, or a permanent error
	ExitTemp  = 111 // temporary failure (a system call failed)
)

// Env is everything a program may touch besides the file system and its own
// process: argv, the three standard streams and the environment.
// Args[0] is the program name as invoked.
type Env struct {
	Args   []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Environ is the environment as KEY=value strings; nil means os.Environ().
	Environ []string
}

// OS returns the Env of the running process.
func OS() *Env {
	return &Env{Args: os.Args, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
}

// Environment returns e.Environ, or the process environment when it is nil.
func (e *Env) Environment() []string {
	if e.Environ != nil {
		return e.Environ
	}
	return os.Environ()
}

// Main is the entry point of one program. It returns the exit code; programs
// that replace themselves with a child (exec) return only on failure.
type Main func(e *Env) int

// Fatal prints "prog: fatal: parts..." to e.Stderr and returns code, so a
// program can write `return cli.Fatal(e, "svc", cli.ExitTemp, "unable to ...: ", err)`.
// An error among parts is printed with ErrStr, as daemontools' strerr does.
func Fatal(w io.Writer, prog string, code int, parts ...any) int {
	Message(w, prog, "fatal", parts...)
	return code
}

// Warn prints "prog: warning: parts...".
func Warn(w io.Writer, prog string, parts ...any) {
	Message(w, prog, "warning", parts...)
}

// Usage prints "prog: usage: text" and returns ExitUsage (100).
func Usage(w io.Writer, prog, text string) int {
	fmt.Fprintf(w, "%s: usage: %s\n", prog, text)
	return ExitUsage
}

// Message prints "prog: kind: parts...\n" with errors rendered by ErrStr.
func Message(w io.Writer, prog, kind string, parts ...any) {
	buf := make([]byte, 0, 128)
	buf = append(buf, prog...)
	buf = append(buf, ": "...)
	buf = append(buf, kind...)
	buf = append(buf, ": "...)
	for _, p := range parts {
		switch v := p.(type) {
		case error:
			buf = append(buf, ErrStr(v)...)
		case string:
			buf = append(buf, v...)
		default:
			buf = fmt.Append(buf, v)
		}
	}
	buf = append(buf, '\n')
	w.Write(buf)
}
