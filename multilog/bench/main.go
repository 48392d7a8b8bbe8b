// Command bench compares our multilog and tai64n with daemontools',
// runit's svlogd, s6's s6-log and s6-tai64n, and plain cat, in one run on
// the same generated corpora. It is a measurement, not a test. runit's
// svlogd is looked up by internal/peers (the runit package that .ci/deps
// unpacks into /var/cache/svbridge-test/runit, or $SVBRIDGE_RUNIT_DIR) and
// left out when it is not there.
//
//	go build -ldflags=-E=svbridge_rt0 -o /tmp/svb/ ./cmd/supervise && ln -sf supervise /tmp/svb/multilog && ln -sf supervise /tmp/svb/tai64n
//	go run ./multilog/bench -bin /tmp/svb -dir /tmp/svbridge-bench
//
// Corpora (written under -dir, never in the repository): "short", lines of
// 20..400 bytes, and "long", lines of 1000..200000 bytes; -mb MB each.
// With -input pipe, each logger reads the corpus from a pipe that cat(1)
// fills, as under svscan (ours then keeps in the pipe what is not logged
// yet); with -input file (the default), from the corpus file itself.
// Every logger writes into a directory on the same disk as cat's output,
// with 16 MB files and 5 kept, with and without TAI64N stamps. Wall time
// gives MB/s; the child's user+system time gives CPU seconds per MB. The
// ratio columns compare ours with each other program (speed: ours/other,
// CPU: other/ours; above 1 means ours is better).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/svbridge/svbridge/internal/peers"
)

type result struct {
	wall, cpu time.Duration
}

func main() {
	bin := flag.String("bin", "/tmp/svb", "directory with our multilog and tai64n links to svbridge")
	dir := flag.String("dir", "/tmp/svbridge-bench", "scratch directory for corpora and logs")
	mb := flag.Int("mb", 200, "corpus size in MB")
	input := flag.String("input", "file", "what the programs read: the corpus \"file\", or a \"pipe\" cat fills")
	flag.Parse()
	switch *input {
	case "file":
	case "pipe":
		viaPipe = true
	default:
		fatal(fmt.Errorf("-input %q: want file or pipe", *input))
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		fatal(err)
	}
	size := int64(*mb) << 20
	corpora := []struct {
		name     string
		min, max int
	}{{"short", 20, 400}, {"long", 1000, 200000}}
	for _, c := range corpora {
		path := filepath.Join(*dir, "corpus-"+c.name)
		if err := generate(path, size, c.min, c.max); err != nil {
			fatal(err)
		}
		for _, stamp := range []bool{false, true} {
			title := fmt.Sprintf("corpus %s (%d MB, lines %d..%d bytes), stamps %v, input from a %s", c.name, *mb, c.min, c.max, stamp, *input)
			fmt.Println(title)
			res := map[string]result{}
			var order []string
			add := func(name string, r result) { res[name] = r; order = append(order, name) }
			add("ours multilog", runLogger(*dir, path, filepath.Join(*bin, "multilog"), stamp, multilogArgs))
			add("daemontools multilog", runLogger(*dir, path, "/usr/bin/multilog", stamp, multilogArgs))
			add("s6-log", runLogger(*dir, path, "/usr/bin/s6-log", stamp, s6Args))
			if svlogd := peers.Runit("svlogd"); svlogd != "" {
				add("runit svlogd", runLogger(*dir, path, svlogd, stamp, svlogdArgs))
			}
			add("cat > file", runCat(*dir, path))
			report(res, order, "ours multilog", size)
		}
		if c.name == "short" {
			fmt.Printf("tai64n on corpus %s, output to /dev/null, input from a %s\n", c.name, *input)
			res := map[string]result{}
			var order []string
			for _, p := range []struct{ name, path string }{
				{"ours tai64n", filepath.Join(*bin, "tai64n")},
				{"daemontools tai64n", "/usr/bin/tai64n"},
				{"s6-tai64n", "/usr/bin/s6-tai64n"},
				{"cat > /dev/null", "/bin/cat"},
			} {
				res[p.name] = run(path, "/dev/null", p.path)
				order = append(order, p.name)
			}
			report(res, order, "ours tai64n", size)
		}
	}
}

func multilogArgs(stamp bool, logdir string) []string {
	a := []string{"s16777215", "n5", logdir}
	if stamp {
		a = append([]string{"t"}, a...)
	}
	return a
}

func s6Args(stamp bool, logdir string) []string {
	a := []string{"n5", "s16777215", logdir}
	if stamp {
		a = append([]string{"t"}, a...)
	}
	return a
}

func svlogdArgs(stamp bool, logdir string) []string {
	os.MkdirAll(logdir, 0o755)
	os.WriteFile(filepath.Join(logdir, "config"), []byte("s16777215\nn5\n"), 0o644)
	if stamp {
		return []string{"-t", logdir}
	}
	return []string{logdir}
}

func runLogger(dir, corpus, prog string, stamp bool, args func(bool, string) []string) result {
	logdir := filepath.Join(dir, "log")
	os.RemoveAll(logdir)
	r := run(corpus, "", prog, args(stamp, logdir)...)
	os.RemoveAll(logdir)
	return r
}

func runCat(dir, corpus string) result {
	out := filepath.Join(dir, "cat-out")
	r := run(corpus, out, "/bin/cat")
	os.Remove(out)
	return r
}

// viaPipe: the programs read the corpus from a pipe that cat fills.
var viaPipe bool

// run starts prog with stdin from in (and stdout to out, if given) and
// returns its wall time and user+system time (not cat's, with viaPipe).
func run(in, out, prog string, args ...string) result {
	f, err := os.Open(in)
	if err != nil {
		fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(prog, args...)
	cmd.Stdin = f
	if viaPipe {
		pr, pw, err := os.Pipe()
		if err != nil {
			fatal(err)
		}
		feed := exec.Command("/bin/cat")
		feed.Stdin, feed.Stdout, feed.Stderr = f, pw, os.Stderr
		cmd.Stdin = pr
		t0 := time.Now()
		if err := feed.Start(); err != nil {
			fatal(err)
		}
		pw.Close()
		defer func() {
			pr.Close()
			feed.Wait()
		}()
		r := start(cmd, out, prog)
		if r.wall > 0 {
			r.wall = time.Since(t0)
		}
		return r
	}
	return start(cmd, out, prog)
}

// start runs cmd, with stdout to out if given, and times it.
func start(cmd *exec.Cmd, out, prog string) result {
	cmd.Stderr = os.Stderr
	if out != "" {
		o, err := os.Create(out)
		if err != nil {
			fatal(err)
		}
		defer o.Close()
		cmd.Stdout = o
	}
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %s: %v\n", prog, err)
		return result{}
	}
	wall := time.Since(t0)
	return result{wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
}

func report(res map[string]result, order []string, ref string, size int64) {
	mbs := float64(size) / (1 << 20)
	o := res[ref]
	fmt.Printf("  %-22s %9s %9s %12s %14s %12s\n", "program", "wall s", "MB/s", "CPU s/MB", "ours speed x", "ours CPU x")
	for _, name := range order {
		r := res[name]
		if r.wall == 0 {
			fmt.Printf("  %-22s failed\n", name)
			continue
		}
		cpuPerMB := r.cpu.Seconds() / mbs
		speed := r.wall.Seconds() / o.wall.Seconds()
		cpu := "-"
		if o.cpu > 0 {
			cpu = strconv.FormatFloat(r.cpu.Seconds()/o.cpu.Seconds(), 'f', 2, 64)
		}
		fmt.Printf("  %-22s %9.2f %9.1f %12.5f %14.2f %12s\n", name, r.wall.Seconds(), mbs/r.wall.Seconds(), cpuPerMB, speed, cpu)
	}
}

// generate writes size bytes of lines with lengths in [min, max] (newline
// included), deterministic, unless the file is already there.
func generate(path string, size int64, min, max int) error {
	if fi, err := os.Stat(path); err == nil && fi.Size() == size {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(1, uint64(min)))
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ-:=/."
	var n int64
	line := make([]byte, 0, max)
	for i := 0; n < size; i++ {
		l := min + rng.IntN(max-min+1)
		line = strconv.AppendInt(line[:0], int64(i), 10)
		for len(line) < l-1 {
			line = append(line, alphabet[rng.IntN(len(alphabet))])
		}
		line = append(line[:l-1], '\n')
		if rest := size - n; int64(len(line)) > rest {
			line = line[:rest]
			line[len(line)-1] = '\n'
		}
		w.Write(line)
		n += int64(len(line))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}
