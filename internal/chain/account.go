package chain

import (
	"os/user"
	"strconv"
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
