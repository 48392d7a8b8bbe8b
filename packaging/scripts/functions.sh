# Functions shared by the maintainer scripts of svbridge. packaging/build puts
# them at the top of each deb and rpm script; they need only POSIX sh and the
# programs of the package itself.
#
# Policy (see also units/svscan.service and README, section packages):
# - install: enable svscan.service and start it when systemd runs; on a host
#   with /etc/inittab add the SV line between markers once and tell init.
# - upgrade: never restart svscan.service (a stop ends every service, so a
#   restart restarts them all); systemctl daemon-reload only, so every
#   supervised pid stays.
# - removal: services down first, then their loggers, then the unit (or the
#   inittab entry); purge removes the package's state, never service dirs.

SVB_UNIT=svscan.service
SVB_SERVICEDIR=/etc/service
SVB_STATEDIR=/var/lib/supervise

svb_log() { echo "svbridge: $*"; }

svb_systemd() { [ -d /run/systemd/system ]; }

# svb_start: start the unit unless the admin disabled it (or policy-rc.d says
# no); a no-op when it runs already, which is what an upgrade wants.
svb_start() {
	svb_systemd || return 0
	if command -v deb-systemd-invoke >/dev/null 2>&1; then
		deb-systemd-invoke start "$SVB_UNIT" >/dev/null || :
	elif systemctl is-enabled --quiet "$SVB_UNIT" 2>/dev/null; then
		systemctl start "$SVB_UNIT" || :
	fi
}

svb_reload() {
	if svb_systemd; then systemctl --system daemon-reload >/dev/null 2>&1 || :; fi
}

# svb_fix_state: a service dir whose supervise/ is a symbolic link into the
# state dir (update-service --add) needs the link's target to exist, 0700
# as supervise makes its supervise/ (also after a purge removed it, and for
# one an earlier version made 0755).
svb_fix_state() {
	for l in "$SVB_SERVICEDIR"/*/supervise "$SVB_SERVICEDIR"/*/log/supervise; do
		[ -h "$l" ] || continue
		t=$(readlink "$l")
		case $t in
		"$SVB_STATEDIR"/*)
			if [ ! -e "$t" ]; then mkdir -p -m 0700 "$t" || :; fi
			if [ -d "$t" ] && [ ! -h "$t" ]; then chmod 0700 "$t" || :; fi
			;;
		esac
	done
}

# svb_inittab_add: as Debian's daemontools-run does, add the SV line between
# marker comments when /etc/inittab exists and has no SV line yet, then init q.
svb_inittab_add() {
	[ -f /etc/inittab ] || return 0
	if grep -q '^SV:' /etc/inittab; then return 0; fi
	svb_log 'adding the SV entry to /etc/inittab'
	{
		cat /etc/inittab
		echo '#-- svbridge begin'
		echo 'SV:123456:respawn:/usr/bin/svscanboot /etc/service'
		echo '#-- svbridge end'
	} >'/etc/inittab{new}'
	mv -f '/etc/inittab{new}' /etc/inittab
	init q || :
}

# svb_inittab_del: remove our marker block, if any, then init q (init stops
# the svscanboot it started for that line).
svb_inittab_del() {
	[ -f /etc/inittab ] || return 0
	grep -q '^#-- svbridge begin$' /etc/inittab || return 0
	svb_log 'removing the SV entry from /etc/inittab'
	sed -e '/^#-- svbridge begin$/,/^#-- svbridge end$/d' /etc/inittab >'/etc/inittab{new}'
	mv -f '/etc/inittab{new}' /etc/inittab
	init q || :
}

# svb_wait_down DIR...: wait up to 10 s until svstat shows none of DIR up.
svb_wait_down() {
	i=0
	while [ $i -lt 100 ]; do
		svstat "$@" 2>/dev/null | grep -q ': up ' || return 0
		sleep 0.1
		i=$((i + 1))
	done
	svb_log 'warning: some services are still up after 10 seconds'
}

# svb_down_tree: svc -d every service, wait, then the same for the loggers,
# so every logger gets the last lines of its service. Without -x: svscan is
# still running and would start a fresh supervise for a dir whose supervise
# exited.
svb_down_tree() {
	[ -d "$SVB_SERVICEDIR" ] || return 0
	command -v svc >/dev/null 2>&1 || return 0
	set -- "$SVB_SERVICEDIR"/*/
	[ -d "$1" ] || return 0
	svb_log 'sending services the TERM and CONT signals (svc -d)...'
	svc -d "$@" 2>/dev/null || :
	svb_wait_down "$@"
	set -- "$SVB_SERVICEDIR"/*/log/
	[ -d "$1" ] || return 0
	svb_log 'sending log services the TERM and CONT signals (svc -d)...'
	svc -d "$@" 2>/dev/null || :
	svb_wait_down "$@"
}

# svb_exit_tree: after svscan is gone, svc -x makes every (down) supervise exit.
svb_exit_tree() {
	[ -d "$SVB_SERVICEDIR" ] || return 0
	command -v svc >/dev/null 2>&1 || return 0
	for d in "$SVB_SERVICEDIR"/*/ "$SVB_SERVICEDIR"/*/log/; do
		[ -d "$d" ] && svc -dx "$d" 2>/dev/null || :
	done
}

# svb_wait_svscan_gone: wait up to 10 s for init to stop svscan (found by
# its argv[0]: the multi-call binary runs as a link named svscan).
svb_wait_svscan_gone() {
	i=0
	while [ $i -lt 100 ]; do
		found=
		for c in /proc/[0-9]*/cmdline; do
			a=$(tr '\0' '\n' <"$c" 2>/dev/null | head -n 1)
			if [ "${a##*/}" = svscan ]; then found=1; break; fi
		done
		[ -n "$found" ] || return 0
		sleep 0.1
		i=$((i + 1))
	done
}

# svb_stop_all: the whole ordered stop, for a removal of the package.
svb_stop_all() {
	svb_down_tree
	if svb_systemd; then
		if command -v deb-systemd-invoke >/dev/null 2>&1; then
			deb-systemd-invoke stop "$SVB_UNIT" >/dev/null || :
		else
			systemctl stop "$SVB_UNIT" >/dev/null 2>&1 || :
		fi
	fi
	if [ -f /etc/inittab ] && grep -q '^#-- svbridge begin$' /etc/inittab; then
		svb_inittab_del
		svb_wait_svscan_gone
		svb_exit_tree
	fi
}
