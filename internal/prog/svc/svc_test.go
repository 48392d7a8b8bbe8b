package svc

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/testkit"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		args []string
		cmds string
		dirs []string
		bad  byte
	}{
		{args: []string{"svc"}},
		{args: []string{"svc", "a"}, dirs: []string{"a"}},
		{args: []string{"svc", "-u", "a", "b"}, cmds: "u", dirs: []string{"a", "b"}},
		{args: []string{"svc", "-dx", "a"}, cmds: "dx", dirs: []string{"a"}},
		{args: []string{"svc", "-x", "-d", "a"}, cmds: "xd", dirs: []string{"a"}},
		{args: []string{"svc", "-uuudxdu", "-u", "a"}, cmds: "udx", dirs: []string{"a"}},
		{args: []string{"svc", "-q12w", "a"}, cmds: "q12w", dirs: []string{"a"}},
		{args: []string{"svc", "a", "-u"}, dirs: []string{"a", "-u"}},
		{args: []string{"svc", "-u", "--", "-d"}, cmds: "u", dirs: []string{"-d"}},
		{args: []string{"svc", "--"}, dirs: []string{}},
		{args: []string{"svc", "--help"}, dirs: []string{}},
		{args: []string{"svc", "-u", "--x", "-d", "a"}, cmds: "u", dirs: []string{"-d", "a"}},
		{args: []string{"svc", "--foo", "a"}, dirs: []string{"a"}},
		{args: []string{"svc", "-u", "--foo", "-d", "a"}, cmds: "u", dirs: []string{"-d", "a"}},
		{args: []string{"svc", "---"}, dirs: []string{}},
		{args: []string{"svc", "-", "-u"}, dirs: []string{"-", "-u"}},
		{args: []string{"svc", "-u", ""}, cmds: "u", dirs: []string{""}},
		{args: []string{"svc", "-uZd", "a"}, bad: 'Z'},
		{args: []string{"svc", "-u-"}, bad: '-'},
		{args: []string{"svc", "-:"}, bad: ':'},
		{args: []string{"svc", "-u", "-\xe9", "a"}, bad: 0xe9},
	} {
		cmds, dirs, bad, ok := Parse(tc.args)
		if ok != (tc.bad == 0) || bad != tc.bad {
			t.Errorf("%q: ok %v bad %q", tc.args, ok, bad)
			continue
		}
		if !ok {
			continue
		}
		if string(cmds) != tc.cmds || !slices.Equal(dirs, tc.dirs) {
			t.Errorf("%q: cmds %q dirs %q, want %q %q", tc.args, cmds, dirs, tc.cmds, tc.dirs)
		}
	}
}

func TestMainUnknownOption(t *testing.T) {
	var out, errb bytes.Buffer
	code := Main(&cli.Env{Args: []string{"/some/where/svc", "-uk", "-Z", "x"}, Stdout: &out, Stderr: &errb})
	want := "svc: illegal option -- Z\n" + usage
	if code != 100 || out.Len() != 0 || errb.String() != want {
		t.Fatalf("code %d stdout %q stderr %q", code, out.String(), errb.String())
	}
}

func TestMainWarningsExitZero(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	plain := filepath.Join(dir, "plain")
	os.Mkdir(plain, 0755)
	var out, errb bytes.Buffer
	code := Main(&cli.Env{Args: []string{"svc", "-u", missing, plain}, Stdout: &out, Stderr: &errb})
	want := "svc: warning: unable to chdir to " + missing + ": file does not exist\n" +
		"svc: warning: unable to control " + plain + ": file does not exist\n"
	if code != 0 || errb.String() != want {
		t.Fatalf("code %d stderr %q", code, errb.String())
	}
}

// FuzzParse runs Debian's svc (the oracle) on the same words, in the
// same directory, as our Main and requires the same exit code, output and
// error output. Operands are looked up relative to the package directory,
// where no supervise runs, so both sides only report what they cannot do.
func FuzzParse(f *testing.F) {
	const extensions = "q12w"
	f.Add("-u\x00dir")
	f.Add("-dx\x00-u\x00--\x00-k")
	f.Add("-uZ\x00a")
	f.Add("a\x00-u")
	f.Add("-\x00--")
	f.Add("--help\x00-u")
	f.Add("--foo\x00-u\x00x")
	f.Add("-u\x00---\x00-d")
	f.Add("-u-")
	f.Add("-:\x00x")
	f.Add("-\xe9")
	const theirs = "/usr/bin/svc"
	if _, err := os.Stat(theirs); err != nil {
		f.Skipf("daemontools' svc is not installed (%v): nothing to compare with", err)
	}
	f.Fuzz(func(t *testing.T, joined string) {
		words := strings.Split(joined, "\x00")
		if len(words) > 8 {
			t.Skip("too many words")
		}
		for _, w := range words {
			if strings.HasPrefix(w, "/") || strings.Contains(w, "..") {
				t.Skip("an operand outside the package directory")
			}
			if strings.HasPrefix(w, "-") && strings.ContainsAny(w, extensions) {
				t.Skip("q, 1, 2 and w are ours only (daemontools-encore, runit)")
			}
		}
		args := append([]string{"svc"}, words...)
		var out, errb bytes.Buffer
		code := Main(&cli.Env{Args: args, Stdout: &out, Stderr: &errb})
		cmd := exec.Command(theirs)
		cmd.Args = args
		var tout, terr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &tout, &terr
		tcode := testkit.ExitCode(t, cmd)
		if code != tcode || out.String() != tout.String() || errb.String() != terr.String() {
			t.Fatalf("svc %q:\nours   %d %q %q\ntheirs %d %q %q", words, code, out.String(), errb.String(), tcode, tout.String(), terr.String())
		}
		// Parse agrees with what Main did.
		cmds, dirs, _, ok := Parse(args)
		if ok != (code == 0) {
			t.Fatalf("svc %q: Parse ok %v, exit %d", words, ok, code)
		}
		if ok && len(cmds) > len(Letters) || len(dirs) > len(words) {
			t.Fatalf("svc %q: cmds %q dirs %q", words, cmds, dirs)
		}
	})
}
