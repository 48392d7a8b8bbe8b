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
	uid, gid, code, ok := chain.AccountArgs(e, prog)
	if !ok {
		return code
	}
	// GID first: the original's order, which shows in the environment's.
	env := chain.Edit(e.Environment(), []string{
		"GID=" + strconv.Itoa(gid),
		"UID=" + strconv.Itoa(uid),
	})
	return chain.Run(e, prog, e.Args[2:], env)
}
