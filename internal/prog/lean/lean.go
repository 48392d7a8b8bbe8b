// Package lean lists the daemontools programs that the lean supervise
// binary (cmd/supervise) runs when invoked under their name, so that it and
// the multi-call svbridge dispatch the same programs from one table. They
// are every daemontools program but supervise itself (the lean binary's own
// job) and svscan and svscanboot, the root of the tree, which speak to
// systemd through go-systemd and so run from svbridge only. Nothing here may
// import net, cobra or go-systemd (TestLeanBinaryDeps).
package lean

import (
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
	"github.com/svbridge/svbridge/internal/prog/svstat"
	"github.com/svbridge/svbridge/internal/prog/tai64n"
	"github.com/svbridge/svbridge/internal/prog/tai64nlocal"
)

// Programs maps each program's name to its entry point.
var Programs = map[string]cli.Main{
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
