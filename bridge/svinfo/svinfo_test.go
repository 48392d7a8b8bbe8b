package svinfo

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/internal/tai64n"
	"github.com/svbridge/svbridge/internal/testkit"
	"github.com/svbridge/svbridge/supervise/state"
	"github.com/svbridge/svbridge/supervise/status"
)

const cSupervise = "/usr/bin/supervise" // Debian's daemontools: the oracle
const cSvc = "/usr/bin/svc"

func needC(t *testing.T) {
	t.Helper()
	testkit.NeedDaemontools(t, "supervise", "svc")
}

// serviceDir makes a service dir whose run hangs until killed.
func serviceDir(t *testing.T, down bool) string {
	t.Helper()
	d := filepath.Join(t.TempDir(), "svc")
	os.Mkdir(d, 0755)
	if err := os.WriteFile(filepath.Join(d, "run"), []byte("#!/bin/sh\nexec sleep 100000\n"), 0755); err != nil {
		t.Fatal(err)
	}
	if down {
		os.WriteFile(filepath.Join(d, "down"), nil, 0644)
	}
	return d
}

func svc(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(cSvc, args...).CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("svc %v: %v %s", args, err, out)
	}
}

// TestWaitCSupervise drives Debian's C supervise: only the 18-byte status
// exists, and Wait follows it.
func TestWaitCSupervise(t *testing.T) {
	needC(t)
	d := serviceDir(t, true)
	testkit.DaemontoolsSupervise(t, d)
	// supervise needs a moment to create supervise/ok: until then the dir
	// is not supervised; poll with a deadline.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := Wait([]string{d}, CondDown, false, 5*time.Second)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrNotSupervised) || time.Now().After(deadline) {
			t.Fatalf("wait -d on a down service: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	info := Read(d, time.Now())
	if !info.Supervised || info.Source != "status" || info.Ready != nil || info.Restarts != nil || info.NormallyUp || info.Pid != 0 || info.State != "down" {
		t.Fatalf("info of a down C-supervised dir: %+v", info)
	}
	if err := Wait([]string{d}, CondUp, false, 300*time.Millisecond); err != ErrTimeout {
		t.Fatalf("wait -u on a down service: %v, want timeout", err)
	}
	go func() { time.Sleep(100 * time.Millisecond); exec.Command(cSvc, "-u", d).Run() }()
	start := time.Now()
	if err := Wait([]string{d}, CondReady, false, 10*time.Second); err != nil {
		t.Fatalf("wait -r after svc -u: %v", err)
	}
	t.Logf("wait -r returned %v after svc -u", time.Since(start))
	info = Read(d, time.Now())
	if info.Pid == 0 || info.State != "up" || info.Want.Name() != "up" || !info.IsReady() {
		t.Fatalf("info after svc -u: %+v", info)
	}
	svc(t, "-d", d)
	if err := Wait([]string{d}, CondDown, false, 10*time.Second); err != nil {
		t.Fatalf("wait -d after svc -d: %v", err)
	}
	svc(t, "-x", d)
	err := Wait([]string{d}, CondUp, false, 10*time.Second)
	var ns *NotSupervisedError
	if !errors.As(err, &ns) || ns.Dir != d {
		t.Fatalf("wait after svc -x: %v", err)
	}
}

func TestWaitNotSupervised(t *testing.T) {
	d := serviceDir(t, false)
	if err := Wait([]string{d}, CondUp, false, time.Second); !errors.Is(err, ErrNotSupervised) {
		t.Fatalf("got %v", err)
	}
	if err := Wait([]string{filepath.Join(d, "nonexistent")}, CondUp, false, time.Second); !errors.Is(err, ErrNotSupervised) {
		t.Fatalf("missing dir: got %v", err)
	}
}

// fakeSupervised makes dir look supervised: supervise/ok has a reader (us).
func fakeSupervised(t *testing.T, dir string) {
	t.Helper()
	os.MkdirAll(filepath.Join(dir, "supervise"), 0755)
	ok := filepath.Join(dir, "supervise", "ok")
	if err := unix.Mkfifo(ok, 0600); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(ok, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
}

// TestStatusJSONOverlay: status.json adds readiness and exits when it
// describes the same run as the 18 bytes, and is ignored when stale.
func TestStatusJSONOverlay(t *testing.T) {
	d := serviceDir(t, false)
	fakeSupervised(t, d)
	when := time.Now().Add(-5 * time.Second).Truncate(time.Second)
	if err := status.Write(d, status.Status{When: tai64n.FromTime(when), Pid: 4242, Want: status.WantUp}); err != nil {
		t.Fatal(err)
	}
	rs := when.Add(time.Second)
	js := &state.Status{State: state.Up, Pid: 4242, Since: when, Ready: true, ReadySince: &rs, StatusText: "serving",
		NormallyUp: true, Want: state.WantUp, Restarts: 3, LastExit: &state.Exit{Code: 1, Time: when}}
	if err := state.Write(d, js); err != nil {
		t.Fatal(err)
	}
	info := Read(d, time.Now())
	if info.Source != "status.json" || info.Ready == nil || !*info.Ready || info.Restarts == nil || *info.Restarts != 3 ||
		info.StatusText != "serving" || info.LastExit == nil || info.LastExit.Code != 1 || info.Seconds < 4 {
		t.Fatalf("overlay: %+v", info)
	}
	if err := Wait([]string{d}, CondReady, false, time.Second); err != nil {
		t.Fatalf("wait -r: %v", err)
	}
	// Not ready yet: wait -r times out, wait -u does not.
	js.Ready = false
	state.Write(d, js)
	if err := Wait([]string{d}, CondReady, false, 200*time.Millisecond); err != ErrTimeout {
		t.Fatalf("wait -r on a not-ready service: %v", err)
	}
	if err := Wait([]string{d}, CondUp, false, time.Second); err != nil {
		t.Fatalf("wait -u: %v", err)
	}
	// Becoming ready while we wait: the rename wakes Wait through inotify.
	go func() {
		time.Sleep(150 * time.Millisecond)
		js.Ready = true
		state.Write(d, js)
	}()
	start := time.Now()
	if err := Wait([]string{d}, CondReady, false, 10*time.Second); err != nil {
		t.Fatalf("wait -r: %v", err)
	}
	if el := time.Since(start); el > 900*time.Millisecond {
		t.Logf("note: wait -r took %v (inotify should wake it at once)", el)
	}
	// A stale status.json (other pid) is ignored.
	status.Write(d, status.Status{When: tai64n.FromTime(time.Now()), Pid: 5555, Want: status.WantUp})
	info = Read(d, time.Now())
	if info.Source != "status" || info.Ready != nil || info.Pid != 5555 {
		t.Fatalf("stale json used: %+v", info)
	}
}

func TestReadTree(t *testing.T) {
	root := t.TempDir()
	for _, n := range []string{"a", "b", ".hidden"} {
		os.MkdirAll(filepath.Join(root, n, "log"), 0755)
	}
	os.WriteFile(filepath.Join(root, "file"), nil, 0644)
	infos, err := ReadTree(root, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 2 || infos[0].Name != "a" || infos[1].Name != "b" || infos[0].Log == nil || infos[0].Log.Name != "a/log" {
		t.Fatalf("tree: %+v", infos)
	}
	if infos[0].Supervised || infos[0].Error == "" {
		t.Fatalf("unsupervised dir: %+v", infos[0])
	}
}

// TestSupervisedBeforeStatus: supervise answers on supervise/ok but has not
// written supervise/status yet: supervised, neither up nor down, and Wait
// keeps waiting instead of failing.
func TestSupervisedBeforeStatus(t *testing.T) {
	d := serviceDir(t, false)
	fakeSupervised(t, d)
	info := Read(d, time.Now())
	if !info.Supervised || info.Up() || info.Down() || info.State != "unknown" {
		t.Fatalf("before status: %+v", info)
	}
	if err := Wait([]string{d}, CondDown, false, 200*time.Millisecond); err != ErrTimeout {
		t.Fatalf("wait -d before the status exists: %v", err)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		status.Write(d, status.Status{When: tai64n.Now(), Want: status.WantDown})
	}()
	if err := Wait([]string{d}, CondDown, false, 10*time.Second); err != nil {
		t.Fatalf("wait -d once the status exists: %v", err)
	}
}
