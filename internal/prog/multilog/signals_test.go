package multilog

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/internal/testkit"
)

// both runs f against our multilog and, when installed, the original, so a
// test that our program passes is also shown to hold for the original.
func both(t *testing.T, f func(t *testing.T, bin string)) {
	t.Run("ours", func(t *testing.T) { f(t, ours("multilog")) })
	t.Run("original", func(t *testing.T) { f(t, needOriginal(t, "multilog")) })
}

// started is a multilog reading from a pipe the test writes to.
type started struct {
	cmd    *exec.Cmd
	pr, pw *os.File // the test keeps the read end too, as svscan does
	stderr *bytes.Buffer
}

func start(t *testing.T, bin, dir string, script ...string) *started {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pr.Close()
		pw.Close()
	})
	s := &started{pr: pr, pw: pw, stderr: &bytes.Buffer{}}
	s.cmd = run(t, bin, dir, pr, s.stderr, script...)
	return s
}

// run starts multilog bin with script in dir, reading stdin (a pipe others
// may read too, as a restarted multilog shares its pipe with the killed
// one) and writing its messages to stderr. It is killed at the test's end.
func run(t *testing.T, bin, dir string, stdin *os.File, stderr io.Writer, script ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, script...)
	cmd.Dir = dir
	cmd.Stdin = stdin
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

// fullTmpfs mounts a 256 kB tmpfs (unmounted at the test's end) and fills
// it with one file; it returns the mount point and that file, whose
// removal brings the space back. The test is skipped unless it runs as
// root where a tmpfs can be mounted.
func fullTmpfs(t *testing.T) (mnt, filler string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	mnt = filepath.Join(t.TempDir(), "mnt")
	os.Mkdir(mnt, 0o755)
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=256k"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): full-disk test not run", err)
	}
	t.Cleanup(func() { unix.Unmount(mnt, unix.MNT_DETACH) })
	filler = filepath.Join(mnt, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	f.Close()
	return mnt, filler
}

// warning returns the write end of a pipe to give multilog as its stderr
// (to close once multilog has started), and a channel that gets the first
// line written there that contains substr.
func warning(t *testing.T, substr string) (w *os.File, line <-chan string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		defer r.Close()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if strings.Contains(sc.Text(), substr) {
				select {
				case found <- sc.Text():
				default:
				}
			}
		}
	}()
	return w, found
}

// splitLines splits s after each newline; an unfinished last line is kept.
func splitLines(s string) []string {
	l := strings.SplitAfter(s, "\n")
	if l[len(l)-1] == "" {
		l = l[:len(l)-1]
	}
	return l
}

// unread is how many bytes wait in the pipe.
func (s *started) unread(t *testing.T) int {
	n, err := unix.IoctlGetInt(int(s.pr.Fd()), unix.TIOCINQ)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (s *started) write(t *testing.T, data string) {
	t.Helper()
	if _, err := s.pw.WriteString(data); err != nil {
		t.Fatal(err)
	}
}

// settle gives a process a moment to act on a signal. It is never the proof
// of anything: each test then waits for the effect with a deadline.
func settle() { time.Sleep(200 * time.Millisecond) }

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

func finished(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "@*"))
	sort.Strings(m)
	return m
}

func TestAlarmRotates(t *testing.T) {
	both(t, func(t *testing.T, bin string) {
		dir := t.TempDir()
		s := start(t, bin, dir, "./log")
		log := filepath.Join(dir, "log")
		s.write(t, "first\n")
		testkit.WaitFor(t, 10*time.Second, "first in current", func() bool { return readFile(filepath.Join(log, "current")) == "first\n" })
		original := bin != ours("multilog")
		if original {
			// As TERM in TestTermAtLineEnd: an ALRM taken before read(2)
			// would wait for more input.
			waitInRead(t, s.cmd.Process.Pid, "the original multilog waiting in read(2)")
		}
		s.cmd.Process.Signal(syscall.SIGALRM)
		testkit.WaitFor(t, 10*time.Second, "a finished file", func() bool { return len(finished(t, log)) == 1 })
		f := finished(t, log)[0]
		if !strings.HasSuffix(f, ".s") || readFile(f) != "first\n" {
			t.Fatalf("finished file %s holds %q", f, readFile(f))
		}
		if fi, _ := os.Stat(f); fi.Mode().Perm() != 0o744 {
			t.Errorf("mode %v", fi.Mode())
		}
		// An empty current is not rotated.
		if original {
			waitInRead(t, s.cmd.Process.Pid, "the original multilog waiting in read(2)")
			s.cmd.Process.Signal(syscall.SIGALRM)
			waitInRead(t, s.cmd.Process.Pid, "the original multilog back in read(2) with ALRM taken")
		} else {
			s.cmd.Process.Signal(syscall.SIGALRM)
			settle() // let the signal be handled before the next line comes
		}
		s.write(t, "second\n")
		testkit.WaitFor(t, 10*time.Second, "second in current", func() bool { return readFile(filepath.Join(log, "current")) == "second\n" })
		if n := len(finished(t, log)); n != 1 {
			t.Fatalf("%d finished files after rotating an empty current", n)
		}
	})
}

// TestTermFinishesLine: SIGTERM in the middle of a line lets multilog read
// (one byte at a time) to the end of that line and no further.
func TestTermFinishesLine(t *testing.T) {
	both(t, func(t *testing.T, bin string) {
		dir := t.TempDir()
		s := start(t, bin, dir, "./log")
		s.write(t, "whole\nabc")
		// Ours leaves the unfinished line in the pipe until it is logged.
		testkit.WaitFor(t, 10*time.Second, "the whole line read and logged", func() bool {
			return s.unread(t) <= len("abc") && readFile(filepath.Join(dir, "log", "current")) == "whole\n"
		})
		if bin == ours("multilog") {
			settle() // let it wait again
			s.cmd.Process.Signal(syscall.SIGTERM)
			settle() // let the signal be handled before the rest comes
		} else {
			// The original reads whatever the pipe holds once read(2)
			// returns: the rest must come after it has taken TERM (see
			// TestTermAtLineEnd), when it reads a byte at a time.
			waitInRead(t, s.cmd.Process.Pid, "the original multilog waiting in read(2)")
			s.cmd.Process.Signal(syscall.SIGTERM)
			waitInRead(t, s.cmd.Process.Pid, "the original multilog back in read(2) with TERM taken")
		}
		s.write(t, "def\nnext line\n")
		if err := testkit.Exited(t, s.cmd, 10*time.Second, "multilog did not exit after SIGTERM"); err != nil {
			t.Fatalf("exit: %v (%s)", err, s.stderr)
		}
		cur := filepath.Join(dir, "log", "current")
		if got := readFile(cur); got != "whole\nabcdef\n" {
			t.Fatalf("current %q", got)
		}
		if fi, _ := os.Stat(cur); fi.Mode().Perm() != 0o744 {
			t.Errorf("current mode %v after exit", fi.Mode())
		}
		rest := make([]byte, 100)
		n, _ := s.pr.Read(rest)
		if string(rest[:n]) != "next line\n" {
			t.Fatalf("left in the pipe: %q", rest[:n])
		}
	})
}

// TestTermAtLineEnd: at a line boundary SIGTERM stops multilog at once.
func TestTermAtLineEnd(t *testing.T) {
	both(t, func(t *testing.T, bin string) {
		dir := t.TempDir()
		s := start(t, bin, dir, "t", "./log")
		s.write(t, "x\n")
		testkit.WaitFor(t, 10*time.Second, "x read and logged", func() bool {
			return s.unread(t) == 0 && strings.HasSuffix(readFile(filepath.Join(dir, "log", "current")), " x\n")
		})
		if bin != ours("multilog") {
			// daemontools' multilog writes the line, then unblocks TERM
			// and calls read(2): a TERM that comes before the unblock is
			// taken there and read(2) waits anyway, for more input or its
			// end (seen 1 in 3 runs under load). Ours has no such window.
			// So the original gets its TERM once it waits in read(2).
			waitInRead(t, s.cmd.Process.Pid, "the original multilog waiting in read(2)")
		}
		s.cmd.Process.Signal(syscall.SIGTERM)
		if err := testkit.Exited(t, s.cmd, 10*time.Second, "multilog did not exit after SIGTERM"); err != nil {
			t.Fatal(err)
		}
	})
}

// waitInRead waits until process pid (a C program) waits in read(2) on a
// pipe with no signal pending: any signal sent before has been handled.
func waitInRead(t *testing.T, pid int, what string) {
	t.Helper()
	testkit.WaitFor(t, 10*time.Second, what, func() bool {
		st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		for _, l := range strings.Split(string(st), "\n") {
			if f := strings.Fields(l); len(f) == 2 && (f[0] == "SigPnd:" || f[0] == "ShdPnd:") && strings.Trim(f[1], "0") != "" {
				return false
			}
		}
		// Read after the status: a signal's delivery takes the process
		// out of read(2), so this is a read(2) that came after it.
		w, _ := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", pid))
		// pipe_read; anon_pipe_read on newer kernels, pipe_wait on older ones
		return len(st) > 0 && (strings.HasSuffix(string(w), "pipe_read") || string(w) == "pipe_wait")
	})
}

// seqLines parses the numbered lines "N payload" of files in order.
func seqLines(t *testing.T, files []string) (seqs []int, bad int) {
	seqs, damaged := seqLinesAt(t, files)
	return seqs, len(damaged)
}

// damage is where seqLinesAt found a line that is not a whole produced
// line: files[file], line number line (from 0), and whether it is the
// file's last line.
type damage struct {
	file, line int
	last       bool
}

func seqLinesAt(t *testing.T, files []string) (seqs []int, bad []damage) {
	for fi, f := range files {
		ls := splitLines(readFile(f))
		for li, l := range ls {
			fields := strings.SplitN(strings.TrimSuffix(l, "\n"), " ", 2)
			n, err := strconv.Atoi(fields[0])
			if err != nil || len(fields) != 2 || fields[1] != payload(n) || !strings.HasSuffix(l, "\n") {
				bad = append(bad, damage{fi, li, li == len(ls)-1})
				continue
			}
			seqs = append(seqs, n)
		}
	}
	return
}

func payload(n int) string { return strings.Repeat(string(rune('a'+n%26)), 20+n%300) }

func produce(w *os.File, from, to int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	for i := from; i < to; i++ {
		fmt.Fprintf(bw, "%d %s\n", i, payload(i))
	}
	return bw.Flush()
}

// TestCrashRecovery kills multilog with SIGKILL while it writes as fast as
// it can, starts a new one on the same pipe, and counts every line: all are
// there, in order, and once but for one block that the new multilog reads
// again (what the killed one had written but not yet taken out of the pipe);
// the killed current survives as an @....u file.
func TestCrashRecovery(t *testing.T) {
	t.Parallel() // see TestMain
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	const total = 60000 // about 10 MB
	s := start(t, ours("multilog"), dir, "s1000000", "n100", "./log")
	prodDone := make(chan error, 1)
	go func() { prodDone <- produce(s.pw, 0, total) }()
	testkit.WaitFor(t, 10*time.Second, "100 kB logged or a rotation", func() bool {
		fi, err := os.Stat(filepath.Join(log, "current"))
		return err == nil && fi.Size() > 100000 || len(finished(t, log)) > 1
	})
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()
	// The writer keeps going; a new multilog takes over the pipe.
	var errb bytes.Buffer
	s2 := run(t, ours("multilog"), dir, s.pr, &errb, "s1000000", "n100", "./log")
	if err := <-prodDone; err != nil {
		t.Fatal(err)
	}
	s.pw.Close()
	if err := s2.Wait(); err != nil {
		t.Fatalf("second multilog: %v %s", err, errb.String())
	}
	files := append(finished(t, log), filepath.Join(log, "current"))
	crashed := -1
	for i, f := range files {
		if strings.HasSuffix(f, ".u") {
			if crashed >= 0 {
				t.Fatalf("two .u files: %v", files)
			}
			crashed = i
		}
	}
	if crashed < 0 {
		t.Fatalf("no .u file: %v", files)
	}
	// The line cut by the kill may leave its head at the end of the .u
	// file (written, no newline); the second multilog reads it again
	// whole. Nowhere else may a line be damaged.
	seqs, bad := seqLinesAt(t, files)
	for _, d := range bad {
		if !(d.file == crashed && d.last) {
			t.Fatalf("damaged line %d of %s (last: %v); only the line cut by the kill may be: %+v",
				d.line, filepath.Base(files[d.file]), d.last, bad)
		}
	}
	dups := 0
	for i := 1; i < len(seqs); i++ {
		switch {
		case seqs[i] == seqs[i-1]+1:
		case seqs[i] <= seqs[i-1] && dups == 0:
			dups = seqs[i-1] - seqs[i] + 1 // the block read again starts
		default:
			t.Fatalf("line %d after %d: lost, or out of order", seqs[i], seqs[i-1])
		}
	}
	if seqs[0] != 0 || seqs[len(seqs)-1] != total-1 {
		t.Fatalf("lines %d..%d, want 0..%d", seqs[0], seqs[len(seqs)-1], total-1)
	}
	// Lines are at most 332 bytes: one 64 KiB pipe holds under 3300.
	if dups > 65536/20 {
		t.Fatalf("%d lines logged twice after the kill", dups)
	}
	t.Logf("%d lines kept, %d logged twice after the kill, %d pieces of a cut line", len(seqs), dups, len(bad))
}

// TestFullDisk fills a small tmpfs, checks that multilog warns and waits,
// frees the space and checks that every line arrives exactly once.
func TestFullDisk(t *testing.T) {
	t.Parallel() // see TestMain
	mnt, filler := fullTmpfs(t)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	errW, warned := warning(t, "out of disk space")
	cmd := run(t, ours("multilog"), mnt, pr, errW, "s8192", "n40", "./log")
	errW.Close()
	const total = 600 // about 110 KB
	go func() { produce(pw, 0, total); pw.Close() }()
	if w := testkit.Receive(t, warned, 20*time.Second, "no warning about the full disk"); !strings.HasPrefix(w, "multilog: warning: unable to write to ./log/current, pausing: out of disk space") {
		t.Errorf("warning %q", w)
	}
	os.Remove(filler)
	if err := testkit.Exited(t, cmd, 30*time.Second, "multilog did not finish after space came back"); err != nil {
		t.Fatal(err)
	}
	seqs, bad := seqLines(t, append(finished(t, filepath.Join(mnt, "log")), filepath.Join(mnt, "log", "current")))
	if bad != 0 || len(seqs) != total {
		t.Fatalf("%d lines (%d damaged), want %d", len(seqs), bad, total)
	}
	for i, n := range seqs {
		if n != i {
			t.Fatalf("line %d is %d", i, n)
		}
	}
}
