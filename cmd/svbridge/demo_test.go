package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/testbin"
	"github.com/svbridge/svbridge/internal/testkit"
)

// TestDemo runs README's main job for real, "svbridge demo --for 8s DIR",
// with freshly built binaries started from a directory removed once the demo
// is over (as "go run" does with its build), and checks what a user would look
// at: the services are up (crashy normally down), "svbridge status" works
// through the PATH the banner prepares, a service added as the banner says
// starts, the loggers wrote stamped lines, the chain-loaded run script got its
// environment, svscan stopped cleanly, the demo's program links still work
// afterwards, and within a second of the stop nothing of the tree is left
// running (the services' children included).
func TestDemo(t *testing.T) {
	built := testbin.BuildFor(t, []string{"./cmd/..."})
	gorun := filepath.Join(t.TempDir(), "go-build", "exe")
	if err := os.MkdirAll(gorun, 0755); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(built, "svbridge")); err != nil {
		t.Fatal(err)
	} else if err := os.WriteFile(filepath.Join(gorun, "svbridge"), b, 0755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "demo")
	bin := filepath.Join(dir, ".bin")
	cmd := exec.Command(filepath.Join(gorun, "svbridge"), "demo", "--for", "8s", dir)
	// A file, not a pipe: cmd.Wait must not wait for every process that
	// inherited the output (a left-over child of a service) to close it.
	buf := outputFile(filepath.Join(t.TempDir(), "demo.out"))
	f, err := os.Create(string(buf))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { err = cmd.Wait(); close(done) }()
	defer func() {
		select {
		case <-done:
		default:
			cmd.Process.Kill()
			<-done
		}
	}()

	// While it runs: the shell the banner prepares finds svbridge in DIR/.bin.
	shell := func(script string) (string, error) {
		c := exec.Command("sh", "-c", script)
		c.Env = append(os.Environ(), "PATH="+bin+":/usr/bin:/bin", "D="+dir)
		out, err := c.CombinedOutput()
		return string(out), err
	}
	if !waitUntil(10*time.Second, func() bool { return strings.Contains(buf.String(), "Ctrl-C stops svscan") }) {
		t.Fatalf("no banner within 10 s:\n%s", buf.String())
	}
	if out, err := shell(`command -v svbridge`); err != nil || strings.TrimSpace(out) != bin+"/svbridge" {
		t.Errorf("svbridge on the demo's PATH: %q, %v", out, err)
	}
	var status string
	if !waitUntil(10*time.Second, func() bool {
		status, _ = shell(`svbridge status "$D/clock"`)
		return strings.HasPrefix(status, "clock: up (pid ")
	}) {
		t.Errorf("svbridge status through the demo's PATH never showed clock up:\n%s", status)
	}
	// The banner's way to add a service (its lines, run in that shell).
	banner := buf.String()
	i, j := strings.Index(banner, "add a service:"), strings.Index(banner, "Ctrl-C stops")
	if i < 0 || j < i {
		t.Fatalf("banner lacks the add-a-service lines:\n%s", banner)
	}
	var add []string
	for _, l := range strings.Split(banner[i:j], "\n")[1:] {
		if k := strings.Index(l, "  #"); k > 0 {
			l = l[:k] // a comment
		}
		if l = strings.TrimSpace(l); l != "" {
			add = append(add, l)
		}
	}
	if len(add) != 6 || !strings.HasPrefix(add[5], "svbridge status ") {
		t.Fatalf("banner's add-a-service lines: %q", add)
	}
	if out, err := shell("set -e\n" + strings.Join(add[:5], "\n") + "\nkill -HUP " + strconv.Itoa(svscanPid(t, banner))); err != nil {
		t.Errorf("adding a service as the banner says: %v\n%s", err, out)
	}
	if !waitUntil(10*time.Second, func() bool {
		status, _ = shell(add[5])
		return strings.HasPrefix(status, "hello: up (pid ")
	}) {
		t.Errorf("the added service is not up within 10 s: %s\n%s", status, buf.String())
	}

	testkit.Receive(t, done, 60*time.Second, "demo did not finish within 60 s")
	stopped := time.Now()
	out := []byte(buf.String())
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{
		dir + "/clock: up (pid ", dir + "/clock/log: up (pid ",
		dir + "/greeter: up (pid ", dir + "/greeter/log: up (pid ",
		dir + "/ticker: up (pid ", dir + "/crashy: down ",
		"ticker: tick", "svbridge demo: stopped",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q:\n%s", want, text)
		}
	}
	stamped := regexp.MustCompile(`(?m)^@4000000[0-9a-f]{17} clock: \d\d:\d\d:\d\d$`)
	if b, _ := os.ReadFile(filepath.Join(dir, "clock/log/main/current")); len(stamped.FindAll(b, -1)) < 2 {
		t.Errorf("clock's log has fewer than 2 stamped lines:\n%s", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "greeter/log/main/current")); !strings.Contains(string(b), "greeter: hello from envdir") {
		t.Errorf("greeter's log lacks the envdir greeting:\n%s", b)
	}
	// Within a second of the stop no process of the tree remains: the
	// supervise processes, loggers and services run in DIR's service dirs,
	// and so do the services' children (ticker's sleep, hello's).
	var left []string
	if !waitUntil(time.Until(stopped.Add(time.Second)), func() bool { left = processesIn(dir); return len(left) == 0 }) {
		t.Errorf("processes still running in %s a second after the demo stopped:\n%s", dir, strings.Join(left, "\n"))
	}

	// The links work after the demo, with the binary it ran from gone.
	if err := os.RemoveAll(filepath.Dir(gorun)); err != nil {
		t.Fatal(err)
	}
	if target, err := os.Readlink(filepath.Join(bin, "svc")); err != nil || target != "svbridge" {
		t.Errorf("%s/svc -> %q, %v; want svbridge", bin, target, err)
	}
	if out, err := shell(`svstat "$D/clock"; svok "$D/clock"; echo svok=$?; svbridge status "$D/clock"`); err != nil ||
		!strings.Contains(out, dir+"/clock: ") || !strings.Contains(out, "svok=") {
		t.Errorf("programs after the demo: %v\n%s", err, out)
	}
}

// svscanPid reads svscan's pid from the demo's banner.
func svscanPid(t *testing.T, banner string) int {
	m := regexp.MustCompile(`svscan \(pid (\d+)\)`).FindStringSubmatch(banner)
	if m == nil {
		t.Fatalf("no svscan pid in the banner:\n%s", banner)
	}
	pid, _ := strconv.Atoi(m[1])
	return pid
}

// processesIn lists the processes whose working directory is dir or below.
func processesIn(dir string) []string {
	var found []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if err == nil && (cwd == dir || strings.HasPrefix(cwd, dir+"/")) {
			cl, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			found = append(found, e.Name()+" in "+cwd+": "+strings.ReplaceAll(string(cl), "\x00", " "))
		}
	}
	return found
}

// waitUntil polls cond every 20 ms until it holds or d has passed (it is
// tried at least once).
func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// outputFile is the file a process writes its output to.
type outputFile string

func (o outputFile) String() string {
	b, _ := os.ReadFile(string(o))
	return string(b)
}
