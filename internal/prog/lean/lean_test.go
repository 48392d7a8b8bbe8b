package lean_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svbridge/svbridge/internal/prog/lean"
	"github.com/svbridge/svbridge/internal/testbin"
)

// TestForwardWithoutSvbridge: the lean binary under svscan's name, with no
// svbridge beside it, says so in daemontools' words and exits 111.
func TestForwardWithoutSvbridge(t *testing.T) {
	dir := testbin.BuildFor(t, []string{"./cmd/supervise"})
	svscan := filepath.Join(dir, "svscan")
	if err := os.Symlink("supervise", svscan); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(svscan, t.TempDir())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	want := "svscan: fatal: unable to run " + filepath.Join(dir, lean.Multicall) + ": file does not exist\n"
	if code := cmd.ProcessState.ExitCode(); code != 111 || stderr.String() != want {
		t.Errorf("exit %d (%v), stderr %q; want 111, %q", code, err, stderr.String(), want)
	}
}

// TestTables: a program is in one table of the lean binary, and supervise,
// the binary's own job, in neither.
func TestTables(t *testing.T) {
	for name := range lean.Forwarded {
		if _, ok := lean.Programs[name]; ok {
			t.Errorf("%s is both run and forwarded", name)
		}
	}
	if _, ok := lean.Programs["supervise"]; ok || lean.Forwarded["supervise"] {
		t.Error("supervise is in a table")
	}
	if n := len(lean.Programs) + len(lean.Forwarded); n != 16 {
		t.Errorf("%d programs, want the 16 daemontools names but supervise", n)
	}
}
