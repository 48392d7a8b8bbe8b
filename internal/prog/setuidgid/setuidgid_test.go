package setuidgid

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/svbridge/svbridge/internal/chain/chaintest"
)

func TestMain(m *testing.M) { os.Exit(chaintest.Main(m, "setuidgid", Main)) }

// ids is a child printing its ids and groups as the kernel has them.
var ids = []string{"/bin/grep", "-E", "^(Uid|Gid|Groups):", "/proc/self/status"}

func TestUsageAndUnknown(t *testing.T) {
	for _, args := range [][]string{{}, {"nobody"}, {"no-such-account-h5x", "true"}, {"", "true"}, {"0", "true"}} {
		r := chaintest.Compare(t, "setuidgid", chaintest.Cmd{Args: args, Env: chaintest.Env()})
		if r.Code != 100 && r.Code != 111 {
			t.Errorf("setuidgid %q: %v", args, r)
		}
	}
}

// TestNobody starts both with several supplementary groups and compares
// the ids and groups of the child: only the account's gid may remain.
func TestNobody(t *testing.T) {
	chaintest.NeedRoot(t)
	uid, gid := chaintest.Nobody(t)
	attr := &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 0, Gid: 0, Groups: []uint32{0, 4, 27, 100}}}
	r := chaintest.Compare(t, "setuidgid", chaintest.Cmd{Args: append([]string{"nobody"}, ids...), Env: chaintest.Env(), Attr: attr})
	u, g := strconv.Itoa(uid), strconv.Itoa(gid)
	want := "Uid:\t" + u + "\t" + u + "\t" + u + "\t" + u + "\nGid:\t" + g + "\t" + g + "\t" + g + "\t" + g + "\nGroups:\t" + g + " \n"
	if r.Stdout != want {
		t.Errorf("child ids %q, want %q", r.Stdout, want)
	}
	// The search for the child happens as nobody: compare the errors too.
	chaintest.Compare(t, "setuidgid", chaintest.Cmd{Args: []string{"nobody", "no-such-child"}, Env: chaintest.Env("PATH=/root:/usr/bin")})
	// And the process is replaced, not forked.
	r = chaintest.Run(t, chaintest.Cmd{Args: []string{chaintest.Ours("setuidgid"), "nobody", "/bin/sh", "-c", "echo $$"}, Env: chaintest.Env()})
	if strings.TrimSpace(r.Stdout) != strconv.Itoa(r.Pid) {
		t.Errorf("child pid %q, started pid %d", r.Stdout, r.Pid)
	}
}

// TestNotPermitted runs both as nobody asking for root: the original fails
// at setgroups and calls it "unable to setgid".
func TestNotPermitted(t *testing.T) {
	chaintest.NeedRoot(t)
	theirs := chaintest.Theirs(t, "setuidgid")
	a := chaintest.Run(t, chaintest.Cmd{Args: []string{theirs, "nobody", chaintest.Ours("setuidgid"), "root", "true"}, Env: chaintest.Env(), Dir: "/"})
	b := chaintest.Run(t, chaintest.Cmd{Args: []string{theirs, "nobody", theirs, "root", "true"}, Env: chaintest.Env(), Dir: "/"})
	if a.Code != b.Code || a.Stderr != b.Stderr || a.Code != 111 {
		t.Errorf("ours %v\ntheirs %v", a, b)
	}
}
