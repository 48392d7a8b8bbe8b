// Package sdh boots a throw-away systemd (with journald) in a container
// with systemd-nspawn, through the harness scripts in ../harness, for
// end-to-end tests: our binaries are bind-mounted read-only, commands run
// inside with in-systemd.sh. Tests that use it are skipped (with the
// reason) when not run as root or when systemd-nspawn is missing.
package sdh

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// DefaultCache is where the rootfs is built once and reused; SDH_CACHE
// overrides it.
const DefaultCache = "/var/cache/sdh"

// Harness returns the directory of the harness scripts.
func Harness() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "harness")
}

// Unavailable returns why containers cannot be booted here, or "".
func Unavailable() string {
	if os.Geteuid() != 0 {
		return "end-to-end systemd tests need root (systemd-nspawn, nsenter)"
	}
	for _, p := range []string{"systemd-nspawn", "nsenter", "unshare"} {
		if _, err := exec.LookPath(p); err != nil {
			return "end-to-end systemd tests need " + p + " (apt-get install systemd-container util-linux)"
		}
	}
	if _, err := os.Stat(filepath.Join(Harness(), "boot-systemd.sh")); err != nil {
		return "harness scripts not found: " + err.Error()
	}
	return ""
}

// Options of Boot.
type Options struct {
	Binds map[string]string // host dir -> container dir, read-only
	Env   []string          // KEY=value set for every command run inside (e.g. PATH)
}

// Container is a running systemd container.
type Container struct {
	StateDir string
	env      []string
	t        testing.TB
}

// Boot starts a container for t and stops it when t ends (saving its
// journal as a test log on failure). It skips t when Unavailable.
func Boot(t testing.TB, o Options) *Container {
	t.Helper()
	if why := Unavailable(); why != "" {
		t.Skip(why)
	}
	state, err := os.MkdirTemp("", "sdh-")
	if err != nil {
		t.Fatal(err)
	}
	var nspawn []string
	for host, in := range o.Binds {
		nspawn = append(nspawn, "--bind-ro="+host+":"+in)
	}
	cache := os.Getenv("SDH_CACHE")
	if cache == "" {
		cache = DefaultCache
	}
	cmd := exec.Command(filepath.Join(Harness(), "boot-systemd.sh"), cache)
	cmd.Env = append(os.Environ(), "SDH_STATE_DIR="+state, "SDH_NSPAWN_ARGS="+strings.Join(nspawn, " "))
	out, err := cmd.CombinedOutput()
	c := &Container{StateDir: state, env: o.Env, t: t}
	t.Cleanup(c.stop)
	if err != nil {
		t.Fatalf("boot-systemd.sh: %v\n%s", err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
	return c
}

func (c *Container) stop() {
	var args []string
	journal := filepath.Join(c.StateDir, "journal.txt")
	if c.t.Failed() {
		args = append(args, journal)
	}
	cmd := exec.Command(filepath.Join(Harness(), "stop-systemd.sh"), args...)
	cmd.Env = append(os.Environ(), "SDH_STATE_DIR="+c.StateDir)
	if out, err := cmd.CombinedOutput(); err != nil {
		c.t.Logf("stop-systemd.sh: %v\n%s", err, out)
	}
	if c.t.Failed() {
		if b, err := os.ReadFile(journal); err == nil {
			if len(b) > 20000 {
				b = b[len(b)-20000:]
			}
			c.t.Logf("container journal (tail):\n%s", b)
		}
		c.t.Logf("state dir kept: %s", c.StateDir)
		return
	}
	os.RemoveAll(c.StateDir)
}

// Share is the host directory seen as /mnt/share inside.
func (c *Container) Share() string { return filepath.Join(c.StateDir, "share") }

// Run runs argv inside the container and returns its stdout and stderr
// together, and its error (an *exec.ExitError for a non-zero exit).
func (c *Container) Run(argv ...string) (string, error) {
	if len(c.env) > 0 {
		argv = append(append([]string{"env"}, c.env...), argv...)
	}
	cmd := exec.Command(filepath.Join(Harness(), "in-systemd.sh"), argv...)
	cmd.Env = append(os.Environ(), "SDH_STATE_DIR="+c.StateDir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Sh runs a shell script inside the container.
func (c *Container) Sh(script string) (string, error) {
	return c.Run("sh", "-c", script)
}

// MustSh runs a shell script and fails the test if it fails.
func (c *Container) MustSh(t testing.TB, script string) string {
	t.Helper()
	out, err := c.Sh(script)
	if err != nil {
		t.Fatalf("in container: %s\n-> %v\n%s", script, err, out)
	}
	return out
}

// ExitCode returns the exit code of err from Run (0 for nil, -1 if unknown).
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// Eventually polls the shell script until it succeeds and cond accepts its
// output, or fails t after timeout, showing the last output.
func (c *Container) Eventually(t testing.TB, what string, timeout time.Duration, script string, cond func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var out string
	var err error
	for {
		out, err = c.Sh(script)
		if err == nil && (cond == nil || cond(out)) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; last output of %q (err %v):\n%s", what, timeout, script, err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// String is for logs.
func (c *Container) String() string { return fmt.Sprintf("container(%s)", c.StateDir) }
