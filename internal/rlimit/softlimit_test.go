package rlimit_test

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/chain/chaintest"
	"github.com/svbridge/svbridge/internal/rlimit"
	"github.com/svbridge/svbridge/internal/testbin"
	"github.com/svbridge/svbridge/internal/testkit"
)

// names are the daemontools programs linked to the lean binary, as the
// packages link them: every one but supervise, the binary itself (svscan
// hands over to svbridge, built beside it).
var names = []string{"svscanboot", "svscan", "svc", "svok", "svstat", "readproctitle", "multilog", "tai64n",
	"tai64nlocal", "setuidgid", "envuidgid", "envdir", "softlimit", "setlock", "fghack", "pgrphack"}

// bin holds the lean supervise binary and svbridge, built with the entry
// stub, and the program names linked to supervise.
var bin string

func TestMain(m *testing.M) {
	os.Exit(testbin.Main(m, []string{"./cmd/supervise", "./cmd/svbridge"}, nil, func(dir string) {
		bin = dir
		for _, n := range names {
			if err := os.Symlink("supervise", filepath.Join(dir, n)); err != nil {
				panic(err)
			}
		}
	}))
}

func ours(name string) string { return filepath.Join(bin, name) }

// limit is a way of lowering the soft limits before a program: prefix
// returns the argv prefix, given the softlimit to use.
type limit struct {
	name   string
	prefix func(softlimit string) []string
}

// lowered are the ways of lowering the soft limits: softlimit -m and -a to
// mem bytes, softlimit -d to data bytes, and the shell's ulimit -S -v to kB.
func lowered(mem, data, kB string) []limit {
	return []limit{
		{"softlimit -m " + mem, func(s string) []string { return []string{s, "-m", mem} }},
		{"softlimit -a " + mem, func(s string) []string { return []string{s, "-a", mem} }},
		{"softlimit -d " + data, func(s string) []string { return []string{s, "-d", data} }},
		{"ulimit -S -v " + kB, func(string) []string {
			return []string{"/bin/sh", "-c", `ulimit -S -v ` + kB + ` && exec "$0" "$@"`}
		}},
	}
}

// limits are the ways run scripts lower the soft limits before a program.
var limits = lowered("4000000", "300000", "4000")

// show is a child that prints the limits it got and its environment's A.
const show = `echo "A=$A"; ulimit -v; ulimit -d; ulimit -s; ulimit -n; ulimit -l`

// programCase is one run of a program: its arguments, input, and files it
// leaves that are part of its result.
type programCase struct {
	prog  string
	args  []string
	stdin string
	files string // a glob under the run's directory, read after the run
	root  bool
}

func programCases() []programCase {
	return []programCase{
		{prog: "envdir", args: []string{"env", "/bin/sh", "-c", show}},
		{prog: "envdir", args: []string{"env", "nonexistent-program"}},
		{prog: "envdir", args: []string{"missing-dir", "/bin/true"}},
		{prog: "envuidgid", args: []string{"nobody", "/bin/sh", "-c", `echo $UID $GID; ` + show}},
		{prog: "setuidgid", args: []string{"nobody", "/bin/sh", "-c", `id -u; ` + show}, root: true},
		{prog: "softlimit", args: []string{"-o", "50", "/bin/sh", "-c", show}},
		{prog: "softlimit", args: []string{"-s", "=", "-c", "0", "/bin/sh", "-c", show + "; ulimit -c"}},
		{prog: "softlimit", args: []string{"-x", "/bin/true"}},
		{prog: "setlock", args: []string{"lock", "/bin/sh", "-c", show}},
		{prog: "setlock", args: []string{"-n", "lock", "nonexistent-program"}},
		{prog: "pgrphack", args: []string{"/bin/sh", "-c", show}},
		{prog: "fghack", args: []string{"/bin/sh", "-c", show}},
		{prog: "fghack", args: []string{"nonexistent-program"}},
		{prog: "fghack", args: []string{"sh", "-c", show}}, // found through $PATH
		{prog: "multilog", args: []string{"e", "+*", "s4096", "n2", `!/bin/sh -c 'ulimit -v; ulimit -d; wc -c'`, "./log"},
			stdin: strings.Repeat("a line of the log to be long enough\n", 200), files: "log/@*.s"},
		{prog: "multilog", args: []string{"e", "./log"}, stdin: "one\ntwo\n", files: "log/current"},
		{prog: "tai64n", stdin: "one\ntwo\n"},
		{prog: "tai64nlocal", stdin: "@4000000065000000000003e8 one\nno stamp\n"},
		{prog: "readproctitle", args: []string{"service", "errors:", "........"}, stdin: "x\n"},
		{prog: "readproctitle"},
		{prog: "svc", args: []string{"-u", "missing"}},
		{prog: "svok", args: []string{"missing"}},
		{prog: "svstat", args: []string{"missing", "env"}},
		{prog: "supervise", args: []string{"missing"}},
		{prog: "svscan", args: []string{"missing"}},
	}
}

var stamp = regexp.MustCompile(`@[0-9a-f]{24}`)

// run runs argv in a fresh directory holding env/A and returns what it
// gave, with TAI64N stamps replaced (they differ from run to run).
func run(t *testing.T, argv []string, c programCase) string {
	t.Helper()
	d := t.TempDir()
	os.Chmod(d, 0o755)
	os.Mkdir(filepath.Join(d, "env"), 0o755)
	os.WriteFile(filepath.Join(d, "env", "A"), []byte("from envdir\n"), 0o644)
	r := chaintest.Run(t, chaintest.Cmd{Args: argv, Env: chaintest.Env("TZ=UTC"), Dir: d, Stdin: c.stdin})
	out := r.String()
	if c.files != "" {
		fs, _ := filepath.Glob(filepath.Join(d, c.files))
		out += fmt.Sprintf("\n%d files", len(fs))
		for _, f := range fs {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out += fmt.Sprintf("\n%s: %q", filepath.Base(f)[:1], b)
		}
	}
	return stamp.ReplaceAllString(out, "@STAMP")
}

// TestEveryProgramUnderSoftLimits runs each program of the suite after
// each way of lowering the soft memory limits (softlimit -m, -a, -d, with
// Debian's softlimit and ours in front, and a shell's ulimit -S -v), and
// compares stdout, stderr, exit code and the files it writes with Debian's
// program under Debian's softlimit. The children print the limits they got:
// the same as under daemontools.
func TestEveryProgramUnderSoftLimits(t *testing.T) {
	chaintest.Theirs(t, "softlimit")
	for _, c := range programCases() {
		theirs := chaintest.Theirs(t, c.prog)
		for _, l := range limits {
			t.Run(c.prog+" "+strings.Join(c.args, " ")+" after "+l.name, func(t *testing.T) {
				if c.root {
					chaintest.NeedRoot(t)
				}
				want := run(t, append(append(l.prefix("/usr/bin/softlimit"), theirs), c.args...), c)
				for _, first := range []string{"/usr/bin/softlimit", ours("softlimit")} {
					got := run(t, append(append(l.prefix(first), ours(c.prog)), c.args...), c)
					if got != want {
						t.Errorf("after %s (%s) differs from daemontools'\nours:   %s\ntheirs: %s", l.name, first, got, want)
					}
				}
			})
		}
	}
}

// TestSvscanbootStartsUnderSoftLimits: svscanboot has no Debian binary to
// compare with (Debian's is a shell script on /etc/service); it must start
// under the limits and answer a usage error as daemontools' programs do.
func TestSvscanbootStartsUnderSoftLimits(t *testing.T) {
	for _, l := range limits {
		r := chaintest.Run(t, chaintest.Cmd{Args: append(l.prefix(ours("softlimit")), ours("svscanboot"), "a", "b"), Env: chaintest.Env()})
		if r.Code != 100 || r.Stderr != "svscanboot: usage: svscanboot [dir]\n" {
			t.Errorf("svscanboot a b after %s: %v", l.name, r)
		}
	}
}

// TestDjbChain runs a whole run script's chain, as djbdns' and qmail's run
// scripts do, all ours and all Debian's and mixed: the last child's limits,
// environment and uid are the same.
func TestDjbChain(t *testing.T) {
	chaintest.NeedRoot(t)
	chain := func(p func(string) string) []string {
		return []string{p("softlimit"), "-m", "4000000", p("envdir"), "./env", p("setuidgid"), "nobody", p("pgrphack"),
			"/bin/sh", "-c", `id -u; ` + show}
	}
	debian := func(n string) string { return chaintest.Theirs(t, n) }
	want := run(t, chain(debian), programCase{})
	if !strings.Contains(want, "3906\\n") {
		t.Fatalf("daemontools' chain did not give the limit: %s", want)
	}
	mixed := func(n string) string {
		if n == "envdir" || n == "pgrphack" {
			return debian(n)
		}
		return ours(n)
	}
	for name, p := range map[string]func(string) string{"ours": ours, "mixed": mixed} {
		if got := run(t, chain(p), programCase{}); got != want {
			t.Errorf("%s chain differs from daemontools'\nours:   %s\ntheirs: %s", name, got, want)
		}
	}
}

// TestSetlockLaterUnderInheritedLimit: a shell under the limit starts
// setlock later (as tinydyndns' update does in each connection).
func TestSetlockLaterUnderInheritedLimit(t *testing.T) {
	script := func(setlock string) []string {
		return []string{"/usr/bin/softlimit", "-m", "4000000", "/bin/sh", "-c",
			`i=0; while [ $i -lt 3 ]; do "$0" lock /bin/sh -c 'ulimit -v; ulimit -d; echo locked'; i=$((i+1)); done`, setlock}
	}
	want := run(t, script(chaintest.Theirs(t, "setlock")), programCase{})
	if got := run(t, script(ours("setlock")), programCase{}); got != want {
		t.Errorf("ours differs from daemontools'\nours:   %s\ntheirs: %s", got, want)
	}
}

// runLimits is a service's ./run that writes the limits it got to
// ./limits and its pid to ./runpid, then sleeps.
const runLimits = "#!/bin/sh\necho $$ >runpid\n(ulimit -v; ulimit -d; ulimit -s) >limits.tmp\nmv limits.tmp limits\nexec sleep 100\n"

// killRun kills the ./run of runLimits started in svc.
func killRun(svc string) {
	if b, err := os.ReadFile(filepath.Join(svc, "runpid")); err == nil {
		var pid int
		if _, err := fmt.Sscan(string(b), &pid); err == nil && pid > 1 {
			if p, err := os.FindProcess(pid); err == nil {
				p.Kill()
			}
		}
	}
}

// limitsService makes a scan directory d holding one service, svc, whose
// ./run is runLimits.
func limitsService(t *testing.T) (d, svc string) {
	t.Helper()
	d = t.TempDir()
	svc = filepath.Join(d, "svc")
	os.Mkdir(svc, 0o755)
	os.WriteFile(filepath.Join(svc, "run"), []byte(runLimits), 0o755)
	return d, svc
}

// runLimitsOf waits up to 10 s for the limits the ./run of svc (runLimits)
// writes, and returns them; failing, it names the run with who.
func runLimitsOf(t *testing.T, svc, who string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, err := os.ReadFile(filepath.Join(svc, "limits")); err == nil {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s./run did not write its limits within 10 s", who)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// superviseLimits starts supervise (argv) on a service whose ./run writes
// the limits it got, and returns them.
func superviseLimits(t *testing.T, argv []string) string {
	t.Helper()
	d, svc := limitsService(t)
	cmd := exec.Command(argv[0], append(argv[1:], "svc")...)
	cmd.Dir = d
	cmd.Env = chaintest.Env()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		killRun(svc)
	}()
	return runLimitsOf(t, svc, fmt.Sprintf("%q: ", argv))
}

// TestSuperviseRunGetsTheOriginalLimits: supervise started under softlimit
// gives ./run the limits softlimit set, as daemontools' supervise does.
func TestSuperviseRunGetsTheOriginalLimits(t *testing.T) {
	want := superviseLimits(t, []string{"/usr/bin/softlimit", "-m", "4000000", chaintest.Theirs(t, "supervise")})
	if want != "3906\n3906\n3906\n" {
		t.Fatalf("under daemontools ./run got %q", want)
	}
	for _, first := range []string{"/usr/bin/softlimit", ours("softlimit")} {
		if got := superviseLimits(t, []string{first, "-m", "4000000", ours("supervise")}); got != want {
			t.Errorf("after %s, ./run got %q, want %q", first, got, want)
		}
	}
}

// TestSuperviseUnableToStartRun: under softlimit, ./run starts through the
// trampoline, which reports a failed exec back to supervise: the message
// is daemontools' (first line of stderr; supervise then retries).
func TestSuperviseUnableToStartRun(t *testing.T) {
	firstLine := func(sup string) string {
		d := t.TempDir()
		os.Mkdir(filepath.Join(d, "svc"), 0o755)
		os.WriteFile(filepath.Join(d, "svc", "run"), []byte("#!/bin/sh\nexit 0\n"), 0o644) // not executable
		cmd := exec.Command("/usr/bin/softlimit", "-m", "4000000", sup, "svc")
		cmd.Dir = d
		cmd.Env = chaintest.Env()
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		line := make(chan string, 1)
		go func() {
			var b []byte
			var c [1]byte
			for {
				if n, err := stderr.Read(c[:]); n == 0 || err != nil || c[0] == '\n' {
					break
				}
				b = append(b, c[0])
			}
			line <- string(b)
		}()
		return testkit.Receive(t, line, 10*time.Second, fmt.Sprintf("%s wrote no line within 10 s", sup))
	}
	want := firstLine(chaintest.Theirs(t, "supervise"))
	if !strings.HasPrefix(want, "supervise: fatal: unable to start svc/run: ") {
		t.Fatalf("daemontools' supervise says %q", want)
	}
	if got := firstLine(ours("supervise")); got != want {
		t.Errorf("ours: %q\ntheirs: %q", got, want)
	}
}

// scanLimits runs cmd (an svscan, or what runs one, on the directory given
// last) on a scan directory holding one service whose ./run writes its
// limits and environment; it returns those, and the name ps shows for cmd's
// process.
func scanLimits(t *testing.T, argv0, path string, args []string, env []string) (limits, comm, environ string) {
	t.Helper()
	d, svc := limitsService(t)
	os.WriteFile(filepath.Join(svc, "run"), []byte(strings.Replace(runLimits, "\necho $$", "\nenv >environ\necho $$", 1)), 0o755)
	// In a process group of its own, so that the end kills the whole
	// tree: under SysV svscanboot's svscan and readproctitle are its
	// children, and would run on after it.
	cmd := &exec.Cmd{Path: path, Args: append(append([]string{argv0}, args...), d), Env: env,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true}}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		exec.Command(ours("svc"), "-dx", svc).Run()
		killRun(svc)
		// wait for supervise to exit before the directory goes
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if exec.Command(ours("svok"), svc).Run() != nil {
				break
			}
		}
	}()
	limits = runLimitsOf(t, svc, argv0+" ")
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", cmd.Process.Pid))
	e, _ := os.ReadFile(filepath.Join(svc, "environ"))
	return limits, string(b), string(e)
}

// TestSvscanGivesItsServicesTheOriginalLimits: svscan under softlimit -m
// 4000000 starts (the lean binary lifts the limits and hands over to
// svbridge, which the kernel could not map under them), keeps its name for
// ps, and starts supervise (through the trampoline), which starts ./run
// (through it again), or, all-in-one, starts ./run itself: ./run gets the
// limits softlimit set, as under daemontools' svscan, and an environment
// without the handoff's variable.
func TestSvscanGivesItsServicesTheOriginalLimits(t *testing.T) {
	svscanLimits := func(t *testing.T, svscan string, env ...string) (limits, comm, environ string) {
		return scanLimits(t, "/usr/bin/softlimit", "/usr/bin/softlimit", []string{"-m", "4000000", svscan}, env)
	}
	want, _, _ := svscanLimits(t, chaintest.Theirs(t, "svscan"), chaintest.Env()...)
	if want != "3906\n3906\n3906\n" {
		t.Fatalf("under daemontools' svscan ./run got %q", want)
	}
	path := "PATH=" + bin + ":/usr/bin:/bin"
	for _, tc := range []struct {
		name, prog string
		env        []string
		comm       string // the name of the process started, for ps
	}{
		{"svscan", "svscan", []string{path, "SVBRIDGE_INPROCESS=0"}, "svscan\n"},
		{"svscan all-in-one", "svscan", []string{path, "SVBRIDGE_INPROCESS=1"}, "svscan\n"},
		// under systemd, svscanboot execs svscan
		{"svscanboot under systemd", "svscanboot", []string{path, "INVOCATION_ID=1"}, "svscan\n"},
		// under SysV, svscanboot runs svscan | readproctitle
		{"svscanboot under SysV", "svscanboot", []string{path}, "svscanboot\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, comm, environ := svscanLimits(t, ours(tc.prog), tc.env...)
			if got != want {
				t.Errorf("./run under %s under softlimit -m 4000000 got %q, want %q", tc.prog, got, want)
			}
			if comm != tc.comm {
				t.Errorf("the process's name for ps is %q, want %q", comm, tc.comm)
			}
			if environ == "" || strings.Contains(environ, rlimit.HandoffVar) {
				t.Errorf("./run's environment:\n%s", environ)
			}
		})
	}
}

// TestHandoffCannotRaise: the variable of a handoff, as anyone may set it
// for svbridge, only ever lowers the limits the services get: a value above
// the limit svbridge started with, or a malformed one, changes nothing.
func TestHandoffCannotRaise(t *testing.T) {
	base := []string{"PATH=" + bin + ":/usr/bin:/bin", "SVBRIDGE_INPROCESS=1"}
	for _, tc := range []struct{ value, want string }{
		{"", "7812\n7812\n7812\n"},                       // no handoff
		{"3d0900:3d0900:-", "3906\n3906\n7812\n"},        // lower: taken
		{"ffffffff:ffffffff:ffff", "7812\n7812\n7812\n"}, // higher: ignored
		{"garbage", "7812\n7812\n7812\n"},
		{"3d0900:x:-:-", "7812\n7812\n7812\n"},
	} {
		env := base
		if tc.value != "" {
			env = append(env, rlimit.HandoffVar+"="+tc.value)
		}
		got, _, environ := scanLimits(t, "softlimit", ours("softlimit"), []string{"-m", "8000000", ours("svbridge"), "svscan"}, env)
		if got != tc.want {
			t.Errorf("%s=%q: ./run got %q, want %q", rlimit.HandoffVar, tc.value, got, tc.want)
		}
		if strings.Contains(environ, rlimit.HandoffVar) {
			t.Errorf("%s=%q reached ./run", rlimit.HandoffVar, tc.value)
		}
	}
}

// TestWithoutTheStub: a binary linked without -E svbridge_rt0 (go run, a
// plain go build) works as before, without limits to lift.
func TestWithoutTheStub(t *testing.T) {
	root, err := testbin.Root()
	if err != nil {
		t.Fatal(err)
	}
	d := t.TempDir()
	build := exec.Command("go", "build", "-o", d+"/", "./cmd/supervise")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, n := range []string{"envdir", "fghack", "softlimit"} {
		os.Symlink("supervise", filepath.Join(d, n))
	}
	// the same chain through the binary with and without the stub
	chain := func(dir string) []string {
		return []string{filepath.Join(dir, "softlimit"), "-o", "50", filepath.Join(dir, "envdir"), "env",
			filepath.Join(dir, "fghack"), "/bin/sh", "-c", show}
	}
	want := run(t, chain(bin), programCase{})
	if !strings.Contains(want, "A=from envdir") {
		t.Fatalf("with the stub: %s", want)
	}
	if got := run(t, chain(d), programCase{}); got != want {
		t.Errorf("without the stub: %s\nwith it: %s", got, want)
	}
}

// TestNprocAsNobody: "softlimit -p 1" run as an account that has a process
// already (softlimit itself) leaves no room for the runtime's threads; our
// programs start and give the child the limit, as daemontools' do. (Not
// fghack: its fork counts against the raised limit, where daemontools'
// fghack cannot fork; see the package comment.)
func TestNprocAsNobody(t *testing.T) {
	chaintest.NeedRoot(t)
	uid, gid := chaintest.Nobody(t)
	attr := func() *syscall.SysProcAttr {
		return &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
	}
	for _, p := range []string{"envdir", "pgrphack", "setlock"} {
		argv := func(prog string) []string {
			a := []string{"/usr/bin/softlimit", "-p", "1", prog}
			switch p {
			case "envdir":
				a = append(a, "env")
			case "setlock":
				a = append(a, "lock")
			}
			return append(a, "/bin/sh", "-c", `echo "A=$A"; ulimit -v; ulimit -p 2>/dev/null; exit 3`)
		}
		d := t.TempDir()
		os.Chmod(filepath.Dir(d), 0o755) // nobody's working directory
		os.Chmod(d, 0o755)
		os.Mkdir(filepath.Join(d, "env"), 0o755)
		os.WriteFile(filepath.Join(d, "env", "A"), []byte("x\n"), 0o644)
		want := chaintest.Run(t, chaintest.Cmd{Args: argv(chaintest.Theirs(t, p)), Env: chaintest.Env(), Dir: d, Attr: attr()})
		got := chaintest.Run(t, chaintest.Cmd{Args: argv(ours(p)), Env: chaintest.Env(), Dir: d, Attr: attr()})
		if got.String() != want.String() {
			t.Errorf("%s under softlimit -p 1 as nobody differs from daemontools'\nours:   %v\ntheirs: %v", p, got, want)
		}
	}
}

// TestLeanBinaryFitsTheLimits: the kernel maps the whole executable under
// the caller's limits at exec, before the stub can raise them. The lean
// binary must stay small enough for run scripts' usual limits: "softlimit
// -m 4000000" (address space, with about 200 kB for the stack and the
// vDSO) and "-d 300000" (its writable data and bss).
func TestLeanBinaryFitsTheLimits(t *testing.T) {
	f, err := elf.Open(ours("supervise"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var all, data uint64
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		all += p.Memsz
		if p.Flags&elf.PF_W != 0 {
			data += p.Memsz
		}
	}
	t.Logf("lean binary: %d bytes mapped at exec, %d of them writable", all, data)
	if all > 4000000-250000 {
		t.Errorf("the lean binary maps %d bytes at exec: too much for softlimit -m 4000000", all)
	}
	if data > 300000 {
		t.Errorf("the lean binary has %d bytes of data and bss: too much for softlimit -d 300000", data)
	}
}

// TestHardLimitTooLow: with a hard limit too low for the Go runtime, every
// program says so in daemontools' form and exits 111, never a crash.
func TestHardLimitTooLow(t *testing.T) {
	if _, err := exec.LookPath("prlimit"); err != nil {
		t.Skip("prlimit (util-linux) is not installed")
	}
	for _, lim := range []string{"--as=100000000", "--as=700000000", "--data=10000000", "--data=40000000"} {
		for _, n := range []string{"envdir", "multilog", "supervise", "svc"} {
			r := chaintest.Run(t, chaintest.Cmd{Args: []string{"prlimit", lim, ours(n), "x"}, Env: chaintest.Env()})
			want := n + ": fatal: unable to start: hard memory limit too low for the Go runtime\n"
			if r.Code != 111 || r.Stderr != want || r.Stdout != "" {
				t.Errorf("prlimit %s %s: %v", lim, n, r)
			}
		}
	}
}
