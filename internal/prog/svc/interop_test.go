package svc

// Interop with Debian's daemontools 0.76 (the oracle): our svc, svok and
// svstat binaries against /usr/bin/svc, /usr/bin/svok and /usr/bin/svstat on
// the same inputs, byte for byte, and each side driving the other's
// supervise.

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/tai64n"
	"github.com/svbridge/svbridge/internal/testbin"
	"github.com/svbridge/svbridge/internal/testkit"
	"github.com/svbridge/svbridge/supervise/status"
)

// binDir holds svbridge, supervise and the svc, svok, svstat symlinks to
// svbridge built by TestMain; binDir/lean holds svc, svok and svstat linked
// to the lean supervise binary, as the packages install them.
var binDir string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	flag.Parse()
	if f := flag.Lookup("test.fuzzworker"); f != nil && f.Value.String() == "true" {
		// A fuzz worker runs only FuzzParse, which needs no binaries.
		return m.Run()
	}
	return testbin.Main(m, []string{"./cmd/..."}, []string{"svc", "svok", "svstat"},
		func(dir string) {
			binDir = dir
			// The tests that run programs (this file, drive_test.go) run
			// in parallel, eight at once: each works in its own temp dirs
			// and waits on processes, changing nothing in the test process.
			testkit.Parallel(8)
			lean := filepath.Join(dir, "lean")
			if err := os.Mkdir(lean, 0o755); err != nil {
				panic(err)
			}
			for _, n := range []string{"svc", "svok", "svstat"} {
				if err := os.Symlink("../supervise", filepath.Join(lean, n)); err != nil {
					panic(err)
				}
			}
		})
}

type tools struct{ name, svc, svok, svstat string }

// path is the path of prog ("svc", "svok" or "svstat") in tl.
func (tl tools) path(prog string) string {
	return map[string]string{"svc": tl.svc, "svok": tl.svok, "svstat": tl.svstat}[prog]
}

var debian = tools{"debian", "/usr/bin/svc", "/usr/bin/svok", "/usr/bin/svstat"}

// ours are our svc, svok and svstat as links to the multi-call svbridge.
func ours() tools {
	return tools{"ours", filepath.Join(binDir, "svc"), filepath.Join(binDir, "svok"), filepath.Join(binDir, "svstat")}
}

// oursLean are the same programs as links to the lean supervise binary.
func oursLean() tools {
	d := filepath.Join(binDir, "lean")
	return tools{"ours (lean binary)", filepath.Join(d, "svc"), filepath.Join(d, "svok"), filepath.Join(d, "svstat")}
}

// bothOurs are both builds of our programs, each to be compared with Debian's.
func bothOurs() []tools { return []tools{ours(), oursLean()} }

func needDebian(t *testing.T) {
	t.Helper()
	testkit.NeedDaemontools(t, "svc", "svok", "svstat", "supervise")
}

type result struct {
	code           int
	stdout, stderr string
}

// run executes prog with args in dir and returns what it printed.
func run(t *testing.T, dir, prog string, args ...string) result {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	code := testkit.ExitCode(t, cmd)
	return result{code, out.String(), errb.String()}
}

var (
	secondsRE    = regexp.MustCompile(`\d+ seconds`)
	zeroStatusRE = regexp.MustCompile(`d: down \d{19} seconds, normally up`)
)

// sameModuloSeconds compares two svstat outputs, allowing the seconds
// counts to differ by the time between the two runs.
func sameModuloSeconds(a, b string) bool {
	if secondsRE.ReplaceAllString(a, "N seconds") != secondsRE.ReplaceAllString(b, "N seconds") {
		return false
	}
	na, nb := secondsRE.FindAllString(a, -1), secondsRE.FindAllString(b, -1)
	for i := range na {
		x, _ := strconv.ParseUint(strings.Fields(na[i])[0], 10, 64)
		y, _ := strconv.ParseUint(strings.Fields(nb[i])[0], 10, 64)
		d := max(x, y) - min(x, y)
		if d > 2 && !(x > 1<<53 && d <= 2048) { // huge counts are rounded through a double
			return false
		}
	}
	return true
}

// holdReader opens a FIFO for reading as a running supervise would.
func holdReader(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
}

func mkfifos(t *testing.T, d string, reader bool) {
	t.Helper()
	os.MkdirAll(filepath.Join(d, "supervise"), 0700)
	for _, n := range []string{"control", "ok"} {
		p := filepath.Join(d, "supervise", n)
		if err := syscall.Mkfifo(p, 0600); err != nil {
			t.Fatal(err)
		}
		if reader {
			holdReader(t, p)
		}
	}
}

func writeStatus(t *testing.T, d string, b []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(d, "supervise", "status"), b, 0644); err != nil {
		t.Fatal(err)
	}
}

func stamp(s status.Status) []byte { b := s.Encode(); return b[:] }

// badInputs set up service directory "d" under root in ways the programs
// must survive with the original's message and exit code.
//
// readErr marks the one deliberate difference: when read(2) of
// supervise/status fails, the original compares the -1 with an unsigned
// size, misses the error and prints its (zeroed, or the previous
// directory's) status buffer as "down <2^62...> seconds"; ours prints the
// message the original has for it, "unable to read supervise/status: ERR".
var badInputs = []struct {
	name    string
	setup   func(t *testing.T, d string)
	readErr string
}{
	{"missing dir", func(t *testing.T, d string) {}, ""},
	{"dir without supervise", func(t *testing.T, d string) { os.Mkdir(d, 0755) }, ""},
	{"supervise a regular file", func(t *testing.T, d string) {
		os.Mkdir(d, 0755)
		os.WriteFile(filepath.Join(d, "supervise"), []byte("x"), 0644)
	}, ""},
	{"dir is a regular file", func(t *testing.T, d string) { os.WriteFile(d, nil, 0644) }, ""},
	{"empty supervise dir", func(t *testing.T, d string) { os.MkdirAll(filepath.Join(d, "supervise"), 0755) }, ""},
	{"fifos without reader", func(t *testing.T, d string) { mkfifos(t, d, false) }, ""},
	{"running, no status", func(t *testing.T, d string) { mkfifos(t, d, true) }, ""},
	{"status 0 bytes", func(t *testing.T, d string) { mkfifos(t, d, true); writeStatus(t, d, nil) }, ""},
	{"status 17 bytes", func(t *testing.T, d string) { mkfifos(t, d, true); writeStatus(t, d, make([]byte, 17)) }, ""},
	{"status 19 bytes", func(t *testing.T, d string) {
		mkfifos(t, d, true)
		writeStatus(t, d, append(stamp(status.Status{When: tai64n.Now(), Pid: 77, Want: 'd'}), 'x'))
	}, ""},
	{"status all zero", func(t *testing.T, d string) { mkfifos(t, d, true); writeStatus(t, d, make([]byte, 18)) }, ""},
	{"status in the future, paused, want down", func(t *testing.T, d string) {
		mkfifos(t, d, true)
		writeStatus(t, d, stamp(status.Status{When: tai64n.FromTime(time.Now().Add(time.Hour)), Pid: 4000000000, Paused: true, Want: 'd'}))
		os.WriteFile(filepath.Join(d, "down"), nil, 0644)
	}, ""},
	{"status down, want up, odd bytes", func(t *testing.T, d string) {
		mkfifos(t, d, true)
		writeStatus(t, d, []byte("@\x00\x00\x00\x68\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x07u"))
	}, ""},
	{"status a directory", func(t *testing.T, d string) {
		mkfifos(t, d, true)
		os.Mkdir(filepath.Join(d, "supervise", "status"), 0755)
	}, "is a directory"},
	{"status a fifo", func(t *testing.T, d string) {
		mkfifos(t, d, true)
		syscall.Mkfifo(filepath.Join(d, "supervise", "status"), 0600)
		holdReader(t, filepath.Join(d, "supervise", "status"))
	}, "temporary failure"},
	{"control a regular file", func(t *testing.T, d string) {
		os.MkdirAll(filepath.Join(d, "supervise"), 0755)
		os.WriteFile(filepath.Join(d, "supervise", "control"), []byte("0123456789"), 0644)
	}, ""},
	{"control a directory", func(t *testing.T, d string) {
		os.MkdirAll(filepath.Join(d, "supervise", "control"), 0755)
	}, ""},
	{"down a symlink loop", func(t *testing.T, d string) {
		mkfifos(t, d, true)
		os.Symlink("down", filepath.Join(d, "down"))
	}, ""},
	{"ok a symlink loop", func(t *testing.T, d string) {
		os.MkdirAll(filepath.Join(d, "supervise"), 0755)
		os.Symlink("ok", filepath.Join(d, "supervise", "ok"))
	}, ""},
	{"ok a regular file", func(t *testing.T, d string) {
		os.MkdirAll(filepath.Join(d, "supervise"), 0755)
		os.WriteFile(filepath.Join(d, "supervise", "ok"), nil, 0644)
		writeStatus(t, d, stamp(status.Status{When: tai64n.Now(), Pid: 5}))
	}, ""},
	{"control fifo with reader, no ok", func(t *testing.T, d string) {
		os.MkdirAll(filepath.Join(d, "supervise"), 0755)
		syscall.Mkfifo(filepath.Join(d, "supervise", "control"), 0600)
		holdReader(t, filepath.Join(d, "supervise", "control"))
	}, ""},
	{"ok a dangling symlink", func(t *testing.T, d string) {
		os.MkdirAll(filepath.Join(d, "supervise"), 0755)
		os.Symlink("nowhere", filepath.Join(d, "supervise", "ok"))
	}, ""},
}

// TestBadInputsMatchDebian runs each program of both implementations on a
// fresh copy of each bad input and compares exit code, stdout, stderr and
// the bytes left in supervise/control.
func TestBadInputsMatchDebian(t *testing.T) {
	t.Parallel()
	needDebian(t)
	commands := [][]string{
		{"svc", "d"},
		{"svc", "-u", "d"},
		{"svc", "-dx", "d", "d"},
		{"svc", "-u", "-k", "-p", "d", "nonexistent"},
		{"svc", "-u", "-Z", "d"},
		{"svc", "-:", "d"},
		{"svc", "--", "-u", "d"},
		{"svc", "--help"},
		{"svc", "-u", "--help", "d"},
		{"svc", "-u", "--foo", "d"},
		{"svc", "--foo", "-u", "d"},
		{"svc", "-u", "---", "-d", "d"},
		{"svc"},
		{"svok", "d"},
		{"svok", "d", "nonexistent"},
		{"svok"},
		{"svstat", "d"},
		{"svstat", "d", "-x", "d"},
		{"svstat"},
	}
	for _, in := range badInputs {
		for _, c := range commands {
			impls := append([]tools{debian}, bothOurs()...)
			res := make([]result, len(impls))
			ctl := make([]string, len(impls))
			for i, tl := range impls {
				root := t.TempDir()
				in.setup(t, filepath.Join(root, "d"))
				res[i] = run(t, root, tl.path(c[0]), c[1:]...)
				// Only a regular control file is read: a FIFO would block.
				cp := filepath.Join(root, "d", "supervise", "control")
				if fi, err := os.Lstat(cp); err == nil && fi.Mode().IsRegular() {
					b, _ := os.ReadFile(cp)
					ctl[i] = string(b)
				}
			}
			d := res[0]
			if in.readErr != "" && c[0] == "svstat" && len(c) > 1 {
				fixed := zeroStatusRE.ReplaceAllString(d.stdout, "d: unable to read supervise/status: "+in.readErr)
				if fixed == d.stdout {
					t.Errorf("%s: %q: the original no longer misreads: %q", in.name, c, d.stdout)
				}
				d.stdout = fixed
			}
			for i := 1; i < len(impls); i++ {
				g := res[i]
				same := d.code == g.code && d.stderr == g.stderr && ctl[0] == ctl[i] &&
					(d.stdout == g.stdout || c[0] == "svstat" && sameModuloSeconds(d.stdout, g.stdout))
				if !same {
					t.Errorf("%s: %s: %q:\ndebian %d %q %q control %q\nours   %d %q %q control %q",
						impls[i].name, in.name, c, d.code, d.stdout, d.stderr, ctl[0], g.code, g.stdout, g.stderr, ctl[i])
				}
			}
		}
	}
}

// TestUsageNamesArgv0 checks that getopt's message names the program as
// invoked (after the last slash) while the usage line stays svc's.
func TestUsageNamesArgv0(t *testing.T) {
	t.Parallel()
	needDebian(t)
	dir := t.TempDir()
	os.Symlink("/usr/bin/svc", filepath.Join(dir, "their-ctl"))
	os.Symlink(filepath.Join(binDir, "svbridge"), filepath.Join(dir, "svc"))
	d := run(t, dir, "./their-ctl", "-y")
	g := run(t, dir, "./svc", "-y")
	if d.code != 100 || g.code != 100 || strings.TrimPrefix(d.stderr, "their-ctl") != strings.TrimPrefix(g.stderr, "svc") {
		t.Fatalf("debian %d %q\nours %d %q", d.code, d.stderr, g.code, g.stderr)
	}
	// "svbridge svc -y" names svc.
	if g := run(t, dir, filepath.Join(binDir, "svbridge"), "svc", "-y"); g.code != 100 || !strings.HasPrefix(g.stderr, "svc: illegal option -- y\nsvc options: ") {
		t.Fatalf("svbridge svc: %d %q", g.code, g.stderr)
	}
}

// TestPermissionsMatchDebian runs both implementations as nobody on a
// service dir it may not enter and on one whose supervise/ it may not
// search (as root, permission checks would not apply).
func TestPermissionsMatchDebian(t *testing.T) {
	t.Parallel()
	needDebian(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the programs as nobody")
	}
	root, err := os.MkdirTemp("", "svc-perm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	os.Chmod(binDir, 0755)
	for _, p := range []string{root, filepath.Join(root, "noenter", "supervise"), filepath.Join(root, "nosearch", "supervise")} {
		os.MkdirAll(p, 0755)
	}
	os.Chmod(root, 0755)
	os.Chmod(filepath.Join(root, "noenter"), 0644)
	os.Chmod(filepath.Join(root, "nosearch"), 0711)
	os.Chmod(filepath.Join(root, "nosearch", "supervise"), 0700)
	asNobody := func(prog string, args ...string) result {
		cmd := exec.Command(prog, args...)
		cmd.Dir = root
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		code := testkit.ExitCode(t, cmd)
		return result{code, out.String(), errb.String()}
	}
	for _, dir := range []string{"noenter", "nosearch"} {
		for _, prog := range []string{"svc", "svok", "svstat"} {
			args := []string{dir}
			if prog == "svc" {
				args = []string{"-u", dir}
			}
			d := asNobody(debian.path(prog), args...)
			if !strings.Contains(d.stdout+d.stderr, "access denied") {
				t.Errorf("debian %s %q: %+v, want access denied", prog, args, d)
			}
			for _, o := range bothOurs() {
				if g := asNobody(o.path(prog), args...); g != d {
					t.Errorf("%s: %s %q:\ndebian %+v\nours   %+v", o.name, prog, args, d, g)
				}
			}
		}
	}
}
