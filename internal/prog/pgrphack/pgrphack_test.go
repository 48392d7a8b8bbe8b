package pgrphack

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/svbridge/svbridge/internal/chain/chaintest"
)

func TestMain(m *testing.M) { os.Exit(chaintest.Main(m, "pgrphack", Main)) }

// ids prints the child's pid, process group and session.
var ids = []string{"/bin/sh", "-c", "read pid comm state ppid pgrp sid rest < /proc/$$/stat; echo $pid $pgrp $sid"}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"no-such-child"}, {"/etc"}} {
		r := chaintest.Compare(t, "pgrphack", chaintest.Cmd{Args: args, Env: chaintest.Env()})
		if r.Code != 100 && r.Code != 111 {
			t.Errorf("pgrphack %q: %v", args, r)
		}
	}
}

// TestNewSession: the child is the process started (no fork), and leads a
// new session and process group.
func TestNewSession(t *testing.T) {
	r := chaintest.Run(t, chaintest.Cmd{Args: append([]string{chaintest.Ours("pgrphack")}, ids...), Env: chaintest.Env()})
	p := strconv.Itoa(r.Pid)
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != p+" "+p+" "+p {
		t.Errorf("pid pgrp sid: %q, started pid %s; %v", r.Stdout, p, r)
	}
}

// TestAlreadyLeader: started as a process group leader, setsid fails; the
// original ignores that and runs the child anyway.
func TestAlreadyLeader(t *testing.T) {
	attr := &syscall.SysProcAttr{Setpgid: true}
	r := chaintest.Compare(t, "pgrphack", chaintest.Cmd{Args: []string{"/bin/echo", "ran"}, Env: chaintest.Env(), Attr: attr})
	if r.Stdout != "ran\n" {
		t.Errorf("%v", r)
	}
	r = chaintest.Run(t, chaintest.Cmd{Args: append([]string{chaintest.Ours("pgrphack")}, ids...), Env: chaintest.Env(), Attr: attr})
	f := strings.Fields(r.Stdout)
	if len(f) != 3 || f[0] != f[1] || f[2] == f[0] {
		t.Errorf("as a group leader: pid pgrp sid %q", r.Stdout)
	}
}

// TestIgnoredSignals: SIGHUP and SIGINT ignored by the caller stay ignored
// in the child, as with the original. (Other ignored signals do not: the Go
// runtime replaces them with its handlers at start-up; see README.)
func TestIgnoredSignals(t *testing.T) {
	theirs := chaintest.Theirs(t, "pgrphack")
	mask := func(prog string) uint64 {
		r := chaintest.Run(t, chaintest.Cmd{Args: []string{"/bin/sh", "-c", "trap '' HUP INT; exec " + prog + " /bin/grep SigIgn /proc/self/status"}, Env: chaintest.Env()})
		f := strings.Fields(r.Stdout)
		if len(f) != 2 {
			t.Fatalf("%s: %v", prog, r)
		}
		m, err := strconv.ParseUint(f[1], 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		return m & (1<<(syscall.SIGHUP-1) | 1<<(syscall.SIGINT-1))
	}
	if a, b := mask(chaintest.Ours("pgrphack")), mask(theirs); a != b || a != 3 {
		t.Errorf("ignored HUP/INT in the child: ours %b, theirs %b", a, b)
	}
}
