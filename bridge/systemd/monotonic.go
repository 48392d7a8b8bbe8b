package systemd

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// monotonicUsec is CLOCK_MONOTONIC in microseconds, for RELOADING=1.
func monotonicUsec() string {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return strconv.FormatInt(ts.Sec*1000000+ts.Nsec/1000, 10)
}
