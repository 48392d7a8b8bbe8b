package setlock

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/chain/chaintest"
)

func TestMain(m *testing.M) { os.Exit(chaintest.Main(m, "setlock", Main)) }

func TestUsageAndErrors(t *testing.T) {
	d := t.TempDir()
	for _, args := range [][]string{
		{}, {"f"}, {"-n", "f"}, {"-q", "f", "true"}, {"-nq", "f", "true"},
		{"nodir/f", "true"}, {"-x", "nodir/f", "true"}, {"-xX", "nodir/f", "true"},
		{".", "true"}, {"-x", ".", "true"},
		{"f", "no-such-child"}, {"-x", "f", "no-such-child"}, {"--", "f", "true"}, {"-", "true"},
	} {
		r := chaintest.Compare(t, "setlock", chaintest.Cmd{Args: args, Env: chaintest.Env(), Dir: d})
		if r.Code != 0 && r.Code != 100 && r.Code != 111 {
			t.Errorf("setlock %q: %v", args, r)
		}
	}
	// The file is created 0600 (less the umask), as the original does.
	for _, name := range []string{"setlock", "setlock-theirs"} {
		prog := chaintest.Ours("setlock")
		if name != "setlock" {
			prog = chaintest.Theirs(t, "setlock")
		}
		f := filepath.Join(d, name)
		chaintest.Run(t, chaintest.Cmd{Args: []string{prog, f, "true"}, Env: chaintest.Env()})
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s created %v %v", name, fi.Mode(), err)
		}
	}
}

// TestBusy holds the lock with one program's child and tries it with the
// other's -n, -nx, -nX: the lock must be held by the child across exec, and
// a busy lock must give the original's messages and codes.
func TestBusy(t *testing.T) {
	theirs := chaintest.Theirs(t, "setlock")
	ours := chaintest.Ours("setlock")
	f := filepath.Join(t.TempDir(), "lock")
	inner := func(p string) string {
		return fmt.Sprintf("%[1]s -n %[2]s true; echo n=$?; %[1]s -nx %[2]s true; echo nx=$?; %[1]s -nxX %[2]s true; echo nxX=$?", p, f)
	}
	for _, pair := range [][2]string{{ours, theirs}, {theirs, ours}, {ours, ours}, {theirs, theirs}} {
		r := chaintest.Run(t, chaintest.Cmd{Args: []string{pair[0], f, "/bin/sh", "-c", "exec 2>&1; " + inner(pair[1])}, Env: chaintest.Env()})
		want := "setlock: fatal: unable to lock " + f + ": temporary failure\nn=111\nnx=0\n" +
			"setlock: fatal: unable to lock " + f + ": temporary failure\nnxX=111\n"
		if r.Code != 0 || r.Stdout != want {
			t.Errorf("holder %s, tries %s: %v\nwant stdout %q", pair[0], pair[1], r, want)
		}
	}
	// The lock descriptor the child inherits: same file, same open flags.
	show := "for fd in /proc/$$/fd/*; do [ \"$(readlink $fd)\" = " + f + " ] && grep flags /proc/$$/fdinfo/${fd##*/}; done"
	a := chaintest.Run(t, chaintest.Cmd{Args: []string{ours, f, "/bin/sh", "-c", show}, Env: chaintest.Env()})
	b := chaintest.Run(t, chaintest.Cmd{Args: []string{theirs, f, "/bin/sh", "-c", show}, Env: chaintest.Env()})
	if a.Stdout != b.Stdout || !strings.HasPrefix(a.Stdout, "flags:") {
		t.Errorf("lock descriptor in the child: ours %q, theirs %q", a.Stdout, b.Stdout)
	}
}

// TestWaits checks that without -n setlock waits for the lock: the waiter
// shows up in /proc/locks as blocked, and runs its child once the holder
// lets go.
func TestWaits(t *testing.T) {
	f := filepath.Join(t.TempDir(), "lock")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	holder := exec.CommandContext(ctx, chaintest.Ours("setlock"), f, "/bin/sh", "-c", "echo locked; read x")
	holder.Env = chaintest.Env()
	in, _ := holder.StdinPipe()
	out, _ := holder.StdoutPipe()
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer holder.Wait()
	defer in.Close()
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "locked\n" {
		t.Fatalf("holder said %q", line)
	}
	waiter := exec.CommandContext(ctx, chaintest.Ours("setlock"), f, "/bin/sh", "-c", "echo got it")
	waiter.Env = chaintest.Env()
	var wout strings.Builder
	waiter.Stdout = &wout
	if err := waiter.Start(); err != nil {
		t.Fatal(err)
	}
	blocked := fmt.Sprintf("-> FLOCK  ADVISORY  WRITE %d ", waiter.Process.Pid)
	for {
		b, _ := os.ReadFile("/proc/locks")
		if strings.Contains(string(b), blocked) {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("waiter never blocked on the lock; /proc/locks:\n%s", b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if wout.Len() != 0 {
		t.Fatalf("waiter ran while the lock was held: %q", wout.String())
	}
	in.Close()
	if err := waiter.Wait(); err != nil || wout.String() != "got it\n" {
		t.Fatalf("waiter: %v %q", err, wout.String())
	}
}

// FuzzOptions runs ours and daemontools' setlock on the same option words
// (getopt's "nNxX"), followed by a lock file and "true", in the same fresh
// directory, and requires the same exit code and output. Only words that
// start with "-" are tried, so the program run is "true", or a word that
// no PATH entry holds, or the empty lock file: nothing the fuzzer makes up
// is ever executed.
func FuzzOptions(f *testing.F) {
	for _, s := range []string{"-n", "-nx", "-X", "--", "-- -n", "--foo -n", "-q", "-n-", "-", "- -n", "-x -- -N", "---", "-:"} {
		f.Add(s)
	}
	chaintest.Theirs(f, "setlock") // no comparison without the original
	f.Fuzz(func(t *testing.T, s string) {
		words := chaintest.Words(t, s, 6)
		for _, w := range words {
			if !strings.HasPrefix(w, "-") {
				t.Skip("an operand word: it could name a program to run")
			}
		}
		args := append(words, "lock", "true")
		ours, want := chaintest.Both(t, "setlock", chaintest.Cmd{Args: args, Env: chaintest.Env(), Dir: t.TempDir()})
		if ours.Code != want.Code || ours.Stdout != want.Stdout || ours.Stderr != want.Stderr {
			t.Fatalf("setlock %q:\nours:   %v\ntheirs: %v", args, ours, want)
		}
	})
}
