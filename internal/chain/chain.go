// Package chain is what daemontools' chain loaders (setuidgid, envuidgid,
// envdir, softlimit, setlock, fghack, pgrphack) share: the search of $PATH
// done by the originals before they exec their child, the way they edit the
// child's environment, and their "unable to run" fatal error.
package chain

import (
	"errors"
	"io"
	"strings"
	"syscall"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/rlimit"
)

// DefaultPath is searched when the environment has no PATH at all.
const DefaultPath = "/bin:/usr/bin"

// Getenv returns the value of the first NAME= entry of environ, as the
// originals' env_get does.
func Getenv(environ []string, name string) (string, bool) {
	for _, kv := range environ {
		if len(kv) > len(name) && kv[len(name)] == '=' && kv[:len(name)] == name {
			return kv[len(name)+1:], true
		}
	}
	return "", false
}

// SearchPath returns the PATH to search, taken from environ.
func SearchPath(environ []string) string {
	if p, ok := Getenv(environ, "PATH"); ok {
		return p
	}
	return DefaultPath
}

// Search calls try with each candidate file name for file, in the order the
// originals' pathexec_run tries them, and stops at the first try that
// succeeds (returns nil). A file name with a slash is tried alone. Otherwise
// each element of path (colon separated, an empty element meaning ".") is
// tried: "file does not exist" moves on silently; access denied, permission
// denied and "is a directory" are remembered and move on; any other error
// stops the search. The error returned is the last remembered one, else the
// last one seen.
func Search(file, path string, try func(name string) error) error {
	if strings.IndexByte(file, '/') >= 0 {
		return try(file)
	}
	var saved error
	for {
		dir, rest, more := strings.Cut(path, ":")
		if dir == "" {
			dir = "."
		}
		err := try(dir + "/" + file)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.ENOENT) {
			saved = err
			if !errors.Is(err, syscall.EACCES) && !errors.Is(err, syscall.EPERM) && !errors.Is(err, syscall.EISDIR) {
				return err
			}
		}
		if !more {
			if saved != nil {
				return saved
			}
			return err
		}
		path = rest
	}
}

// Exec replaces the process with argv[0], found through path, run with argv
// and env, and with the soft limits the process was started with (see
// package rlimit), then those of set. It returns only on failure.
func Exec(argv, env []string, path string, set ...rlimit.Setting) error {
	if len(argv) == 0 {
		return syscall.EINVAL
	}
	return Search(argv[0], path, func(name string) error {
		return rlimit.Exec(name, argv, env, set)
	})
}

// Run is the last step of every chain loader: exec argv with env (nil means
// e's environment), searching the PATH of e's environment as the originals
// do (not the PATH of env). On failure it prints
// "prog: fatal: unable to run ARGV0: reason" and returns 111.
func Run(e *cli.Env, prog string, argv, env []string) int {
	orig := e.Environment()
	if env == nil {
		env = orig
	}
	err := Exec(argv, env, SearchPath(orig))
	name := ""
	if len(argv) > 0 {
		name = argv[0]
	}
	return Fail(e.Stderr, prog, name, err)
}

// Fail prints the "unable to run" fatal message and returns 111.
func Fail(w io.Writer, prog, name string, err error) int {
	return cli.Fatal(w, prog, cli.ExitTemp, "unable to run ", name, ": ", err)
}

// Edit returns environ changed by changes, as the originals' pathexec_env
// and pathexec do: each change is "NAME=value" (set) or "NAME" (remove). The
// name is what precedes the change's first '='. For each change in order, the
// first entry of that name is removed (the last entry takes its place) and
// a set appends the change. environ itself is not modified.
func Edit(environ, changes []string) []string {
	e := make([]string, len(environ), len(environ)+len(changes))
	copy(e, environ)
	for _, c := range changes {
		name, _, set := strings.Cut(c, "=")
		for t, kv := range e {
			if len(kv) > len(name) && kv[len(name)] == '=' && kv[:len(name)] == name {
				last := len(e) - 1
				e[t] = e[last]
				e = e[:last]
				break
			}
		}
		if set {
			e = append(e, c)
		}
	}
	return e
}
