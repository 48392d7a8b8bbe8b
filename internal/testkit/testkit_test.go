package testkit

import (
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
