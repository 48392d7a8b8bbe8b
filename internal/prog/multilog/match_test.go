package multilog

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	ml "github.com/svbridge/svbridge/multilog"
)

// TestMatchAgainstOriginal asks Debian's multilog which lines random
// patterns deselect, and checks ml.Match agrees on every line.
func TestMatchAgainstOriginal(t *testing.T) {
	t.Parallel() // see TestMain
	orig := needOriginal(t, "multilog")
	rng := rand.New(rand.NewPCG(3, 4))
	word := func(alpha string, max int) string {
		n := rng.IntN(max + 1)
		b := make([]byte, n)
		for i := range b {
			b[i] = alpha[rng.IntN(len(alpha))]
		}
		return string(b)
	}
	var lines []string
	for i := 0; i < 300; i++ {
		lines = append(lines, word("ab*c", 7))
	}
	input := strings.Join(lines, "\n") + "\n"
	dir := t.TempDir()
	for i := 0; i < 60; i++ {
		pat := word("ab**c", 5)
		logdir := filepath.Join(dir, "d")
		os.RemoveAll(logdir)
		cmd := exec.Command(orig, "-"+pat, logdir)
		cmd.Stdin = strings.NewReader(input)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v %s", err, out)
		}
		kept := readFile(filepath.Join(logdir, "current"))
		var want strings.Builder
		for _, l := range lines {
			if !ml.Match(pat, []byte(l)) {
				want.WriteString(l + "\n")
			}
		}
		if kept != want.String() {
			t.Errorf("pattern %q: original kept %q, Match keeps %q", pat, kept, want.String())
		}
	}
}
