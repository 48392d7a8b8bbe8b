package svc

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/svbridge/svbridge/internal/cli"
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

// FuzzParse checks Parse against the getopt rules: options only before the
// first operand, an argument starting with "--" ends them, every letter known, each command once in
// the order first given.
func FuzzParse(f *testing.F) {
	f.Add("-u\x00dir")
	f.Add("-dx\x00-u\x00--\x00-k")
	f.Add("-uZ\x00a")
	f.Add("a\x00-u")
	f.Add("-\x00--")
	f.Add("--help\x00-u")
	f.Fuzz(func(t *testing.T, joined string) {
		args := append([]string{"svc"}, strings.Split(joined, "\x00")...)
		cmds, dirs, bad, ok := Parse(args)
		// The reference: walk the options, collect every letter given.
		i, seen := 1, []byte{}
		for ; i < len(args); i++ {
			a := args[i]
			if strings.HasPrefix(a, "--") {
				i++
				break
			}
			if len(a) < 2 || a[0] != '-' {
				break
			}
			for j := 1; j < len(a); j++ {
				if strings.IndexByte(Letters, a[j]) < 0 {
					if ok || bad != a[j] {
						t.Fatalf("%q: unknown %q not reported (ok %v bad %q)", args, a[j], ok, bad)
					}
					return
				}
				if bytes.IndexByte(seen, a[j]) < 0 {
					seen = append(seen, a[j])
				}
			}
		}
		if !ok {
			t.Fatalf("%q: rejected %q", args, bad)
		}
		if !bytes.Equal(cmds, seen) {
			t.Fatalf("%q: cmds %q want %q", args, cmds, seen)
		}
		if i > len(args) {
			i = len(args)
		}
		if !slices.Equal(dirs, args[i:]) {
			t.Fatalf("%q: dirs %q want %q", args, dirs, args[i:])
		}
	})
}
