package svscanboot

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/testkit"
)

// The test binary doubles as svscanboot: put next to fake svscan and
// readproctitle scripts under that name, it finds them there as it finds
// ours when installed.
func TestMain(m *testing.M) {
	os.Exit(testkit.Programs(m, map[string]cli.Main{"svscanboot": Main}, nil))
}

// bootDir makes a directory holding the test binary (as svscanboot) and the
// given scripts.
func bootDir(t *testing.T, scripts map[string]string) string {
	t.Helper()
	d := t.TempDir()
	testkit.LinkSelf(t, filepath.Join(d, "svscanboot"))
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(d, name), []byte("#!/bin/sh\n"+body), 0755); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func TestUnderSystemd(t *testing.T) {
	for env, want := range map[string]bool{
		"":                              false,
		"PATH=/bin":                     false,
		"INVOCATION_ID=abc":             true,
		"NOTIFY_SOCKET=/run/x":          false,
		"JOURNAL_STREAM=8:123":          true,
		"INVOCATION_ID=":                false,
		"XINVOCATION_ID=abc":            false,
		"PATH=/bin\nJOURNAL_STREAM=1:2": true,
	} {
		if got := UnderSystemd(strings.Split(env, "\n")); got != want {
			t.Errorf("%q: got %v", env, got)
		}
	}
}

func TestUsage(t *testing.T) {
	var out strings.Builder
	e := &cli.Env{Args: []string{"svscanboot", "a", "b"}, Stderr: &out, Environ: []string{}}
	if code := Main(e); code != 100 || out.String() != "svscanboot: usage: svscanboot [dir]\n" {
		t.Fatalf("got %d %q", code, out.String())
	}
}

// TestSystemdExecsSvscan: under systemd svscanboot becomes svscan (same pid,
// so Type=notify's main pid is svscan), keeps the environment and output,
// and does not take services down first.
func TestSystemdExecsSvscan(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	d := bootDir(t, map[string]string{
		"svscan": `echo "pid=$$ args=$* notify=$NOTIFY_SOCKET inv=$INVOCATION_ID" > ` + out + "\necho to-stderr >&2\n",
	})
	cmd := exec.Command(filepath.Join(d, "svscanboot"), "/srv/x")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "NOTIFY_SOCKET=/run/n", "INVOCATION_ID=42"}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("svscanboot: %v %s", err, stderr.String())
	}
	b, _ := os.ReadFile(out)
	want := "pid=" + strconv.Itoa(cmd.Process.Pid) + " args=/srv/x notify=/run/n inv=42\n"
	if string(b) != want {
		t.Fatalf("svscan saw %q, want %q", b, want)
	}
	if stderr.String() != "to-stderr\n" {
		t.Fatalf("svscan's stderr not passed through: %q", stderr.String())
	}
}

// TestSysVPipeline: under SysV init svscanboot takes the old tree down
// (svc -dx, here on a service run by daemontools' C supervise), then runs
// svscan DIR 2>&1 | readproctitle service errors: ... with only PATH set.
func TestSysVPipeline(t *testing.T) {
	tmp := t.TempDir()
	sdir := filepath.Join(tmp, "service")
	a := filepath.Join(sdir, "a")
	os.MkdirAll(a, 0755)
	os.WriteFile(filepath.Join(a, "run"), []byte("#!/bin/sh\nexec sleep 100000\n"), 0755)
	sup := testkit.DaemontoolsSupervise(t, a)
	testkit.WaitFor(t, 10*time.Second, "C supervise to start the service", func() bool {
		b, err := os.ReadFile(filepath.Join(a, "supervise", "status"))
		return err == nil && len(b) == 18 && b[12]|b[13]|b[14]|b[15] != 0
	})
	envOut := filepath.Join(tmp, "env")
	rptOut := filepath.Join(tmp, "rpt")
	d := bootDir(t, map[string]string{
		"svscan":        "env > " + envOut + "\necho \"svscan: args $*\"\necho 'svscan: warning: on stderr' >&2\n",
		"readproctitle": `echo "$#:$1:$2:$3" > ` + rptOut + ".args\ncat > " + rptOut + "\n",
	})
	cmd := exec.Command(filepath.Join(d, "svscanboot"), sdir)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/root"}
	if out, err := cmd.CombinedOutput(); err != nil || len(out) != 0 {
		t.Fatalf("svscanboot: %v, output %q (want none: it goes to /dev/null)", err, out)
	}
	testkit.Exited(t, sup, 10*time.Second, "svscanboot did not svc -dx the running service")
	env, _ := os.ReadFile(envOut)
	for _, l := range strings.Split(strings.TrimSpace(string(env)), "\n") {
		if l != "PATH="+ClassicPATH && !strings.HasPrefix(l, "PWD=") && !strings.HasPrefix(l, "SHLVL=") && l != "_="+"/usr/bin/env" {
			t.Errorf("svscan's environment has %q", l)
		}
	}
	got, _ := os.ReadFile(rptOut)
	if string(got) != "svscan: args "+sdir+"\nsvscan: warning: on stderr\n" {
		t.Errorf("readproctitle read %q", got)
	}
	args, _ := os.ReadFile(rptOut + ".args")
	if string(args) != "3:service:errors::"+strings.Repeat(".", 400)+"\n" {
		t.Errorf("readproctitle args %q", args)
	}
}
