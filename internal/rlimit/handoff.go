package rlimit

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// HandoffVar is the environment variable in which Handoff passes the soft
// limits the process started with to the program it executes, for Inherit.
// Its value is three fields separated by colons, for RLIMIT_AS, RLIMIT_DATA
// and RLIMIT_NPROC: the original soft limit in hex when the stub raised it,
// "-" when it did not.
const HandoffVar = "SVBRIDGE_RLIMIT_STARTED"

// handoffLimits are the indexes in saved of the limits a handoff carries.
var handoffLimits = [3]int{0, 1, 3}

// Handoff replaces the process with path, another binary of the suite
// linked with the entry stub, run with argv and env, keeping the soft
// limits the stub raised: a binary too large for the limits the process
// started with (the kernel maps the whole executable at exec, before its
// stub runs) starts under the raised ones. The original soft limits go
// along in HandoffVar, so that the new program gives them to the programs
// it starts (Inherit). RLIMIT_NOFILE is put back, as Exec does: the new
// runtime raises it again and keeps the original for its children. It
// returns only on failure, with the process's limits as they were.
func Handoff(path string, argv, env []string) error {
	kept := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, HandoffVar+"=") {
			kept = append(kept, kv)
		}
	}
	var f [len(handoffLimits)]string
	for n, i := range handoffLimits {
		f[n] = "-"
		if raised&(1<<i) != 0 {
			f[n] = strconv.FormatUint(saved[i].Cur, 16)
		}
	}
	kept = append(kept, HandoffVar+"="+strings.Join(f[:], ":"))
	if !Started() {
		return syscall.Exec(path, argv, kept)
	}
	return execve(path, argv, kept, nil, true)
}

// Inherit takes the soft limits that Handoff passed in HandoffVar as those
// the process started with, as if its own stub had raised them (Original,
// Raised, and so Exec, ForkExec and Command, then give them to the programs
// it starts), and removes the variable from the environment. It reports
// whether the variable was there: the process was started by Handoff. Call
// it at the start of main, before anything reads the environment or starts
// a program.
//
// A value is taken only where the stub ran and read the limit, and only
// when it is below the soft limit the process has: a handoff can lower what
// the programs started from here get, never raise it; a malformed value
// counts as "-".
func Inherit() bool {
	v, ok := os.LookupEnv(HandoffVar)
	if !ok {
		return false
	}
	os.Unsetenv(HandoffVar)
	if !Started() {
		return true
	}
	f := strings.Split(v, ":")
	if len(f) != len(handoffLimits) {
		return true
	}
	for n, i := range handoffLimits {
		cur, err := strconv.ParseUint(f[n], 16, 64)
		if err != nil || raised&(1<<(8+i)) == 0 || cur >= saved[i].Cur {
			continue
		}
		saved[i].Cur = cur
		raised |= 1 << i
	}
	return true
}
