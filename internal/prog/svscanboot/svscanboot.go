// Package svscanboot is the svscanboot program: it starts svscan on a
// service directory (default /etc/service) in the way that fits how it was
// started.
//
// Under systemd (INVOCATION_ID or JOURNAL_STREAM set; NOTIFY_SOCKET alone is
// no proof: systemd-nspawn gives it to a container's sysvinit, which passes
// it on to what inittab starts) it
// replaces itself with "svscan DIR", keeping its environment and output, so
// svscan is the unit's main process (Type=notify) and its messages go to the
// journal. It does not run "svc -dx" first, so a "systemctl restart" lets the
// new svscan adopt the supervise processes still running.
//
// Otherwise (SysV init, inittab) it does what Debian's svscanboot script
// does: standard input, output and error to /dev/null, "svc -dx DIR/*
// DIR/*/log", then "svscan DIR 2>&1 | readproctitle service errors: ...",
// both with an environment of only the classic PATH.
package svscanboot

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/rlimit"
	"github.com/svbridge/svbridge/supervise/svctl"
)

const prog = "svscanboot"

// DefaultDir is the service directory when none is given.
const DefaultDir = "/etc/service"

// ClassicPATH is the PATH Debian's svscanboot sets.
const ClassicPATH = "/command:/usr/local/bin:/usr/local/sbin:/bin:/sbin:/usr/bin:/usr/sbin:/usr/X11R6/bin"

// UnderSystemd tells from the environment whether systemd started us.
func UnderSystemd(environ []string) bool {
	for _, kv := range environ {
		for _, k := range []string{"INVOCATION_ID=", "JOURNAL_STREAM="} {
			if strings.HasPrefix(kv, k) && len(kv) > len(k) {
				return true
			}
		}
	}
	return false
}

// Main runs svscanboot.
func Main(e *cli.Env) int {
	if len(e.Args) > 2 {
		return cli.Usage(e.Stderr, prog, "svscanboot [dir]")
	}
	dir := DefaultDir
	if len(e.Args) == 2 {
		dir = e.Args[1]
	}
	env := e.Environment()
	if UnderSystemd(env) {
		path, err := find("svscan", env)
		if err != nil {
			return cli.Fatal(e.Stderr, prog, cli.ExitTemp, "unable to find svscan: ", err)
		}
		err = rlimit.Exec(path, []string{"svscan", dir}, env, nil) // with the limits we were given
		return cli.Fatal(e.Stderr, prog, cli.ExitTemp, "unable to run ", path, ": ", err)
	}
	return sysv(e, dir)
}

// find looks for prog next to our own executable (the package installs the
// programs side by side), then in PATH, then in the classic PATH.
func find(name string, env []string) (string, error) {
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), name)
		if unix.Access(p, unix.X_OK) == nil {
			return p, nil
		}
	}
	path := ClassicPATH
	for _, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			path = kv[5:] + ":" + ClassicPATH
		}
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			continue
		}
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && unix.Access(p, unix.X_OK) == nil {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// sysv runs the classic pipeline and returns readproctitle's exit code.
func sysv(e *cli.Env, dir string) int {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return cli.Fatal(e.Stderr, prog, cli.ExitTemp, "unable to open /dev/null: ", err)
	}
	defer null.Close()
	e.Stderr = null // as "exec 2>/dev/null"
	// svc -dx DIR/* DIR/*/log: take down what an earlier svscan left.
	svcs, _ := filepath.Glob(filepath.Join(dir, "*"))
	logs, _ := filepath.Glob(filepath.Join(dir, "*", "log"))
	for _, d := range append(svcs, logs...) {
		svctl.Control(d, []byte("dx"))
	}
	env := []string{"PATH=" + ClassicPATH}
	svscan, err := find("svscan", env)
	if err != nil {
		return cli.ExitTemp
	}
	rpt, err := find("readproctitle", env)
	if err != nil {
		return cli.ExitTemp
	}
	r, w, err := os.Pipe()
	if err != nil {
		return cli.ExitTemp
	}
	scan := &exec.Cmd{Path: svscan, Args: []string{"svscan", dir}, Env: env, Stdin: null, Stdout: w, Stderr: w}
	title := &exec.Cmd{Path: rpt, Args: []string{"readproctitle", "service", "errors:", strings.Repeat(".", 400)},
		Env: env, Stdin: r, Stdout: null, Stderr: null}
	// Both get the soft limits svscanboot started with (package rlimit).
	scanStarted, titleStarted := rlimit.Command(scan), rlimit.Command(title)
	if err := scanStarted(scan.Start()); err != nil {
		return cli.ExitTemp
	}
	w.Close()
	if err := titleStarted(title.Start()); err != nil {
		r.Close()
		scan.Wait()
		return cli.ExitTemp
	}
	r.Close()
	scan.Wait()
	err = title.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	if err != nil {
		return cli.ExitTemp
	}
	return 0
}
