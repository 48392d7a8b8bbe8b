// Package testbin builds the module's programs once for the tests that run
// them as real processes: static binaries (CGO_ENABLED=0, as packaged) in a
// temporary directory that every account can read (some tests run our
// programs as nobody), with program names linked to svbridge.
//
// Only tests that need the packaged binaries themselves use it: the lean
// supervise's own main, svbridge's and supervise's dispatch on argv[0],
// start-up time in benchmarks, the packages and the containers. A test that
// needs a program's behaviour as a process runs the test binary as that
// program instead (internal/testkit.Programs): no build.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
	cmd := exec.Command("go", append([]string{"build", "-o", dir + "/"}, pkgs...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("go build %s: %v\n%s", strings.Join(pkgs, " "), err, out)
	}
	for _, l := range links {
		if err := os.Symlink("svbridge", filepath.Join(dir, l)); err != nil {
			cleanup()
			return "", nil, err
		}
	}
	return dir, cleanup, nil
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
