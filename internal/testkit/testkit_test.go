package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/cli"
)

var bin string

// echoargs prints its arguments and exits with the number of them, so the
// tests see that argv and the exit code pass through.
func echoargs(e *cli.Env) int {
	e.Stdout.Write([]byte(strings.Join(e.Args[1:], " ") + "\n"))
	return len(e.Args) - 1
}

func TestMain(m *testing.M) {
	os.Exit(Programs(m, map[string]cli.Main{"echoargs": echoargs}, func(dir string) { bin = dir }))
}

// TestPrograms: the link runs the program, not the tests, as any account
// (nobody) can, and the directory is readable by all.
func TestPrograms(t *testing.T) {
	out, err := exec.Command(filepath.Join(bin, "echoargs"), "a", "b").Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || string(out) != "a b\n" {
		t.Fatalf("echoargs a b: %q %v", out, err)
	}
	if fi, err := os.Stat(bin); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("%s: %v %v", bin, fi.Mode(), err)
	}
	if os.Geteuid() != 0 {
		t.Skip("running it as nobody needs root")
	}
	cmd := exec.Command(filepath.Join(bin, "echoargs"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	if out, err := cmd.Output(); err != nil || string(out) != "\n" {
		t.Fatalf("echoargs as nobody: %q %v", out, err)
	}
}

// TestLinkSelf: the test binary put elsewhere under a program's name, as a
// file of its own (not a symbolic link), runs that program.
func TestLinkSelf(t *testing.T) {
	p := filepath.Join(t.TempDir(), "echoargs")
	LinkSelf(t, p)
	if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("%s: %v %v", p, fi, err)
	}
	out, err := exec.Command(p, "x").Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || string(out) != "x\n" {
		t.Fatalf("echoargs x: %q %v", out, err)
	}
}

// TestAlive: a running child is alive; once exited and not yet waited for
// (a zombie) it is not; pid 0 is not.
func TestAlive(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", "read x")
	w, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	if !Alive(cmd.Process.Pid) {
		t.Fatal("running child not alive")
	}
	w.Close()
	WaitFor(t, 10*time.Second, "the child to be a zombie", func() bool { return !Alive(cmd.Process.Pid) })
	if _, err := os.Stat("/proc/" + strconv.Itoa(cmd.Process.Pid)); err != nil {
		t.Fatalf("the zombie should still be in /proc: %v", err)
	}
	if Alive(0) || Alive(-1) {
		t.Fatal("pid 0 or -1 alive")
	}
}

// fatalRecorder is a testing.TB whose Fatal only records its message, so
// that a helper's failure can be seen without failing the test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper()           {}
func (f *fatalRecorder) Fatal(args ...any) { f.msg = fmt.Sprint(args...) }

// TestReceive: a value sent in time is returned; with none, the test fails
// with the message given.
func TestReceive(t *testing.T) {
	ch := make(chan int, 1)
	go func() { ch <- 7 }()
	if v := Receive(t, ch, 10*time.Second, "no value"); v != 7 {
		t.Fatalf("got %d", v)
	}
	rec := &fatalRecorder{TB: t}
	if v := Receive(rec, make(chan int), 10*time.Millisecond, "nothing came"); v != 0 || rec.msg != "nothing came" {
		t.Fatalf("got %d, failure %q", v, rec.msg)
	}
}

// TestExitedAndExitCode: the exit code of a normal exit, 0 for success, -1
// for a death by signal; Exited returns what Wait returned.
func TestExitedAndExitCode(t *testing.T) {
	for _, c := range []struct {
		script string
		code   int
	}{{"exit 3", 3}, {"true", 0}, {"kill -9 $$", -1}} {
		if got := ExitCode(t, exec.Command("/bin/sh", "-c", c.script)); got != c.code {
			t.Errorf("%q: exit code %d, want %d", c.script, got, c.code)
		}
	}
	cmd := exec.Command("/bin/sh", "-c", "exit 4")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := Exited(t, cmd, 10*time.Second, "sh did not exit"); cmd.ProcessState.ExitCode() != 4 || err == nil {
		t.Fatalf("Exited: %v, exit code %d", err, cmd.ProcessState.ExitCode())
	}
}

// TestUnrelated: the process runs during the test and is gone after it.
func TestUnrelated(t *testing.T) {
	var pid int
	t.Run("during", func(t *testing.T) {
		pid = Unrelated(t)
		if !Alive(pid) {
			t.Fatal("the unrelated process is not running")
		}
	})
	if Alive(pid) {
		t.Fatal("the unrelated process outlived the test")
	}
}
