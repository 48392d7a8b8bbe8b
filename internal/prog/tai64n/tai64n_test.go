package tai64n

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/tai64n"
	"github.com/svbridge/svbridge/internal/testkit"
)

var label = regexp.MustCompile(`(?m)^@[0-9a-f]{24} `)

func run(t *testing.T, input string) string {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(&cli.Env{Args: []string{"tai64n"}, Stdin: &chunky{s: input, n: 3}, Stdout: &out, Stderr: &errb})
	if code != 0 || errb.Len() > 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	return out.String()
}

// chunky returns at most n bytes per Read, so lines straddle reads.
type chunky struct {
	s string
	n int
}

func (c *chunky) Read(b []byte) (int, error) {
	if c.s == "" {
		return 0, io.EOF
	}
	n := copy(b[:min(len(b), c.n)], c.s)
	c.s = c.s[n:]
	return n, nil
}

func TestStampsEveryLine(t *testing.T) {
	in := "one\n\ntwo three\nno newline"
	out := run(t, in)
	if got := label.ReplaceAllString(out, ""); got != in {
		t.Fatalf("without labels %q, want %q", got, in)
	}
	if n := len(label.FindAllString(out, -1)); n != 4 {
		t.Fatalf("%d labels in %q", n, out)
	}
	var prev tai64n.Stamp
	for _, l := range label.FindAllString(out, -1) {
		s, ok := tai64n.ParseLabel([]byte(l))
		if !ok || s.Sec < prev.Sec || (s.Sec == prev.Sec && s.Nano < prev.Nano) {
			t.Fatalf("bad or backwards label %q", l)
		}
		prev = s
	}
}

// TestSameAsOriginal runs both binaries on the same input: the same bytes
// once labels are taken out, a label at the same places.
func TestSameAsOriginal(t *testing.T) {
	testkit.NeedDaemontools(t, "tai64n")
	bin := binary
	var in strings.Builder
	for i := 0; i < 3000; i++ {
		in.WriteString(strings.Repeat("x", i%300))
		in.WriteByte('\n')
	}
	in.WriteString("tail without newline")
	norm := func(b []byte) string { return label.ReplaceAllString(string(b), "@T ") }
	output := func(prog string) string {
		cmd := exec.Command(prog)
		cmd.Stdin = strings.NewReader(in.String())
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(prog, err)
		}
		return norm(out)
	}
	if got, want := output(bin), output("/usr/bin/tai64n"); got != want {
		t.Fatalf("output differs from the original's (%d vs %d bytes)", len(got), len(want))
	}
}

// binary is our tai64n: the test binary, which is the program when run
// under its name (see testkit.Programs).
var binary string

func TestMain(m *testing.M) {
	os.Exit(testkit.Programs(m, map[string]cli.Main{"tai64n": Main},
		func(dir string) { binary = filepath.Join(dir, "tai64n") }))
}

func TestWriteError(t *testing.T) {
	var errb bytes.Buffer
	code := Main(&cli.Env{Args: []string{"tai64n"}, Stdin: strings.NewReader("x\n"), Stdout: failWriter{}, Stderr: &errb})
	if code != 111 || !strings.HasPrefix(errb.String(), "tai64n: fatal: unable to write output: ") {
		t.Fatalf("%d %q", code, errb.String())
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }
