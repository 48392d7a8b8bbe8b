package scan_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/prog/multilog"
	"github.com/svbridge/svbridge/internal/prog/supervise"
	"github.com/svbridge/svbridge/internal/prog/svc"
	"github.com/svbridge/svbridge/internal/prog/svok"
	"github.com/svbridge/svbridge/internal/prog/svscan"
	"github.com/svbridge/svbridge/internal/prog/svstat"
	"github.com/svbridge/svbridge/internal/testkit"
	"github.com/svbridge/svbridge/supervise/status"
)

// binDir holds svscan, supervise, svc, svok, svstat and multilog: links to
// the test binary, which is the program when run under its name (see
// testkit.Programs). svscan finds supervise beside itself, as it finds the
// lean binary beside svbridge once installed.
var binDir string

// helperEnv makes the test binary act as a helper process (see runHelper).
const helperEnv = "SCAN_TEST_HELPER"

func TestMain(m *testing.M) {
	if h := os.Getenv(helperEnv); h != "" {
		os.Exit(runHelper(h))
	}
	os.Exit(testkit.Programs(m, map[string]cli.Main{
		"svscan": svscan.Main, "supervise": supervise.Main,
		"svc": svc.Main, "svok": svok.Main, "svstat": svstat.Main,
		"multilog": multilog.Main,
	}, func(dir string) {
		binDir = dir
		testkit.Parallel(8) // see parallel
	}))
}

// runHelper is the body of the helper processes services use.
//
//	writer: writes $N numbered lines to stdout, creates $DONE, then waits
//	        for SIGTERM and exits 0. With $PACE (a duration) it sleeps that
//	        long after every 200 lines, so a test can act while it writes.
//	hang:   creates $READY (if set) once SIGTERM is caught, waits for
//	        SIGTERM, prints $MSG, exits 0.
//	stubborn: ignores SIGTERM, fills $MB MiB of memory (so that its end
//	        after SIGKILL takes the kernel a while: tens of milliseconds),
//	        creates $READY, and waits for ever.
func runHelper(name string) int {
	switch name {
	case "writer":
		term := make(chan os.Signal, 1)
		signal.Notify(term, syscall.SIGTERM)
		n, _ := strconv.Atoi(os.Getenv("N"))
		pace, _ := time.ParseDuration(os.Getenv("PACE"))
		w := bufio.NewWriterSize(os.Stdout, 4096)
		for i := 1; i <= n; i++ {
			fmt.Fprintf(w, "line %06d\n", i)
			if pace > 0 && i%200 == 0 {
				w.Flush()
				time.Sleep(pace)
			}
		}
		if err := w.Flush(); err != nil {
			fmt.Fprintln(os.Stderr, "writer:", err)
			return 1
		}
		os.WriteFile(os.Getenv("DONE"), nil, 0644)
		<-term
		return 0
	case "hang":
		// A service that does nothing until SIGTERM, then says so.
		term := make(chan os.Signal, 1)
		signal.Notify(term, syscall.SIGTERM)
		if r := os.Getenv("READY"); r != "" {
			os.WriteFile(r, nil, 0644)
		}
		<-term
		if m := os.Getenv("MSG"); m != "" {
			fmt.Println(m)
		}
		return 0
	case "stubborn":
		signal.Ignore(syscall.SIGTERM)
		mb, _ := strconv.Atoi(os.Getenv("MB"))
		mem := make([]byte, mb<<20)
		for i := 0; i < len(mem); i += 4096 {
			mem[i] = 1
		}
		os.WriteFile(os.Getenv("READY"), nil, 0644)
		for {
			time.Sleep(time.Hour)
			runtime.KeepAlive(mem)
		}
	}
	fmt.Fprintln(os.Stderr, "unknown helper", name)
	return 2
}

// variant is one supervise program svscan can run.
type variant struct {
	name string
	env  []string // added to svscan's environment
}

// variants: ours (the lean supervise beside svbridge) and Debian's.
func variants(t *testing.T) []variant {
	vs := []variant{{name: "ours"}}
	if _, err := os.Stat("/usr/bin/supervise"); err == nil {
		vs = append(vs, variant{name: "debian", env: []string{"SVBRIDGE_SUPERVISE=/usr/bin/supervise"}})
	} else {
		t.Log("no /usr/bin/supervise (Debian daemontools): interop variant skipped")
	}
	return vs
}

// forEachVariant runs f for each variant, as parallel subtests of t, which
// runs in parallel too (see parallel).
func forEachVariant(t *testing.T, f func(t *testing.T, v variant)) {
	parallel(t)
	for _, v := range variants(t) {
		t.Run(v.name, func(t *testing.T) { parallel(t); f(t, v) })
	}
}

// forEachMode is forEachVariant plus the all-in-one mode (no supervise
// processes: tests that look for them cannot use it), in parallel too.
func forEachMode(t *testing.T, f func(t *testing.T, v variant)) {
	forEachVariant(t, f)
	t.Run("inprocess", func(t *testing.T) {
		parallel(t)
		f(t, variant{name: "inprocess", env: []string{"SVBRIDGE_INPROCESS=1"}})
	})
}

// parallel marks a test that runs its own svscan (startSvscan) as one that
// can run beside the others: each has its own temp dirs, its own svscan
// process group, finds its supervise processes as children of its own
// svscan, and changes nothing in the test process (no environment, working
// directory, limits or signal handlers; script writes run scripts with
// testkit.WriteExecutable). They spend their time waiting on services,
// timers and the periodic scan, not on the CPU: TestMain lets eight of
// them run at once. forEachVariant, forEachMode and forEachOurMode call it
// for the test and its subtests.
//
// The tests that run a Scanner inside the test process (observer_test.go)
// must not call it: their reaper collects every child of the process with
// wait4(-1), the svscan processes of the others included. Not being
// parallel, they run before the parallel ones start.
func parallel(t *testing.T) { t.Parallel() }

// proc is a running svscan.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	dir  string // scan dir
	out  string // file with svscan's stdout and stderr
	done chan struct{}
	err  error
}

func startSvscan(t *testing.T, dir string, env ...string) *proc {
	t.Helper()
	return startSvscanUnder(t, nil, dir, env...)
}

// startSvscanUnder starts svscan through a wrapper command (such as
// prlimit and its options) that execs it.
func startSvscanUnder(t *testing.T, wrapper []string, dir string, env ...string) *proc {
	t.Helper()
	outPath := filepath.Join(t.TempDir(), "svscan.out")
	out, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	argv := append(append(wrapper[:len(wrapper):len(wrapper)], filepath.Join(binDir, "svscan")), dir)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(append(os.Environ(), "PATH="+binDir+":"+os.Getenv("PATH")), env...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, cmd: cmd, dir: dir, out: outPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(20 * time.Second):
				t.Errorf("svscan did not exit within 20 s of SIGTERM")
			}
		}
		// Whatever is left in svscan's process group (services orphaned
		// by a killed supervise, for instance).
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if t.Failed() {
			b, _ := os.ReadFile(outPath)
			t.Logf("svscan output:\n%s", b)
		}
	})
	return p
}

func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
}

// wait waits for svscan to exit and returns its exit code.
func (p *proc) wait(d time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		p.t.Fatalf("svscan still running after %v", d)
	}
	if p.err != nil {
		if ee, ok := p.err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		p.t.Fatal(p.err)
	}
	return 0
}

func (p *proc) output() string {
	b, _ := os.ReadFile(p.out)
	return string(b)
}

// supervisors returns svscan's supervise children, keyed by the dir they
// supervise relative to the scan dir ("a" or "a/log").
func (p *proc) supervisors() map[string]int {
	m := make(map[string]int)
	ents, _ := os.ReadDir("/proc")
	scanDir, _ := filepath.EvalSymlinks(p.dir)
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || ppid(pid) != p.cmd.Process.Pid {
			continue
		}
		cl, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(cl), "\x00"), "\x00")
		if len(args) < 2 || filepath.Base(args[0]) != "supervise" {
			continue
		}
		if args[1] != "log" {
			m[args[1]] = pid
			continue
		}
		// "supervise log" runs in the service dir, and chdirs into log.
		cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
		if err != nil {
			continue
		}
		svc := filepath.Dir(cwd)
		if filepath.Base(cwd) != "log" {
			svc = cwd // not chdir'd yet
		}
		rel, err := filepath.Rel(scanDir, svc)
		if err != nil {
			continue
		}
		m[rel+"/log"] = pid
	}
	return m
}

func ppid(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// reaped reports whether pid has left the process table, which for a
// supervise means svscan's reaper has collected it: a scan from then on sees
// it dead. A zombie is not enough: the leader of a multi-threaded process
// (any Go supervise) shows as a zombie while its other threads still exit,
// and waitid does not report it until they have, so a SIGHUP in between
// finds the supervise still running.
func reaped(pid int) bool { return syscall.Kill(pid, 0) == syscall.ESRCH }

// waitRunExeced waits until the run of dir, started by the supervise
// process sup, has executed ./run: until then the forked child is a copy of
// sup holding its descriptors, the lock among them (Debian's supervise sets
// close-on-exec on it), so a kill -9 of sup would leave the lock held and
// svscan would leave the directory alone.
func waitRunExeced(t *testing.T, dir string, sup int) {
	t.Helper()
	supExe, err := os.Readlink("/proc/" + strconv.Itoa(sup) + "/exe")
	if err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 10*time.Second, "./run of "+dir+" executed", func() bool {
		pid := servicePid(dir)
		exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
		return pid != 0 && err == nil && exe != supExe
	})
}

// servicePid is the pid supervise/status shows for dir (0: down or unknown).
func servicePid(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "supervise", "status"))
	if err != nil {
		return 0
	}
	st, err := status.Decode(b)
	if err != nil {
		return 0
	}
	return st.Pid
}

// service writes a service directory: run (and log/run when logRun is not
// empty), both shell scripts.
func service(t *testing.T, dir, run, logRun string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0755); err != nil {
		t.Fatal(err)
	}
	if logRun != "" {
		if err := os.MkdirAll(filepath.Join(dir, "log"), 0755); err != nil {
			t.Fatal(err)
		}
		script(t, filepath.Join(dir, "log", "run"), logRun)
	}
	script(t, filepath.Join(dir, "run"), run)
}

func script(t *testing.T, path, body string) {
	t.Helper()
	if err := testkit.WriteExecutable(path, []byte("#!/bin/sh\n"+body+"\n"), 0755); err != nil {
		t.Fatal(err)
	}
}

func fileHas(path, s string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), s)
}

func countIn(path, s string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), s)
}

// helper returns a shell command that execs this test binary as helper
// name with extra environment assignments.
func helper(t *testing.T, name string, env ...string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	q := make([]string, 0, len(env))
	for _, e := range env {
		q = append(q, shellQuote(e))
	}
	return "exec env " + helperEnv + "=" + name + " " + strings.Join(q, " ") + " " + shellQuote(exe)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
