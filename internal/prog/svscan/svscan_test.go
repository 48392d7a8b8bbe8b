package svscan_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/internal/testbin"
)

// TestSystemdVariablesStayWithSvscan: svscan started with systemd's
// NOTIFY_SOCKET and WATCHDOG_USEC sends READY=1 there (go-systemd's daemon
// package reads them from svscan's environment), and the services it runs
// see neither: WATCHDOG_* is gone and NOTIFY_SOCKET, if any, is their
// supervise's, not systemd's.
func TestSystemdVariablesStayWithSvscan(t *testing.T) {
	bin, cleanup, err := testbin.Build([]string{"./cmd/svbridge", "./cmd/supervise"}, "svscan")
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	tmp := t.TempDir()
	sock := filepath.Join(tmp, "notify")
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: sock}); err != nil {
		t.Fatal(err)
	}
	tv := unix.Timeval{Sec: 1}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)

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
	buf := make([]byte, 4096)
	deadline := time.Now().Add(15 * time.Second)
	var got []string
	for ready := false; !ready; {
		if time.Now().After(deadline) {
			t.Fatalf("no READY=1 on NOTIFY_SOCKET within 15 s; got %q", got)
		}
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			continue
		}
		got = append(got, string(buf[:n]))
		ready = strings.HasPrefix(string(buf[:n]), "READY=1")
	}

	var env []byte
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
