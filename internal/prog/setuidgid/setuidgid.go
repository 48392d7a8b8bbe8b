// Package setuidgid is daemontools' setuidgid: run a child under an
// account's uid and gid, with the gid as the only supplementary group.
package setuidgid

import (
	"syscall"

	"github.com/svbridge/svbridge/internal/chain"
	"github.com/svbridge/svbridge/internal/cli"
)

const prog = "setuidgid"

// Main runs setuidgid.
func Main(e *cli.Env) int {
	uid, gid, code, ok := chain.AccountArgs(e, prog)
	if !ok {
		return code
	}
	// The syscall package applies these to every thread of the process, so
	// whichever thread execs the child carries the new identity.
	if err := syscall.Setgroups([]int{gid}); err != nil {
		return cli.Fatal(e.Stderr, prog, cli.ExitTemp, "unable to setgid: ", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return cli.Fatal(e.Stderr, prog, cli.ExitTemp, "unable to setgid: ", err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return cli.Fatal(e.Stderr, prog, cli.ExitTemp, "unable to setuid: ", err)
	}
	return chain.Run(e, prog, e.Args[2:], nil)
}
