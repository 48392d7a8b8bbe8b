package multilog

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMatch(t *testing.T) {
	// Each row was checked against Debian's multilog ("-pattern" drops the
	// lines the pattern matches).
	cases := []struct {
		pat, line string
		want      bool
	}{
		{"a*c", "abc", true},
		{"a*c", "abcc", false}, // '*' stops at the first 'c'
		{"a*c", "a*c", true},
		{"a*", "abcd", true},
		{"a*", "xabc", false},
		{"*c", "abcd", false},
		{"**", "", false},
		{"**", "a*", true},
		{"**", "abc", false},
		{"*", "", true},
		{"", "", true},
		{"", "x", false},
		{"ab", "ab", true},
		{"ab", "abc", false},
		{"*b*", "", false},
		{"*b*", "b", true},
		{"*b", "ab", true},
		{"*b", "abb", false},
		{"*b", "abab", false},
		{"*x*y", "axbxy", true},
		{"*x*y", "axy", true},
		{"x*", "x", true},
		{"*x", "x", true},
	}
	for _, c := range cases {
		if got := Match(c.pat, []byte(c.line)); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pat, c.line, got, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	sc := Parse([]string{"t", "s12", "n0", "./a", "s99999999", "n1000", "!gzip", "-x*", "+y", "e", "=st", "/b", "junk", "", "sfoo", "./c"})
	if !sc.Timestamp {
		t.Error("t first: no timestamp")
	}
	want := []DirSpec{
		{Path: "./a", Size: MinSize, Num: MinNum},
		{Path: "/b", Size: 99999999, Num: 1000, Processor: "gzip", HasProc: true},
		{Path: "./c", Size: MinSize, Num: 1000, Processor: "gzip", HasProc: true},
	}
	if len(sc.Dirs) != len(want) {
		t.Fatalf("dirs %+v", sc.Dirs)
	}
	for i := range want {
		if sc.Dirs[i] != want[i] {
			t.Errorf("dir %d: %+v, want %+v", i, sc.Dirs[i], want[i])
		}
	}
	kinds := []Kind{Dir, Deselect, Select, Alert, Status, Dir, Dir}
	if len(sc.Actions) != len(kinds) {
		t.Fatalf("actions %+v", sc.Actions)
	}
	for i, k := range kinds {
		if sc.Actions[i].Kind != k {
			t.Errorf("action %d kind %v, want %v", i, sc.Actions[i].Kind, k)
		}
	}
	if Parse([]string{"./a", "t"}).Timestamp {
		t.Error("t not first still stamps")
	}
	if s := Parse([]string{"s99999999999999999999999", "./a"}).Dirs[0].Size; s < MinSize || s > MaxSize {
		t.Errorf("wrapped size %d not clamped", s)
	}
}

// TestRunBuffers drives the library with an in-memory reader: lines split
// across reads, a long line, rotation, and the final current mode.
func TestRunBuffers(t *testing.T) {
	dir := t.TempDir()
	logdir := filepath.Join(dir, "log")
	sc := Parse([]string{"s4096", "n3", logdir})
	var stderr bytes.Buffer
	l, err := Open(sc, Options{Stderr: &stderr, Pause: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer
	for i := 0; i < 400; i++ {
		in.WriteString(strings.Repeat("z", i%90) + "\n")
	}
	in.WriteString(strings.Repeat("L", 9000) + "\n")
	want := in.String()
	l.Run(&oneByOne{r: &in, n: 777})
	files, _ := filepath.Glob(filepath.Join(logdir, "@*.s"))
	if len(files) != 2 {
		t.Fatalf("%d finished files, want n-1 = 2", len(files))
	}
	cur, _ := os.ReadFile(filepath.Join(logdir, "current"))
	if !strings.HasSuffix(want, string(cur)) || len(cur) == 0 {
		t.Fatalf("current is not the end of the input (%d bytes)", len(cur))
	}
	if fi, _ := os.Stat(filepath.Join(logdir, "current")); fi.Mode().Perm() != 0o744 {
		t.Fatalf("current mode %v after Run", fi.Mode())
	}
	for _, f := range files {
		fi, _ := os.Stat(f)
		if fi.Size() > 4096 {
			t.Errorf("%s: %d bytes, over the size limit", f, fi.Size())
		}
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr %q", stderr.String())
	}
}

// oneByOne hands out at most n bytes per Read.
type oneByOne struct {
	r interface{ Read([]byte) (int, error) }
	n int
}

func (o *oneByOne) Read(b []byte) (int, error) {
	if len(b) > o.n {
		b = b[:o.n]
	}
	return o.r.Read(b)
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	_, err := Open(Parse([]string{file + "/sub"}), Options{})
	ie, ok := err.(*InitError)
	if !ok || ie.What != "unable to open directory "+file+"/sub" {
		t.Fatalf("err %v", err)
	}
	// A second logger on the same directory cannot lock it.
	l, err := Open(Parse([]string{filepath.Join(dir, "log")}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = Open(Parse([]string{filepath.Join(dir, "log")}), Options{})
	if ie, ok := err.(*InitError); !ok || !strings.HasPrefix(ie.What, "unable to lock directory ") {
		t.Fatalf("second open: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("t\x00s4096\x00n3\x00-*\x00+a*\x00e\x00=st\x00!cat\x00./log")
	f.Add("s99999999999999999999999\x00n\x00\x00/x")
	f.Fuzz(func(t *testing.T, s string) {
		words := strings.Split(s, "\x00")
		sc := Parse(words)
		dirs := 0
		for _, w := range words {
			if w != "" && (w[0] == '.' || w[0] == '/') {
				dirs++
			}
		}
		if len(sc.Dirs) != dirs {
			t.Fatalf("%d dirs from %d dir words", len(sc.Dirs), dirs)
		}
		for _, d := range sc.Dirs {
			if d.Size < MinSize || d.Size > MaxSize || d.Num < MinNum {
				t.Fatalf("unclamped %+v", d)
			}
		}
		for _, a := range sc.Actions {
			if a.Kind == Dir && (a.Dir < 0 || a.Dir >= len(sc.Dirs)) {
				t.Fatalf("bad dir index %d", a.Dir)
			}
		}
	})
}

// matchRef is an independent statement of the dialect, by recursion.
func matchRef(p string, s []byte) bool {
	if p == "" {
		return len(s) == 0
	}
	if p[0] == '*' {
		if len(p) == 1 {
			return true
		}
		i := bytes.IndexByte(s, p[1])
		if i < 0 {
			return false
		}
		return matchRef(p[1:], s[i:])
	}
	return len(s) > 0 && s[0] == p[0] && matchRef(p[1:], s[1:])
}

func FuzzMatch(f *testing.F) {
	f.Add("a*c", []byte("abc"))
	f.Add("**", []byte("a*"))
	f.Add("*b*", []byte(""))
	f.Fuzz(func(t *testing.T, p string, s []byte) {
		if len(s) > LineMax {
			s = s[:LineMax]
		}
		if got, want := Match(p, s), matchRef(p, s); got != want {
			t.Fatalf("Match(%q, %q) = %v, reference %v", p, s, got, want)
		}
		if p == "" && Match(p, s) != (len(s) == 0) {
			t.Fatal("empty pattern")
		}
		if len(p) > 0 && p[len(p)-1] == '*' && !bytes.ContainsRune([]byte(p[:len(p)-1]), '*') && bytes.HasPrefix(s, []byte(p[:len(p)-1])) && !Match(p, s) {
			t.Fatalf("prefix* did not match %q %q", p, s)
		}
	})
}

// TestProcessorRetry: a processor that fails is reported and run again on
// the same file; its output then becomes the finished file.
func TestProcessorRetry(t *testing.T) {
	dir := t.TempDir()
	logdir := filepath.Join(dir, "log")
	marker := filepath.Join(dir, "failed-once")
	proc := "!test -e " + marker + " || { touch " + marker + "; exit 3; }; tr a-z A-Z; echo s >&5"
	var stderr bytes.Buffer
	l, err := Open(Parse([]string{proc, logdir}), Options{Stderr: &stderr, Pause: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// SIGALRM arrives while the first line is being read.
	l.Run(&hook{r: &oneByOne{r: strings.NewReader("hello\nworld\n"), n: 6}, first: l.ForceRotate})
	want := "multilog: warning: processor failed in " + logdir + ", pausing\n"
	if stderr.String() != want {
		t.Fatalf("stderr %q, want %q", stderr.String(), want)
	}
	files, _ := filepath.Glob(filepath.Join(logdir, "@*.s"))
	if len(files) != 1 {
		t.Fatalf("finished files %v", files)
	}
	if b, _ := os.ReadFile(files[0]); string(b) != "HELLO\n" {
		t.Fatalf("processed %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(logdir, State)); string(b) != "s\n" {
		t.Fatalf("state %q", b)
	}
	for _, gone := range []string{Previous, Processed, NewState} {
		if _, err := os.Stat(filepath.Join(logdir, gone)); err == nil {
			t.Errorf("%s left behind", gone)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(logdir, Current)); string(b) != "world\n" {
		t.Fatalf("current %q", b)
	}
}

// hook calls first once, during the first Read.
type hook struct {
	r     interface{ Read([]byte) (int, error) }
	first func()
}

func (h *hook) Read(b []byte) (int, error) {
	if h.first != nil {
		h.first()
		h.first = nil
	}
	return h.r.Read(b)
}
