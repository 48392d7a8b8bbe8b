// Command supervision is the issue-2 benchmark: it measures our svscan,
// supervise, svc and svstat against Debian's daemontools binaries in the
// same run and prints each figure with the ratio ours/theirs.
//
//	go run ./internal/bench/supervision [-services 200] [-runs 300] [-idle 10s] [-trials 4]
//
// (a) PSS of each supervise process with N services under svscan, read from
// /proc/PID/smaps_rollup, and of an idle Go hello-world for reference;
// (b) wall time of one svc and one svstat exec as packaged (links to the lean
// supervise binary) and through the multi-call svbridge, and of a Go
// hello-world;
// (c) delay from renaming a new service dir into the scan dir to its
// supervise/status showing a pid;
// (d) context switches of one idle supervise (and its svscan) over a window.
//
// It is a measurement, not a test: nothing is asserted.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/svbridge/svbridge/supervise/status"
	"github.com/svbridge/svbridge/supervise/svctl"
)

type impl struct {
	name      string
	svscan    string
	supervise string
	svc       string
	svstat    string
}

var (
	services = flag.Int("services", 200, "services under svscan for the PSS figure")
	runs     = flag.Int("runs", 300, "execs of each program for the exec-time figure")
	idle     = flag.Duration("idle", 10*time.Second, "window for counting idle wake-ups")
	trials   = flag.Int("trials", 4, "new service dirs per implementation for the start delay")
	only     = flag.String("only", "abcd", "which figures to measure")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "supervision:", err)
		os.Exit(1)
	}
}

func run() error {
	for _, p := range []string{"/usr/bin/svscan", "/usr/bin/supervise", "/usr/bin/svc", "/usr/bin/svstat"} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("daemontools is needed for the comparison: %w", err)
		}
	}
	tmp, err := os.MkdirTemp("", "svbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "bin")
	if err := build(bin); err != nil {
		return err
	}
	ours := impl{"ours", filepath.Join(bin, "svscan"), filepath.Join(bin, "supervise"), filepath.Join(bin, "svc"), filepath.Join(bin, "svstat")}
	multi := impl{"ours, multi-call", "", "", filepath.Join(bin, "multi", "svc"), filepath.Join(bin, "multi", "svstat")}
	theirs := impl{"daemontools", "/usr/bin/svscan", "/usr/bin/supervise", "/usr/bin/svc", "/usr/bin/svstat"}
	hello := filepath.Join(bin, "hello")
	fmt.Printf("go benchmark: %d services, %d execs per program, idle window %v, %d start trials\n\n", *services, *runs, *idle, *trials)

	if strings.Contains(*only, "a") {
		if err := figureA(tmp, ours, theirs, hello); err != nil {
			return fmt.Errorf("(a): %w", err)
		}
	}
	if strings.Contains(*only, "b") {
		if err := figureB(tmp, ours, multi, theirs, hello); err != nil {
			return fmt.Errorf("(b): %w", err)
		}
	}
	if strings.Contains(*only, "c") {
		if err := figureC(tmp, ours, theirs); err != nil {
			return fmt.Errorf("(c): %w", err)
		}
	}
	if strings.Contains(*only, "d") {
		if err := figureD(tmp, ours, theirs); err != nil {
			return fmt.Errorf("(d): %w", err)
		}
	}
	return nil
}

// build compiles svbridge, the lean supervise and hello into bin, with the
// daemontools names as symlinks as the packages make them (svscan to
// svbridge; svc, svok, svstat to supervise), and bin/multi/svc and
// bin/multi/svstat linked to svbridge.
func build(bin string) error {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || len(bytes.TrimSpace(gomod)) == 0 {
		return fmt.Errorf("cannot find the module root: %v", err)
	}
	// ours as packaged, with the entry stub of internal/rlimit
	for _, args := range [][]string{
		{"build", "-ldflags=-E=svbridge_rt0", "-o", bin + "/", "./cmd/svbridge", "./cmd/supervise"},
		{"build", "-o", bin + "/", "./internal/bench/hello"},
	} {
		cmd := exec.Command("go", args...)
		cmd.Dir = filepath.Dir(string(bytes.TrimSpace(gomod)))
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build: %v\n%s", err, out)
		}
	}
	links := map[string]string{
		"svscan": "svbridge", "svc": "supervise", "svstat": "supervise", "svok": "supervise",
		"multi/svc": "../svbridge", "multi/svstat": "../svbridge",
	}
	if err := os.Mkdir(filepath.Join(bin, "multi"), 0o755); err != nil {
		return err
	}
	for l, target := range links {
		if err := os.Symlink(target, filepath.Join(bin, l)); err != nil {
			return err
		}
	}
	return nil
}

const idleRun = "#!/bin/sh\nexec sleep 1000000\n"

func makeService(dir string) error {
	if err := os.MkdirAll(dir, 0755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "run"), []byte(idleRun), 0755)
}

// tree is one svscan running on a scan directory.
type tree struct {
	scan string
	cmd  *exec.Cmd
	done chan struct{}
}

func startTree(scan string, im impl) (*tree, error) {
	cmd := exec.Command(im.svscan, scan)
	cmd.Dir = scan
	// daemontools' svscan finds supervise on PATH.
	cmd.Env = append(os.Environ(), "PATH=/usr/bin:/bin")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t := &tree{scan: scan, cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(t.done) }()
	return t, nil
}

// stop asks every supervise to take its service down and exit, then stops
// svscan (SIGTERM; daemontools' svscan dies on it), then kills what is left
// of its process group.
func (t *tree) stop() {
	ents, _ := os.ReadDir(t.scan)
	for _, e := range ents {
		svctl.Control(filepath.Join(t.scan, e.Name()), []byte("dx"))
	}
	t.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-t.done:
	case <-time.After(10 * time.Second):
	}
	syscall.Kill(-t.cmd.Process.Pid, syscall.SIGKILL)
	// Wait for the supervise processes to be gone.
	end := time.Now().Add(10 * time.Second)
	for time.Now().Before(end) && len(children(t.cmd.Process.Pid)) > 0 {
		time.Sleep(20 * time.Millisecond)
	}
}

// waitUp polls dir/supervise/status until it shows a pid.
func waitUp(dir string, deadline time.Time) error {
	for {
		if st, err := svctl.ReadStatus(dir); err == nil && st.Pid != 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not up", dir)
		}
		time.Sleep(time.Millisecond)
	}
}

// children lists the pids whose parent is ppid.
func children(ppid int) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// The fields after the last ')' are: state ppid ...
		i := bytes.LastIndexByte(b, ')')
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(ppid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// pss reads the Pss line of /proc/PID/smaps_rollup in kB.
func pss(pid int) (int, error) { return smapsField(pid, "Pss:") }

// smapsField reads one kB field of /proc/PID/smaps_rollup.
func smapsField(pid int, field string) (int, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		}
	}
	return 0, errors.New("no " + field + " line")
}

// isSupervise tells a supervise child of svscan by its argv[0] or its
// executable (its comm may be something else when it was started through
// a descriptor).
func isSupervise(pid int) bool {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	argv0, _, _ := bytes.Cut(b, []byte{0})
	exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	return filepath.Base(string(argv0)) == "supervise" || filepath.Base(exe) == "supervise"
}

type pssResult struct {
	perSupervise float64 // mean kB
	total        int     // kB, all supervise processes
	anon, file   int     // kB, Pss_Anon and Pss_File of all supervise processes
	threads      int     // of all supervise processes
	svscan       int     // kB
	count        int
}

func treePSS(tmp string, im impl, n int) (pssResult, error) {
	var r pssResult
	scan := filepath.Join(tmp, "pss-"+im.name)
	for i := range n {
		if err := makeService(filepath.Join(scan, fmt.Sprintf("s%03d", i))); err != nil {
			return r, err
		}
	}
	t, err := startTree(scan, im)
	if err != nil {
		return r, err
	}
	defer t.stop()
	deadline := time.Now().Add(60 * time.Second)
	for i := range n {
		if err := waitUp(filepath.Join(scan, fmt.Sprintf("s%03d", i)), deadline); err != nil {
			return r, err
		}
	}
	time.Sleep(time.Second) // let lazy page faults of the first seconds settle
	for _, pid := range children(t.cmd.Process.Pid) {
		if !isSupervise(pid) {
			continue
		}
		kb, err := pss(pid)
		if err != nil {
			continue
		}
		r.total += kb
		r.count++
		a, _ := smapsField(pid, "Pss_Anon:")
		f, _ := smapsField(pid, "Pss_File:")
		r.anon += a
		r.file += f
		r.threads += threads(pid)
	}
	if r.count == 0 {
		return r, errors.New("no supervise process found under svscan")
	}
	r.perSupervise = float64(r.total) / float64(r.count)
	r.svscan, _ = pss(t.cmd.Process.Pid)
	return r, nil
}

func figureA(tmp string, ours, theirs impl, hello string) error {
	fmt.Printf("(a) memory: PSS with %d services under svscan (smaps_rollup of every supervise)\n", *services)
	o, err := treePSS(tmp, ours, *services)
	if err != nil {
		return fmt.Errorf("ours: %w", err)
	}
	d, err := treePSS(tmp, theirs, *services)
	if err != nil {
		return fmt.Errorf("daemontools: %w", err)
	}
	// The reference: as many idle Go hello-worlds, sharing their text as the
	// supervise processes do, and one alone.
	var hs []*exec.Cmd
	defer func() {
		for _, h := range hs {
			h.Process.Kill()
			h.Wait()
		}
	}()
	for range *services {
		h := exec.Command(hello, "idle")
		if err := h.Start(); err != nil {
			return err
		}
		hs = append(hs, h)
	}
	time.Sleep(time.Second)
	hTotal := 0
	for _, h := range hs {
		kb, err := pss(h.Process.Pid)
		if err != nil {
			return err
		}
		hTotal += kb
	}
	hk := float64(hTotal) / float64(len(hs))
	for _, h := range hs[1:] {
		h.Process.Kill()
		h.Wait()
	}
	hs = hs[:1]
	time.Sleep(200 * time.Millisecond)
	hAlone, _ := pss(hs[0].Process.Pid)
	fmt.Printf("    per supervise:  ours %7.1f kB   daemontools %7.1f kB   ratio %.1f   (%d and %d processes; all: %d kB vs %d kB)\n",
		o.perSupervise, d.perSupervise, o.perSupervise/d.perSupervise, o.count, d.count, o.total, d.total)
	fmt.Printf("    of which anon:  ours %7.1f kB   daemontools %7.1f kB;  file: ours %.1f kB, daemontools %.1f kB;  threads per supervise: ours %.1f, daemontools %.1f\n",
		float64(o.anon)/float64(o.count), float64(d.anon)/float64(d.count), float64(o.file)/float64(o.count), float64(d.file)/float64(d.count),
		float64(o.threads)/float64(o.count), float64(d.threads)/float64(d.count))
	fmt.Printf("    svscan:         ours %7d kB   daemontools %7d kB   ratio %.1f\n", o.svscan, d.svscan, float64(o.svscan)/float64(d.svscan))
	fmt.Printf("    idle Go hello-world (signal.Notify + block): %.1f kB each with %d running, %d kB alone; ours per supervise / hello %.2f\n\n",
		hk, *services, hAlone, o.perSupervise/hk)
	return nil
}

// fakeService is a service dir whose FIFOs the benchmark itself holds open,
// as a running supervise would, with a status file; control is drained.
func fakeService(dir string) (func(), error) {
	if err := os.MkdirAll(filepath.Join(dir, "supervise"), 0755); err != nil {
		return nil, err
	}
	var files []*os.File
	for _, n := range []string{"control", "ok"} {
		p := filepath.Join(dir, "supervise", n)
		if err := syscall.Mkfifo(p, 0600); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	go func() {
		b := make([]byte, 64)
		for {
			if _, err := files[0].Read(b); err != nil {
				return
			}
		}
	}()
	st := status.Status{Pid: os.Getpid(), Want: status.WantUp}
	st.When.Sec = uint64(time.Now().Unix()) + 1<<62 + 10
	if err := status.Write(dir, st); err != nil {
		return nil, err
	}
	return func() {
		for _, f := range files {
			f.Close()
		}
	}, nil
}

type timing struct {
	label string
	argv  []string
	d     []time.Duration
	cpu   []time.Duration // user+system time of the child
}

func (t *timing) median() time.Duration { return median(t.d) }

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func (t *timing) mean() time.Duration {
	var sum time.Duration
	for _, d := range t.d {
		sum += d
	}
	return sum / time.Duration(len(t.d))
}

func figureB(tmp string, ours, multi, theirs impl, hello string) error {
	dir := filepath.Join(tmp, "exec-svc")
	closeFn, err := fakeService(dir)
	if err != nil {
		return err
	}
	defer closeFn()
	ts := []*timing{
		{label: "svc -u (ours)", argv: []string{ours.svc, "-u", dir}},
		{label: "svc -u (daemontools)", argv: []string{theirs.svc, "-u", dir}},
		{label: "svstat (ours)", argv: []string{ours.svstat, dir}},
		{label: "svstat (daemontools)", argv: []string{theirs.svstat, dir}},
		{label: "Go hello-world", argv: []string{hello}},
		{label: "svc -u (svbridge)", argv: []string{multi.svc, "-u", dir}},
		{label: "svstat (svbridge)", argv: []string{multi.svstat, dir}},
	}
	// Check each once, then time them interleaved so drift hits all alike.
	for _, t := range ts {
		if out, err := exec.Command(t.argv[0], t.argv[1:]...).CombinedOutput(); err != nil || bytes.Contains(out, []byte("warning")) {
			return fmt.Errorf("%q: %v %s", t.argv, err, out)
		}
	}
	for range *runs {
		for _, t := range ts {
			c := exec.Command(t.argv[0], t.argv[1:]...)
			start := time.Now()
			if err := c.Run(); err != nil {
				return fmt.Errorf("%q: %v", t.argv, err)
			}
			t.d = append(t.d, time.Since(start))
			if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok {
				t.cpu = append(t.cpu, time.Duration(ru.Utime.Nano()+ru.Stime.Nano()))
			}
		}
	}
	fmt.Printf("(b) exec time, %d runs each, interleaved (fork+exec+wait from Go)\n", *runs)
	for _, t := range ts {
		fmt.Printf("    %-22s wall median %8v   mean %8v   cpu (user+sys) median %8v\n", t.label,
			t.median().Round(time.Microsecond), t.mean().Round(time.Microsecond), median(t.cpu).Round(time.Microsecond))
	}
	h := float64(ts[4].median())
	fmt.Printf("    svc:    wall ours/hello %.2f (target <= 1.2)   ours/daemontools %.1f\n", float64(ts[0].median())/h, float64(ts[0].median())/float64(ts[1].median()))
	fmt.Printf("    svstat: wall ours/hello %.2f (target <= 1.2)   ours/daemontools %.1f\n", float64(ts[2].median())/h, float64(ts[2].median())/float64(ts[3].median()))
	fmt.Printf("    svc and svstat are links to the lean supervise binary, as packaged; through the multi-call svbridge\n")
	fmt.Printf("    (cobra and every program linked): svc/hello %.2f, svstat/hello %.2f\n", float64(ts[5].median())/h, float64(ts[6].median())/h)
	hyperfineCheck(tmp, ts)
	fmt.Println()
	return nil
}

// hyperfineCheck times the same commands with hyperfine (no shell), when it
// is installed, as a second opinion on the figures above.
func hyperfineCheck(tmp string, ts []*timing) {
	hf, err := exec.LookPath("hyperfine")
	if err != nil {
		return
	}
	out := filepath.Join(tmp, "hyperfine.json")
	args := []string{"-N", "--warmup", "20", "--runs", strconv.Itoa(*runs), "--export-json", out}
	for _, t := range ts {
		args = append(args, strings.Join(t.argv, " "))
	}
	if err := exec.Command(hf, args...).Run(); err != nil {
		fmt.Printf("    hyperfine: %v\n", err)
		return
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return
	}
	var res struct {
		Results []struct {
			Mean   float64 `json:"mean"`
			Median float64 `json:"median"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &res); err != nil || len(res.Results) != len(ts) {
		fmt.Printf("    hyperfine: unreadable results: %v\n", err)
		return
	}
	fmt.Printf("    hyperfine -N (sequential, %d runs):", *runs)
	for i, t := range ts {
		fmt.Printf(" %s %.0fµs;", t.label, res.Results[i].Median*1e6)
	}
	h := res.Results[4].Median
	fmt.Printf("\n    hyperfine medians: svc ours/hello %.2f, svstat ours/hello %.2f; through svbridge: svc/hello %.2f, svstat/hello %.2f\n",
		res.Results[0].Median/h, res.Results[2].Median/h, res.Results[5].Median/h, res.Results[6].Median/h)
}

func startDelays(tmp string, im impl) ([]time.Duration, error) {
	scan := filepath.Join(tmp, "delay-"+im.name)
	stage := filepath.Join(tmp, "stage-"+im.name)
	os.MkdirAll(scan, 0755)
	os.MkdirAll(stage, 0755)
	t, err := startTree(scan, im)
	if err != nil {
		return nil, err
	}
	defer t.stop()
	time.Sleep(500 * time.Millisecond) // past the first scan
	var ds []time.Duration
	for i := range *trials {
		// A random phase against daemontools' 5-second scan.
		time.Sleep(time.Duration(rand.IntN(5000)) * time.Millisecond)
		name := fmt.Sprintf("new%d", i)
		if err := makeService(filepath.Join(stage, name)); err != nil {
			return nil, err
		}
		start := time.Now()
		if err := os.Rename(filepath.Join(stage, name), filepath.Join(scan, name)); err != nil {
			return nil, err
		}
		if err := waitUp(filepath.Join(scan, name), start.Add(15*time.Second)); err != nil {
			return nil, err
		}
		ds = append(ds, time.Since(start))
	}
	return ds, nil
}

func figureC(tmp string, ours, theirs impl) error {
	fmt.Printf("(c) start delay: mkdir + run in a staging dir, rename into the scan dir, until status shows a pid (%d trials)\n", *trials)
	o, err := startDelays(tmp, ours)
	if err != nil {
		return fmt.Errorf("ours: %w", err)
	}
	d, err := startDelays(tmp, theirs)
	if err != nil {
		return fmt.Errorf("daemontools: %w", err)
	}
	to, td := &timing{d: o}, &timing{d: d}
	fmt.Printf("    ours        median %10v   each %v\n", to.median().Round(time.Microsecond), roundAll(o))
	fmt.Printf("    daemontools median %10v   each %v\n", td.median().Round(time.Microsecond), roundAll(d))
	fmt.Printf("    ratio ours/daemontools %.4f\n\n", float64(to.median())/float64(td.median()))
	return nil
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Microsecond)
	}
	return out
}

// switches sums voluntary and involuntary context switches over every
// thread of pid, and the run counts of /proc/PID/task/*/schedstat.
func switches(pid int) (ctx, runs int64) {
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, task := range tasks {
		base := fmt.Sprintf("/proc/%d/task/%s/", pid, task.Name())
		b, _ := os.ReadFile(base + "status")
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.HasSuffix(k, "ctxt_switches") {
				n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				ctx += n
			}
		}
		b, _ = os.ReadFile(base + "schedstat")
		if f := strings.Fields(string(b)); len(f) == 3 {
			n, _ := strconv.ParseInt(f[2], 10, 64)
			runs += n
		}
	}
	return ctx, runs
}

func threads(pid int) int {
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	return len(tasks)
}

func figureD(tmp string, ours, theirs impl) error {
	type probe struct {
		label     string
		pid       int
		ctx, runs int64
	}
	var probes []*probe
	for _, im := range []impl{ours, theirs} {
		scan := filepath.Join(tmp, "idle-"+im.name)
		if err := makeService(filepath.Join(scan, "one")); err != nil {
			return err
		}
		t, err := startTree(scan, im)
		if err != nil {
			return err
		}
		defer t.stop()
		if err := waitUp(filepath.Join(scan, "one"), time.Now().Add(15*time.Second)); err != nil {
			return err
		}
		var sup int
		for _, pid := range children(t.cmd.Process.Pid) {
			if isSupervise(pid) {
				sup = pid
			}
		}
		if sup == 0 {
			return fmt.Errorf("%s: no supervise under svscan", im.name)
		}
		probes = append(probes, &probe{label: "supervise (" + im.name + ")", pid: sup}, &probe{label: "svscan (" + im.name + ")", pid: t.cmd.Process.Pid})
	}
	time.Sleep(time.Second) // settle after the start
	for _, p := range probes {
		p.ctx, p.runs = switches(p.pid)
	}
	time.Sleep(*idle)
	fmt.Printf("(d) idle wake-ups over %v, one idle service (context switches summed over all threads; schedstat run counts)\n", *idle)
	res := map[string]int64{}
	for _, p := range probes {
		c, r := switches(p.pid)
		res[p.label] = c - p.ctx
		fmt.Printf("    %-24s ctxt switches %5d   runs %5d   threads %d\n", p.label, c-p.ctx, r-p.runs, threads(p.pid))
	}
	so, sd := res["supervise (ours)"], res["supervise (daemontools)"]
	fmt.Printf("    supervise ours/daemontools: %d vs %d switches (%s)\n", so, sd, ratio(so, sd))
	fmt.Printf("    svscan ours/daemontools: %d vs %d switches (%s)\n", res["svscan (ours)"], res["svscan (daemontools)"], ratio(res["svscan (ours)"], res["svscan (daemontools)"]))
	return nil
}

func ratio(a, b int64) string {
	if b == 0 {
		return "daemontools had none"
	}
	return fmt.Sprintf("ratio %.2f", float64(a)/float64(b))
}
