package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/example"
	"github.com/svbridge/svbridge/internal/rlimit"
)

// newDemo is "svbridge demo [DIR]": the README's main job. It writes the
// example service tree into DIR, puts the programs on PATH through symlinks,
// and runs svscan on the tree in the foreground, without root.
func newDemo(e *cli.Env) *cobra.Command {
	var runFor time.Duration
	cmd := &cobra.Command{
		Use:   "demo [DIR]",
		Short: "run the example service tree under svscan (no root needed)",
		Long: `demo writes an example service tree into DIR (default ./svbridge-demo),
makes the daemontools program names available on PATH, and runs svscan on the
tree until interrupted (Ctrl-C) or, with --for, for a while. On the way out it
stops svscan with SIGTERM: services first, then their loggers.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "svbridge-demo"
			if len(args) == 1 {
				dir = args[0]
			}
			code, err := runDemo(e, dir, runFor)
			exitCode = code
			return err
		},
	}
	cmd.Flags().DurationVar(&runFor, "for", 0, "stop after this long (0: run until interrupted)")
	return cmd
}

func runDemo(e *cli.Env, dir string, runFor time.Duration) (int, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return cli.ExitTemp, err
	}
	if err := example.Install(dir); err != nil {
		return cli.ExitTemp, fmt.Errorf("unable to write the example tree: %w", err)
	}
	bin := filepath.Join(dir, ".bin") // a dot name: svscan skips it
	if err := installBin(bin); err != nil {
		return cli.ExitTemp, fmt.Errorf("unable to put the programs in %s: %w", bin, err)
	}
	env := append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))

	svscan := exec.Command(filepath.Join(bin, "svscan"), dir)
	svscan.Env = env
	svscan.Stdout, svscan.Stderr = os.Stdout, os.Stderr
	svscan.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Ctrl-C reaches us, not it
	started := rlimit.Command(svscan)                        // with the soft limits we were given
	if err := started(svscan.Start()); err != nil {
		return cli.ExitTemp, fmt.Errorf("unable to start svscan: %w", err)
	}
	fmt.Fprintf(e.Stdout, `svbridge demo: svscan (pid %[1]d) supervises %[2]s
  services: %[4]s
  try, in another shell (the programs in %[3]s stay there after the demo):
    export PATH=%[3]s:$PATH
    svbridge status -a %[2]s
    svstat %[2]s/*
    svc -u %[2]s/crashy          # start the normally-down crashing service
    svc -d %[2]s/clock           # stop the clock; svc -u to start it again
    tai64nlocal < %[2]s/clock/log/main/current
  add a service: make it under a dot name (svscan skips those), then rename it:
    mkdir %[2]s/.hello
    printf '#!/bin/sh\nexec 2>&1\nwhile :; do echo hello; sleep 2; done\n' > %[2]s/.hello/run
    chmod +x %[2]s/.hello/run
    touch %[2]s/.hello/killpg    # svc -d and the demo's stop end the sleep too
    mv %[2]s/.hello %[2]s/hello  # svscan starts it within 5 s (kill -HUP %[1]d: now)
    svbridge status %[2]s/hello
  Ctrl-C stops svscan (services first, then their loggers).
`, svscan.Process.Pid, dir, bin, strings.Join(example.Services(), " "))

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	exited := make(chan error, 1)
	go func() { exited <- svscan.Wait() }()
	var timeout <-chan time.Time
	if runFor > 0 {
		timeout = time.After(runFor)
	}
	select {
	case err := <-exited:
		return cli.ExitTemp, fmt.Errorf("svscan exited early: %v", err)
	case <-sigs:
	case <-timeout:
	}
	status := exec.Command(filepath.Join(bin, "svstat"))
	for _, s := range example.Services() {
		status.Args = append(status.Args, filepath.Join(dir, s))
		if fi, err := os.Stat(filepath.Join(dir, s, "log")); err == nil && fi.IsDir() {
			status.Args = append(status.Args, filepath.Join(dir, s, "log"))
		}
	}
	status.Stdout, status.Stderr = e.Stdout, e.Stderr
	if started := rlimit.Command(status); started(status.Start()) == nil {
		status.Wait()
	}
	fmt.Fprintln(e.Stdout, "svbridge demo: stopping svscan")
	svscan.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			return cli.ExitTemp, fmt.Errorf("svscan: %v", err)
		}
	case <-time.After(30 * time.Second):
		svscan.Process.Kill()
		return cli.ExitTemp, fmt.Errorf("svscan did not stop within 30 s of SIGTERM")
	}
	fmt.Fprintln(e.Stdout, "svbridge demo: stopped")
	return cli.ExitOK, nil
}

// installBin puts a copy of the running binary in bin, as bin/svbridge, and
// links every program name to it. A copy, not a link to os.Executable: under
// "go run" that is a temporary build that goes away with the demo, and the
// links must keep working afterwards and in any shell. The copy is written
// under a temporary name and renamed into place, so a demo started from
// bin/svbridge itself, or a shell running the old copy, is never disturbed.
func installBin(bin string) error {
	if err := os.MkdirAll(bin, 0755); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	dst := filepath.Join(bin, "svbridge")
	if a, err := os.Stat(exe); err != nil {
		return err
	} else if b, err := os.Stat(dst); err == nil && os.SameFile(a, b) {
		// started from the demo's own copy: keep it
	} else if err := copyFile(exe, dst); err != nil {
		return err
	}
	names := make([]string, 0, len(programs))
	for n := range programs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		link := filepath.Join(bin, n)
		os.Remove(link)
		if err := os.Symlink("svbridge", link); err != nil {
			return err
		}
	}
	return nil
}

// copyFile copies src to dst (mode 0755) through a temporary file in dst's
// directory; nothing is left behind on error.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.CreateTemp(filepath.Dir(dst), ".svbridge-*")
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(out.Name(), 0755)
	}
	if err == nil {
		err = os.Rename(out.Name(), dst)
	}
	if err != nil {
		os.Remove(out.Name())
	}
	return err
}
