// Package testbin builds the module's programs once for the tests that run
// them as real processes: static binaries (CGO_ENABLED=0, as packaged, and
// with the entry stub of package rlimit where they link it) in a temporary
// directory that every account can read (some tests run our programs as
// nobody), with program names linked to svbridge.
//
// Only tests that need the packaged binaries themselves use it: the lean
// supervise's own main, svbridge's and supervise's dispatch on argv[0],
// start-up time and the entry stub under soft limits, benchmarks, the
// packages and the containers. A test that needs a program's behaviour as a
// process runs the test binary as that program instead
// (internal/testkit.Programs): no build.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Root returns the module's root directory (from "go env GOMOD", asked once).
var Root = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("go env GOMOD: not inside the module")
	}
	return filepath.Dir(gomod), nil
})

// Build builds pkgs (paths relative to the module root, such as
// "./cmd/svbridge" or "./cmd/...") with CGO_ENABLED=0 into a new directory
// readable by every account, and makes each of links a symlink to svbridge
// there. cleanup removes the directory; on error nothing is left behind.
func Build(pkgs []string, links ...string) (dir string, cleanup func(), err error) {
	root, err := Root()
	if err != nil {
		return "", nil, err
	}
	dir, err = os.MkdirTemp("", "testbin-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	if err := os.Chmod(dir, 0o755); err != nil {
		cleanup()
		return "", nil, err
	}
	stub, plain, err := split(root, pkgs)
	if err != nil {
		cleanup()
		return "", nil, err
	}
	for _, b := range []struct {
		flags []string
		pkgs  []string
	}{{[]string{"-ldflags=" + LDFlags}, stub}, {nil, plain}} {
		if len(b.pkgs) == 0 {
			continue
		}
		args := append(append([]string{"build"}, b.flags...), "-o", dir+"/")
		cmd := exec.Command("go", append(args, b.pkgs...)...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			cleanup()
			return "", nil, fmt.Errorf("go %s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, out)
		}
	}
	for _, l := range links {
		if err := os.Symlink("svbridge", filepath.Join(dir, l)); err != nil {
			cleanup()
			return "", nil, err
		}
	}
	return dir, cleanup, nil
}

// BuildFor builds pkgs and links as Build does, for the test or benchmark
// tb: it fails tb when the build fails, and the directory is removed at
// tb's end.
func BuildFor(tb testing.TB, pkgs []string, links ...string) string {
	tb.Helper()
	dir, cleanup, err := Build(pkgs, links...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(cleanup)
	return dir
}

// LDFlags are the linker flags of the binaries that link package rlimit, as
// packaging/build gives them: its entry stub.
const LDFlags = "-E=svbridge_rt0"

// rlimitPkg is the package whose entry stub LDFlags selects.
const rlimitPkg = "github.com/svbridge/svbridge/internal/rlimit"

// split sorts the main packages matched by pkgs into those that link
// package rlimit (built with LDFlags) and the others.
func split(root string, pkgs []string) (stub, plain []string, err error) {
	args := append([]string{"list", "-f", `{{if eq .Name "main"}}{{.ImportPath}}{{range .Deps}} {{.}}{{end}}{{end}}`}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		return nil, nil, fmt.Errorf("go list %s: %v", strings.Join(pkgs, " "), err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if slices.Contains(f[1:], rlimitPkg) {
			stub = append(stub, f[0])
		} else {
			plain = append(plain, f[0])
		}
	}
	return stub, plain, nil
}

// Main is the body of a TestMain: it builds pkgs and links as Build does,
// passes the directory to set, runs the tests, removes the directory and
// returns the exit code for os.Exit (1, with the reason on stderr, when the
// build fails).
func Main(m *testing.M, pkgs, links []string, set func(dir string)) int {
	dir, cleanup, err := Build(pkgs, links...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "building the test binaries:", err)
		return 1
	}
	defer cleanup()
	set(dir)
	return m.Run()
}
