package updateservice

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/svbridge/svbridge/internal/cli"
)

// fixture is a scanned dir, an "/etc" prefix with a state dir, and a log of
// the svc calls, all under one temporary directory.
type fixture struct {
	root, servicedir, etc, state string
	svcCalls                     []string
	svcExit                      int
	euid                         int
	cfg                          *Config
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{root: t.TempDir()}
	f.servicedir = filepath.Join(f.root, "service")
	f.etc = filepath.Join(f.root, "etc")
	f.state = filepath.Join(f.root, "var/lib/supervise")
	for _, d := range []string{f.servicedir, f.etc} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f.cfg = &Config{
		Prog:       "update-service",
		EtcPrefix:  f.etc + "/",
		StateDir:   f.state,
		DefaultDir: filepath.Join(f.root, "default-service"),
		Geteuid:    func() int { return f.euid },
		Svc: func(e *cli.Env, args ...string) int {
			f.svcCalls = append(f.svcCalls, strings.Join(args, " "))
			return f.svcExit
		},
	}
	return f
}

// svcdir makes a service dir with run (and log/run if withLog).
func (f *fixture) svcdir(t *testing.T, path string, withLog bool) string {
	t.Helper()
	dirs := []string{path}
	if withLog {
		dirs = append(dirs, path+"/log")
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d+"/supervise", 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(d+"/run", []byte("#!/bin/sh\nexec sleep 1000\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func (f *fixture) run(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	env := &cli.Env{Args: append([]string{"update-service"}, args...), Stdout: &o, Stderr: &e,
		Environ: []string{"SVDIR=" + f.servicedir}}
	code = f.cfg.Run(env)
	return code, o.String(), e.String()
}

func TestAddListCheckRemove(t *testing.T) {
	f := newFixture(t)
	dir := f.svcdir(t, f.etc+"/sv/web", true)

	code, out, errs := f.run("--add", dir+"/")
	if code != 0 || out != "Service web added.\n" || errs != "" {
		t.Fatalf("--add: %d %q %q", code, out, errs)
	}
	if got, _ := os.Readlink(f.servicedir + "/web"); got != dir {
		t.Errorf("link points to %q, want %q", got, dir)
	}
	// a service dir under the /etc prefix keeps its state in the state dir
	if got, _ := os.Readlink(dir + "/supervise"); got != f.state+"/web" {
		t.Errorf("supervise -> %q", got)
	}
	if got, _ := os.Readlink(dir + "/log/supervise"); got != f.state+"/web.log" {
		t.Errorf("log/supervise -> %q", got)
	}
	if fi, err := os.Stat(f.state + "/web.log"); err != nil || !fi.IsDir() {
		t.Errorf("state dir for the logger not created: %v", err)
	}

	if code, out, _ := f.run("--add", dir); code != 0 || out != "Service web already added.\n" {
		t.Errorf("second --add: %d %q", code, out)
	}
	if code, out, _ := f.run("--list"); code != 0 || out != "web\n" {
		t.Errorf("--list: %d %q", code, out)
	}
	if code, out, _ := f.run("-l", "web"); code != 0 || out != "web -> "+dir+"\n" {
		t.Errorf("-l web: %d %q", code, out)
	}
	if code, out, errs := f.run("--check", "web"); code != 0 || out != "" || errs != "" {
		t.Errorf("--check web: %d %q %q", code, out, errs)
	}
	if code, out, errs := f.run("-c", "nope"); code != 1 || out != "" || errs != "" {
		t.Errorf("--check nope: %d %q %q", code, out, errs)
	}
	if code, _, errs := f.run("--list", "nope"); code != 1 || errs != "Service nope not registered.\n\n" {
		t.Errorf("--list nope: %d %q", code, errs)
	}

	code, out, errs = f.run("--remove", dir)
	if code != 0 || out != "Service web removed, the service daemon received the TERM and CONT signals.\n" || errs != "" {
		t.Fatalf("--remove: %d %q %q", code, out, errs)
	}
	if _, err := os.Lstat(f.servicedir + "/web"); err == nil {
		t.Error("link still there after --remove")
	}
	if want := []string{"-dx " + dir, "-dx " + dir + "/log"}; strings.Join(f.svcCalls, ",") != strings.Join(want, ",") {
		t.Errorf("svc calls %q, want %q", f.svcCalls, want)
	}
}

func TestOutsideEtcKeepsSupervise(t *testing.T) {
	f := newFixture(t)
	dir := f.svcdir(t, f.root+"/srv/db", false)
	if code, out, _ := f.run("-a", dir, "database"); code != 0 || out != "Service database added.\n" {
		t.Fatalf("-a: %d %q", code, out)
	}
	if fi, err := os.Lstat(dir + "/supervise"); err != nil || fi.Mode()&os.ModeSymlink != 0 {
		t.Errorf("supervise of a dir outside /etc was touched: %v", err)
	}
	if got, _ := os.Readlink(f.servicedir + "/database"); got != dir {
		t.Errorf("link %q", got)
	}
}

func TestRemoveByName(t *testing.T) {
	f := newFixture(t)
	dir := f.svcdir(t, f.root+"/srv/db", false)
	f.run("--add", dir)
	code, out, errs := f.run("--remove", "db")
	if code != 0 || !strings.HasPrefix(out, "Service db removed,") {
		t.Fatalf("--remove db: %d %q %q", code, out, errs)
	}
	if len(f.svcCalls) != 1 || f.svcCalls[0] != "-dx "+dir {
		t.Errorf("svc calls %q", f.svcCalls)
	}
}

func TestErrors(t *testing.T) {
	f := newFixture(t)
	dir := f.svcdir(t, f.root+"/srv/web", false)
	other := f.svcdir(t, f.root+"/srv/other/web", false)
	usage := "Usage: update-service --add|--remove <service-directory> [<service-name>]\n" +
		"       update-service --list|--check [<service-name>]\n\n"
	fatal := func(m string) string { return "update-service: fatal: " + m + "\n\n" }
	cases := []struct {
		name string
		args []string
		pre  func()
		code int
		err  string
	}{
		{"no args", nil, nil, 1, usage},
		{"not an option", []string{"add", dir}, nil, 1, usage},
		{"unknown option", []string{"--frob", dir}, nil, 1, usage},
		{"add without dir", []string{"--add"}, nil, 1, usage},
		{"missing dir", []string{"--add", f.root + "/nope"}, nil, 1, fatal(f.root + "/nope does not exist, or is not a directory.")},
		{"relative dir", []string{"--add", "."}, nil, 1, fatal("The <service-directory> must start with a slash.")},
		{"dot name", []string{"--add", dir, ".x"}, nil, 1, fatal("The <service-name> must not start with a dot.")},
		{"slash name", []string{"--add", dir, "a/b"}, nil, 1, fatal("The <service-name> must not contain a slash.")},
		{"not root", []string{"--add", dir}, func() { f.euid = 1000 }, 1, fatal("update-service -a must be run by root.")},
		{"not root remove", []string{"--remove", dir}, func() { f.euid = 1000 }, 1, fatal("update-service -r must be run by root.")},
		{"points elsewhere", []string{"--add", other}, func() { f.run("--add", dir) }, 1,
			fatal(f.servicedir + "/web exists, but doesn't point to " + other + ".")},
		{"remove other", []string{"--remove", other}, nil, 1, fatal(f.servicedir + "/web does not point to " + other + ".")},
		{"not a link", []string{"--add", dir, "plain"}, func() { os.Mkdir(f.servicedir+"/plain", 0o755) }, 1,
			fatal(f.servicedir + "/plain exists, but is not a symbolic link.")},
		{"remove missing", []string{"--remove", dir, "gone"}, nil, 1, "update-service: warning: " + f.servicedir + "/gone does not exist.\n\n"},
		{"svc fails", []string{"--remove", dir}, func() { f.svcExit = 111 }, 1, fatal("Unable to send the service web the down and exit commands.")},
	}
	for _, c := range cases {
		f.euid, f.svcExit = 0, 0
		if c.pre != nil {
			c.pre()
		}
		code, _, errs := f.run(c.args...)
		if code != c.code || errs != c.err {
			t.Errorf("%s: got %d %q, want %d %q", c.name, code, errs, c.code, c.err)
		}
	}
}

// TestRefusesSupervisedDir: a dir whose supervise runs is not added (svok's
// test: its control fifo has a reader).
func TestRefusesSupervisedDir(t *testing.T) {
	f := newFixture(t)
	dir := f.svcdir(t, f.root+"/srv/busy", false)
	fifo := dir + "/supervise/control"
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	code, _, errs := f.run("--add", dir)
	if code != 1 || errs != "update-service: fatal: "+dir+" is currently controlled by a supervise(8) process.\n\n" {
		t.Fatalf("got %d %q", code, errs)
	}
	r.Close()
	if code, _, errs := f.run("--add", dir); code != 0 {
		t.Fatalf("after the reader left: %d %q", code, errs)
	}
}

func TestListMissingDir(t *testing.T) {
	f := newFixture(t)
	os.Remove(f.servicedir)
	code, out, errs := f.run("--list")
	if code != 2 || out != "" || !strings.Contains(errs, "cannot access '"+f.servicedir+"'") {
		t.Fatalf("got %d %q %q", code, out, errs)
	}
}

// TestAgainstDebian runs Debian's update-service (daemontools-run's script;
// packaging/test/run fetches it and sets SVBRIDGE_DEBIAN_UPDATE_SERVICE) and
// ours on the same cases outside /etc and compares output and exit codes.
func TestAgainstDebian(t *testing.T) {
	oracle := os.Getenv("SVBRIDGE_DEBIAN_UPDATE_SERVICE")
	if oracle == "" {
		t.Skip("SVBRIDGE_DEBIAN_UPDATE_SERVICE (Debian daemontools-run's update-service script) not set")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root (update-service -a checks it)")
	}
	if _, err := exec.LookPath("svc"); err != nil {
		t.Skip("Debian's script needs svc on PATH")
	}
	base := t.TempDir()
	// Debian's script names itself after $0: call it update-service.
	bin := filepath.Join(base, "bin")
	os.Mkdir(bin, 0o755)
	script, err := os.ReadFile(oracle)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(bin+"/update-service", script, 0o755)

	type result struct {
		code        int
		out, stderr string
	}
	steps := [][]string{
		{}, {"x"}, {"--add"}, {"--list"}, {"--add", "/nonexistent"}, {"--add", "rel"},
		{"--add", "@/srv/web/"}, {"--add", "@/srv/web"}, {"--list"}, {"--list", "web"}, {"--check", "web"},
		{"--check", "nope"}, {"--list", "nope"}, {"--add", "@/srv/web", ".dot"}, {"--add", "@/srv/web", "a/b"},
		{"--add", "@/srv/other/web"}, {"--remove", "@/srv/other/web"}, {"--remove", "@/srv/web", "gone"},
		{"--remove", "@/srv/web"}, {"--list"}, {"-a", "@/srv/web", "w2"}, {"-l"}, {"-r", "@/srv/web", "w2"},
	}
	runAll := func(ours bool) []result {
		root := filepath.Join(base, map[bool]string{true: "ours", false: "debian"}[ours])
		for _, d := range []string{root + "/service", root + "/srv/web", root + "/srv/other/web", root + "/rel"} {
			os.MkdirAll(d, 0o755)
		}
		var res []result
		for _, s := range steps {
			args := make([]string, len(s))
			for i, a := range s {
				args[i] = strings.ReplaceAll(a, "@", root)
			}
			var o, e bytes.Buffer
			var code int
			env := []string{"SVDIR=" + root + "/service", "PATH=" + os.Getenv("PATH")}
			if ours {
				c := System()
				code = c.Run(&cli.Env{Args: append([]string{"update-service"}, args...), Stdout: &o, Stderr: &e, Environ: env})
			} else {
				cmd := exec.Command(bin+"/update-service", args...)
				cmd.Env, cmd.Stdout, cmd.Stderr, cmd.Dir = env, &o, &e, root
				cmd.Run()
				code = cmd.ProcessState.ExitCode()
			}
			res = append(res, result{code, strings.ReplaceAll(o.String(), root, "@"), strings.ReplaceAll(e.String(), root, "@")})
		}
		return res
	}
	// ours runs in-process: its cwd is the test's; make "rel" relative to
	// the same kind of place by running from each root.
	wd, _ := os.Getwd()
	deb := runAll(false)
	os.MkdirAll(filepath.Join(base, "ours"), 0o755)
	if err := os.Chdir(filepath.Join(base, "ours")); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	ours := runAll(true)
	for i := range steps {
		if deb[i] != ours[i] {
			t.Errorf("update-service %q:\n debian %d %q %q\n ours   %d %q %q", steps[i], deb[i].code, deb[i].out, deb[i].stderr, ours[i].code, ours[i].out, ours[i].stderr)
		}
	}
}

// FuzzRun: no arguments make update-service panic or touch anything outside
// its scanned directory.
func FuzzRun(f *testing.F) {
	f.Add("--add", "/x", "y")
	f.Add("--remove", "web", "")
	f.Add("-l", "", "")
	f.Add("--check", "../..", "")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		fx := newFixture(t)
		fx.svcdir(t, fx.root+"/srv/web", true)
		b = strings.ReplaceAll(b, "@", fx.root)
		var o, e bytes.Buffer
		env := &cli.Env{Args: []string{"update-service", a, b, c}, Stdout: &o, Stderr: &e,
			Environ: []string{"SVDIR=" + fx.servicedir}}
		code := fx.cfg.Run(env)
		if code != 0 && code != 1 && code != 2 {
			t.Fatalf("exit code %d", code)
		}
		if code != 0 && e.Len() == 0 && a != "-c" && a != "--check" {
			t.Fatalf("failed (%d) without a message", code)
		}
	})
}
