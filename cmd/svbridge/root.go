package main

import (
	"fmt"
	"sort"

	"github.com/spf13/cobra"
	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/version"
)

// umbrella runs the cobra command tree. It is built only here, on the path
// that is not a daemontools program, so programs pay nothing for it.
func umbrella(e *cli.Env) int {
	root := newRoot(e)
	root.SetArgs(e.Args[1:])
	if err := root.Execute(); err != nil {
		cli.Message(e.Stderr, "svbridge", "fatal", err)
		return cli.ExitUsage
	}
	return exitCode
}

// exitCode carries a program's exit code out of cobra's RunE.
var exitCode int

func newRoot(e *cli.Env) *cobra.Command {
	root := &cobra.Command{
		Use:           "svbridge",
		Short:         "daemontools-compatible process supervision that coexists with systemd",
		Version:       version.String(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetIn(e.Stdin)
	root.SetOut(e.Stdout)
	root.SetErr(e.Stderr)
	names := make([]string, 0, len(programs))
	for n := range programs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := programs[n]
		c := &cobra.Command{
			Use:                p.usage,
			Short:              p.short,
			DisableFlagParsing: true,
			GroupID:            "programs",
			RunE: func(cmd *cobra.Command, args []string) error {
				sub := *e
				sub.Args = append([]string{n}, args...)
				exitCode = p.main(&sub)
				return nil
			},
		}
		// "svbridge help PROGRAM": the program's own options and exit
		// codes, not cobra's flags (the program has no --help).
		c.SetHelpFunc(programHelpFunc(n, p))
		root.AddCommand(c)
	}
	root.AddGroup(&cobra.Group{ID: "programs", Title: "daemontools programs (also run as symlinks named after them):"})
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "print the version of svbridge (the packages' version)",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, args []string) {
			fmt.Fprintln(cmd.OutOrStdout(), version.String())
		},
	})
	for _, add := range adminCommands {
		root.AddCommand(add(e))
	}
	return root
}

// adminCommands are the umbrella's own subcommands, each defined in a file of
// its own (admin_*.go). Add the constructor to this list.
var adminCommands = []func(e *cli.Env) *cobra.Command{newDemo, newWaitCommand, newStatusCommand, newJournalLogCommand}
