package scan

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/svbridge/svbridge/supervise/pidfd"
)

// leftoverGrace is how long processes left in svscan's cgroup after the
// orderly stop get between SIGTERM and SIGKILL, and after SIGKILL.
const leftoverGrace = 5 * time.Second

// cgroupProcs returns the cgroup.procs file of this process's cgroup (the
// unified hierarchy: "0::PATH" in /proc/self/cgroup, under the cgroup2
// mount), when that cgroup is a systemd service's (its name ends in
// ".service"); "" otherwise.
func cgroupProcs() string {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return ""
	}
	var rel string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "0::") {
			rel = l[3:]
		}
	}
	if rel == "" || !strings.HasSuffix(rel, ".service") {
		return ""
	}
	mnt := cgroup2Mount()
	if mnt == "" {
		return ""
	}
	return filepath.Join(mnt, rel, "cgroup.procs")
}

// cgroup2Mount finds where the unified hierarchy is mounted
// (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid system).
func cgroup2Mount() string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS
		l := sc.Text()
		i := strings.Index(l, " - ")
		if i < 0 {
			continue
		}
		after := strings.Fields(l[i+3:])
		before := strings.Fields(l[:i])
		if len(after) > 0 && after[0] == "cgroup2" && len(before) >= 5 && before[3] == "/" {
			return before[4]
		}
	}
	return ""
}

// readProcs lists the pids in a cgroup.procs file, without this process.
func readProcs(path string) []int {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var pids []int
	self := os.Getpid()
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil && n != self {
			pids = append(pids, n)
		}
	}
	return pids
}

// endLeftovers ends, after the orderly stop, every process still in
// svscan's own cgroup: processes whose supervise died while svscan was
// gone, or that left their service's process group. SIGTERM (and
// SIGCONT) first, SIGKILL after leftoverGrace. Signals go through pidfds,
// so a pid reused meanwhile is never hit.
func (s *Scanner) endLeftovers() {
	path := cgroupProcs()
	if path == "" {
		return
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		var procs []*pidfd.Proc
		for _, pid := range readProcs(path) {
			st, err := pidfd.StartTime(pid)
			if err != nil {
				continue
			}
			p, err := pidfd.Open(pid, st)
			if err != nil {
				continue
			}
			p.Signal(sig)
			if sig != syscall.SIGKILL {
				p.Signal(syscall.SIGCONT)
			}
			procs = append(procs, p)
		}
		if len(procs) == 0 {
			return
		}
		if sig == syscall.SIGTERM {
			s.warn("ending ", strconv.Itoa(len(procs)), " processes left in ", filepath.Dir(path))
		}
		waitAll(procs, leftoverGrace)
	}
	if n := len(readProcs(path)); n > 0 {
		s.warn(strconv.Itoa(n), " processes still in ", filepath.Dir(path), " after SIGKILL")
	}
}

// waitAll waits until every process has exited, or limit has passed, and
// closes the pidfds.
func waitAll(procs []*pidfd.Proc, limit time.Duration) {
	done := make(chan struct{}, len(procs))
	for _, p := range procs {
		go func() { p.Wait(); done <- struct{}{} }()
	}
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for range procs {
		select {
		case <-done:
		case <-deadline.C:
			for _, p := range procs {
				p.Close()
			}
			return
		}
	}
	for _, p := range procs {
		p.Close()
	}
}
