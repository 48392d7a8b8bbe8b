package testkit

import (
	"flag"
	"runtime"
	"strconv"
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
