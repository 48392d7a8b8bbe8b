#!/usr/bin/env bash
# packaging/test/e2e-rpm.sh OLD.rpm NEW.rpm
#
# The .rpm's scriptlets, run for real in a systemd container in the order and
# with the counts rpm uses (no RPM distribution is reachable from here, and
# the Debian container has no rpm): files are laid out by the host's
# "rpm --root -i --noscripts", scriptlets taken with rpm -qp --qf.
#   install:  OLD %pre 1, files, OLD %post 1
#   upgrade:  NEW %pre 2, files, NEW %post 2, OLD %preun 1, OLD %postun 1
#   erase:    NEW %preun 0, files removed, NEW %postun 0
# Checks: install enables and starts svscan.service; the upgrade keeps every
# pid; erase stops services before loggers and leaves no unit.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
[ $# -eq 2 ] || { echo "usage: $0 OLD.rpm NEW.rpm" >&2; exit 100; }
H=$root/internal/e2e/harness
export SDH_STATE_DIR=$(mktemp -d /tmp/svbridge-rpmtest.XXXXXX)
cache=${SDH_CACHE:-/var/cache/sdh}
share=$SDH_STATE_DIR/share
c() { "$H/in-systemd.sh" "$@"; }
sh_in() { c sh -c "$1"; }
trap '"$H/stop-systemd.sh" >/dev/null 2>&1; rm -rf "$SDH_STATE_DIR"' EXIT

# stage PKG NAME: files as a tarball and the four scriptlets into the share dir
stage() {
	local r=$SDH_STATE_DIR/root-$2 s
	mkdir -p "$r" "$share/$2"
	rpm --root "$r" --dbpath /var/lib/rpm -i --nodeps --noscripts "$1" 2>/dev/null || return 1
	rm -rf "$r/var/lib/rpm"
	tar -C "$r" -cf "$share/$2/files.tar" . || return 1
	rpm -qp --qf '[%{FILENAMES}\n]' "$1" 2>/dev/null >"$share/$2/files.list"
	for s in PREIN POSTIN PREUN POSTUN; do
		rpm -qp --qf "%{$s}" "$1" 2>/dev/null >"$share/$2/$s"
	done
}
scriptlet() { c sh "/mnt/share/$1/$2" "$3"; } # scriptlet PKG NAME COUNT

echo "== rpm scriptlets in a systemd container"
"$H/boot-systemd.sh" "$cache" >"$SDH_STATE_DIR/boot.log" 2>&1
check "container boots" c true || { cat "$SDH_STATE_DIR/boot.log"; summary e2e-rpm; exit 1; }
stage_both() { stage "$1" old && stage "$2" new; }
check "stage the old and new .rpm" stage_both "$1" "$2"
check "install: %pre 1, files, %post 1" sh -c "$(declare -f c); H=$H; c sh /mnt/share/old/PREIN 1 && c tar -C / --no-overwrite-dir -xf /mnt/share/old/files.tar && c sh /mnt/share/old/POSTIN 1" >"$SDH_STATE_DIR/install.log" 2>&1
check "  svscan.service enabled and active" sh_in 'systemctl is-enabled --quiet svscan.service && systemctl is-active --quiet svscan.service'
sh_in 'mkdir -p /etc/sv/hello/log && printf "#!/bin/sh\ntrap \"echo svc >>/run/stop-order; exit 0\" TERM\nwhile :; do sleep 1 & wait \$!; done\n" >/etc/sv/hello/run && printf "#!/bin/sh\ntrap \"echo log >>/run/stop-order; exit 0\" TERM\nexec 3<&0\ncat <&3 >/dev/null & c=\$!\nwhile kill -0 \$c 2>/dev/null; do wait \$c; done\necho log >>/run/stop-order\n" >/etc/sv/hello/log/run && chmod +x /etc/sv/hello/run /etc/sv/hello/log/run && update-service --add /etc/sv/hello >/dev/null'
check "  a service comes up" until_ok 15 sh_in 'svstat /etc/service/hello /etc/service/hello/log | grep -c ": up (pid" | grep -qx 2'
snap() { sh_in "$PROCS"'echo $(systemctl show -P MainPID svscan) $(procs supervise) $(svstat /etc/service/hello /etc/service/hello/log | sed "s/ [0-9]* seconds.*//")'; }
before=$(snap)
check "upgrade: new %pre 2, files, new %post 2, old %preun 1, old %postun 1" sh -c "
	$(declare -f c); H=$H
	c sh /mnt/share/new/PREIN 2 && c tar -C / --no-overwrite-dir -xf /mnt/share/new/files.tar && c sh /mnt/share/new/POSTIN 2 &&
	c sh /mnt/share/old/PREUN 1 && c sh /mnt/share/old/POSTUN 1" >"$SDH_STATE_DIR/upgrade.log" 2>&1
after=$(snap)
note "svscan, supervise pids, status: $after"
check "  svscan.service still active" c systemctl is-active --quiet svscan.service
check "  svscan, supervise and service pids unchanged" test -n "$before" -a "$before" = "$after"
[ "$before" = "$after" ] || { note "before: $before"; note "after:  $after"; }
c rm -f /run/stop-order
check "erase: %preun 0, files removed, %postun 0" sh -c "
	$(declare -f c); H=$H
	c sh /mnt/share/new/PREUN 0 &&
	c sh -c 'sort -r /mnt/share/new/files.list | while read -r f; do if [ -d \"\$f\" ] && [ ! -L \"\$f\" ]; then rmdir \"\$f\" 2>/dev/null; else rm -f \"\$f\"; fi; done; true' &&
	c sh /mnt/share/new/POSTUN 0" >"$SDH_STATE_DIR/erase.log" 2>&1
check "  hello stopped before its logger" sh_in '[ "$(tr "\n" " " </run/stop-order)" = "svc log " ]'
check "  svscan.service inactive, disabled, unknown to systemd" sh_in '! systemctl is-active --quiet svscan.service && ! test -L /etc/systemd/system/multi-user.target.wants/svscan.service && ! systemctl list-unit-files svscan.service | grep -q svscan'
check "  no svscan or supervise left" sh_in "$PROCS"'[ -z "$(procs svscan)$(procs supervise)" ]'
check "  the admin's service dir stays" c test -x /etc/sv/hello/run
summary e2e-rpm
