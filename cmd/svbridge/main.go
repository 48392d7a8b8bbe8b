// Command svbridge is the multi-call binary of the suite. Invoked under a
// program's name (a symlink such as svc -> svbridge) it runs that program
// with daemontools syntax; "svbridge PROGRAM args..." does the same. Any other
// invocation goes to the cobra umbrella (help, completion, man pages, admin
// subcommands).
package main

import (
	"os"
	"path/filepath"

	"github.com/svbridge/svbridge/internal/cli"
)

func main() {
	os.Exit(run(cli.OS()))
}

func run(e *cli.Env) int {
	if p, ok := programs[filepath.Base(e.Args[0])]; ok {
		return p.main(e)
	}
	if len(e.Args) > 1 {
		if p, ok := programs[e.Args[1]]; ok {
			sub := *e
			sub.Args = e.Args[1:]
			return p.main(&sub)
		}
	}
	return umbrella(e)
}
