package main

import (
	"errors"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/svbridge/svbridge/bridge/svinfo"
	"github.com/svbridge/svbridge/internal/cli"
)

// Exit codes of "svbridge wait" (README, systemd bridge).
const (
	waitExitTimeout       = 99  // the deadline passed (as s6-svwait)
	waitExitNotSupervised = 102 // a dir has no supervise running (as s6-svc)
)

// condName says what a Cond waits for, in the timeout message.
var condName = map[svinfo.Cond]string{svinfo.CondUp: "up", svinfo.CondReady: "ready", svinfo.CondDown: "down"}

// waitingFor names the directories of a timeout message: "a", "a and b",
// "one of a, b".
func waitingFor(dirs []string, anyOf bool) string {
	switch {
	case len(dirs) == 1:
		return dirs[0]
	case anyOf:
		return "one of " + strings.Join(dirs, ", ")
	case len(dirs) == 2:
		return dirs[0] + " and " + dirs[1]
	}
	return strings.Join(dirs[:len(dirs)-1], ", ") + " and " + dirs[len(dirs)-1]
}

func newWaitCommand(e *cli.Env) *cobra.Command {
	var up, ready, down, anyOf, pending bool
	var seconds float64
	cmd := &cobra.Command{
		Use:   "wait [-u|-r|-d] [-o] [-p] [-t SECONDS] DIR...",
		Short: "wait until services are up, ready or down",
		Long: `wait blocks until every DIR (with -o: one of them) is up (-u, the default),
ready (-r: up and said READY=1 or wrote to its notification-fd; up counts as
ready under daemontools' C supervise) or down (-d). A DIR with no supervise
running makes it exit 102 at once; with -p (pending) it is waited for too
(svscan starts one at its next scan), until the timeout.
Exit codes: 0 reached, 99 timed out, 102 a DIR is not supervised,
100 usage, 111 system error.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, dirs []string) error {
			n := 0
			cond := svinfo.CondUp
			for _, f := range []struct {
				set bool
				c   svinfo.Cond
			}{{up, svinfo.CondUp}, {ready, svinfo.CondReady}, {down, svinfo.CondDown}} {
				if f.set {
					n++
					cond = f.c
				}
			}
			if n > 1 {
				return errors.New("wait: -u, -r and -d exclude each other")
			}
			if seconds < 0 {
				return errors.New("wait: -t must not be negative")
			}
			wait := svinfo.Wait
			if pending {
				wait = svinfo.WaitPending
			}
			err := wait(dirs, cond, anyOf, time.Duration(seconds*float64(time.Second)))
			var ns *svinfo.NotSupervisedError
			switch {
			case err == nil:
				exitCode = cli.ExitOK
			case errors.Is(err, svinfo.ErrTimeout):
				cli.Message(e.Stderr, "svbridge wait", "fatal", "timed out after ", seconds, " seconds waiting for ",
					waitingFor(dirs, anyOf), " to be ", condName[cond])
				exitCode = waitExitTimeout
			case errors.As(err, &ns):
				cli.Message(e.Stderr, "svbridge wait", "fatal", "not supervised: ", ns.Dir, ": ", ns.Why)
				exitCode = waitExitNotSupervised
			default:
				cli.Message(e.Stderr, "svbridge wait", "fatal", err)
				exitCode = cli.ExitTemp
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&up, "up", "u", false, "wait until up (a process runs)")
	cmd.Flags().BoolVarP(&ready, "ready", "r", false, "wait until ready")
	cmd.Flags().BoolVarP(&down, "down", "d", false, "wait until down")
	cmd.Flags().BoolVarP(&anyOf, "any", "o", false, "return when one DIR is there, not all")
	cmd.Flags().BoolVarP(&pending, "pending", "p", false, "wait for a DIR's supervise to start too, rather than exit 102")
	cmd.Flags().Float64VarP(&seconds, "timeout", "t", 0, "give up after SECONDS (0: never)")
	return cmd
}
