package scan

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFindSupervise(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	dir := t.TempDir()
	exe := filepath.Join(dir, "svbridge")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0755); err != nil {
		t.Fatal(err)
	}
	// No lean supervise beside it: the multi-call binary under that name.
	if l := FindSupervise(env(nil), exe); l.Path != exe || len(l.Argv) != 1 || l.Argv[0] != "supervise" {
		t.Errorf("without a lean binary: %+v", l)
	}
	lean := filepath.Join(dir, "supervise")
	if err := os.WriteFile(lean, []byte("#!/bin/sh\n"), 0644); err != nil {
		t.Fatal(err)
	}
	if l := FindSupervise(env(nil), exe); l.Path != exe {
		t.Errorf("a non-executable supervise was picked: %+v", l)
	}
	os.Chmod(lean, 0755)
	if l := FindSupervise(env(nil), exe); l.Path != lean {
		t.Errorf("lean binary not picked: %+v", l)
	}
	if l := FindSupervise(env(map[string]string{EnvSupervise: "/usr/bin/supervise"}), exe); l.Path != "/usr/bin/supervise" {
		t.Errorf("override not honoured: %+v", l)
	}
	if got := (Launcher{Path: lean, Argv: []string{"supervise"}}).argv("web"); len(got) != 2 || got[1] != "web" {
		t.Errorf("argv: %q", got)
	}
}
