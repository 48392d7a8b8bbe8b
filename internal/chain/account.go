package chain

import (
	"os/user"
	"strconv"

	"github.com/svbridge/svbridge/internal/cli"
)

// Account returns the uid and gid of an account, as getpwnam would. Built
// without cgo (as the suite is), os/user reads /etc/passwd only, not NSS
// sources such as LDAP or systemd-userdb.
func Account(name string) (uid, gid int, ok bool) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, 0, false
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return uid, gid, true
}

// AccountArgs reads the arguments "account child..." of setuidgid and
// envuidgid, prog, from e.Args: it returns the account's uid and gid, or,
// with ok false, the exit code of the usage or "unknown account" error it
// has written.
func AccountArgs(e *cli.Env, prog string) (uid, gid, code int, ok bool) {
	if len(e.Args) < 3 {
		return 0, 0, cli.Usage(e.Stderr, prog, prog+" account child"), false
	}
	account := e.Args[1]
	uid, gid, ok = Account(account)
	if !ok {
		return 0, 0, cli.Fatal(e.Stderr, prog, cli.ExitTemp, "unknown account ", account), false
	}
	return uid, gid, 0, true
}
