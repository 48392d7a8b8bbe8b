package example

import (
	"os"
	"path/filepath"
	"testing"
)

func TestInstall(t *testing.T) {
	dir := t.TempDir()
	if err := Install(dir); err != nil {
		t.Fatal(err)
	}
	for _, s := range Services() {
		fi, err := os.Stat(filepath.Join(dir, s, "run"))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0111 == 0 {
			t.Errorf("%s/run is not executable", s)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "crashy", "down")); err != nil {
		t.Error("crashy/down missing")
	}
	// A second install keeps what is there.
	p := filepath.Join(dir, "greeter", "env", "GREETING")
	os.WriteFile(p, []byte("changed\n"), 0644)
	if err := Install(dir); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "changed\n" {
		t.Errorf("install overwrote an existing file: %q", b)
	}
}
