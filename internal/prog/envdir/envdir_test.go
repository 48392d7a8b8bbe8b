package envdir

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/svbridge/svbridge/internal/chain/chaintest"
)

func TestMain(m *testing.M) { os.Exit(chaintest.Main(m, "envdir", Main)) }

func write(t *testing.T, dir, name string, content []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"d"}} {
		r := chaintest.Compare(t, "envdir", chaintest.Cmd{Args: args, Env: chaintest.Env()})
		if r.Code != 111 || !strings.Contains(r.Stderr, "usage:") {
			t.Errorf("envdir %q: %v", args, r)
		}
	}
}

// TestEnvironment compares the whole environment the child gets, in order,
// from a directory with every kind of file envdir meets.
func TestEnvironment(t *testing.T) {
	d := t.TempDir()
	e := filepath.Join(d, "e")
	os.Mkdir(e, 0o755)
	write(t, e, "PLAIN", []byte("value"))
	write(t, e, "TRAIL", []byte("hello  \t \t\nsecond line\n"))
	write(t, e, "LEAD", []byte("  kept leading\t"))
	write(t, e, "NUL", []byte("a\x00b  \x00"))
	write(t, e, "NULTRAIL", []byte("a  \x00b"))
	write(t, e, "EMPTYLINE", []byte("\nsecond"))
	write(t, e, "UNSETME", nil)
	write(t, e, "NEWEMPTY", nil)
	write(t, e, "EQ=NAME", []byte("x"))
	write(t, e, "EMPTY=EQ", nil)
	write(t, e, ".hidden", []byte("not read"))
	write(t, e, "LONG", bytes.Repeat([]byte("0123456789"), 1000))
	bin := make([]byte, 3000)
	rand.New(rand.NewSource(4)).Read(bin)
	write(t, e, "BINARY", bin)
	write(t, e, "HIGH", []byte("\xff\xfe\x80 caf\xc3\xa9\r\n"))
	// A dangling link reads as "vanished": the original reuses the text of
	// the file read before it, which depends on directory order; both read
	// the same directory, so they must agree.
	for _, n := range []string{"L1", "L2", "L3", "L4", "L5"} {
		os.Symlink("nowhere", filepath.Join(e, n))
	}
	if err := syscall.Mkfifo(filepath.Join(e, "FIFO"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := chaintest.Env("UNSETME=old", "EQ=old", "EMPTY=old", "PLAIN=old", "PLAIN=dup", "KEEP=1")
	r := chaintest.Compare(t, "envdir", chaintest.Cmd{Args: []string{e, "env"}, Env: env})
	if r.Code != 0 || !strings.Contains(r.Stdout, "TRAIL=hello\n") || strings.Contains(r.Stdout, "UNSETME=") {
		t.Errorf("unexpected environment: %v", r)
	}
}

func TestErrors(t *testing.T) {
	d := t.TempDir()
	os.Mkdir(filepath.Join(d, "sub"), 0o755)
	os.Mkdir(filepath.Join(d, "sub", "dir"), 0o755)
	write(t, d, "file", []byte("x"))
	os.Mkdir(filepath.Join(d, "ok"), 0o755)
	write(t, filepath.Join(d, "ok"), "PATH", []byte(filepath.Join(d, "bin")))
	os.Mkdir(filepath.Join(d, "bin"), 0o755)
	write(t, filepath.Join(d, "bin"), "mine", []byte("#!/bin/sh\necho mine\n"))
	os.Chmod(filepath.Join(d, "bin", "mine"), 0o755)
	for _, args := range [][]string{
		{"sub", "true"},         // a directory where a file is expected
		{"missing", "true"},     // no such directory
		{"file", "true"},        // a file where a directory is expected
		{"ok", "no-such-child"}, // unable to run
		{"ok", "./no-such"},     // unable to run, with a slash
		{"ok", "/etc"},          // access denied
		{"ok", "mine"},          // PATH from the directory is not searched
		{"ok", "sh", "-c", "echo $PATH"},
	} {
		r := chaintest.Compare(t, "envdir", chaintest.Cmd{Args: args, Env: chaintest.Env(), Dir: d})
		if args[1] != "sh" && r.Code != 111 {
			t.Errorf("envdir %q: %v", args, r)
		}
	}
}

// TestPermissions runs both under daemontools' setuidgid nobody, where the
// directory and file modes matter.
func TestPermissions(t *testing.T) {
	chaintest.NeedRoot(t)
	sgid := chaintest.Theirs(t, "setuidgid")
	d := t.TempDir()
	os.Chmod(d, 0o755)
	mk := func(name string, mode os.FileMode) string {
		p := filepath.Join(d, name)
		os.Mkdir(p, 0o755)
		write(t, p, "V", []byte("v"))
		os.Chmod(p, mode)
		return p
	}
	secretFile := mk("secretfile", 0o755)
	os.Chmod(filepath.Join(secretFile, "V"), 0o600)
	for _, dir := range []string{
		mk("noaccess", 0o700), // cannot chdir
		mk("nolist", 0o711),   // can chdir, cannot read
		mk("nosearch", 0o744), // can read, cannot chdir
		secretFile,            // file cannot be read
	} {
		ours := chaintest.Run(t, chaintest.Cmd{Args: []string{sgid, "nobody", chaintest.Ours("envdir"), dir, "true"}, Env: chaintest.Env(), Dir: "/"})
		theirs := chaintest.Run(t, chaintest.Cmd{Args: []string{sgid, "nobody", "/usr/bin/envdir", dir, "true"}, Env: chaintest.Env(), Dir: "/"})
		if ours.Code != theirs.Code || ours.Stderr != theirs.Stderr || ours.Code != 111 {
			t.Errorf("%s:\nours:   %v\ntheirs: %v", dir, ours, theirs)
		}
	}
}

func TestValue(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"", "", false},
		{"\n", "", true},
		{"a b \t\n", "a b", true},
		{"a\x00b\x00 \t", "a\nb\n", true},
		{" \t x", " \t x", true},
		{"x\r\n", "x\r", true},
	}
	for _, tc := range tests {
		v, ok := Value([]byte(tc.in))
		if v != tc.want || ok != tc.ok {
			t.Errorf("Value(%q) = %q, %v; want %q, %v", tc.in, v, ok, tc.want, tc.ok)
		}
	}
}

// FuzzValue compares Value with what daemontools' envdir gives a child for
// the same file content.
func FuzzValue(f *testing.F) {
	for _, s := range []string{"", "x", "a \t\nb", "a\x00b  ", "\x00", " \t", "\xff\x00\n\x00", "x\r\n"} {
		f.Add([]byte(s))
	}
	theirs := chaintest.Theirs(f, "envdir")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content []byte) {
		if len(content) > 8192 {
			t.Skip("longer than what one variable may hold")
		}
		want, wantOK := Value(content)
		write(t, dir, "V", content)
		r := chaintest.Run(t, chaintest.Cmd{Args: []string{theirs, dir, "/usr/bin/printenv", "V"}, Env: chaintest.Env()})
		if gotOK := r.Code == 0; gotOK != wantOK || (wantOK && r.Stdout != want+"\n") {
			t.Fatalf("content %q: Value gives %q, %v; daemontools' envdir gives %v", content, want, wantOK, r)
		}
	})
}
