package scan

import (
	"bufio"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignalHoldsWhatItKills: a supervise process's signal(SIGKILL) kills
// its children and returns them held by pidfd, so that svscan can wait for
// their end (not only for the supervise's, which comes first when a child
// is slow to die); any other signal returns nothing to wait for.
func TestSignalHoldsWhatItKills(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		// A stand-in for supervise: a shell with one child.
		cmd := exec.Command("/bin/sh", "-c", "sleep 1000 & echo $!; wait")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		child, _ := strconv.Atoi(strings.TrimSpace(line))
		if err != nil || child <= 0 {
			cmd.Process.Kill()
			t.Fatalf("child pid %q: %v", line, err)
		}
		defer syscall.Kill(child, syscall.SIGKILL) // if the test fails first
		p := &process{pid: cmd.Process.Pid}
		killed := p.signal(sig)
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			if ee, ok := err.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != sig {
				t.Errorf("%v: the stand-in ended with %v", sig, err)
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%v: the stand-in did not end", sig)
		}
		if sig != syscall.SIGKILL {
			if killed != nil {
				t.Errorf("%v returned %d processes to wait for", sig, len(killed))
			}
			continue
		}
		if len(killed) != 1 || killed[0].Pid != child {
			t.Fatalf("killed %v, want the child %d", killed, child)
		}
		gone := make(chan bool, 1)
		go func() { gone <- killed[0].Wait() }()
		select {
		case ok := <-gone:
			if !ok {
				t.Fatal("Wait on the killed child failed")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the killed child did not end")
		}
		killed[0].Close()
	}
}
