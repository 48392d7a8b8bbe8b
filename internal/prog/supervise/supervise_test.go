package supervise

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/testbin"
	"github.com/svbridge/svbridge/internal/testkit"
	"github.com/svbridge/svbridge/supervise/status"
)

// ours is our supervise binary, built once in TestMain.
var ours string

const (
	debSupervise = "/usr/bin/supervise"
	debSvc       = "/usr/bin/svc"
	debSvstat    = "/usr/bin/svstat"
	debSvok      = "/usr/bin/svok"
)

// Every test runs in parallel with the others, eight at once: each runs
// supervise processes on its own temp dirs and waits on them (and on
// supervise's one-second timers), changing nothing in the test process.
func TestMain(m *testing.M) {
	os.Exit(testbin.Main(m, []string{"./cmd/supervise"}, nil, func(dir string) {
		ours = filepath.Join(dir, "supervise")
		testkit.Parallel(8)
	}))
}

// needDebian skips the test unless Debian's supervise and the programs bins
// (paths in /usr/bin) are installed.
func needDebian(t *testing.T, bins ...string) {
	t.Helper()
	testkit.NeedDaemontools(t, "supervise")
	for _, b := range bins {
		testkit.NeedDaemontools(t, filepath.Base(b))
	}
}

type result struct {
	stderr string
	code   int
}

// runIn runs prog with args in dir, killing it after limit; it returns
// stderr and the exit code (-1 when it had to be killed).
func runIn(t *testing.T, dir string, limit time.Duration, prog string, args ...string) result {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Dir = dir
	var errb bytes.Buffer
	cmd.Stderr = &errb
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(limit):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return result{errb.String(), -1}
	}
	return result{errb.String(), cmd.ProcessState.ExitCode()}
}

func writeRun(t *testing.T, dir, body string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(dir, 0755); err != nil {
		t.Fatal(err)
	}
	if err := testkit.WriteExecutable(filepath.Join(dir, "run"), []byte("#!/bin/sh\n"+body+"\n"), mode); err != nil {
		t.Fatal(err)
	}
}

// TestBadInputLikeDebian runs Debian's supervise and ours on the same bad
// input, in twin directories, and compares messages and exit codes.
func TestBadInputLikeDebian(t *testing.T) {
	t.Parallel()
	needDebian(t)
	cases := []struct {
		name  string
		args  []string
		setup func(t *testing.T, root string)
	}{
		{"no args", nil, nil},
		{"two args", []string{"a", "b"}, nil},
		{"missing dir", []string{"nodir"}, nil},
		{"supervise is a file", []string{"s"}, func(t *testing.T, root string) {
			os.Mkdir(filepath.Join(root, "s"), 0755)
			os.WriteFile(filepath.Join(root, "s", "supervise"), []byte("x"), 0644)
		}},
		{"control file says x", []string{"s"}, func(t *testing.T, root string) {
			os.MkdirAll(filepath.Join(root, "s", "supervise"), 0755)
			os.WriteFile(filepath.Join(root, "s", "supervise", "control"), []byte("x"), 0644)
			os.WriteFile(filepath.Join(root, "s", "down"), nil, 0644)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var res [2]result
			for i, prog := range []string{debSupervise, ours} {
				root := t.TempDir()
				if c.setup != nil {
					c.setup(t, root)
				}
				res[i] = runIn(t, root, 5*time.Second, prog, c.args...)
			}
			// Ours adds one warning where daemontools silently reads a regular control file.
			res[1].stderr = regexp.MustCompile(`(?m)^supervise: warning: .*control is not a FIFO.*\n`).ReplaceAllString(res[1].stderr, "")
			if res[0] != res[1] {
				t.Fatalf("daemontools: %q exit %d\nours:        %q exit %d", res[0].stderr, res[0].code, res[1].stderr, res[1].code)
			}
			if res[0].code == -1 {
				t.Fatal("did not exit")
			}
		})
	}
}

// TestBadRunLikeDebian: a missing or non-executable run is reported about
// once a second and supervise keeps going, with the same words.
func TestBadRunLikeDebian(t *testing.T) {
	t.Parallel()
	needDebian(t)
	for _, c := range []struct {
		name string
		mode os.FileMode
		want string
	}{
		{"missing", 0, "supervise: fatal: unable to start s/run: file does not exist"},
		{"not executable", 0644, "supervise: fatal: unable to start s/run: access denied"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, prog := range []string{debSupervise, ours} {
				root := t.TempDir()
				os.Mkdir(filepath.Join(root, "s"), 0755)
				if c.mode != 0 {
					writeRun(t, filepath.Join(root, "s"), "exit 0", c.mode)
				}
				r := runIn(t, root, 2500*time.Millisecond, prog, "s")
				if r.code != -1 {
					t.Fatalf("%s exited %d: %q", prog, r.code, r.stderr)
				}
				lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
				if len(lines) < 2 || len(lines) > 4 {
					t.Fatalf("%s: %d messages in 2.5 s: %q", prog, len(lines), r.stderr)
				}
				for _, l := range lines {
					if l != c.want {
						t.Fatalf("%s: %q, want %q", prog, l, c.want)
					}
				}
			}
		})
	}
}

// sup is a supervise process (ours or Debian's) on a service dir.
type sup struct {
	t    *testing.T
	dir  string
	cmd  *exec.Cmd
	errb *bytes.Buffer
	done chan struct{}
}

// startSup runs prog on dir, in the working directory cwd ("" = ours).
func startSup(t *testing.T, prog, cwd, dir string) *sup {
	t.Helper()
	s := &sup{t: t, dir: dir, errb: &bytes.Buffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(prog, dir)
	s.cmd.Dir = cwd
	if cwd != "" && !filepath.IsAbs(dir) {
		dir = filepath.Join(cwd, dir)
	}
	s.cmd.Stderr = s.errb
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		select {
		case <-s.done:
			return
		default:
		}
		exec.Command(debSvc, "-dx", dir).Run()
		exec.Command(debSvc, "-c", dir).Run()
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			t.Errorf("%s on %s did not exit after svc -dx", prog, dir)
		}
	})
	return s
}

func (s *sup) exited(limit time.Duration) bool {
	select {
	case <-s.done:
		return true
	case <-time.After(limit):
		return false
	}
}

func svc(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command(debSvc, args...).CombinedOutput()
	if err != nil || len(out) != 0 {
		t.Fatalf("svc %v: %v %q", args, err, out)
	}
}

func svstat(t *testing.T, dir string) string {
	t.Helper()
	out, err := exec.Command(debSvstat, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("svstat: %v %q", err, out)
	}
	return strings.TrimSuffix(string(out), "\n")
}

// waitStat polls Debian's svstat until its line matches re.
func waitStat(t *testing.T, dir, re string) string {
	t.Helper()
	rx := regexp.MustCompile("^" + regexp.QuoteMeta(dir) + ": " + re + "$")
	deadline := time.Now().Add(10 * time.Second)
	for {
		line := svstat(t, dir)
		if rx.MatchString(line) {
			return line
		}
		if time.Now().After(deadline) {
			t.Fatalf("svstat %q does not match %q", line, re)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitFile(t *testing.T, path, substr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), substr) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %q never contained %q", path, b, substr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func svok(dir string) int {
	err := exec.Command(debSvok, dir).Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -2
	}
	return 0
}

// trapScript logs every signal the service gets to ./sigs.
const trapScript = `for s in HUP ALRM INT QUIT USR1 USR2 WINCH; do trap "echo $s >> sigs" $s; done
trap 'echo TERM >> sigs; exit 0' TERM
echo $$ > pid
while :; do sleep 0.05; done`

// TestDebianToolsDriveOurs: Debian's svc, svstat and svok against our
// supervise, every control letter.
func TestDebianToolsDriveOurs(t *testing.T) {
	t.Parallel()
	needDebian(t, debSvc, debSvstat, debSvok)
	dir := filepath.Join(t.TempDir(), "svc")
	writeRun(t, dir, trapScript, 0755)
	if svok(dir) != 100 {
		t.Fatal("svok before supervise")
	}
	s := startSup(t, ours, "", dir)
	waitStat(t, dir, `up \(pid \d+\) \d+ seconds`)
	if svok(dir) != 0 {
		t.Fatal("svok with supervise running")
	}
	waitFile(t, filepath.Join(dir, "pid"), "\n")

	for _, c := range []struct{ letter, sig string }{{"h", "HUP"}, {"a", "ALRM"}, {"i", "INT"}} {
		svc(t, "-"+c.letter, dir)
		waitFile(t, filepath.Join(dir, "sigs"), c.sig)
	}
	// the letters Debian's svc does not have, written to the FIFO
	for _, c := range []struct{ letter, sig string }{{"q", "QUIT"}, {"1", "USR1"}, {"2", "USR2"}, {"w", "WINCH"}} {
		f, err := os.OpenFile(filepath.Join(dir, "supervise/control"), os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(c.letter))
		f.Close()
		waitFile(t, filepath.Join(dir, "sigs"), c.sig)
	}

	svc(t, "-p", dir)
	waitStat(t, dir, `up \(pid \d+\) \d+ seconds, paused`)
	svc(t, "-c", dir)
	waitStat(t, dir, `up \(pid \d+\) \d+ seconds`)

	first := waitStat(t, dir, `up \(pid \d+\) \d+ seconds`)
	svc(t, "-t", dir) // TERM: it exits and is restarted
	waitFile(t, filepath.Join(dir, "sigs"), "TERM")
	deadline := time.Now().Add(10 * time.Second)
	for pidOf(first) == pidOf(svstat(t, dir)) || !strings.Contains(svstat(t, dir), "up") {
		if time.Now().After(deadline) {
			t.Fatalf("not restarted after -t: %s", svstat(t, dir))
		}
		time.Sleep(20 * time.Millisecond)
	}
	prev := svstat(t, dir)
	svc(t, "-k", dir)
	deadline = time.Now().Add(10 * time.Second)
	for pidOf(prev) == pidOf(svstat(t, dir)) || !strings.Contains(svstat(t, dir), "up") {
		if time.Now().After(deadline) {
			t.Fatalf("not restarted after -k: %s", svstat(t, dir))
		}
		time.Sleep(20 * time.Millisecond)
	}

	svc(t, "-d", dir)
	waitStat(t, dir, `down \d+ seconds, normally up`)
	svc(t, "-o", dir)
	waitStat(t, dir, `up \(pid \d+\) \d+ seconds`)
	if b, _ := os.ReadFile(filepath.Join(dir, "supervise/status")); len(b) != status.Size || b[17] != 0 {
		t.Fatalf("status after -o: % x", b)
	}
	svc(t, "-d", dir)
	waitStat(t, dir, `down \d+ seconds, normally up`)
	svc(t, "-u", dir)
	waitStat(t, dir, `up \(pid \d+\) \d+ seconds`)
	svc(t, "-dx", dir)
	if !s.exited(10 * time.Second) {
		t.Fatal("supervise did not exit after -dx")
	}
	if s.cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("exit code %d, stderr %q", s.cmd.ProcessState.ExitCode(), s.errb)
	}
	if svok(dir) != 100 {
		t.Fatal("svok after exit")
	}
	if got := svstat(t, dir); got != dir+": supervise not running" {
		t.Fatalf("svstat after exit: %q", got)
	}
}

var pidRx = regexp.MustCompile(`pid (\d+)`)

func pidOf(line string) string {
	if m := pidRx.FindStringSubmatch(line); m != nil {
		return m[1]
	}
	return ""
}

// TestSvstatSameAsDebian puts Debian's supervise and ours in the same
// states and compares svstat's lines modulo names, pids and seconds.
func TestSvstatSameAsDebian(t *testing.T) {
	t.Parallel()
	needDebian(t, debSvc, debSvstat)
	norm := regexp.MustCompile(`pid \d+|\d+ seconds`)
	root := t.TempDir()
	var dirs [2]string
	for i, prog := range []string{debSupervise, ours} {
		dirs[i] = filepath.Join(root, fmt.Sprint("s", i))
		writeRun(t, dirs[i], `trap "" TERM; echo > trapped; exec sleep 1000`, 0755)
		os.WriteFile(filepath.Join(dirs[i], "down"), nil, 0644)
		startSup(t, prog, "", dirs[i])
	}
	same := func(what, re string) {
		t.Helper()
		var got [2]string
		for i, d := range dirs {
			got[i] = norm.ReplaceAllString(strings.TrimPrefix(waitStat(t, d, re), d), "N")
		}
		if got[0] != got[1] {
			t.Fatalf("%s: daemontools %q, ours %q", what, got[0], got[1])
		}
	}
	same("normally down", `down \d+ seconds`)
	for _, d := range dirs {
		svc(t, "-u", d)
	}
	same("up, normally down", `up \(pid \d+\) \d+ seconds, normally down`)
	for _, d := range dirs {
		// A TERM that came before the trap, held by -p until -d's CONT,
		// would end the run (seen once in CI, on ours).
		waitFile(t, filepath.Join(d, "trapped"), "\n")
		svc(t, "-p", d)
	}
	same("paused", `up \(pid \d+\) \d+ seconds, normally down, paused`)
	for _, d := range dirs {
		svc(t, "-d", d) // TERM is ignored: still up, want down
	}
	same("want down", `up \(pid \d+\) \d+ seconds, normally down, want down`)
	for _, d := range dirs {
		svc(t, "-k", d)
	}
	same("down", `down \d+ seconds`)
	for _, d := range dirs {
		os.Remove(filepath.Join(d, "down"))
		svc(t, "-o", d)
	}
	same("once, normally up", `up \(pid \d+\) \d+ seconds`)
	for _, d := range dirs {
		svc(t, "-k", d)
	}
	same("down after once", `down \d+ seconds, normally up`)
}

// TestLockAgainstDebian: our supervise and Debian's exclude each other
// with the same lock and the same message.
func TestLockAgainstDebian(t *testing.T) {
	t.Parallel()
	needDebian(t, debSvc)
	for _, pair := range [][2]string{{ours, debSupervise}, {debSupervise, ours}, {ours, ours}} {
		root := t.TempDir()
		dir := filepath.Join(root, "s")
		writeRun(t, dir, "exec sleep 1000", 0755)
		startSup(t, pair[0], root, "s") // relative: both run in root
		first := filepath.Join(root, "s", "supervise", "ok")
		deadline := time.Now().Add(10 * time.Second)
		for {
			if fi, err := os.Stat(first); err == nil && fi.Mode()&os.ModeNamedPipe != 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("first supervise did not set up")
			}
			time.Sleep(10 * time.Millisecond)
		}
		r := runIn(t, root, 5*time.Second, pair[1], "s")
		want := result{"supervise: fatal: unable to acquire s/supervise/lock: temporary failure\n", 111}
		if r != want {
			t.Fatalf("%s after %s: %+v", pair[1], pair[0], r)
		}
		exec.Command(debSvc, "-dx", dir).Run()
	}
}

// TestLeanBinaryDeps: the lean supervise must stay free of cobra and
// go-systemd (its memory per service depends on it), and of the packages
// whose start-up cost made svc and svstat slow in the multi-call binary
// (net, text/template, regexp): the packages link svc, svok and svstat to it.
// It reads the built binary: the modules it was linked with (only this
// module and golang.org/x/sys are allowed) and its symbol table (no code of
// those packages).
func TestLeanBinaryDeps(t *testing.T) {
	t.Parallel()
	info, err := buildinfo.ReadFile(ours)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range info.Deps {
		if m.Path != "golang.org/x/sys" {
			t.Errorf("the lean supervise links module %s %s", m.Path, m.Version)
		}
	}
	f, err := elf.Open(ours)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatalf("symbol table of %s: %v", ours, err)
	}
	linked := map[string]bool{}
	for _, s := range syms {
		for _, pkg := range []string{"net", "text/template", "regexp", "github.com/spf13/cobra", "github.com/coreos/go-systemd"} {
			// Symbols are named pkg.Name, pkg.(*T).M, pkg/v22/sub.Name...
			if strings.HasPrefix(s.Name, pkg+".") || strings.HasPrefix(s.Name, pkg+"/") && pkg != "net" {
				linked[pkg] = true
			}
		}
	}
	for pkg := range linked {
		t.Errorf("the lean supervise links package %s", pkg)
	}
	if len(syms) < 1000 || !slices.ContainsFunc(syms, func(s elf.Symbol) bool { return s.Name == "runtime.main" }) {
		t.Fatalf("%s: %d symbols and no runtime.main: not the symbol table of a Go program", ours, len(syms))
	}
}

// TestServiceEnvironment: ./run gets NOTIFY_SOCKET and not the
// GOMAXPROCS=1 the lean binary gives itself; a GOMAXPROCS set by the user
// reaches the service unchanged.
func TestServiceEnvironment(t *testing.T) {
	t.Parallel()
	needDebian(t, debSvc)
	for _, user := range []string{"", "3"} {
		dir := filepath.Join(t.TempDir(), "svc")
		writeRun(t, dir, "env > envdump; exec sleep 1000", 0755)
		s := &sup{t: t, dir: dir, errb: &bytes.Buffer{}, done: make(chan struct{})}
		s.cmd = exec.Command(ours, dir)
		s.cmd.Stderr = s.errb
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "GOMAXPROCS=") {
				s.cmd.Env = append(s.cmd.Env, kv)
			}
		}
		if user != "" {
			s.cmd.Env = append(s.cmd.Env, "GOMAXPROCS="+user)
		}
		if err := s.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { s.cmd.Wait(); close(s.done) }()
		waitFile(t, filepath.Join(dir, "envdump"), "NOTIFY_SOCKET=@")
		exec.Command(debSvc, "-dx", dir).Run()
		if !s.exited(10 * time.Second) {
			s.cmd.Process.Kill()
			t.Fatal("no exit")
		}
		b, _ := os.ReadFile(filepath.Join(dir, "envdump"))
		env := string(b)
		if strings.Contains(env, "SVBRIDGE_SUPERVISE_REEXEC") {
			t.Errorf("internal variable leaked:\n%s", env)
		}
		if user == "" && strings.Contains(env, "GOMAXPROCS") {
			t.Errorf("GOMAXPROCS leaked:\n%s", env)
		}
		if user != "" && !strings.Contains(env, "GOMAXPROCS="+user+"\n") {
			t.Errorf("user's GOMAXPROCS lost:\n%s", env)
		}
	}
}

// ctxSwitches sums the context switches of every thread of pid.
func ctxSwitches(t *testing.T, pid int) int {
	t.Helper()
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil || len(tasks) == 0 {
		t.Fatalf("no tasks for %d: %v", pid, err)
	}
	n := 0
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "ctxt_switches:") {
				var v int
				fmt.Sscan(strings.TrimSpace(line[strings.IndexByte(line, ':')+1:]), &v)
				n += v
			}
		}
	}
	return n
}

// TestIdleNoWakeups: once the service is up and nothing happens, supervise
// does not run at all (no tickers, no hourly wake-up as daemontools has).
func TestIdleNoWakeups(t *testing.T) {
	t.Parallel()
	needDebian(t, debSvstat, debSvc)
	dir := filepath.Join(t.TempDir(), "svc")
	writeRun(t, dir, "exec sleep 1000", 0755)
	s := startSup(t, ours, "", dir)
	// The 1 s "up" timer has fired by 2 s; then the runtime settles (its
	// scavenger and sysmon go to sleep after start-up).
	waitStat(t, dir, `up \(pid \d+\) ([2-9]|\d\d+) seconds`)
	time.Sleep(time.Second)
	before := ctxSwitches(t, s.cmd.Process.Pid)
	time.Sleep(3 * time.Second) // the measurement window
	if d := ctxSwitches(t, s.cmd.Process.Pid) - before; d != 0 {
		t.Fatalf("%d context switches in 3 s of idleness", d)
	}
}

// TestControlRegularFileEmpty: daemontools keeps running (spinning on the
// file); ours keeps running too, says so once, and svc works afterwards.
func TestControlRegularFileEmpty(t *testing.T) {
	t.Parallel()
	needDebian(t, debSvc, debSvstat)
	dir := filepath.Join(t.TempDir(), "svc")
	writeRun(t, dir, "exec sleep 1000", 0755)
	os.Mkdir(filepath.Join(dir, "supervise"), 0700)
	os.WriteFile(filepath.Join(dir, "supervise", "control"), nil, 0600)
	s := startSup(t, ours, "", dir)
	waitStat(t, dir, `up \(pid \d+\) \d+ seconds`)
	svc(t, "-d", dir)
	waitStat(t, dir, `down \d+ seconds, normally up`)
	svc(t, "-x", dir)
	if !s.exited(10 * time.Second) {
		t.Fatal("no exit after svc -x")
	}
	if got := s.errb.String(); got != "supervise: warning: "+dir+"/supervise/control is not a FIFO: replacing it\n" {
		t.Fatalf("stderr %q", got)
	}
}

// TestFilesLikeDebian: the names, types and modes of everything in
// supervise/ are the same as Debian's supervise creates (plus our
// status.json), and status is 18 bytes.
func TestFilesLikeDebian(t *testing.T) {
	t.Parallel()
	needDebian(t, debSvc, debSvstat)
	listing := func(dir string) map[string]string {
		ents, err := os.ReadDir(filepath.Join(dir, "supervise"))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, e := range ents {
			fi, err := e.Info()
			if err != nil {
				t.Fatal(err)
			}
			desc := fi.Mode().String()
			if fi.Mode().IsRegular() {
				desc += fmt.Sprintf(" %d bytes", fi.Size())
			}
			m[e.Name()] = desc
		}
		fi, _ := os.Stat(filepath.Join(dir, "supervise"))
		m["."] = fi.Mode().String()
		return m
	}
	var got [2]map[string]string
	for i, prog := range []string{debSupervise, ours} {
		dir := filepath.Join(t.TempDir(), "svc")
		writeRun(t, dir, "exec sleep 1000", 0755)
		startSup(t, prog, "", dir)
		waitStat(t, dir, `up \(pid \d+\) \d+ seconds`)
		got[i] = listing(dir)
	}
	if got[1]["status.json"] == "" {
		t.Fatal("no status.json")
	}
	delete(got[1], "status.json")
	if fmt.Sprint(got[0]) != fmt.Sprint(got[1]) {
		t.Fatalf("daemontools %v\nours        %v", got[0], got[1])
	}
	if got[1]["status"] != "-rw-r--r-- 18 bytes" {
		t.Fatalf("status %q", got[1]["status"])
	}
}

// TestUnderDebianSvscan: Debian's svscan runs our supervise (first in
// PATH) for a service and its logger, joined by svscan's pipe.
func TestUnderDebianSvscan(t *testing.T) {
	t.Parallel()
	needDebian(t, debSvc, debSvstat, "/usr/bin/svscan")
	root := t.TempDir()
	a := filepath.Join(root, "a")
	writeRun(t, a, "echo hello from a; exec sleep 1000", 0755)
	writeRun(t, filepath.Join(a, "log"), "exec cat > captured", 0755)
	cmd := exec.Command("/usr/bin/svscan", root)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(ours)+":"+os.Getenv("PATH"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill() // svscan leaves its supervise children running
		cmd.Wait()
		exec.Command(debSvc, "-dx", a, filepath.Join(a, "log")).Run()
		deadline := time.Now().Add(10 * time.Second)
		for svok(a) == 0 || svok(filepath.Join(a, "log")) == 0 {
			if time.Now().After(deadline) {
				t.Error("supervise still running after svc -dx")
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	waitStat(t, a, `up \(pid \d+\) \d+ seconds`)
	waitStat(t, filepath.Join(a, "log"), `up \(pid \d+\) \d+ seconds`)
	waitFile(t, filepath.Join(a, "log", "captured"), "hello from a\n")
	// the supervise running is ours: it writes status.json
	if _, err := os.Stat(filepath.Join(a, "supervise", "status.json")); err != nil {
		t.Fatalf("not our supervise: %v", err)
	}
	// restarting the service keeps the pipe to the logger
	svc(t, "-t", a)
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(a, "log", "captured"))
		if strings.Count(string(b), "hello from a\n") >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("second line not logged: %q", b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStatusWriteFailureLikeDebian: a status.new that cannot be opened, or
// a status that cannot be replaced (a directory in the way), is a warning
// (the same words), and supervise keeps supervising.
func TestStatusWriteFailureLikeDebian(t *testing.T) {
	t.Parallel()
	needDebian(t)
	for _, tc := range []struct{ dir, want string }{
		{"status.new", "supervise: warning: unable to open s/supervise/status.new: is a directory"},
		{"status", "supervise: warning: unable to rename s/supervise/status.new to status: is a directory"},
	} {
		var lines [2]string
		for i, prog := range []string{debSupervise, ours} {
			root := t.TempDir()
			writeRun(t, filepath.Join(root, "s"), "exec sleep 1000", 0755)
			os.MkdirAll(filepath.Join(root, "s", "supervise", tc.dir), 0755)
			r := runIn(t, root, 1500*time.Millisecond, prog, "s")
			if r.code != -1 {
				t.Fatalf("%s exited %d: %q", prog, r.code, r.stderr)
			}
			// the set of distinct lines (how often each is said differs)
			seen := map[string]bool{}
			for _, l := range strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n") {
				seen[l] = true
			}
			lines[i] = fmt.Sprint(seen)
		}
		if lines[0] != lines[1] || !strings.Contains(lines[1], tc.want) {
			t.Fatalf("supervise/%s a directory:\ndaemontools %s\nours        %s", tc.dir, lines[0], lines[1])
		}
	}
}
