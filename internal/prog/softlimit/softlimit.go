// Package softlimit is daemontools' softlimit: set soft resource limits, then
// run a child with them.
package softlimit

import (
	"errors"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/internal/chain"
	"github.com/svbridge/svbridge/internal/chain/getopt"
	"github.com/svbridge/svbridge/internal/cli"
	"github.com/svbridge/svbridge/internal/rlimit"
)

const (
	prog  = "softlimit"
	usage = "softlimit [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child"
	spec  = "a:c:d:f:l:m:o:p:r:s:t:"
)

// Resources maps each option to the limits it sets, in the original's order.
var Resources = map[byte][]int{
	'a': {unix.RLIMIT_AS},
	'c': {unix.RLIMIT_CORE},
	'd': {unix.RLIMIT_DATA},
	'f': {unix.RLIMIT_FSIZE},
	'l': {unix.RLIMIT_MEMLOCK},
	'm': {unix.RLIMIT_DATA, unix.RLIMIT_STACK, unix.RLIMIT_MEMLOCK, unix.RLIMIT_AS},
	'o': {unix.RLIMIT_NOFILE},
	'p': {unix.RLIMIT_NPROC},
	'r': {unix.RLIMIT_RSS},
	's': {unix.RLIMIT_STACK},
	't': {unix.RLIMIT_CPU},
}

// Value parses a limit as the original does: "=" means the hard limit
// (hard is true); otherwise decimal digits only, possibly none (0), wrapping
// around on overflow as the original's unsigned long does.
func Value(arg string) (v uint64, hard, ok bool) {
	if arg == "=" {
		return 0, true, true
	}
	for i := 0; i < len(arg); i++ {
		c := arg[i] - '0'
		if c > 9 {
			return 0, false, false
		}
		v = v*10 + uint64(c)
	}
	return v, false, true
}

// Soft returns the soft limit to set for arg given the current limit: the
// hard limit for "=", else the value clamped to the hard limit.
func Soft(cur unix.Rlimit, v uint64, hard bool) unix.Rlimit {
	if hard || v > cur.Max {
		v = cur.Max
	}
	cur.Cur = v
	return cur
}

// Main runs softlimit.
//
// The original sets each limit as it parses its option. Ours works out every
// limit first and has chain.Exec set them only in its window just before
// the exec (putting the old ones back if the exec fails): with -m, -a or -d
// below what the Go runtime has already mapped, the runtime cannot allocate,
// so nothing may be printed (a usage error, "unable to run") while the new
// limits are in force. What a user sees is the same: usage errors exit 100
// before any child runs. The limits are computed from the hard ones, which
// the entry stub (package rlimit) leaves alone, so raising the soft ones at
// start changes nothing here.
func Main(e *cli.Env) int {
	if len(e.Args) == 0 {
		return cli.Usage(e.Stderr, prog, usage)
	}
	opts, rest, bad := getopt.Parse(e.Args[1:], spec)
	var changes []rlimit.Setting
	for _, o := range opts {
		v, hard, ok := Value(o.Arg)
		if !ok {
			return cli.Usage(e.Stderr, prog, usage)
		}
		for _, res := range Resources[o.Char] {
			var r unix.Rlimit
			if err := unix.Getrlimit(res, &r); err != nil {
				return cli.Fatal(e.Stderr, prog, cli.ExitTemp, "getrlimit failed: ", err)
			}
			changes = append(changes, rlimit.Setting{Resource: res, Limit: Soft(r, v, hard)})
		}
	}
	if bad != nil {
		bad.Print(e.Stderr, e.Args[0])
		return cli.Usage(e.Stderr, prog, usage)
	}
	if len(rest) == 0 {
		return cli.Usage(e.Stderr, prog, usage)
	}
	environ := e.Environment()
	err := chain.Exec(rest, environ, chain.SearchPath(environ), changes...)
	if se := (*rlimit.ErrSetrlimit)(nil); errors.As(err, &se) {
		return cli.Fatal(e.Stderr, prog, cli.ExitTemp, "setrlimit failed: ", se.Err)
	}
	return chain.Fail(e.Stderr, prog, rest[0], err)
}
