package peers

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRunitOverride(t *testing.T) {
	root := t.TempDir()
	bin := filepath.Join(root, "usr/bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "svlogd"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "runsv"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(RunitDirEnv, root)
	if got := RunitBin(); got != bin {
		t.Errorf("RunitBin() = %q, want %q", got, bin)
	}
	if got := Runit("svlogd"); got != filepath.Join(bin, "svlogd") {
		t.Errorf("Runit(svlogd) = %q", got)
	}
	if got := Runit("runsv"); got != "" {
		t.Errorf("Runit(runsv) = %q for a file that is not executable", got)
	}
	if got := Runit("runsvdir"); got != "" {
		t.Errorf("Runit(runsvdir) = %q for a missing file", got)
	}
}
