// Package lean lists the daemontools programs that the lean supervise
// binary (cmd/supervise) runs when invoked under their name, so that it and
// the multi-call svbridge dispatch the same programs from one table. They
// are every daemontools program but supervise itself (the lean binary's own
// job) and svscan, which speaks to systemd through go-systemd: the lean
// binary hands svscan over to the multi-call svbridge installed next to it
// (Forward). Nothing here may import net, cobra or go-systemd
// (TestLeanBinaryDeps).
package lean

import (
	"os"
	"path/filepath"

	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/prog/envdir"
	"github.com/svbridge/svbridge/internal/prog/envuidgid"
	"github.com/svbridge/svbridge/internal/prog/fghack"
	"github.com/svbridge/svbridge/internal/prog/multilog"
	"github.com/svbridge/svbridge/internal/prog/pgrphack"
	"github.com/svbridge/svbridge/internal/prog/readproctitle"
	"github.com/svbridge/svbridge/internal/prog/setlock"
	"github.com/svbridge/svbridge/internal/prog/setuidgid"
	"github.com/svbridge/svbridge/internal/prog/softlimit"
	"github.com/svbridge/svbridge/internal/prog/svc"
	"github.com/svbridge/svbridge/internal/prog/svok"
	"github.com/svbridge/svbridge/internal/prog/svscanboot"
	"github.com/svbridge/svbridge/internal/prog/svstat"
	"github.com/svbridge/svbridge/internal/prog/tai64n"
	"github.com/svbridge/svbridge/internal/prog/tai64nlocal"
	"github.com/svbridge/svbridge/internal/rlimit"
)

// Programs maps each program's name to its entry point.
var Programs = map[string]cli.Main{
	"svscanboot":    svscanboot.Main,
	"svc":           svc.Main,
	"svok":          svok.Main,
	"svstat":        svstat.Main,
	"readproctitle": readproctitle.Main,
	"multilog":      multilog.Main,
	"tai64n":        tai64n.Main,
	"tai64nlocal":   tai64nlocal.Main,
	"setuidgid":     setuidgid.Main,
	"envuidgid":     envuidgid.Main,
	"envdir":        envdir.Main,
	"softlimit":     softlimit.Main,
	"setlock":       setlock.Main,
	"fghack":        fghack.Main,
	"pgrphack":      pgrphack.Main,
}

// Forwarded are the programs the lean binary runs by handing them over to
// the multi-call binary (Forward).
var Forwarded = map[string]bool{"svscan": true}

// Multicall is the multi-call binary's name: the packages install it in the
// directory of the lean binary.
const Multicall = "svbridge"

// Forward replaces the process with the multi-call binary next to this one,
// with the same arguments and environment, so that a forwarded program (its
// name in e.Args[0]) runs there. The exec keeps the soft limits the entry
// stub raised (rlimit.Handoff): the kernel maps the whole executable at
// exec, and the multi-call binary, unlike this one, does not fit under
// "softlimit -m 4000000"; the limits the process started with go along, for
// the programs it starts. It returns only when the exec failed, with
// daemontools' message and exit code 111.
func Forward(e *cli.Env) int {
	name := filepath.Base(e.Args[0])
	self, err := os.Executable()
	if err != nil {
		return cli.Fatal(e.Stderr, name, cli.ExitTemp, "unable to find ", Multicall, ": ", err)
	}
	path := filepath.Join(filepath.Dir(self), Multicall)
	err = rlimit.Handoff(path, e.Args, e.Environment())
	return cli.Fatal(e.Stderr, name, cli.ExitTemp, "unable to run ", path, ": ", err)
}
