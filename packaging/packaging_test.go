// Package packaging_test checks that the package follows the binary: every
// program the multi-call binary knows is linked in nfpm.yaml, has a man
// page, and the unit and inittab entry name programs that exist.
package packaging_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/svbridge/svbridge/internal/testbin"
)

func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := testbin.Root()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// programs runs "svbridge --help" and returns the names listed in its
// group of daemontools programs (and update-service).
func programs(t *testing.T) []string {
	t.Helper()
	bin := testbin.BuildFor(t, []string{"./cmd/svbridge"})
	out, err := exec.Command(bin+"/svbridge", "--help").Output()
	if err != nil {
		t.Fatalf("svbridge --help: %v", err)
	}
	var names []string
	in := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "daemontools programs"):
			in = true
		case in && strings.HasPrefix(line, "  "):
			names = append(names, strings.Fields(line)[0])
		case in:
			in = false
		}
	}
	if len(names) < 17 {
		t.Fatalf("found %d programs in svbridge --help:\n%s", len(names), out)
	}
	sort.Strings(names)
	return names
}

func TestEveryProgramIsPackaged(t *testing.T) {
	root := moduleRoot(t)
	names := programs(t)
	cfg, err := os.ReadFile(filepath.Join(root, "nfpm.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	links := map[string]string{} // dst -> src of every symlink entry
	re := regexp.MustCompile(`\{src: ([^,]+), dst: ([^,]+), type: symlink`)
	for _, m := range re.FindAllStringSubmatch(string(cfg), -1) {
		links[m[2]] = m[1]
	}
	for _, n := range names {
		switch n {
		case "supervise":
			// the lean binary, a file of its own
			if !strings.Contains(string(cfg), "dst: /usr/bin/supervise\n") {
				t.Errorf("nfpm.yaml does not install /usr/bin/supervise")
			}
		case "update-service":
			if links["/usr/sbin/update-service"] != "../bin/svbridge" {
				t.Errorf("nfpm.yaml: /usr/sbin/update-service -> %q", links["/usr/sbin/update-service"])
			}
		default:
			// the lean binary starts faster than svbridge, and fits
			// under "softlimit -m 4000000" (as svscan it hands over
			// to svbridge)
			if links["/usr/bin/"+n] != "supervise" {
				t.Errorf("nfpm.yaml: no link /usr/bin/%s -> supervise", n)
			}
		}
		if _, err := os.Stat(filepath.Join(root, "packaging/man/man8", n+".8")); err != nil {
			t.Errorf("no man page for %s: %v", n, err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "packaging/man/man8/svbridge.8")); err != nil {
		t.Errorf("no man page for svbridge: %v", err)
	}
	// no link to a program the binary does not have
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
	}
	for dst := range links {
		if !known[filepath.Base(dst)] {
			t.Errorf("nfpm.yaml links %s, which svbridge does not know", dst)
		}
	}
}

// TestManPagesRender: every page has NAME and SYNOPSIS and, where groff is
// installed, renders without warnings.
func TestManPagesRender(t *testing.T) {
	root := moduleRoot(t)
	pages, _ := filepath.Glob(filepath.Join(root, "packaging/man/man8/*.8"))
	if len(pages) < 19 {
		t.Fatalf("%d man pages", len(pages))
	}
	_, err := exec.LookPath("groff")
	for _, p := range pages {
		b, _ := os.ReadFile(p)
		if !bytes.Contains(b, []byte("\n.SH NAME\n")) || !bytes.Contains(b, []byte("\n.SH SYNOPSIS\n")) {
			t.Errorf("%s: no NAME or SYNOPSIS section", filepath.Base(p))
		}
		if err != nil {
			continue
		}
		cmd := exec.Command("groff", "-man", "-Tutf8", "-ww", "-z", p)
		if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("groff %s: %v %s", filepath.Base(p), err, out)
		}
	}
}

// TestUnitNamesPrograms: the unit's ExecStart and the inittab entry run
// programs the package installs, on /etc/service.
func TestUnitNamesPrograms(t *testing.T) {
	root := moduleRoot(t)
	unit, err := os.ReadFile(filepath.Join(root, "units/svscan.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nExecStart=/usr/bin/svscanboot /etc/service\n", "\nType=notify\n", "\nKillMode=process\n", "\nRestart=always\n",
		"\nEnvironment=SVBRIDGE_INPROCESS=1\n"} {
		if !bytes.Contains(unit, []byte(want)) {
			t.Errorf("svscan.service lacks %q", strings.TrimSpace(want))
		}
	}
	tab, err := os.ReadFile(filepath.Join(root, "units/inittab"))
	if err != nil {
		t.Fatal(err)
	}
	if string(tab) != "#-- svbridge begin\nSV:123456:respawn:/usr/bin/svscanboot /etc/service\n#-- svbridge end\n" {
		t.Errorf("units/inittab: %q", tab)
	}
	// the maintainer scripts write the same block
	fn, _ := os.ReadFile(filepath.Join(root, "packaging/scripts/functions.sh"))
	for _, l := range strings.Split(strings.TrimSpace(string(tab)), "\n") {
		if !bytes.Contains(fn, []byte("echo '"+l+"'")) {
			t.Errorf("functions.sh does not write %q", l)
		}
	}
}
