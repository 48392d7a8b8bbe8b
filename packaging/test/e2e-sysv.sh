#!/usr/bin/env bash
# packaging/test/e2e-sysv.sh PKG.deb [DEBIAN_DEBS_DIR]
#
# The SysV path: boots a Debian container whose PID 1 is sysvinit (no
# systemd; rootfs from sysv-rootfs.sh, booted with systemd-nspawn --boot),
# installs the .deb with dpkg and checks that the postinst adds the SV line
# between markers once, that init (after "init q") runs svscanboot and the
# services come up, that a reinstall does not add a second line, that removal
# stops services before loggers and removes the line, and purge leaves none.
# With DEBIAN_DEBS_DIR (Debian's daemontools and daemontools-run .debs), a
# second boot checks the takeover of a running Debian SysV installation.
# Needs root. Prints "N passed, N failed" and exits non-zero on failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
[ $# -ge 1 ] || { echo "usage: $0 PKG.deb [DEBIAN_DEBS_DIR]" >&2; exit 100; }
deb=$1 debian=${2:-}
cache=${SVB_SYSV_CACHE:-/var/cache/svbridge-sysv}
state=$(mktemp -d /tmp/svbridge-sysv.XXXXXX)
mkdir -p "$state/share"
cp "$deb" "$state/share/"
[ -z "$debian" ] || cp "$debian"/*.deb "$state/share/"
DEB=/mnt/share/$(basename "$deb")
nspawn= leader=

c() { nsenter -t "$leader" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
sh_in() { c sh -c "$1"; }
boot() {
	local rootfs i
	rootfs=$("$here/sysv-rootfs.sh" "$cache") || return 1
	setsid unshare --mount --propagation private -- sh -c '
		mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/nspawn &&
		exec systemd-nspawn -D "$1" --volatile=overlay --boot --register=no --keep-unit \
			-M svbsysv --private-network --console=pipe --bind="$2:/mnt/share"' sh "$rootfs" "$state/share" \
		</dev/null >"$state/console.log" 2>&1 &
	nspawn=$!
	for i in $(seq 100); do
		for p in $(cat /proc/$nspawn/task/*/children 2>/dev/null); do
			if grep -q '^NSpid:.*[[:space:]]1$' /proc/$p/status 2>/dev/null; then leader=$p; fi
		done
		[ -n "$leader" ] && break
		sleep 0.1
	done
	[ -n "$leader" ] || { cat "$state/console.log"; return 1; }
	# booted: init has entered runlevel 2 (rc 2 done)
	until_ok 60 sh_in 'runlevel 2>/dev/null | grep -q " 2$"' || { cat "$state/console.log"; return 1; }
}
halt() {
	[ -n "$leader" ] && kill -KILL "$leader" 2>/dev/null
	[ -n "$nspawn" ] && wait "$nspawn" 2>/dev/null
	leader= nspawn=
}
trap 'halt; rm -rf "$state"' EXIT

lines() { c grep -c "$1" /etc/inittab; }
up() { c svstat "$@" 2>/dev/null | grep -q ': up (pid'; }
running() { sh_in "$PROCS"'[ -n "$(procs '"$1"')" ]'; }

echo "== SysV init: install, inittab entry, services, remove, purge"
check "sysvinit container boots (runlevel 2)" boot || { summary "e2e-sysv"; exit 1; }
check "PID 1 is sysvinit, no systemd" sh_in 'dpkg-query -W -f "\${Status}" sysvinit-core | grep -q "install ok installed" && [ "$(cat /proc/1/comm)" = init ] && [ ! -d /run/systemd/system ] && ! [ -e /lib/systemd/systemd ]'
check "dpkg -i" c dpkg -i "$DEB" >"$state/install.log" 2>&1 || cat "$state/install.log"
check "  the SV line is in /etc/inittab, between markers, once" sh_in '[ $(grep -c "^SV:123456:respawn:/usr/bin/svscanboot /etc/service$" /etc/inittab) = 1 ] && [ $(grep -c "^#-- svbridge begin$" /etc/inittab) = 1 ] && [ $(grep -c "^#-- svbridge end$" /etc/inittab) = 1 ]'
check "  init q: init runs svscanboot and svscan" until_ok 10 sh_in "$PROCS"'[ -n "$(procs svscanboot)" ] && [ -n "$(procs svscan)" ]'
check "  svscan's errors go to readproctitle (the classic pipeline)" until_ok 10 running readproctitle
sh_in 'mkdir -p /etc/sv/hello/log && printf "#!/bin/sh\ntrap \"echo svc >>/run/stop-order; exit 0\" TERM\nwhile :; do sleep 1 & wait \$!; done\n" >/etc/sv/hello/run && printf "#!/bin/sh\ntrap \"echo log >>/run/stop-order; echo term \$\$ \$(cut -d\" \" -f1 /proc/uptime) >>/run/log-events; exit 0\" TERM\necho start \$\$ \$PPID \$(cut -d\" \" -f1 /proc/uptime) >>/run/log-events\nexec 3<&0\ncat <&3 >/dev/null & c=\$!\nwhile kill -0 \$c 2>/dev/null; do wait \$c; done\necho log >>/run/stop-order; echo eof \$\$ \$(cut -d\" \" -f1 /proc/uptime) >>/run/log-events\n" >/etc/sv/hello/log/run && chmod +x /etc/sv/hello/run /etc/sv/hello/log/run'
check "update-service --add /etc/sv/hello" sh_in 'update-service --add /etc/sv/hello >/dev/null'
check "  hello and its logger come up" until_ok 15 up /etc/service/hello /etc/service/hello/log
pid=$(c svstat /etc/service/hello | sed -n 's/.*(pid \([0-9]*\)).*/\1/p')
check "dpkg -i again (reinstall/upgrade path): still one SV line" sh_in "dpkg -i $DEB >/dev/null 2>&1 && [ \$(grep -c '^SV:' /etc/inittab) = 1 ]"
check "  hello kept its pid ($pid)" sh_in "svstat /etc/service/hello | grep -q '(pid $pid)'"
note "stop order before removal: $(c cat /run/stop-order 2>/dev/null | tr '\n' ' ')"
c rm -f /run/stop-order
c ps -eo pid,ppid,pgid,sid,args >"$state/ps-before-remove.txt"
check "dpkg -r svbridge" c dpkg -r svbridge >"$state/remove.log" 2>&1 || cat "$state/remove.log"
# init q then TERMs svscanboot's whole process group (svscan and every
# supervise); svscan's orderly stop may start a fresh logger supervise whose
# logger reads EOF at once: a second "log" line after the first is that.
check "  hello stopped before its logger" sh_in '[ "$(head -n 2 /run/stop-order | tr "\n" " ")" = "svc log " ]' || { note "stop order: $(c cat /run/stop-order | tr '\n' ' '); logger events: $(c cat /run/log-events | tr '\n' ' ')"; cat "$state/ps-before-remove.txt"; c ps -eo pid,ppid,pgid,sid,args; cat "$state/remove.log"; }
check "  the SV lines are gone from /etc/inittab" sh_in '! grep -q -e "^SV:" -e "svbridge" /etc/inittab'
check "  no svscanboot, svscan, supervise left" until_ok 10 sh_in "$PROCS"'[ -z "$(procs svscanboot)$(procs svscan)$(procs supervise)$(procs readproctitle)" ]'
check "dpkg -P svbridge" c dpkg -P svbridge >"$state/purge.log" 2>&1 || cat "$state/purge.log"
check "  /etc/inittab has no svbridge line, the admin's dirs stay" sh_in '! grep -q svbridge /etc/inittab && [ -x /etc/sv/hello/run ] && [ -L /etc/service/hello ]'
halt

if [ -n "$debian" ]; then
	echo "== SysV: takeover of a running Debian daemontools + daemontools-run"
	check "sysvinit container boots" boot || { summary "e2e-sysv"; exit 1; }
	check "dpkg -i Debian's daemontools daemontools-run" sh_in 'dpkg -i /mnt/share/daemontools_*.deb /mnt/share/daemontools-run_*.deb' >"$state/debian.log" 2>&1
	check "  their SV line is in /etc/inittab, init runs their svscanboot" until_ok 10 sh_in 'grep -q "^#-- daemontools-run begin" /etc/inittab && [ -n "$(for d in /proc/[0-9]*; do [ "$(readlink $d/exe)" = /usr/bin/svscan ] && echo y; done)" ]'
	sh_in 'mkdir -p /etc/sv/hello && printf "#!/bin/sh\nexec sleep 100000\n" >/etc/sv/hello/run && chmod +x /etc/sv/hello/run && update-service --add /etc/sv/hello >/dev/null'
	check "  hello up under Debian's supervise" until_ok 15 up /etc/service/hello
	old_pid=$(c svstat /etc/service/hello | sed -n 's/.*(pid \([0-9]*\)).*/\1/p')
	# apt removes the conflicting pair (plain dpkg -i would need --auto-deconfigure)
	check "apt-get install svbridge over it" c apt-get install -y "$DEB" >"$state/takeover.log" 2>&1 || cat "$state/takeover.log"
	check "  daemontools and daemontools-run removed" sh_in '! dpkg-query -W -f "\${Status}\n" daemontools daemontools-run 2>/dev/null | grep -q "install ok installed"'
	check "  one SV line, ours; theirs gone" sh_in '[ $(grep -c "^SV:" /etc/inittab) = 1 ] && grep -q "^#-- svbridge begin$" /etc/inittab && ! grep -q daemontools-run /etc/inittab'
	check "  hello up under svbridge's supervise" until_ok 15 sh_in "$PROCS"'svstat /etc/service/hello | grep -q ": up (pid" && dpkg -S /usr/bin/supervise | grep -q "^svbridge:" && for p in $(procs supervise); do [ "$(readlink /proc/$p/exe)" = /usr/bin/supervise ] || exit 1; done && [ -n "$(procs supervise)" ]'
	new_pid=$(c svstat /etc/service/hello | sed -n 's/.*(pid \([0-9]*\)).*/\1/p')
	note "hello's pid: $old_pid under Debian, $new_pid after the takeover (daemontools-run's postrm sends svc -dx to every service)"
	check "  no process of Debian's binaries left" sh_in '! ls -l /proc/[0-9]*/exe 2>/dev/null | grep -q "(deleted)"'
	halt
fi
summary "e2e-sysv"
