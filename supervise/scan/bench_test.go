package scan_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/peers"
	"github.com/svbridge/svbridge/internal/testbin"
)

// BenchmarkNewServiceUp measures the delay from renaming a complete service
// dir into the scan dir to its run being started (supervise/status shows a
// pid), for our svscan and, in the same run, daemontools' svscan and
// runit's runsvdir (both poll every 5 s; runit is found by internal/peers). It reports the medians and the
// ratios. Ours are the packaged build (svbridge and the lean supervise,
// built here), since the delay includes supervise's start-up. Run it with:
//
//	go test -run '^$' -bench NewServiceUp -benchtime 20x ./supervise/scan
func BenchmarkNewServiceUp(b *testing.B) {
	bin, cleanup, err := testbin.Build([]string{"./cmd/..."}, "svscan")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(cleanup)
	ours := newScanner(b, filepath.Join(bin, "svscan"), bin)
	var samples []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		samples = append(samples, ours.upDelay(b, fmt.Sprintf("s%d", i)))
	}
	b.StopTimer()
	med := median(samples)
	b.ReportMetric(ms(med), "ours-ms")
	refs := referenceDelays(b)
	for _, r := range refs {
		b.ReportMetric(ms(r.med), r.name+"-ms")
		b.ReportMetric(float64(r.med)/float64(med), r.name+"/ours")
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

type refDelay struct {
	name string
	med  time.Duration
}

var (
	refOnce sync.Once
	refs    []refDelay
)

// referenceDelays measures the C scanners once per test binary run (each
// sample takes up to 5 s).
func referenceDelays(b *testing.B) []refDelay {
	refOnce.Do(func() {
		for _, c := range []struct{ name, path string }{
			{"daemontools", "/usr/bin/svscan"},
			{"runit", peers.Runit("runsvdir")},
		} {
			if c.path == "" {
				b.Logf("%s: not found (unpack runit with .ci/deps, or set %s)", c.name, peers.RunitDirEnv)
				continue
			}
			if _, err := os.Stat(c.path); err != nil {
				b.Logf("%s: not installed", c.path)
				continue
			}
			sc := newScanner(b, c.path, "")
			var d []time.Duration
			for i := 0; i < 3; i++ {
				d = append(d, sc.upDelay(b, fmt.Sprintf("s%d", i)))
			}
			sc.stop()
			refs = append(refs, refDelay{c.name, median(d)})
		}
	})
	return refs
}

type benchScanner struct {
	tmp, dir string
	cmd      *exec.Cmd
}

// newScanner starts the scanner prog, with bin first on its PATH unless bin
// is "" (the C scanners run their own supervise or runsv, found next to
// them).
func newScanner(b *testing.B, prog, bin string) *benchScanner {
	tmp := b.TempDir()
	dir := filepath.Join(tmp, "sv")
	if err := os.Mkdir(dir, 0755); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(prog, dir)
	if bin == "" {
		bin = filepath.Dir(prog)
	}
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	s := &benchScanner{tmp: tmp, dir: dir, cmd: cmd}
	b.Cleanup(s.stop)
	time.Sleep(200 * time.Millisecond) // let it finish its first scan
	return s
}

func (s *benchScanner) stop() {
	if s.cmd.Process != nil {
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		s.cmd.Wait()
		s.cmd.Process = nil
	}
}

// upDelay renames a complete service into the scan dir and returns how long
// it took until supervise/status shows a pid.
func (s *benchScanner) upDelay(b *testing.B, name string) time.Duration {
	src := filepath.Join(s.tmp, "new-"+name)
	if err := os.Mkdir(src, 0755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "run"), []byte("#!/bin/sh\nexec tail -f /dev/null\n"), 0755); err != nil {
		b.Fatal(err)
	}
	dst := filepath.Join(s.dir, name)
	t0 := time.Now()
	if err := os.Rename(src, dst); err != nil {
		b.Fatal(err)
	}
	deadline := t0.Add(15 * time.Second)
	for statusPid(dst) == 0 {
		if time.Now().After(deadline) {
			b.Fatalf("%s not up after 15 s", dst)
		}
		time.Sleep(500 * time.Microsecond)
	}
	return time.Since(t0)
}

// statusPid reads the pid at offset 12 of supervise/status: daemontools'
// 18-byte layout and runit's 20-byte one agree on it.
func statusPid(dir string) uint32 {
	b, err := os.ReadFile(filepath.Join(dir, "supervise", "status"))
	if err != nil || len(b) < 16 {
		return 0
	}
	return uint32(b[12]) | uint32(b[13])<<8 | uint32(b[14])<<16 | uint32(b[15])<<24
}
