package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/prog/lean"
	"github.com/svbridge/svbridge/internal/testbin"
	"github.com/svbridge/svbridge/internal/testkit"
)

// TestArgv0PicksTheProgram: under the names svc, svok and svstat (and the
// other daemontools names) the lean binary is those programs; under any
// other name it is supervise, even when the service dir is named after one
// of them.
func TestArgv0PicksTheProgram(t *testing.T) {
	bin := testbin.BuildFor(t, []string{"./cmd/supervise"})
	for _, n := range []string{"svc", "svok", "svstat"} {
		if err := os.Symlink("supervise", filepath.Join(bin, n)); err != nil {
			t.Fatal(err)
		}
	}
	root := t.TempDir()
	dir := filepath.Join(root, "svc") // "supervise svc" must not run svc
	os.Mkdir(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, "run"), []byte("#!/bin/sh\necho started >>started\nexec sleep 100\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	sup := exec.Command(filepath.Join(bin, "supervise"), "svc")
	sup.Dir = root
	if err := sup.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- sup.Wait() }()
	t.Cleanup(func() { sup.Process.Kill(); <-exited })

	run := func(prog string, args ...string) (string, int) {
		cmd := exec.Command(filepath.Join(bin, prog), args...)
		cmd.Dir = root
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		code := testkit.ExitCode(t, cmd)
		return out.String(), code
	}
	up := regexp.MustCompile(`^svc: up \(pid [0-9]+\) [0-9]+ seconds\n$`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, code := run("svstat", "svc")
		if code == 0 && up.MatchString(out) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("svstat svc: %d %q, want up", code, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "started")); err != nil || string(b) != "started\n" {
		t.Fatalf("run was not started once by supervise: %q %v", b, err)
	}
	if out, code := run("svok", "svc"); code != 0 || out != "" {
		t.Fatalf("svok: %d %q", code, out)
	}
	if out, code := run("svok", "nonexistent"); code != 111 || !strings.HasPrefix(out, "svok: fatal: unable to chdir to nonexistent: ") {
		t.Fatalf("svok nonexistent: %d %q", code, out)
	}
	if out, code := run("svc", "-Z", "svc"); code != 100 || !strings.HasPrefix(out, "svc: illegal option -- Z\n") {
		t.Fatalf("svc -Z: %d %q", code, out)
	}
	if out, code := run("svc", "-dx", "svc"); code != 0 || out != "" {
		t.Fatalf("svc -dx: %d %q", code, out)
	}
	exited <- testkit.Receive(t, exited, 10*time.Second, "supervise did not exit after svc -dx")
}

// TestForwardWithoutSvbridge: the lean binary under svscan's name, with no
// svbridge beside it, says so in daemontools' words and exits 111.
func TestForwardWithoutSvbridge(t *testing.T) {
	bin := testbin.BuildFor(t, []string{"./cmd/supervise"})
	if err := os.Symlink("supervise", filepath.Join(bin, "svscan")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(bin, "svscan"), t.TempDir())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	want := "svscan: fatal: unable to run " + filepath.Join(bin, lean.Multicall) + ": file does not exist\n"
	if code := cmd.ProcessState.ExitCode(); code != 111 || stderr.String() != want {
		t.Errorf("exit %d (%v), stderr %q; want 111, %q", code, err, stderr.String(), want)
	}
}
