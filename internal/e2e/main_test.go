package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/svbridge/svbridge/internal/e2e/sdh"
)

// bin holds our binaries as the container sees them at /opt/svbridge:
// svbridge with a symlink per program, the lean supervise, notifyd.
var bin string

// root is the module's root directory.
var root string

var programs = []string{"svscan", "svscanboot", "svc", "svok", "svstat", "multilog", "readproctitle",
	"tai64n", "tai64nlocal", "setuidgid", "envuidgid", "envdir", "softlimit", "setlock", "fghack", "pgrphack"}

func TestMain(m *testing.M) {
	if why := sdh.Unavailable(); why != "" {
		fmt.Println("skipping end-to-end tests:", why)
		os.Exit(m.Run()) // each test skips with the reason
	}
	dir, err := os.MkdirTemp("", "svbridge-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := 1
	defer func() { os.RemoveAll(dir); os.Exit(code) }()
	if err := build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "building binaries:", err)
		return
	}
	bin = dir
	code = m.Run()
}

func build(dir string) error {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return err
	}
	root = filepath.Dir(strings.TrimSpace(string(gomod)))
	cmd := exec.Command("go", "build", "-o", dir+"/", "./cmd/svbridge", "./cmd/supervise", "./internal/e2e/notifyd")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	for _, p := range programs {
		if err := os.Symlink("svbridge", filepath.Join(dir, p)); err != nil {
			return err
		}
	}
	return os.Chmod(dir, 0755)
}
