package scan

import (
	"os"

	"golang.org/x/sys/unix"
)

// In all-in-one mode every supervisor's descriptors are svscan's own: a
// supervisor or a log pipe is started only with fdReserve descriptors left
// for the running services and svscan.
const (
	fdsPerSupervisor = 8   // descriptors one supervisor may need (files, notify socket, a spawn's pipes)
	fdReserve        = 64  // descriptors kept free for running services and svscan
	fdRecount        = 256 // closer than this to the reserve, descriptors are counted again
)

// fdBudget is what is left of this process's descriptors: the free ones as
// last counted, less what was handed out since. A nil budget counts
// nothing (a supervise process has descriptors of its own).
type fdBudget struct{ free int }

// recount makes the next take count the open descriptors again.
func (b *fdBudget) recount() {
	if b != nil {
		b.free = 0
	}
}

// take reports whether n descriptors can be handed out with fdReserve
// left, and counts them as handed out. It counts the open descriptors only
// when the last count, less what was handed out since, comes near the
// reserve, so starting many services costs few counts.
func (b *fdBudget) take(n int) bool {
	if b == nil {
		return true
	}
	if b.free < n+fdReserve+fdRecount {
		b.free = fdRoom()
	}
	if b.free < n+fdReserve {
		return false
	}
	b.free -= n
	return true
}

// fdRoom returns how many more descriptors this process may open (0 when
// it cannot even count them).
func fdRoom() int {
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) != nil {
		return 0
	}
	f, err := os.Open("/proc/self/fd")
	if err != nil {
		return 0
	}
	names, _ := f.Readdirnames(-1)
	f.Close()
	if lim.Cur > 1<<30 {
		return 1 << 30
	}
	return max(int(lim.Cur)-len(names), 0)
}
