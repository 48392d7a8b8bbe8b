package testkit

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/svbridge/svbridge/internal/cli"
)

// Programs makes the test binary a multi-call binary, as u-root's tests do,
// instead of building the module: the body of a TestMain is
//
//	os.Exit(testkit.Programs(m, map[string]cli.Main{"tai64n": Main}, func(dir string) { bin = dir }))
//
// Run under one of the names in progs (argv[0]'s last element), the test
// binary is that program: Programs runs its Main and returns its exit code
// before any test runs. Otherwise Programs puts the test binary in a new
// directory that every account can read (some tests run our programs as
// nobody), links each name to it there, passes the directory to set, runs
// the tests and removes the directory. The names are links, so argv[0] is
// the program name, as with the packaged links to svbridge.
//
// With a nil set, no directory is made: the tests put the test binary
// where they need it with LinkSelf.
//
// Tests that need what only the packaged binaries have (the lean
// supervise's own main, the multi-call dispatch of svbridge, their start-up
// time) build them with internal/testbin instead.
func Programs(m *testing.M, progs map[string]cli.Main, set func(dir string)) int {
	if p, ok := progs[filepath.Base(os.Args[0])]; ok {
		return p(cli.OS())
	}
	if set == nil {
		return m.Run()
	}
	dir, err := linkSelf(progs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testkit: linking the test binary:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	set(dir)
	return m.Run()
}

// linkSelf makes a directory readable by every account holding the running
// test binary (a hard link, or a copy when the link cannot be made) and a
// symbolic link to it for each name in progs.
func linkSelf(progs map[string]cli.Main) (dir string, err error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	dir, err = os.MkdirTemp("", "testkit-")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
			dir = ""
		}
	}()
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	exe := filepath.Join(dir, filepath.Base(self))
	if err := placeSelf(self, exe); err != nil {
		return "", err
	}
	for name := range progs {
		if err := os.Symlink(filepath.Base(exe), filepath.Join(dir, name)); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// LinkSelf puts the running test binary at path, a new file: a hard link,
// or a copy when the link cannot be made. A program that looks for others
// next to its own executable finds them beside path (os.Executable resolves
// symbolic links, not hard ones). The test fails when neither works.
func LinkSelf(t testing.TB, path string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := placeSelf(self, path); err != nil {
		t.Fatal(err)
	}
}

// placeSelf makes exe a hard link to self, or a copy of it.
func placeSelf(self, exe string) error {
	if os.Link(self, exe) == nil {
		return nil
	}
	return copyFile(self, exe)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
