package testkit

import (
	"flag"
	"os"
	"runtime"
	"strconv"
	"syscall"
)

// Parallel lets up to n parallel tests (t.Parallel) run at once in a
// package whose parallel tests spend their time waiting on processes and
// timers rather than on the CPU: go test's default, GOMAXPROCS, would run
// them two at a time on a two-core machine. An explicit -test.parallel
// wins, and so does a GOMAXPROCS above n. Call it from TestMain before
// m.Run, in the test process only (not when the test binary runs as one
// of our programs: it parses the command line as go test's flags).
func Parallel(n int) {
	if !flag.Parsed() {
		flag.Parse()
	}
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit && runtime.GOMAXPROCS(0) < n {
		flag.Set("test.parallel", strconv.Itoa(n))
	}
}

// WriteExecutable is os.WriteFile for a program (a run script) that is run
// while other tests of the process start processes in parallel: a process
// forked while the file is open for writing holds it open until its exec,
// and running the program in that window fails with ETXTBSY, "text file
// busy" (go.dev/issue/22315). Holding syscall.ForkLock for reading keeps
// forks out while the file is open.
func WriteExecutable(path string, data []byte, perm os.FileMode) error {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	return os.WriteFile(path, data, perm)
}
