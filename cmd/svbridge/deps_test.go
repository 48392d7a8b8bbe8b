package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/svbridge/svbridge/internal/testbin"
)

// TestUsesGoSystemd: svscan's sd_notify client is go-systemd's, linked into
// the multi-call binary (the lean supervise keeps its own: see
// TestLeanBinaryDeps in internal/prog/supervise).
func TestUsesGoSystemd(t *testing.T) {
	root, err := testbin.Root()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-deps", "./cmd/svbridge")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains("\n"+string(out), "\ngithub.com/coreos/go-systemd/v22/daemon\n") {
		t.Error("cmd/svbridge does not link github.com/coreos/go-systemd/v22/daemon")
	}
}
