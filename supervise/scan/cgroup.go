package scan

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/svbridge/svbridge/supervise/pidfd"
)

// leftoverGrace is how long processes left in svscan's cgroup after the
// orderly stop get between SIGTERM and SIGKILL, and after SIGKILL.
const leftoverGrace = 5 * time.Second

// cgroupProcs returns the cgroup.procs file of this process's cgroup when
// that cgroup is a systemd service's (its name ends in ".service"); ""
// otherwise. The unified hierarchy ("0::PATH" in /proc/self/cgroup, under
// the cgroup2 mount) is used when it places us in a service, else
// systemd's own v1 hierarchy ("N:name=systemd:PATH").
func cgroupProcs() string {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return ""
	}
	var unified, named string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.SplitN(l, ":", 3)
		if len(f) != 3 || !strings.HasSuffix(f[2], ".service") {
			continue
		}
		switch {
		case f[0] == "0" && f[1] == "":
			unified = f[2]
		case f[1] == "name=systemd":
			named = f[2]
		}
	}
	if unified != "" {
		if mnt := cgroupMount(true); mnt != "" {
			return filepath.Join(mnt, unified, "cgroup.procs")
		}
	}
	if named != "" {
		if mnt := cgroupMount(false); mnt != "" {
			return filepath.Join(mnt, named, "cgroup.procs")
		}
	}
	return ""
}

// cgroupMount finds where the unified hierarchy is mounted (/sys/fs/cgroup,
// or /sys/fs/cgroup/unified on a hybrid system), or systemd's named v1
// hierarchy (/sys/fs/cgroup/systemd).
func cgroupMount(unified bool) string {
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
		if len(after) < 3 || len(before) < 5 || before[3] != "/" {
			continue
		}
		if unified && after[0] == "cgroup2" {
			return before[4]
		}
		if !unified && after[0] == "cgroup" && slices.Contains(strings.Split(after[2], ","), "name=systemd") {
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
			p, err := pidfd.OpenCurrent(pid)
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
			s.warn("ending ", plural(len(procs)), " left in ", filepath.Dir(path))
		}
		waitAll(procs, leftoverGrace)
	}
	if n := len(readProcs(path)); n > 0 {
		s.warn(plural(n), " still in ", filepath.Dir(path), " after SIGKILL")
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

func plural(n int) string {
	if n == 1 {
		return "1 process"
	}
	return strconv.Itoa(n) + " processes"
}
