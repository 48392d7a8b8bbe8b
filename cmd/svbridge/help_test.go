package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/svbridge/svbridge/internal/prog/svc"
	"github.com/svbridge/svbridge/internal/testbin"
	"github.com/svbridge/svbridge/internal/testkit"
)

// helpBin builds svbridge with a link per program name.
func helpBin(t *testing.T) string {
	t.Helper()
	names := make([]string, 0, len(programs))
	for n := range programs {
		names = append(names, n)
	}
	sort.Strings(names)
	return testbin.BuildFor(t, []string{"./cmd/svbridge"}, names...)
}

// runIn runs a program of bin with args in dir; it returns the exit code and
// the combined output.
func runIn(t *testing.T, dir, prog string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Stdin = strings.NewReader("")
	code := testkit.ExitCode(t, cmd)
	return code, out.String()
}

var optionLine = regexp.MustCompile(`(?m)^  (-[A-Za-z0-9])[ ,]`)

// TestHelpEveryProgram: "svbridge help PROGRAM" shows, for every program,
// its description, its daemontools usage line, its exit codes, and none of
// cobra's flags (the programs take no --help); it exits 0.
func TestHelpEveryProgram(t *testing.T) {
	bin := helpBin(t)
	for name, p := range programs {
		code, out := runIn(t, bin, filepath.Join(bin, "svbridge"), "help", name)
		if code != 0 {
			t.Errorf("svbridge help %s: exit %d\n%s", name, code, out)
		}
		for _, want := range []string{name + ": " + p.short + "\n", "\nusage: " + p.usage + "\n", "\nexit codes:\n", "has no --help"} {
			if !strings.Contains(out, want) {
				t.Errorf("svbridge help %s lacks %q:\n%s", name, want, out)
			}
		}
		if strings.Contains(out, "--help ") || strings.Contains(out, "-h, --help") || strings.Contains(out, "Flags:") || strings.Contains(out, "Usage:") {
			t.Errorf("svbridge help %s shows cobra's flags or usage:\n%s", name, out)
		}
	}
}

// TestHelpSvcLetters: svbridge help svc lists exactly the letters svc
// accepts, the classic eleven and -q -1 -2 -w.
func TestHelpSvcLetters(t *testing.T) {
	bin := helpBin(t)
	_, out := runIn(t, bin, filepath.Join(bin, "svbridge"), "help", "svc")
	var listed []string
	for _, m := range optionLine.FindAllStringSubmatch(out, -1) {
		listed = append(listed, m[1])
	}
	var want []string
	for _, c := range svc.Letters {
		want = append(want, "-"+string(c))
	}
	if strings.Join(listed, " ") != strings.Join(want, " ") {
		t.Errorf("svbridge help svc lists %q, want %q", listed, want)
	}
	for _, l := range strings.Fields("-u -d -o -p -c -h -a -i -t -k -x -q -1 -2 -w") {
		if !strings.Contains(out, "\n  "+l+"  ") {
			t.Errorf("svbridge help svc lacks %s", l)
		}
	}
}

// TestHelpOptionsAreAccepted: every option letter a program's help lists
// is one the program accepts (run under its own name, with daemontools'
// parsing): svc, setlock and softlimit, the programs with options.
func TestHelpOptionsAreAccepted(t *testing.T) {
	bin := helpBin(t)
	tmp := t.TempDir()
	for name, try := range map[string]func(opt string) []string{
		"svc":       func(o string) []string { return []string{o, filepath.Join(tmp, "nosuchdir")} },
		"setlock":   func(o string) []string { return []string{o, filepath.Join(tmp, "lock"), "true"} },
		"softlimit": func(o string) []string { return []string{o, "=", "true"} },
	} {
		_, help := runIn(t, bin, filepath.Join(bin, "svbridge"), "help", name)
		opts := optionLine.FindAllStringSubmatch(help, -1)
		if len(opts) < 4 {
			t.Errorf("svbridge help %s lists %d options", name, len(opts))
		}
		for _, m := range opts {
			code, out := runIn(t, tmp, filepath.Join(bin, name), try(m[1])...)
			if code == 100 || strings.Contains(out, "illegal option") || strings.Contains(out, "usage") {
				t.Errorf("%s %s (listed in its help): exit %d\n%s", name, m[1], code, out)
			}
		}
	}
}

// TestProgramsKeepTheirParsing: "svbridge PROGRAM --help" is the program
// with daemontools' parsing, as the link is: the same output and exit code
// (svc: djb's getopt drops an argument starting with "--" and ends the
// options, so it is svc with no directory: exit 0, silent), and where
// Debian's daemontools is installed, the same as the original.
func TestProgramsKeepTheirParsing(t *testing.T) {
	bin := helpBin(t)
	tmp := t.TempDir()
	for _, name := range []string{"svc", "svok", "setlock", "softlimit", "setuidgid", "envdir", "fghack", "pgrphack", "supervise"} {
		code, out := runIn(t, tmp, filepath.Join(bin, "svbridge"), name, "--help")
		lcode, lout := runIn(t, tmp, filepath.Join(bin, name), "--help")
		if code != lcode || out != lout {
			t.Errorf("svbridge %s --help: %d %q; %s --help: %d %q", name, code, out, name, lcode, lout)
		}
		orig := "/usr/bin/" + name
		if _, err := os.Stat(orig); err != nil || name == "svok" || name == "supervise" {
			continue // svok --help and supervise --help are a dir named --help
		}
		ocode, oout := runIn(t, tmp, orig, "--help")
		if ocode != code || oout != out {
			t.Errorf("%s --help: ours %d %q, daemontools' %d %q", name, code, out, ocode, oout)
		}
	}
	if code, out := runIn(t, tmp, filepath.Join(bin, "svbridge"), "svc", "--help"); code != 0 || out != "" {
		t.Errorf("svbridge svc --help: %d %q, want 0 and nothing", code, out)
	}
	if code, out := runIn(t, tmp, filepath.Join(bin, "svbridge"), "svc", "--help", "-u", filepath.Join(tmp, "x")); code != 0 ||
		!strings.Contains(out, "unable to chdir to -u: ") {
		t.Errorf("svbridge svc --help -u DIR (-u is a directory after --help): %d %q", code, out)
	}
}

// TestVersion: --version and the version subcommand print the same string,
// the one given at link time when there is one.
func TestVersion(t *testing.T) {
	root, err := testbin.Root()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	const v = "1.2.3+git4.abcdef0"
	cmd := exec.Command("go", "build", "-o", dir+"/", "-ldflags", "-X github.com/svbridge/svbridge/internal/version.Version="+v, "./cmd/svbridge")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"--version"}, {"version"}} {
		if code, out := runIn(t, dir, filepath.Join(dir, "svbridge"), args...); code != 0 || out != v+"\n" {
			t.Errorf("svbridge %s: %d %q, want %q", args[0], code, out, v+"\n")
		}
	}
	// Without -X: the same string from both, never empty.
	bin := helpBin(t)
	_, a := runIn(t, bin, filepath.Join(bin, "svbridge"), "--version")
	_, b := runIn(t, bin, filepath.Join(bin, "svbridge"), "version")
	if a != b || strings.TrimSpace(a) == "" || strings.Contains(strings.TrimSpace(a), "\n") {
		t.Errorf("--version %q, version %q", a, b)
	}
}

// TestEveryProgramDescribed: each program, the lean binary's included, has
// its description and synopsis, and nothing is described that no program
// runs.
func TestEveryProgramDescribed(t *testing.T) {
	for name, p := range programs {
		if p.short == "" || !strings.HasPrefix(p.usage, name) {
			t.Errorf("%s: short %q usage %q", name, p.short, p.usage)
		}
	}
	for name := range about {
		if _, ok := programs[name]; !ok {
			t.Errorf("%s is described but not a program", name)
		}
	}
	if len(programs) != 18 {
		t.Errorf("%d programs, want the 17 of daemontools and update-service", len(programs))
	}
}
