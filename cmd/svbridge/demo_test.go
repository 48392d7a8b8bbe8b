package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/testbin"
)

// TestDemo runs README's main job for real, "svbridge demo --for 4s DIR",
// with freshly built binaries, and checks what a user would look at: the
// services are up (crashy normally down), the loggers wrote stamped lines,
// the chain-loaded run script got its environment, svscan stopped cleanly
// and nothing of the tree is left running.
func TestDemo(t *testing.T) {
	bin, cleanup, err := testbin.Build([]string{"./cmd/..."})
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	dir := filepath.Join(t.TempDir(), "demo")
	cmd := exec.Command(filepath.Join(bin, "svbridge"), "demo", "--for", "4s", dir)
	done := make(chan struct{})
	var out []byte
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("demo did not finish within 60 s")
	}
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{
		dir + "/clock: up (pid ", dir + "/clock/log: up (pid ",
		dir + "/greeter: up (pid ", dir + "/greeter/log: up (pid ",
		dir + "/ticker: up (pid ", dir + "/crashy: down ",
		"ticker: tick", "svbridge demo: stopped",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q:\n%s", want, text)
		}
	}
	stamped := regexp.MustCompile(`(?m)^@4000000[0-9a-f]{17} clock: \d\d:\d\d:\d\d$`)
	if b, _ := os.ReadFile(filepath.Join(dir, "clock/log/main/current")); len(stamped.FindAll(b, -1)) < 2 {
		t.Errorf("clock's log has fewer than 2 stamped lines:\n%s", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "greeter/log/main/current")); !strings.Contains(string(b), "greeter: hello from envdir") {
		t.Errorf("greeter's log lacks the envdir greeting:\n%s", b)
	}
	// After a clean stop no process of the tree remains (the supervise
	// processes run in DIR's service dirs).
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if err == nil && strings.HasPrefix(cwd, dir) {
			cl, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			t.Errorf("process %s still runs in %s: %q", e.Name(), cwd, cl)
		}
	}
}
