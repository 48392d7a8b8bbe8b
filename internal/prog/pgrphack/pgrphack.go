// Package pgrphack is daemontools' pgrphack: run a child in a new session
// (and so a new process group).
package pgrphack

import (
	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/internal/chain"
	"github.com/svbridge/svbridge/internal/cli"
)

const prog = "pgrphack"

// Main runs pgrphack.
func Main(e *cli.Env) int {
	if len(e.Args) < 2 {
		return cli.Usage(e.Stderr, prog, "pgrphack child")
	}
	// As the original, a failure (already a group leader) is ignored.
	unix.Setsid()
	return chain.Run(e, prog, e.Args[1:], nil)
}
