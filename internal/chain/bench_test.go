package chain_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/chain/chaintest"
	"github.com/svbridge/svbridge/internal/testbin"
)

// BenchmarkChainLoaders runs each program into /bin/true, ours and
// daemontools', and reports the times per run and their ratios: the cost a
// run script pays for each link of a chain. Ours is the lean binary as
// packaged (with the entry stub of package rlimit, which raises the soft
// memory limits before the runtime starts); nostub is the same binary
// linked without the stub; svbridge is the multi-call binary (with it).
// The cases named "...-limited" run under daemontools' "softlimit -m
// 4000000", where the stub raises the limits and every exec puts them back
// (fghack's fork+exec through the trampoline): the binary without the stub
// and svbridge (too big to be mapped) cannot run there.
//
//	go test -run XXX -bench ChainLoaders ./internal/chain/
func BenchmarkChainLoaders(b *testing.B) {
	lean := testbin.BuildFor(b, []string{"./cmd/supervise"})
	for _, n := range chaintest.Names {
		os.Symlink("supervise", filepath.Join(lean, n))
	}
	nostub := b.TempDir()
	build := exec.Command("go", "build", "-o", nostub+"/", "./cmd/supervise")
	build.Dir, _ = testbin.Root()
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	for _, n := range chaintest.Names {
		os.Symlink("supervise", filepath.Join(nostub, n))
	}
	multi := testbin.BuildFor(b, []string{"./cmd/svbridge"}, chaintest.Names...)
	d := b.TempDir()
	e := filepath.Join(d, "env")
	os.Mkdir(e, 0o755)
	for _, n := range []string{"A", "B", "C", "D"} {
		os.WriteFile(filepath.Join(e, n), []byte("value \n"), 0o644)
	}
	lock := filepath.Join(d, "lock")
	cases := []struct {
		name    string
		args    []string
		limited bool
	}{
		{"envdir", []string{e, "/bin/true"}, false},
		{"softlimit", []string{"-o", "100", "-m", "100000000", "/bin/true"}, false},
		{"setlock", []string{"-n", lock, "/bin/true"}, false},
		{"setuidgid", []string{"nobody", "/bin/true"}, false},
		{"envuidgid", []string{"nobody", "/bin/true"}, false},
		{"pgrphack", []string{"/bin/true"}, false},
		{"fghack", []string{"/bin/true"}, false},
		{"envdir", []string{e, "/bin/true"}, true},
		{"fghack", []string{"/bin/true"}, true},
	}
	for _, c := range cases {
		name := c.name
		if c.limited {
			name += "-limited"
		}
		b.Run(name, func(b *testing.B) {
			theirs := chaintest.Theirs(b, c.name)
			crashes := 0
			run := func(prog string) time.Duration {
				argv := append([]string{prog}, c.args...)
				if c.limited {
					argv = append([]string{chaintest.Theirs(b, "softlimit"), "-m", "4000000"}, argv...)
				}
				start := time.Now()
				err := exec.Command(argv[0], argv[1:]...).Run()
				if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 2 && strings.HasPrefix(prog, nostub) {
					// without the stub, softlimit lowers the limits
					// before syscall.Exec, which may allocate
					// beyond them: "fatal error: runtime: out of
					// memory" (about 1 run in 100 with -m 100000000)
					crashes++
				} else if err != nil {
					b.Fatalf("%s %q: %v", prog, c.args, err)
				}
				return time.Since(start)
			}
			var ours, plain, multiT, orig time.Duration
			for b.Loop() {
				ours += run(filepath.Join(lean, c.name))
				if !c.limited {
					plain += run(filepath.Join(nostub, c.name))
					multiT += run(filepath.Join(multi, c.name))
				}
				orig += run(theirs)
			}
			n := float64(b.N)
			b.ReportMetric(float64(ours.Microseconds())/n, "ours-µs/run")
			b.ReportMetric(float64(orig.Microseconds())/n, "theirs-µs/run")
			b.ReportMetric(float64(ours)/float64(orig), "ratio")
			if !c.limited {
				b.ReportMetric(float64(plain.Microseconds())/n, "nostub-µs/run")
				b.ReportMetric(float64(multiT.Microseconds())/n, "svbridge-µs/run")
				b.ReportMetric(float64(ours)/float64(plain), "stub-ratio")
				b.ReportMetric(float64(crashes), "nostub-crashes")
			}
		})
	}
}
