package testkit

import (
	"flag"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
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

// Forking calls fork over and over from n goroutines until the test ends,
// as a process that forks all the time does (all-in-one svscan, or a test
// process running many supervisors): for tests of what a child holds
// between its fork and its exec (a copy of every descriptor). A fork that
// returns an error fails the test and ends its goroutine.
func Forking(t testing.TB, n int, fork func() error) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := fork(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	t.Cleanup(func() { close(stop); wg.Wait() })
}
