package lean_test

import (
	"testing"

	"github.com/svbridge/svbridge/internal/prog/lean"
)

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
