package svscan_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/sdnotify/sdnotifytest"
	"github.com/svbridge/svbridge/internal/testbin"
)

// TestSystemdVariablesStayWithSvscan: svscan started with systemd's
// NOTIFY_SOCKET and WATCHDOG_USEC sends READY=1 there (go-systemd's daemon
// package reads them from svscan's environment), and the services it runs
// see neither: WATCHDOG_* is gone and NOTIFY_SOCKET, if any, is their
// supervise's, not systemd's.
func TestSystemdVariablesStayWithSvscan(t *testing.T) {
	bin := testbin.BuildFor(t, []string{"./cmd/svbridge", "./cmd/supervise"}, "svscan")
	tmp := t.TempDir()
	sd := sdnotifytest.Listen(t)
	sock := sd.Path

	scan := filepath.Join(tmp, "sv")
	svc := filepath.Join(scan, "dump")
	os.MkdirAll(svc, 0755)
	os.WriteFile(filepath.Join(svc, "run"), []byte("#!/bin/sh\nenv >envdump.tmp && mv envdump.tmp envdump\nexec sleep 100000\n"), 0755)

	cmd := exec.Command(filepath.Join(bin, "svscan"), scan)
	cmd.Env = append(os.Environ(), "PATH="+bin+":/usr/bin:/bin", "NOTIFY_SOCKET="+sock, "WATCHDOG_USEC=10000000")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Error("svscan did not stop within 20 s of SIGTERM")
		}
	}()

	// READY=1 arrives on systemd's socket.
	sd.WaitFor(t, 15*time.Second, "READY=1 on NOTIFY_SOCKET", func(m string) bool { return strings.HasPrefix(m, "READY=1") })

	var env []byte
	var err error
	for deadline := time.Now().Add(15 * time.Second); ; {
		if env, err = os.ReadFile(filepath.Join(svc, "envdump")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the service did not write its environment within 15 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, kv := range strings.Split(string(env), "\n") {
		switch {
		case strings.HasPrefix(kv, "WATCHDOG_"):
			t.Errorf("the service inherited %s", kv)
		case kv == "NOTIFY_SOCKET="+sock:
			t.Errorf("the service inherited svscan's %s", kv)
		}
	}
}
