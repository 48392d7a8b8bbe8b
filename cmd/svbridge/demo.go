package main

import (
	"fmt"
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
	exe, err := os.Executable()
	if err != nil {
		return cli.ExitTemp, err
	}
	bin := filepath.Join(dir, ".bin") // a dot name: svscan skips it
	if err := os.MkdirAll(bin, 0755); err != nil {
		return cli.ExitTemp, err
	}
	names := make([]string, 0, len(programs))
	for n := range programs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		link := filepath.Join(bin, n)
		os.Remove(link)
		if err := os.Symlink(exe, link); err != nil {
			return cli.ExitTemp, err
		}
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
	fmt.Fprintf(e.Stdout, `svbridge demo: svscan (pid %d) supervises %s
  services: %s
  try, in another shell:
    export PATH=%s:$PATH
    svstat %s/*
    svc -u %s/crashy          # start the normally-down crashing service
    svc -d %s/clock           # stop the clock; svc -u to start it again
    tai64nlocal < %s/clock/log/main/current
  Ctrl-C stops svscan (services first, then their loggers).
`, svscan.Process.Pid, dir, strings.Join(example.Services(), " "), bin, dir, dir, dir, dir)

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
