package multilog

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/testkit"
	"golang.org/x/sys/unix"
)

// binDir holds multilog, a link to the test binary, which is the program
// when run under that name (see testkit.Programs).
var binDir string

// The tests that compare with the original, and those that wait on a full
// disk (multilog pauses 5 s, as daemontools does) or push megabytes
// through a killed multilog, run in parallel (t.Parallel): each uses its
// own temp dirs, pipes and tmpfs. The tests that give multilog a fixed
// moment to act on a signal (settle) stay serial, and run first, with
// nothing else of this package running; so does TestMainBuffers, which
// runs Main (and its signal handlers) in the test process.
func TestMain(m *testing.M) {
	os.Exit(testkit.Programs(m, map[string]cli.Main{"multilog": Main}, func(dir string) { binDir = dir }))
}

func ours(name string) string { return filepath.Join(binDir, name) }

// needOriginal skips when Debian's daemontools binary is absent, and
// returns its path.
func needOriginal(t testing.TB, name string) string {
	t.Helper()
	testkit.NeedDaemontools(t, name)
	return testkit.Daemontools(name)
}

var labelRE = regexp.MustCompile(`@[0-9a-f]{24}`)

// snapshot describes a directory tree modulo TAI64N labels: one line per
// file with its normalized name, mode and normalized content.
func snapshot(t *testing.T, root string) string {
	t.Helper()
	var lines []string
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		if fi.IsDir() {
			lines = append(lines, fmt.Sprintf("%s/ %v", rel, fi.Mode()))
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, fmt.Sprintf("%s %v %q", labelRE.ReplaceAllString(rel, "@T"), fi.Mode(), labelRE.ReplaceAllString(string(b), "@T")))
		return nil
	})
	// Finished files sort by their (real) label, which keeps their order;
	// after normalization, keep that order rather than re-sorting.
	return strings.Join(lines, "\n")
}

type result struct {
	code   int
	stderr string
	tree   string
}

// runIn runs bin with the script in a fresh directory, stdin from a file
// holding input (or, with viaPipe, from a pipe that holds all of input and
// has no writer left), after setup(t, dir) prepared the directory (a
// fixture that cannot be made fails the test).
func runIn(t *testing.T, bin string, script []string, input []byte, setup func(t *testing.T, dir string), viaPipe bool) result {
	t.Helper()
	dir := t.TempDir()
	work := filepath.Join(dir, "w")
	must(t, os.Mkdir(work, 0o755))
	if setup != nil {
		setup(t, work)
	}
	in := filepath.Join(dir, "input")
	if err := os.WriteFile(in, input, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if viaPipe {
		f = filledPipe(t, input)
		defer f.Close()
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, script...)
	cmd.Dir = work
	cmd.Stdin = f
	cmd.Stderr = &stderr
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	code := testkit.ExitCode(t, cmd)
	return result{code, labelRE.ReplaceAllString(stderr.String(), "@T"), snapshot(t, work)}
}

// must fails the test when a fixture's setup step failed.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal("setting up the fixture: ", err)
	}
}

// filledPipe returns the read end of a pipe holding input, whose write end
// is closed: a reader gets all of it at once, then the end of input.
func filledPipe(t *testing.T, input []byte) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := unix.FcntlInt(w.Fd(), unix.F_SETPIPE_SZ, 1<<20); err != nil {
		t.Skipf("cannot make a 1 MiB pipe: %v", err)
	}
	if len(input) > 1<<20 {
		t.Fatalf("input of %d bytes does not fit the pipe", len(input))
	}
	if _, err := w.Write(input); err != nil {
		t.Fatal(err)
	}
	return r
}

func compare(t *testing.T, script []string, input []byte, setup func(t *testing.T, dir string), viaPipe bool) {
	t.Helper()
	orig := needOriginal(t, "multilog")
	want := runIn(t, orig, script, input, setup, viaPipe)
	got := runIn(t, ours("multilog"), script, input, setup, viaPipe)
	if got.code != want.code {
		t.Errorf("exit code %d, original %d", got.code, want.code)
	}
	if got.stderr != want.stderr {
		t.Errorf("stderr differs:\n got %q\nwant %q", got.stderr, want.stderr)
	}
	if got.tree != want.tree {
		t.Errorf("files differ:\n--- ours\n%s\n--- original\n%s", clip(got.tree), clip(want.tree))
	}
}

func clip(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "..."
	}
	return s
}

// lines makes n numbered lines of lengths cycling through 20..400 bytes.
func lines(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		l := 20 + (i*37)%381
		s := fmt.Sprintf("line %d ", i)
		b.WriteString(s)
		for j := len(s); j < l; j++ {
			b.WriteByte('a' + byte((i+j)%26))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func TestCompareWithOriginal(t *testing.T) {
	t.Parallel() // see TestMain
	for _, c := range compareCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			compare(t, c.script, c.input, c.setup, false)
		})
	}
}

// TestCompareWithOriginalPipe runs the same cases with the input in a pipe,
// which ours reads by tee(2) and takes out only once it is logged: the
// files, messages and exit code are the same as the original's all the same.
func TestCompareWithOriginalPipe(t *testing.T) {
	t.Parallel() // see TestMain
	for _, c := range compareCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			compare(t, c.script, c.input, c.setup, true)
		})
	}
}

type compareCase struct {
	name   string
	script []string
	input  []byte
	setup  func(t *testing.T, dir string)
}

func compareCases() []compareCase {
	long := bytes.Repeat([]byte("x"), 3000)
	huge := bytes.Repeat([]byte("y"), 50000)
	mixed := append(append(append(append(lines(50), long...), '\n'), lines(30)...), append(huge, '\n')...)
	mixed = append(mixed, lines(20)...)
	return []compareCase{
		{"plain", []string{"./main"}, lines(200), nil},
		{"rotate", []string{"s4096", "n3", "./main"}, lines(2000), nil},
		{"rotate-many", []string{"s5000", "n20", "./main"}, lines(3000), nil},
		{"stamped", []string{"t", "s4096", "n4", "./main"}, lines(1500), nil},
		{"long-lines", []string{"s4096", "n50", "./main"}, mixed, nil},
		{"long-lines-stamped", []string{"t", "s8000", "n50", "./main"}, mixed, nil},
		{"no-final-newline", []string{"./main"}, []byte("one\ntwo\nthree"), nil},
		{"empty-lines-stamped", []string{"t", "./main"}, []byte("\n\nx\n\n"), nil},
		{"empty-input", []string{"t", "./main"}, nil, nil},
		{"select", []string{"-*", "+line 1*", "-*a", "./sel", "+*", "./all"}, lines(300), nil},
		{"alert-status", []string{"t", "e", "+*", "-line 2*", "e", "=status", "./d"}, append(lines(40), long...), nil},
		{"status-long", []string{"=st", "./d"}, append(lines(5), long...), nil},
		{"two-dirs", []string{"s4096", "n2", "./a", "s6000", "n5", "-line 1*", "./b"}, lines(1000), nil},
		{"clamps", []string{"s12", "n0", "sfoo", "./a", "s99999999999999999999999999", "n1", "./b"}, lines(1500), nil},
		{"unknown-words", []string{"x", "", "hello", "T", "./a", "zz"}, lines(10), nil},
		{"t-not-first", []string{"./a", "t"}, lines(10), nil},
		{"processor", []string{"s4096", "n4", "!tr a-z A-Z; cat <&4; echo next >&5", "./p"}, lines(600), nil},
		{"crashed-current", []string{"./d"}, lines(10), func(t *testing.T, dir string) {
			must(t, os.Mkdir(filepath.Join(dir, "d"), 0o700))
			must(t, os.WriteFile(filepath.Join(dir, "d", "current"), []byte("half a li"), 0o644))
		}},
		{"finished-current", []string{"./d"}, lines(10), func(t *testing.T, dir string) {
			must(t, os.Mkdir(filepath.Join(dir, "d"), 0o700))
			must(t, os.WriteFile(filepath.Join(dir, "d", "current"), []byte("earlier\n"), 0o744))
			must(t, os.Chmod(filepath.Join(dir, "d", "current"), 0o744))
		}},
		{"processed-left", []string{"!cat", "./d"}, lines(10), func(t *testing.T, dir string) {
			d := filepath.Join(dir, "d")
			must(t, os.Mkdir(d, 0o700))
			must(t, os.WriteFile(filepath.Join(d, "current"), []byte("cur\n"), 0o644))
			must(t, os.WriteFile(filepath.Join(d, "previous"), []byte("prev\n"), 0o744))
			must(t, os.WriteFile(filepath.Join(d, "processed"), []byte("proc\n"), 0o744))
			must(t, os.Chmod(filepath.Join(d, "processed"), 0o744))
		}},
		{"previous-left", []string{"!cat", "./d"}, lines(10), func(t *testing.T, dir string) {
			d := filepath.Join(dir, "d")
			must(t, os.Mkdir(d, 0o700))
			must(t, os.WriteFile(filepath.Join(d, "previous"), []byte("prev\n"), 0o744))
			must(t, os.WriteFile(filepath.Join(d, "processed"), []byte("half\n"), 0o644))
		}},
		{"after-original", []string{"s4096", "n5", "./d"}, lines(100), func(t *testing.T, dir string) {
			// The original wrote this directory first (and exited cleanly).
			cmd := exec.Command("/usr/bin/multilog", "s4096", "n5", "./d")
			cmd.Dir = dir
			cmd.Stdin = bytes.NewReader(lines(70))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("setting up the fixture: the original multilog: %v\n%s", err, out)
			}
		}},
		{"cannot-open-dir", []string{"./file/d"}, lines(3), func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "file"), nil, 0o644))
		}},
		{"not-a-dir", []string{"./file"}, lines(3), func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "file"), nil, 0o644))
		}},
		{"cannot-create-status", []string{"=nodir/st", "./d"}, lines(3), nil},
	}
}

// TestLockedDirectory: a directory locked by a running original multilog
// makes ours fail at once with the original's message and 111.
func TestLockedDirectory(t *testing.T) {
	t.Parallel() // see TestMain
	orig := needOriginal(t, "multilog")
	dir := t.TempDir()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	holder := exec.Command(orig, "./log")
	holder.Dir = dir
	holder.Stdin = pr
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	pr.Close()
	defer func() { pw.Close(); holder.Wait() }()
	testkit.WaitFor(t, 10*time.Second, "the original's log/state", func() bool { _, err := os.Stat(filepath.Join(dir, "log", "state")); return err == nil })

	ir, iw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer ir.Close()
	const pending = "must not be read\n"
	iw.WriteString(pending)
	iw.Close()
	cmd := exec.Command(ours("multilog"), "t", "./other", "./log")
	cmd.Dir = dir
	cmd.Stdin = ir
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 111 {
		t.Fatalf("exit %v, want 111", err)
	}
	if want := "multilog: fatal: unable to lock directory ./log: temporary failure\n"; string(out) != want {
		t.Fatalf("stderr %q, want %q", out, want)
	}
	rest := make([]byte, 100)
	if n, _ := ir.Read(rest); string(rest[:n]) != pending {
		t.Fatalf("input consumed before the fatal error: %q left", rest[:n])
	}
}

// TestMainBuffers calls Main in-process with an in-memory stdin.
func TestMainBuffers(t *testing.T) {
	dir := t.TempDir()
	var stderr bytes.Buffer
	e := &cli.Env{Args: []string{"multilog", "e", "-b*", filepath.Join(dir, "log")}, Stdin: strings.NewReader("a\nb\nc"), Stdout: io.Discard, Stderr: &stderr}
	if code := Main(e); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if got := readFile(filepath.Join(dir, "log", "current")); got != "a\nc\n" {
		t.Fatalf("current %q", got)
	}
	if stderr.String() != "a\nb\nc\n" {
		t.Fatalf("e output %q", stderr.String())
	}
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o644)
	stderr.Reset()
	e = &cli.Env{Args: []string{"multilog", filepath.Join(dir, "file")}, Stdin: strings.NewReader("x\n"), Stderr: &stderr}
	if code := Main(e); code != 111 {
		t.Fatalf("exit %d for a file as directory", code)
	}
	if want := "multilog: fatal: unable to open directory " + filepath.Join(dir, "file") + ": not a directory\n"; stderr.String() != want {
		t.Fatalf("stderr %q, want %q", stderr.String(), want)
	}
}

var _ = sort.Strings

// FuzzScript runs ours and Debian's multilog on the same script words and
// input, each in a fresh directory, and requires the same exit code, error
// output and files. Processor actions (!) are left out, since they run
// programs; directories stay inside the fresh directory.
func FuzzScript(f *testing.F) {
	for _, s := range []string{"t\x00./log", "s4096\x00n3\x00./main", "-*\x00+*b*\x00e", "=./st", "t\x00e", "s99999999999999999999\x00./x",
		"n\x00./a\x00./b", "-line 1*\x00./a", "", "x", "./", "s\x00./d"} {
		f.Add(s)
	}
	needOriginal(f, "multilog")
	input := append(lines(20), "unterminated"...)
	f.Fuzz(func(t *testing.T, s string) {
		words := strings.Split(s, "\x00")
		if len(words) > 8 || strings.IndexByte(s, '\n') >= 0 {
			t.Skip("too many words")
		}
		for _, w := range words {
			switch {
			case strings.HasPrefix(w, "!"):
				t.Skip("a processor runs a program")
			case strings.HasPrefix(w, "/") || strings.Contains(w, ".."):
				t.Skip("a directory outside the fresh directory")
			case strings.HasPrefix(w, ".") && w != "." && !strings.HasPrefix(w, "./"):
				t.Skip("a directory outside the fresh directory")
			case strings.HasPrefix(w, "=") && strings.Contains(w[1:], ".."):
				t.Skip("a status file outside the fresh directory")
			case strings.HasPrefix(w, "=/"):
				t.Skip("a status file outside the fresh directory")
			}
		}
		want := runIn(t, "/usr/bin/multilog", words, input, nil, false)
		got := runIn(t, ours("multilog"), words, input, nil, false)
		if got.code != want.code || got.stderr != want.stderr || got.tree != want.tree {
			t.Fatalf("multilog %q:\nours     %d %q\n%s\noriginal %d %q\n%s", words, got.code, got.stderr, clip(got.tree), want.code, want.stderr, clip(want.tree))
		}
	})
}
