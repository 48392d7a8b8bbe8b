package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"github.com/svbridge/svbridge/bridge/svinfo"
	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/supervise/state"
)

func newStatusCommand(e *cli.Env) *cobra.Command {
	var asJSON bool
	var scanDir string
	cmd := &cobra.Command{
		Use:   "status [--json] [-a SCANDIR | DIR...]",
		Short: "print the status of services, for people or (--json) scripts",
		Long: `status prints the state, pid, time in state, readiness, want, normally up/down,
last exit and restart count of each DIR, or of every service in SCANDIR (-a),
with its log service. --json prints a JSON array (see README).
Works on directories run by daemontools' C supervise too (readiness and
restarts are then null). Exit codes: 0 every DIR could be read, 111 one could
not, 100 usage.`,
		RunE: func(cmd *cobra.Command, dirs []string) error {
			now := time.Now()
			var infos []svinfo.Info
			switch {
			case scanDir != "" && len(dirs) > 0:
				return errors.New("status: -a and DIR... exclude each other")
			case scanDir != "":
				var err error
				if infos, err = svinfo.ReadTree(scanDir, now); err != nil {
					cli.Message(e.Stderr, "svbridge status", "fatal", "unable to read ", scanDir, ": ", err)
					exitCode = cli.ExitTemp
					return nil
				}
			case len(dirs) == 0:
				return errors.New("status: need DIR... or -a SCANDIR")
			default:
				for _, d := range dirs {
					infos = append(infos, svinfo.ReadWithLog(d, now))
				}
			}
			exitCode = cli.ExitOK
			for i := range infos {
				if infos[i].Source == "" && !infos[i].Supervised {
					exitCode = cli.ExitTemp
				}
			}
			if asJSON {
				enc := json.NewEncoder(e.Stdout)
				enc.SetIndent("", "  ")
				if infos == nil {
					infos = []svinfo.Info{}
				}
				enc.Encode(infos)
				return nil
			}
			for i := range infos {
				printHuman(e.Stdout, &infos[i])
				if l := infos[i].Log; l != nil {
					printHuman(e.Stdout, l)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVarP(&scanDir, "all", "a", "", "every service of SCANDIR")
	return cmd
}

func printHuman(w io.Writer, in *svinfo.Info) {
	if !in.Supervised {
		fmt.Fprintf(w, "%s: not supervised (%s)\n", in.Name, in.Error)
		return
	}
	s := in.Name + ": " + string(in.State)
	if in.Pid != 0 {
		s += fmt.Sprintf(" (pid %d)", in.Pid)
	}
	s += fmt.Sprintf(" %d seconds", in.Seconds)
	if in.Ready != nil && *in.Ready {
		s += ", ready"
	}
	if in.Paused {
		s += ", paused"
	}
	if in.Pid != 0 && in.Want == state.WantDown {
		s += ", want down"
	}
	if in.Pid == 0 && in.Want == state.WantUp {
		s += ", want up"
	}
	if in.NormallyUp && in.Pid == 0 {
		s += ", normally up"
	}
	if !in.NormallyUp && in.Pid != 0 {
		s += ", normally down"
	}
	if in.Restarts != nil {
		s += fmt.Sprintf(", %d restarts", *in.Restarts)
	}
	if e := in.LastExit; e != nil {
		if e.Unknown {
			s += ", last exited, code unknown"
		} else if e.Signal != 0 {
			s += fmt.Sprintf(", last killed by signal %d", e.Signal)
		} else {
			s += fmt.Sprintf(", last exit %d", e.Code)
		}
	}
	if in.Flapping {
		s += ", flapping"
	}
	if in.StatusText != "" {
		s += ": " + in.StatusText
	}
	fmt.Fprintln(w, s)
}
