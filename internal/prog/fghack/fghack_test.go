package fghack

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/svbridge/svbridge/internal/chain/chaintest"
)

func TestMain(m *testing.M) { os.Exit(chaintest.Main(m, "fghack", Main)) }

func TestUsageAndExit(t *testing.T) {
	for _, args := range [][]string{
		{}, {"no-such-child"}, {"/etc"},
		{"/bin/sh", "-c", "exit 7"},
		{"/bin/sh", "-c", "kill -9 $$"},
		{"/bin/sh", "-c", "echo out; echo err >&2; exit 0"},
	} {
		r := chaintest.Compare(t, "fghack", chaintest.Cmd{Args: args, Env: chaintest.Env()})
		if len(args) > 1 && args[1] == "-c" && args[2] == "exit 7" && r.Code != 7 {
			t.Errorf("exit code not passed on: %v", r)
		}
	}
}

// TestWaitsForDescendants: the child exits at once but leaves a background
// process holding the pipe; fghack must not return before that one is done.
func TestWaitsForDescendants(t *testing.T) {
	d := t.TempDir()
	marker := filepath.Join(d, "marker")
	// The background job's output goes to a file, so only the pipe's write
	// ends (fds 3 and up) keep fghack waiting.
	script := "(sleep 0.5; echo late > " + marker + ") >/dev/null 2>&1 & exit 3"
	r := chaintest.Run(t, chaintest.Cmd{Args: []string{chaintest.Ours("fghack"), "/bin/sh", "-c", script}, Env: chaintest.Env()})
	if r.Code != 3 {
		t.Errorf("exit: %v", r)
	}
	if b, err := os.ReadFile(marker); err != nil || string(b) != "late\n" {
		t.Errorf("fghack returned before the background job finished: %q %v", b, err)
	}
}

// TestDescriptors compares the descriptors the child gets (which numbers,
// which of them are the same pipe) with the original's.
func TestDescriptors(t *testing.T) {
	theirs := chaintest.Theirs(t, "fghack")
	list := []string{"/bin/ls", "-l", "/proc/self/fd"}
	canon := func(s string) string {
		// "N -> target" lines, sorted by N; pipe:[123] becomes pipe,
		// pipe', ... by first appearance; ls's own /proc/PID/fd loses its PID.
		var lines []string
		for _, l := range strings.Split(s, "\n") {
			if i := strings.Index(l, " -> "); i >= 0 {
				f := strings.Fields(l[:i])
				lines = append(lines, fmt.Sprintf("%5s %s", f[len(f)-1], l[i+4:]))
			}
		}
		sort.Strings(lines)
		s = regexp.MustCompile(`/proc/\d+/`).ReplaceAllString(strings.Join(lines, "\n"), "/proc/PID/")
		seen := map[string]string{}
		return regexp.MustCompile(`pipe:\[\d+\]`).ReplaceAllStringFunc(s, func(p string) string {
			if seen[p] == "" {
				seen[p] = "pipe" + strings.Repeat("'", len(seen))
			}
			return seen[p]
		})
	}
	a := chaintest.Run(t, chaintest.Cmd{Args: append([]string{chaintest.Ours("fghack")}, list...), Env: chaintest.Env()})
	b := chaintest.Run(t, chaintest.Cmd{Args: append([]string{theirs}, list...), Env: chaintest.Env()})
	if canon(a.Stdout) != canon(b.Stdout) || strings.Count(a.Stdout, "pipe") < 31 {
		t.Errorf("descriptors differ:\nours:\n%s\ntheirs:\n%s", canon(a.Stdout), canon(b.Stdout))
	}
}
