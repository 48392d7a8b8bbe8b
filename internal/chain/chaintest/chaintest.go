// Package chaintest runs the chain loaders of svbridge next to Debian's
// daemontools binaries (the oracle) in tests: the test binary of a chain
// loader's package is that program when run under its name (Main), and Run
// starts ours or theirs on the same input with a deadline.
package chaintest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/chain"
	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/testkit"
)

// Names are the chain loaders.
var Names = []string{"setuidgid", "envuidgid", "envdir", "softlimit", "setlock", "fghack", "pgrphack"}

// Bin is the directory holding the program under test, set by Main.
var Bin string

// Main is the body of the TestMain of the package of the chain loader name,
// whose entry point is main: run under that name the test binary is the
// program, otherwise it runs the tests with Bin/name linked to itself (see
// testkit.Programs), in a directory any account can read.
func Main(m *testing.M, name string, main cli.Main) int {
	return testkit.Programs(m, map[string]cli.Main{name: main}, func(dir string) { Bin = dir })
}

// Ours is the path of our program name.
func Ours(name string) string { return filepath.Join(Bin, name) }

// Theirs is the path of Debian's program name; the test is skipped when it
// is not installed.
func Theirs(t testing.TB, name string) string {
	t.Helper()
	testkit.NeedDaemontools(t, name)
	return testkit.Daemontools(name)
}

// NeedRoot skips the test unless it runs as root.
func NeedRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (setuid, groups, files other accounts cannot read)")
	}
}

// Nobody is the uid and gid of the account nobody; the test is skipped when
// there is no such account.
func Nobody(t testing.TB) (uid, gid int) {
	t.Helper()
	uid, gid, ok := chain.Account("nobody")
	if !ok {
		t.Skip("no account nobody in /etc/passwd")
	}
	return uid, gid
}

// Words splits s, a fuzzer's input, into the words of a command line; the
// test is skipped when there are more than most, or a NUL no argument can
// hold.
func Words(t testing.TB, s string, most int) []string {
	t.Helper()
	words := strings.Fields(s)
	if len(words) > most || strings.IndexByte(s, 0) >= 0 {
		t.Skip("too many words, or a NUL no argument can hold")
	}
	return words
}

// Result is what one run gave.
type Result struct {
	Stdout, Stderr string
	Code           int // exit code, or -1 when killed by a signal
	Pid            int
}

func (r Result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %q\nstderr: %q", r.Code, r.Stdout, r.Stderr)
}

// Cmd describes one run.
type Cmd struct {
	Args  []string // Args[0] is the program path
	Env   []string // the whole environment (nil: empty)
	Dir   string
	Attr  *syscall.SysProcAttr
	Stdin string
}

// Run runs c with a 10-second deadline and returns what it gave.
func Run(t testing.TB, c Cmd) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Args[0], c.Args[1:]...)
	cmd.Env = c.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Dir = c.Dir
	cmd.SysProcAttr = c.Attr
	cmd.Stdin = strings.NewReader(c.Stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%q did not finish within 10 s", c.Args)
	}
	r := Result{Stdout: out.String(), Stderr: errb.String()}
	if cmd.Process != nil {
		r.Pid = cmd.Process.Pid
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	default:
		t.Fatalf("%q: %v", c.Args, err)
	}
	return r
}

// Compare runs name with args through ours and Debian's, with the same
// environment and directory, and fails the test when exit codes, stdout or
// stderr differ. It returns our result.
func Compare(t testing.TB, name string, c Cmd) Result {
	t.Helper()
	ours, want := Both(t, name, c)
	if ours.Code != want.Code || ours.Stdout != want.Stdout || ours.Stderr != want.Stderr {
		t.Errorf("%s %q differs from daemontools'\nours:   %v\ntheirs: %v", name, c.Args[1:], ours, want)
	}
	return ours
}

// Both runs name with c.Args (the arguments after the program) through ours
// and Debian's, with the same environment and directory, and returns both
// results (the test is skipped when Debian's is not installed).
func Both(t testing.TB, name string, c Cmd) (ours, theirs Result) {
	t.Helper()
	path := Theirs(t, name)
	c.Args = append([]string{Ours(name)}, c.Args...)
	ours = Run(t, c)
	c.Args[0] = path
	return ours, Run(t, c)
}

// Env is a small fixed environment for runs.
func Env(extra ...string) []string {
	return append([]string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, extra...)
}
