package svc

// Each side driving the other's supervise: a service that records the
// signals it gets, every svc letter sent, the effect awaited on
// supervise/status or on the service's record, and svstat of both
// implementations compared at every step.

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/testkit"
	"github.com/svbridge/svbridge/supervise/status"
)

// runScript records each signal it catches in ./sigs; a caught TERM does
// not stop it, so "svc -d" leaves it up with "want down". Its sleeps are
// short so that a sleep orphaned by "svc -k" goes away by itself.
const runScript = `#!/bin/sh
for s in HUP ALRM INT TERM QUIT USR1 USR2 WINCH CONT; do trap "echo $s >> sigs" $s; done
echo start >> sigs
while :; do sleep 2 & wait $!; kill $! 2>/dev/null; done
`

const deadline = 10 * time.Second

type driveRig struct {
	t      *testing.T
	root   string // parent of the service dir "s"
	dir    string
	drive  tools
	sup    *exec.Cmd
	exited chan struct{} // closed when supervise has exited
}

func startRig(t *testing.T, supervise string, drive tools) *driveRig {
	t.Helper()
	r := &driveRig{t: t, root: t.TempDir(), drive: drive, exited: make(chan struct{})}
	r.dir = filepath.Join(r.root, "s")
	os.Mkdir(r.dir, 0755)
	if err := testkit.WriteExecutable(filepath.Join(r.dir, "run"), []byte(runScript), 0755); err != nil {
		t.Fatal(err)
	}
	r.sup = exec.Command(supervise, "s")
	r.sup.Dir = r.root
	r.sup.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r.sup.Stdout, r.sup.Stderr = os.Stderr, os.Stderr
	if err := r.sup.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.sup.Wait(); close(r.exited) }()
	t.Cleanup(func() {
		syscall.Kill(-r.sup.Process.Pid, syscall.SIGKILL)
		if st, err := os.ReadFile(filepath.Join(r.dir, "supervise", "status")); err == nil {
			if s, err := status.Decode(st); err == nil && s.Pid > 0 {
				syscall.Kill(s.Pid, syscall.SIGKILL)
			}
		}
		select {
		case <-r.exited:
		case <-time.After(deadline):
		}
	})
	return r
}

func (r *driveRig) status() (status.Status, bool) {
	b, err := os.ReadFile(filepath.Join(r.dir, "supervise", "status"))
	if err != nil {
		return status.Status{}, false
	}
	s, err := status.Decode(b)
	return s, err == nil
}

// waitStatus polls supervise/status until cond holds.
func (r *driveRig) waitStatus(what string, cond func(status.Status) bool) status.Status {
	r.t.Helper()
	end := time.Now().Add(deadline)
	for {
		if s, ok := r.status(); ok && cond(s) {
			return s
		}
		if time.Now().After(end) {
			s, _ := r.status()
			r.t.Fatalf("%s: no %s within %v (status %+v)", r.drive.name, what, deadline, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitSig polls the service's record until sig appears n times.
func (r *driveRig) waitSig(sig string, n int) {
	r.t.Helper()
	end := time.Now().Add(deadline)
	for {
		b, _ := os.ReadFile(filepath.Join(r.dir, "sigs"))
		if strings.Count(string(b), sig+"\n") >= n {
			return
		}
		if time.Now().After(end) {
			r.t.Fatalf("%s: %s not seen %d times within %v; record %q", r.drive.name, sig, n, deadline, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *driveRig) svc(args ...string) {
	r.t.Helper()
	res := run(r.t, r.root, r.drive.svc, append(args, "s")...)
	if res.code != 0 || res.stdout != "" || res.stderr != "" {
		r.t.Fatalf("%s svc %q: %+v", r.drive.name, args, res)
	}
}

// svstat runs both svstats and checks they agree and match want (a regexp
// with N for the seconds).
func (r *driveRig) svstat(want string) {
	r.t.Helper()
	d := run(r.t, r.root, debian.svstat, "s")
	re := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(want), "N", `\d+`) + "\n$")
	for _, o := range bothOurs() {
		g := run(r.t, r.root, o.svstat, "s")
		if d.code != 0 || g.code != 0 || !sameModuloSeconds(d.stdout, g.stdout) || d.stderr+g.stderr != "" {
			r.t.Fatalf("svstat differs:\ndebian %+v\n%s %+v", d, o.name, g)
		}
		if !re.MatchString(g.stdout) {
			r.t.Fatalf("%s svstat %q, want %q", o.name, g.stdout, want)
		}
	}
}

func (r *driveRig) svok(want int) {
	r.t.Helper()
	for _, tl := range append([]tools{debian}, bothOurs()...) {
		if res := run(r.t, r.root, tl.svok, "s"); res.code != want || res.stderr != "" {
			r.t.Fatalf("%s svok: %+v, want exit %d", tl.name, res, want)
		}
	}
}

func pidStr(s status.Status) string { return "s: up (pid " + strconv.Itoa(s.Pid) + ") N seconds" }

// exercise sends every letter through r.drive and checks its effect.
// extra adds the q, 1, 2, w letters (not known to daemontools).
func exercise(t *testing.T, r *driveRig, extra bool) {
	up := r.waitStatus("pid", func(s status.Status) bool { return s.Pid != 0 })
	r.waitSig("start", 1)
	r.svok(0)
	r.svstat(pidStr(up))

	letters := []struct{ opt, sig string }{{"-h", "HUP"}, {"-a", "ALRM"}, {"-i", "INT"}, {"-t", "TERM"}}
	if extra {
		letters = append(letters, []struct{ opt, sig string }{{"-q", "QUIT"}, {"-1", "USR1"}, {"-2", "USR2"}, {"-w", "WINCH"}}...)
	}
	for _, l := range letters {
		r.svc(l.opt)
		r.waitSig(l.sig, 1)
	}

	r.svc("-p")
	r.waitStatus("paused", func(s status.Status) bool { return s.Paused })
	r.svstat(pidStr(up) + ", paused")
	r.svc("-c")
	r.waitStatus("continued", func(s status.Status) bool { return !s.Paused })
	r.waitSig("CONT", 1)
	r.svstat(pidStr(up))

	// TERM is caught: the service stays up, wanted down.
	r.svc("-d")
	r.waitStatus("want down", func(s status.Status) bool { return s.Want == status.WantDown })
	r.waitSig("TERM", 2)
	r.svstat(pidStr(up) + ", want down")
	r.svc("-k")
	r.waitStatus("down", func(s status.Status) bool { return s.Pid == 0 })
	r.svstat("s: down N seconds, normally up")

	r.svc("-u")
	up2 := r.waitStatus("restart", func(s status.Status) bool { return s.Pid != 0 && s.Want == status.WantUp })
	if up2.Pid == up.Pid {
		t.Fatalf("same pid %d after restart", up.Pid)
	}
	r.waitSig("start", 2)
	r.svstat(pidStr(up2))

	// -o: want nothing (byte 0); once killed it stays down.
	r.svc("-o")
	r.waitStatus("want none", func(s status.Status) bool { return s.Want == status.WantNone })
	r.svc("-k")
	r.waitStatus("down", func(s status.Status) bool { return s.Pid == 0 })
	r.svstat("s: down N seconds, normally up")

	// A down file: normally down.
	os.WriteFile(filepath.Join(r.dir, "down"), nil, 0644)
	r.svstat("s: down N seconds")
	r.svc("-u")
	up3 := r.waitStatus("up again", func(s status.Status) bool { return s.Pid != 0 })
	r.waitSig("start", 3)
	r.svstat(pidStr(up3) + ", normally down")
	r.svc("-d")
	r.waitStatus("want down", func(s status.Status) bool { return s.Want == status.WantDown })
	r.svstat(pidStr(up3) + ", normally down, want down")

	// -x: supervise leaves once the service is down.
	r.svc("-x")
	r.svc("-k")
	testkit.Receive(t, r.exited, deadline, "supervise did not exit after -x and the service's death")
	r.svok(100)
	r.svstat("s: supervise not running")
	for _, tl := range append([]tools{debian}, bothOurs()...) {
		res := run(t, r.root, tl.svc, "-u", "s")
		if res.code != 0 || res.stderr != "svc: warning: unable to control s: supervise not running\n" {
			t.Fatalf("%s svc after exit: %+v", tl.name, res)
		}
	}
}

func TestOurToolsDriveDebianSupervise(t *testing.T) {
	t.Parallel()
	needDebian(t)
	for _, o := range bothOurs() {
		t.Run(o.name, func(t *testing.T) {
			t.Parallel()
			exercise(t, startRig(t, "/usr/bin/supervise", o), false)
		})
	}
}

func TestDebianToolsDriveOurSupervise(t *testing.T) {
	t.Parallel()
	needDebian(t)
	exercise(t, startRig(t, filepath.Join(binDir, "supervise"), debian), false)
}

func TestOurToolsDriveOurSupervise(t *testing.T) {
	t.Parallel()
	needDebian(t) // svstat is compared with Debian's at every step
	for _, o := range bothOurs() {
		t.Run(o.name, func(t *testing.T) {
			t.Parallel()
			exercise(t, startRig(t, filepath.Join(binDir, "supervise"), o), true)
		})
	}
}
