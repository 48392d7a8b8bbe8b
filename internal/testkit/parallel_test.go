package testkit

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
)

// TestParallel: Parallel raises -test.parallel unless it was given.
func TestParallel(t *testing.T) {
	f := flag.Lookup("test.parallel")
	was := f.Value.String()
	t.Cleanup(func() { flag.Set("test.parallel", was) })
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	n := runtime.GOMAXPROCS(0) + 3
	Parallel(n)
	want := strconv.Itoa(n)
	if explicit {
		want = was
	}
	if got := f.Value.String(); got != want {
		t.Fatalf("-test.parallel %s after Parallel(%d) (given on the command line: %v), want %s", got, n, explicit, want)
	}
}

// TestWriteExecutable writes and runs scripts while another goroutine
// starts processes without a pause: none of the runs fails with "text
// file busy".
func TestWriteExecutable(t *testing.T) {
	dir := t.TempDir()
	Forking(t, 1, func() error { exec.Command("/bin/true").Run(); return nil })
	for i := 0; i < 300; i++ {
		p := filepath.Join(dir, "s"+strconv.Itoa(i))
		if err := WriteExecutable(p, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(p).CombinedOutput(); err != nil {
			t.Fatalf("run %d: %v %s", i, err, out)
		}
		os.Remove(p)
	}
}
