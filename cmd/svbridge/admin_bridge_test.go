package main

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/bridge/svinfo"
	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/testkit"
)

// bridgeRun calls the umbrella in-process, as "svbridge ARGS...".
func bridgeRun(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errb strings.Builder
	e := &cli.Env{Args: append([]string{"svbridge"}, args...), Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb}
	code = umbrella(e)
	return code, out.String(), errb.String()
}

// cSupervised starts daemontools' C supervise on a new service dir whose
// run hangs, with a down file, and waits until it runs.
func cSupervised(t *testing.T) string {
	t.Helper()
	testkit.NeedDaemontools(t, "supervise", "svc")
	d := filepath.Join(t.TempDir(), "svc")
	os.Mkdir(d, 0755)
	os.WriteFile(filepath.Join(d, "run"), []byte("#!/bin/sh\nexec sleep 100000\n"), 0755)
	os.WriteFile(filepath.Join(d, "down"), nil, 0644)
	testkit.DaemontoolsSupervise(t, d)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if code, _, _ := bridgeRun("", "wait", "-d", "-t", "5", d); code == 0 {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatal("C supervise did not come up")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWaitCommandExitCodes(t *testing.T) {
	if code, _, errs := bridgeRun("", "wait", "-u", "-d", "x"); code != 100 || !strings.Contains(errs, "exclude") {
		t.Errorf("-u -d: %d %q", code, errs)
	}
	if code, _, _ := bridgeRun("", "wait"); code != 100 {
		t.Errorf("no DIR: %d", code)
	}
	if code, _, errs := bridgeRun("", "wait", "-t", "1", t.TempDir()); code != 102 || !strings.HasPrefix(errs, "svbridge wait: fatal: not supervised: ") {
		t.Errorf("unsupervised: %d %q", code, errs)
	}
	d := cSupervised(t)
	if code, _, errs := bridgeRun("", "wait", "-u", "-t", "0.3", d); code != 99 || errs != "svbridge wait: fatal: timed out after 0.3 seconds waiting for "+d+" to be up\n" {
		t.Errorf("timeout: %d %q", code, errs)
	}
	if out, err := exec.Command("/usr/bin/svc", "-u", d).CombinedOutput(); err != nil {
		t.Fatal(err, string(out))
	}
	if code, _, errs := bridgeRun("", "wait", "-r", "-t", "10", d); code != 0 {
		t.Errorf("wait -r after svc -u (C supervise: up counts as ready): %d %q", code, errs)
	}
}

// TestWaitPending: with -p a DIR without a supervise yet is waited for
// (until the timeout), and the wait ends once its supervise has started and
// the condition holds.
func TestWaitPending(t *testing.T) {
	if code, _, errs := bridgeRun("", "wait", "-p", "-u", "-t", "0.3", t.TempDir()+"/none"); code != 99 ||
		!strings.HasPrefix(errs, "svbridge wait: fatal: timed out after 0.3 seconds waiting for ") {
		t.Errorf("-p on a dir never supervised: %d %q", code, errs)
	}
	testkit.NeedDaemontools(t, "supervise", "svc")
	d := filepath.Join(t.TempDir(), "svc")
	os.Mkdir(d, 0755)
	os.WriteFile(filepath.Join(d, "run"), []byte("#!/bin/sh\nexec sleep 100000\n"), 0755)
	type result struct {
		code int
		errs string
	}
	done := make(chan result, 1)
	go func() {
		code, _, errs := bridgeRun("", "wait", "-p", "-u", "-t", "20", d)
		done <- result{code, errs}
	}()
	select {
	case r := <-done:
		t.Fatalf("wait -p returned before any supervise ran: %d %q", r.code, r.errs)
	case <-time.After(500 * time.Millisecond):
	}
	testkit.DaemontoolsSupervise(t, d)
	if r := testkit.Receive(t, done, 20*time.Second, "wait -p did not return within 20 s of supervise starting"); r.code != 0 {
		t.Errorf("wait -p -u once supervise runs the service: %d %q", r.code, r.errs)
	}
}

func TestStatusCommandJSON(t *testing.T) {
	d := cSupervised(t)
	code, out, errs := bridgeRun("", "status", "--json", d)
	if code != 0 || errs != "" {
		t.Fatalf("status --json: %d %q", code, errs)
	}
	var infos []svinfo.Info
	if err := json.Unmarshal([]byte(out), &infos); err != nil || len(infos) != 1 {
		t.Fatalf("output %q: %v", out, err)
	}
	in := infos[0]
	if !in.Supervised || in.State != "down" || in.Pid != 0 || in.NormallyUp || in.Source != "status" || in.Ready != nil || in.Restarts != nil || in.Want.Name() != "down" {
		t.Errorf("C-supervised down service: %+v", in)
	}
	if !strings.Contains(out, `"ready": null`) || !strings.Contains(out, `"restarts": null`) {
		t.Errorf("unknowns must be null: %s", out)
	}
	code, out, _ = bridgeRun("", "status", "-a", filepath.Dir(d))
	if code != 0 || !strings.HasPrefix(out, "svc: down ") {
		t.Errorf("status -a: %d %q", code, out)
	}
	if code, _, _ := bridgeRun("", "status", "-a", "/nonexistent-scandir"); code != 111 {
		t.Errorf("status -a on a missing dir: %d", code)
	}
	if code, _, _ := bridgeRun("", "status"); code != 100 {
		t.Errorf("status without DIR: %d", code)
	}
}

func TestJournalLogCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "socket")
	fd, _ := testkit.ListenDatagram(t, path)
	// "svbridge journal-log -p 5 --level-prefix web", sending to path.
	var errb strings.Builder
	e := &cli.Env{Args: []string{"svbridge", "journal-log"}, Stdin: strings.NewReader("first line\n<2>second\n"), Stdout: io.Discard, Stderr: &errb}
	cmd := journalLogCommand(e, path)
	cmd.SetArgs([]string{"-p", "5", "--level-prefix", "web"})
	if err := cmd.Execute(); err != nil || exitCode != 0 || errb.String() != "" {
		t.Fatalf("journal-log: %v %d %q", err, exitCode, errb.String())
	}
	buf := make([]byte, 65536)
	for _, want := range []string{"MESSAGE=first line\nPRIORITY=5\nSYSLOG_IDENTIFIER=web\nSVC_NAME=web\n",
		"MESSAGE=second\nPRIORITY=2\nSYSLOG_IDENTIFIER=web\nSVC_NAME=web\n"} {
		n, _, err := unix.Recvfrom(fd, buf, unix.MSG_DONTWAIT)
		if err != nil || string(buf[:n]) != want {
			t.Fatalf("got %q (%v), want %q", buf[:max(n, 0)], err, want)
		}
	}
	if code, _, _ := bridgeRun("", "journal-log", "-p", "9", "x"); code != 100 {
		t.Errorf("-p 9: %d", code)
	}
}
