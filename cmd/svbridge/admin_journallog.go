package main

import (
	"errors"

	"github.com/spf13/cobra"
	"github.com/svbridge/svbridge/bridge/journal"
	"github.com/svbridge/svbridge/internal/cli"
)

func newJournalLogCommand(e *cli.Env) *cobra.Command {
	return journalLogCommand(e, journal.SocketPath)
}

// journalLogCommand is journal-log sending to journald's native socket at
// socket.
func journalLogCommand(e *cli.Env, socket string) *cobra.Command {
	var prio int
	var prefix bool
	cmd := &cobra.Command{
		Use:   "journal-log [-p PRIORITY] [--level-prefix] NAME",
		Short: "a log/run that sends each line of stdin to journald as NAME",
		Long: `journal-log reads lines from stdin and sends each to journald as one entry with
SYSLOG_IDENTIFIER=NAME and SVC_NAME=NAME (journalctl -t NAME), for use as
"exec svbridge journal-log NAME" in a log/run instead of multilog. While journald
cannot be reached it waits and retries (saying so once), so no line is lost
and the service feels back-pressure. A journald restart or crash loses
nothing; stopping journald's socket units drops what it had not yet read,
for every client of journald. Exit codes: 0 at end of input, 111 when
journald's socket cannot be opened or stdin fails, 100 usage.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if prio < 0 || prio > 7 {
				return errors.New("journal-log: -p must be 0..7")
			}
			// Our stderr is likely a journald stream: when journald stops,
			// a warning there must fail, not kill us with a line in hand.
			journal.KeepWritesAlive()
			c, err := journal.NewConn(socket, true)
			if err != nil {
				cli.Message(e.Stderr, "svbridge journal-log", "fatal", "unable to open a socket: ", err)
				exitCode = cli.ExitTemp
				return nil
			}
			defer c.Close()
			err = journal.CopyLines(e.Stdin, c, journal.LineOptions{Identifier: args[0], Priority: prio,
				LevelPrefix: prefix, Stderr: e.Stderr, Prog: "svbridge journal-log"})
			if err != nil {
				cli.Message(e.Stderr, "svbridge journal-log", "fatal", err)
				exitCode = cli.ExitTemp
				return nil
			}
			exitCode = cli.ExitOK
			return nil
		},
	}
	cmd.Flags().IntVarP(&prio, "priority", "p", journal.PriInfo, "PRIORITY of each line (0..7)")
	cmd.Flags().BoolVar(&prefix, "level-prefix", false, `honour a leading "<N>" priority on a line`)
	return cmd
}
