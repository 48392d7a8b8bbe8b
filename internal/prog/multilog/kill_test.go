package multilog

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/internal/testkit"
)

// klen is the length (without newline) of line n of the kill tests:
// mostly 20..330 bytes, and every 97th line a long one (past the 1000
// bytes the actions see), which a kill must not cut into two lines either.
func klen(n int) int {
	if n%97 == 50 {
		return 1500 + n%3000
	}
	return 20 + n%311
}

func kline(n int) string {
	s := strconv.Itoa(n) + " "
	return s + strings.Repeat(string(rune('a'+n%26)), klen(n)-len(s))
}

func kproduce(w *os.File, total int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	for i := 0; i < total; i++ {
		bw.WriteString(kline(i))
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

var stampRE = regexp.MustCompile(`^@[0-9a-f]{24} `)

// logged is what a run of kills left in a log directory.
type logged struct {
	seqs    []int // the whole numbered lines, in file order
	damaged []string
	files   []string
	crashed int // .u files
}

func readLogged(t *testing.T, log string, stamped bool) logged {
	t.Helper()
	var r logged
	r.files = append(finished(t, log), filepath.Join(log, "current"))
	// A long line may go on from one file to the next (a file is cut at
	// its size limit, as the original cuts it); a kill ends what one
	// multilog wrote, and the next starts on a line of its own.
	var seg strings.Builder
	for i, f := range r.files {
		seg.WriteString(readFile(f))
		u := strings.HasSuffix(f, ".u")
		if u {
			r.crashed++
		}
		if !u && i < len(r.files)-1 {
			continue
		}
		ls := splitLines(seg.String())
		seg.Reset()
		for j, l := range ls {
			body := strings.TrimSuffix(l, "\n")
			if stamped {
				if !stampRE.MatchString(body) {
					body = "?"
				}
				body = stampRE.ReplaceAllString(body, "")
			}
			num, _, _ := strings.Cut(body, " ")
			n, err := strconv.Atoi(num)
			if err != nil || n < 0 || body != kline(n) || !strings.HasSuffix(l, "\n") {
				// Only the line cut by a kill, at the end of the
				// .u file that kill left, may be damaged.
				if !(u && j == len(ls)-1) {
					r.damaged = append(r.damaged, fmt.Sprintf("up to %s, line %d: %.60q", filepath.Base(f), j, l))
				}
				continue
			}
			r.seqs = append(r.seqs, n)
		}
	}
	return r
}

// shape describes the logged numbers against the selected ones: missing
// counts the selected numbers never logged; the log is otherwise read as
// runs of consecutive selected numbers, and a run that starts past the
// number after the previous run's end is a jump, one that starts at or
// before the previous run's end a duplicated block.
type shape struct{ missing, jumps, blocks int }

func check(seqs []int, selected func(int) bool, total int) shape {
	next := func(n int) int {
		for n++; n < total && !selected(n); n++ {
		}
		return n
	}
	var sh shape
	seen := make([]bool, total)
	prev := -1
	for _, n := range seqs {
		if n >= total {
			sh.jumps++
			continue
		}
		seen[n] = true
		switch want := next(prev); {
		case n > want:
			sh.jumps++
		case n < want:
			sh.blocks++
		}
		prev = n
	}
	for n := 0; n < total; n++ {
		if selected(n) && !seen[n] {
			sh.missing++
		}
	}
	return sh
}

// TestKillNineLosesNothing: a producer writes numbered lines into a pipe
// as fast as multilog takes them; multilog is killed with SIGKILL three
// times and restarted on the same pipe each time, as supervise does (the
// read end stays open in the test, as in svscan). Every line must be in
// the log, whole, in order, apart from one block written again after each
// kill; only the line a kill cut may be left damaged at the end of that
// kill's .u file. Runs with stamps, a deselecting pattern and a processor
// too. Debian's multilog is run the same way (plain script) and its loss
// logged: it loses what it had read but not written.
func TestKillNineLosesNothing(t *testing.T) {
	t.Parallel() // see TestMain
	for _, c := range []struct {
		name     string
		script   []string
		stamped  bool
		selected func(int) bool
	}{
		{"plain", []string{"s1000000", "n100", "./log"}, false, nil},
		{"stamps", []string{"t", "s1000000", "n100", "./log"}, true, nil},
		// Deselect lines whose number starts with 3.
		{"select", []string{"s1000000", "n100", "-3*", "./log"}, false, func(n int) bool { return strconv.Itoa(n)[0] != '3' }},
		{"processor", []string{"s500000", "n100", "!cat", "./log"}, false, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r, sh := killRuns(t, ours("multilog"), c.script, c.stamped, c.selected)
			if len(r.damaged) > 0 {
				t.Fatalf("damaged lines: %v", r.damaged)
			}
			if sh.missing != 0 || sh.jumps != 0 || sh.blocks > 3 {
				t.Fatalf("%d lines lost, %d jumps, %d duplicated blocks after 3 kills", sh.missing, sh.jumps, sh.blocks)
			}
		})
	}
	t.Run("original", func(t *testing.T) {
		t.Parallel()
		r, sh := killRuns(t, needOriginal(t, "multilog"), []string{"s1000000", "n100", "./log"}, false, nil)
		t.Logf("Debian's multilog: %d lines lost in 3 kills, %d damaged", sh.missing, len(r.damaged))
	})
}

func killRuns(t *testing.T, bin string, script []string, stamped bool, selected func(int) bool) (logged, shape) {
	const total, kills = 40000, 3 // about 8 MB
	if selected == nil {
		selected = func(int) bool { return true }
	}
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	s := start(t, bin, dir, script...)
	s.pw.Fd() // blocking writes from now on, as a C program's
	prodDone := make(chan error, 1)
	go func() { prodDone <- kproduce(s.pw, total) }()
	size := func() int64 {
		var sum int64
		m, _ := filepath.Glob(filepath.Join(log, "*"))
		for _, f := range m {
			if fi, err := os.Stat(f); err == nil {
				sum += fi.Size()
			}
		}
		return sum
	}
	cmd := s.cmd
	var stderr *bytes.Buffer = s.stderr
	crashed := func() int {
		m, _ := filepath.Glob(filepath.Join(log, "@*.u"))
		return len(m)
	}
	for k := 0; k < kills; k++ {
		// Kill once this multilog has started (it has finished the
		// killed one's current as an .u file) and logged a few hundred
		// KB (a killed processor may still be writing: it is not
		// multilog's child any more).
		testkit.WaitFor(t, 10*time.Second, "the condition", func() bool { return crashed() >= k })
		from := size()
		testkit.WaitFor(t, 10*time.Second, "the condition", func() bool { return size() > from+300000 })
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if stderr.Len() > 0 {
			t.Errorf("stderr: %s", stderr)
		}
		stderr = &bytes.Buffer{}
		cmd = run(t, bin, dir, s.pr, stderr, script...)
	}
	if err := testkit.Receive(t, prodDone, 60*time.Second, "producer not done within 60s"); err != nil {
		t.Fatal(err)
	}
	s.pw.Close()
	if err := testkit.Exited(t, cmd, 30*time.Second, "last multilog did not finish at the end of its input"); err != nil {
		t.Fatalf("last multilog: %v %s", err, stderr)
	}
	r := readLogged(t, log, stamped)
	if r.crashed < kills {
		t.Fatalf("%d .u files after %d kills: %v", r.crashed, kills, r.files)
	}
	sh := check(r.seqs, selected, total)
	t.Logf("%d lines logged, %d lost, %d jumps, %d duplicated blocks, %d damaged, %d files",
		len(r.seqs), sh.missing, sh.jumps, sh.blocks, len(r.damaged), len(r.files))
	return r, sh
}

// TestKillKeepsUnfinishedLine: what multilog has read of a line that has
// no newline yet stays in the pipe, so that after a kill -9 the next
// multilog logs the line whole; the killed one's .u file holds only what
// it wrote. A long line (past the 1000 bytes the actions see, whose start
// is written before its end is read) is kept too, and its written start is
// left at the end of the .u file.
func TestKillKeepsUnfinishedLine(t *testing.T) {
	long := strings.Repeat("L", 5000)
	for _, c := range []struct{ name, first, unfinished, u string }{
		{"short", "abc\n", "de", "abc\n"},
		{"long", "abc\n", long, "abc\n" + long},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			log := filepath.Join(dir, "log")
			s := start(t, ours("multilog"), dir, "./log")
			s.write(t, c.first+c.unfinished)
			testkit.WaitFor(t, 10*time.Second, "the condition", func() bool {
				return readFile(filepath.Join(log, "current")) == c.u && s.unread(t) == len(c.unfinished)
			})
			s.cmd.Process.Signal(syscall.SIGKILL)
			s.cmd.Wait()
			var stderr bytes.Buffer
			run(t, ours("multilog"), dir, s.pr, &stderr, "./log")
			// The new multilog reads the kept start and waits for more
			// with it still in the pipe; the rest must wake it.
			testkit.WaitFor(t, 10*time.Second, "the condition", func() bool { return len(finished(t, log)) == 1 })
			settle()
			s.write(t, "f\n")
			testkit.WaitFor(t, 10*time.Second, "the condition", func() bool { return readFile(filepath.Join(log, "current")) == c.unfinished+"f\n" })
			if u := readFile(finished(t, log)[0]); u != c.u {
				t.Fatalf(".u file %.80q, want %.80q", u, c.u)
			}
			// Then it takes the line out of the pipe.
			testkit.WaitFor(t, 10*time.Second, "the condition", func() bool { return s.unread(t) == 0 })
			if stderr.Len() > 0 {
				t.Fatalf("stderr %s", stderr.String())
			}
		})
	}
}

// TestFullDiskKill: multilog waits on a full disk with lines it could not
// write; a kill -9 then must not lose them: the next multilog, started
// once there is space again, logs them.
func TestFullDiskKill(t *testing.T) {
	t.Parallel() // see TestMain
	mnt, filler := fullTmpfs(t)
	const total = 600 // about 120 KB
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	pw.Fd() // blocking writes from now on, as a C program's
	errW, warned := warning(t, "unable to write to ./log/current, pausing: out of disk space")
	cmd := run(t, ours("multilog"), mnt, pr, errW, "s8192", "n40", "./log")
	errW.Close()
	prodDone := make(chan error, 1)
	go func() { prodDone <- kproduce(pw, total) }()
	testkit.Receive(t, warned, 20*time.Second, "no warning about the full disk")
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	os.Remove(filler)
	var stderr bytes.Buffer
	cmd = run(t, ours("multilog"), mnt, pr, &stderr, "s8192", "n40", "./log")
	if err := testkit.Receive(t, prodDone, 30*time.Second, "producer not done within 30s"); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if err := testkit.Exited(t, cmd, 30*time.Second, "multilog did not finish at the end of its input"); err != nil {
		t.Fatalf("%v %s", err, stderr.String())
	}
	r := readLogged(t, filepath.Join(mnt, "log"), false)
	sh := check(r.seqs, func(int) bool { return true }, total)
	t.Logf("%d lines logged, %d lost, %d jumps, %d duplicated blocks, %d damaged, files %d",
		len(r.seqs), sh.missing, sh.jumps, sh.blocks, len(r.damaged), len(r.files))
	if len(r.damaged) > 0 || sh.missing != 0 || sh.jumps != 0 || sh.blocks > 1 {
		t.Fatalf("damaged lines %v; %d lost, %d jumps, %d duplicated blocks", r.damaged, sh.missing, sh.jumps, sh.blocks)
	}
}

// TestBigWriteAfterUnfinishedLine: multilog waits with the start of a line
// kept in the pipe; then one write larger than the pipe comes. Linux does
// not wake a pipe's reader when a write that found the pipe not empty
// fills it and sleeps, so waiting on the pipe alone would leave both
// sides waiting for each other: the write must get through, and be logged.
func TestBigWriteAfterUnfinishedLine(t *testing.T) {
	dir := t.TempDir()
	s := start(t, ours("multilog"), dir, "s16777215", "./log")
	cur := filepath.Join(dir, "log", "current")
	s.write(t, "abc\nde")
	testkit.WaitFor(t, 10*time.Second, "the condition", func() bool { return readFile(cur) == "abc\n" && s.unread(t) == 2 })
	settle() // let it wait again; not a proof of anything
	var big strings.Builder
	big.WriteString("f\n")
	for i := 0; big.Len() < 300000; i++ {
		big.WriteString(kline(i) + "\n")
	}
	// One blocking write(2), as a C program's: Go's own writes to a pipe
	// do not block in the kernel.
	fd := int(s.pw.Fd()) // now in blocking mode
	wrote := make(chan error, 1)
	go func() {
		b := []byte(big.String())
		for len(b) > 0 {
			n, err := unix.Write(fd, b)
			if err != nil && err != unix.EINTR {
				wrote <- err
				return
			}
			b = b[max(n, 0):]
		}
		wrote <- nil
	}()
	if err := testkit.Receive(t, wrote, 10*time.Second, "a write larger than the pipe did not get through within 10s"); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 10*time.Second, "the condition", func() bool { return readFile(cur) == "abc\nde"+big.String() })
}
