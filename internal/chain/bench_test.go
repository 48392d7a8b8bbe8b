package chain_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/svbridge/svbridge/internal/chain/chaintest"
	"github.com/svbridge/svbridge/internal/testbin"
)

// BenchmarkChainLoaders runs each program, ours and daemontools', into
// /bin/true and reports both times per run and their ratio (ours/theirs):
// the cost a run script pays for each link of a chain. Ours are the
// packaged build (links to svbridge, built here), since start-up time is
// what is measured.
//
//	go test -run XXX -bench ChainLoaders ./internal/chain/
func BenchmarkChainLoaders(b *testing.B) {
	bin, cleanup, err := testbin.Build([]string{"./cmd/svbridge"}, chaintest.Names...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(cleanup)
	d := b.TempDir()
	e := filepath.Join(d, "env")
	os.Mkdir(e, 0o755)
	for _, n := range []string{"A", "B", "C", "D"} {
		os.WriteFile(filepath.Join(e, n), []byte("value \n"), 0o644)
	}
	lock := filepath.Join(d, "lock")
	cases := []struct {
		name string
		args []string
	}{
		{"envdir", []string{e, "/bin/true"}},
		{"softlimit", []string{"-o", "100", "-m", "100000000", "/bin/true"}},
		{"setlock", []string{"-n", lock, "/bin/true"}},
		{"setuidgid", []string{"nobody", "/bin/true"}},
		{"envuidgid", []string{"nobody", "/bin/true"}},
		{"pgrphack", []string{"/bin/true"}},
		{"fghack", []string{"/bin/true"}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			theirs := chaintest.Theirs(b, c.name)
			run := func(prog string) time.Duration {
				start := time.Now()
				if err := exec.Command(prog, c.args...).Run(); err != nil {
					b.Fatalf("%s %q: %v", prog, c.args, err)
				}
				return time.Since(start)
			}
			var ours, orig time.Duration
			for b.Loop() {
				ours += run(filepath.Join(bin, c.name))
				orig += run(theirs)
			}
			n := float64(b.N)
			b.ReportMetric(float64(ours.Microseconds())/n, "ours-µs/run")
			b.ReportMetric(float64(orig.Microseconds())/n, "theirs-µs/run")
			b.ReportMetric(float64(ours)/float64(orig), "ratio")
		})
	}
}
