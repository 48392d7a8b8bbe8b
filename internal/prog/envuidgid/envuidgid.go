// Package envuidgid is daemontools' envuidgid: run a child with $UID and
// $GID set to an account's uid and gid.
package envuidgid

import (
	"strconv"

	"github.com/svbridge/svbridge/internal/chain"
	"github.com/svbridge/svbridge/internal/cli"
)

const prog = "envuidgid"

// Main runs envuidgid.
func Main(e *cli.Env) int {
	if len(e.Args) < 3 {
		return cli.Usage(e.Stderr, prog, "envuidgid account child")
	}
	account := e.Args[1]
	uid, gid, ok := chain.Account(account)
	if !ok {
		return cli.Fatal(e.Stderr, prog, cli.ExitTemp, "unknown account ", account)
	}
	// GID first: the original's order, which shows in the environment's.
	env := chain.Edit(e.Environment(), []string{
		"GID=" + strconv.Itoa(gid),
		"UID=" + strconv.Itoa(uid),
	})
	return chain.Run(e, prog, e.Args[2:], env)
}
