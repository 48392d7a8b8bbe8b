#!/usr/bin/env bash
# packaging/test/e2e-systemd.sh OLD.deb NEW.deb [DEBIAN_DEBS_DIR]
#
# Installs svbridge's .deb for real in a systemd container (the project's
# harness, internal/e2e/harness) and checks the life of the package: install
# enables and starts svscan.service; services come up; svc/svstat work; the
# journal shows the transitions; systemctl stop takes services down before
# their loggers; an upgrade to NEW keeps every pid; remove stops services then
# loggers; purge leaves no unit behind; the unit's svscanboot becomes svscan;
# a native unit ordered after svbridge-ready@NAME starts only once NAME is
# ready, and fails when NAME is not ready in time. With DEBIAN_DEBS_DIR (holding Debian's
# daemontools and daemontools-run .debs) a second container checks the
# takeover of a running Debian installation.
# Needs root. Prints "N passed, N failed" and exits non-zero on failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
[ $# -ge 2 ] || { echo "usage: $0 OLD.deb NEW.deb [DEBIAN_DEBS_DIR]" >&2; exit 100; }
old=$1 new=$2 debian=${3:-}
H=$root/internal/e2e/harness
# a container of our own, whatever SDH_STATE_DIR the caller has
export SDH_STATE_DIR=$(mktemp -d /tmp/svbridge-pkgtest.XXXXXX)
cache=${SDH_CACHE:-/var/cache/sdh}
artifacts=${ARTIFACTS:-$SDH_STATE_DIR}

c() { "$H/in-systemd.sh" "$@"; }
# sh_in SCRIPT: run a shell script inside the container
sh_in() { c sh -c "$1"; }
boot() {
	"$H/boot-systemd.sh" "$cache" >"$SDH_STATE_DIR/boot.log" 2>&1 || { cat "$SDH_STATE_DIR/boot.log"; return 1; }
	cp "$old" "$new" "$SDH_STATE_DIR/share/"
	[ -z "$debian" ] || cp "$debian"/*.deb "$SDH_STATE_DIR/share/"
}
halt() { "$H/stop-systemd.sh" "$artifacts/journal-$1.txt" >/dev/null 2>&1 || true; }
# the state dir (with the saved journals) is kept when a check failed or
# ARTIFACTS is set
trap 'halt exit; [ "$fail" -ne 0 ] || [ -n "${ARTIFACTS:-}" ] || rm -rf "$SDH_STATE_DIR"' EXIT
OLD=/mnt/share/$(basename "$old")
NEW=/mnt/share/$(basename "$new")
newver=$(dpkg-deb -f "$new" Version)

# service fixtures: hello (its logger records when it gets TERM, as does the
# service) registered by update-service from /etc/sv; plain with multilog,
# created in /etc/service directly.
fixtures='
set -e
mkdir -p /etc/sv/hello/log /etc/service/plain/log
cat >/etc/sv/hello/run <<X
#!/bin/sh
exec 2>&1
echo hello starting
trap "echo svc >>/run/stop-order; exit 0" TERM
while :; do sleep 1 & wait \$!; done
X
cat >/etc/sv/hello/log/run <<X
#!/bin/sh
# records when it stops: on TERM, or at the end of its input
trap "echo log >>/run/stop-order; kill \\\$c; exit 0" TERM
exec 3<&0
cat <&3 >>/run/hello.log & c=\$!
while kill -0 \$c 2>/dev/null; do wait \$c; done
echo log >>/run/stop-order
X
cat >/etc/service/plain/run <<X
#!/bin/sh
exec 2>&1
echo plain says hi
exec sleep 100000
X
printf "#!/bin/sh\nexec multilog t ./main\n" >/etc/service/plain/log/run
chmod +x /etc/sv/hello/run /etc/sv/hello/log/run /etc/service/plain/run /etc/service/plain/log/run
'
up() { c svstat "$@" 2>/dev/null | grep -q ': up (pid'; }
alldown() { ! c svstat "$@" 2>/dev/null | grep -q ': up (pid'; }
pidof_svc() { c svstat "$1" 2>/dev/null | sed -n 's/.*: up (pid \([0-9]*\)).*/\1/p'; }
# snapshot: the pids of svscan, of every supervise and of every service
snapshot() {
	sh_in "$PROCS"'echo svscan $(systemctl show -P MainPID svscan); for p in $(procs supervise); do echo supervise $p $(tr "\0" " " </proc/$p/cmdline); done; svstat /etc/service/*/ /etc/service/*/log/ | sed "s/ [0-9]* seconds.*//"'
}
stop_order() { [ "$(c cat /run/stop-order 2>/dev/null | tr '\n' ' ')" = "svc log " ]; }
noproc() { sh_in "$PROCS"'[ -z "$(procs '"$1"')" ]'; }

echo "== systemd: install, services, upgrade, remove, purge"
check "container boots" boot || { summary "e2e-systemd"; exit 1; }
check "apt-get install OLD" c apt-get install -y "$OLD" >"$SDH_STATE_DIR/install.log" 2>&1
check "svscan.service is enabled" c systemctl is-enabled --quiet svscan.service
check "svscan.service is active (READY=1 came)" c systemctl is-active --quiet svscan.service
check "systemd-analyze verify svscan.service" c systemd-analyze verify --man=no /usr/lib/systemd/system/svscan.service
check "/etc/service and /var/lib/supervise exist" c test -d /etc/service -a -d /var/lib/supervise
check "16 program names run the lean supervise, update-service svbridge" sh_in 'for p in svscanboot svscan readproctitle multilog tai64n tai64nlocal setuidgid envuidgid envdir softlimit setlock fghack pgrphack svc svok svstat; do [ "$(readlink -f /usr/bin/$p)" = /usr/bin/supervise ] || exit 1; done; [ "$(readlink -f /usr/sbin/update-service)" = /usr/bin/svbridge ] && [ ! -L /usr/bin/supervise ] && [ -x /usr/bin/supervise ]'
check "svscan and svscanboot start under softlimit -m 4000000, as Debian's" sh_in 'out=$(softlimit -m 4000000 svscan /nonexistent 2>&1); [ $? = 111 ] && [ "$out" = "svscan: fatal: unable to chdir to /nonexistent: file does not exist" ] && out=$(softlimit -m 4000000 svscanboot a b 2>&1); [ $? = 100 ] && [ "$out" = "svscanboot: usage: svscanboot [dir]" ]'
check "man pages are installed for every program" sh_in 'for p in svbridge svscanboot svscan supervise svc svok svstat readproctitle multilog tai64n tai64nlocal setuidgid envuidgid envdir softlimit setlock fghack pgrphack update-service; do [ -f /usr/share/man/man8/$p.8.gz ] || exit 1; done'
check "bash completion is installed" c test -s /usr/share/bash-completion/completions/svbridge
catid=$(sed -n 's/^-- \([0-9a-f]\{32\}\)$/\1/p' "$root/units/svbridge.catalog" 2>/dev/null | head -1)
if [ -n "$catid" ]; then
	check "the journald catalog is compiled in (journalctl --list-catalog)" sh_in "journalctl --list-catalog $catid | grep -q $catid"
fi

check "fixtures" sh_in "$fixtures"
check "update-service --add /etc/sv/hello" sh_in 'update-service --add /etc/sv/hello | grep -qx "Service hello added."'
check "update-service moved supervise/ state to /var/lib/supervise" sh_in '[ "$(readlink /etc/sv/hello/supervise)" = /var/lib/supervise/hello ] && [ "$(readlink /etc/sv/hello/log/supervise)" = /var/lib/supervise/hello.log ]'
check "  its state dirs are 0700" sh_in '[ "$(stat -c %a /var/lib/supervise/hello /var/lib/supervise/hello.log)" = "$(printf "700\n700")" ]'
check "update-service --list hello" sh_in 'update-service --list hello | grep -qx "hello -> /etc/sv/hello"'
check "hello comes up (svstat)" until_ok 15 up /etc/service/hello
check "plain comes up, with its logger" until_ok 15 up /etc/service/plain /etc/service/plain/log
check "svok hello" c svok /etc/service/hello
check "multilog writes plain's output" until_ok 10 sh_in 'grep -q "plain says hi" /etc/service/plain/log/main/current'
p1=$(pidof_svc /etc/service/hello)
check "svc -d hello: down" sh_in 'svc -d /etc/service/hello' 
check "  svstat says down" until_ok 10 alldown /etc/service/hello
check "svc -u hello: up again, new pid" sh_in 'svc -u /etc/service/hello'
check "  svstat says up" until_ok 10 up /etc/service/hello
p2=$(pidof_svc /etc/service/hello)
check "  the pid changed ($p1 -> $p2)" test -n "$p2" -a "$p1" != "$p2"
check "journalctl -u svscan shows hello going down and up" until_ok 10 sh_in 'journalctl -u svscan -o json SVC_NAME=hello | grep -q "\"SVC_EVENT\":\"down\"" && journalctl -u svscan -o json SVC_NAME=hello | grep -c "\"SVC_STATE\":\"up\"" | grep -qv "^[01]$"'
journal_lines=$(c journalctl -u svscan SVC_NAME=hello --no-pager -o cat 2>/dev/null | wc -l)
note "journalctl -u svscan SVC_NAME=hello: $journal_lines entries"

echo "-- systemctl stop / start"
c rm -f /run/stop-order
check "systemctl stop svscan" c systemctl stop svscan.service
check "  hello stopped before its logger" stop_order
check "  no supervise left" noproc supervise
check "systemctl start svscan: everything comes back" c systemctl start svscan.service
check "  hello and plain up" until_ok 15 up /etc/service/hello /etc/service/hello/log /etc/service/plain /etc/service/plain/log

echo "-- kill -9 of svscan: the tree is adopted, nothing restarts"
svcpids() { c svstat /etc/service/hello /etc/service/hello/log /etc/service/plain /etc/service/plain/log 2>/dev/null | sed 's/ [0-9]* seconds.*//'; }
before=$(svcpids)
hp=$(pidof_svc /etc/service/hello)
main=$(c systemctl show -P MainPID svscan.service)
since=$(c date +%s)
check "kill -9 svscan's main pid ($main)" c kill -9 "$main"
check "  svscan.service restarted, active" until_ok 20 sh_in 'm=$(systemctl show -P MainPID svscan.service); [ "$m" != 0 ] && [ "$m" != '"$main"' ] && systemctl is-active --quiet svscan.service'
check "  every service kept its pid" test "$(echo "$before" | grep -c 'up (pid')" -eq 4 -a "$before" = "$(svcpids)"
check "  one adoption entry per service in the journal" until_ok 10 sh_in '[ "$(journalctl -u svscan --since=@'"$since"' -o cat SVC_EVENT=adopted | sort | sed "s/ (pid.*//" | tr "\n" " ")" = "hello/log: adopted hello: adopted plain/log: adopted plain: adopted " ]'
check "  svc -d hello (adopted): down" sh_in 'svc -d /etc/service/hello'
check "    svstat says down" until_ok 10 alldown /etc/service/hello
check "  svc -u hello: up" sh_in 'svc -u /etc/service/hello'
check "    svstat says up" until_ok 10 up /etc/service/hello
check "    with a new pid" test -n "$hp" -a "$hp" != "$(pidof_svc /etc/service/hello)"
cg=$(c systemctl show -P ControlGroup svscan.service)
c rm -f /run/stop-order
check "systemctl stop svscan after the crash" c systemctl stop svscan.service
check "  hello stopped before its logger" stop_order
check "  nothing left in the unit's cgroup ($cg)" sh_in "! grep -qv '^0\$' /sys/fs/cgroup/unified$cg/cgroup.procs /sys/fs/cgroup/systemd$cg/cgroup.procs /sys/fs/cgroup$cg/cgroup.procs 2>/dev/null"
check "  no svscan, supervise or service left" sh_in "$PROCS"'[ -z "$(procs svscan)$(procs supervise)" ] && ! pgrep -fx "sleep 100000"' >/dev/null
check "systemctl start svscan again" c systemctl start svscan.service
check "  hello and plain up" until_ok 15 up /etc/service/hello /etc/service/hello/log /etc/service/plain /etc/service/plain/log

echo "-- upgrade to $newver"
before=$(snapshot)
check "apt-get install NEW (upgrade)" c apt-get install -y "$NEW" >"$SDH_STATE_DIR/upgrade.log" 2>&1
check "  version is now $newver" sh_in "dpkg-query -W -f '\${Version}' svbridge | grep -qx '$newver'"
check "  svscan.service still active" c systemctl is-active --quiet svscan.service
after=$(snapshot)
# (all-in-one by default: no supervise processes, the four services' pids)
check "  svscan, every supervise and every service kept its pid" test "$(echo "$before" | grep -c 'up (pid')" -ge 4 -a "$before" = "$after"
[ "$before" = "$after" ] || { echo "before:"; echo "$before"; echo "after:"; echo "$after"; }
note "$(echo "$after" | grep -c .) processes compared"

echo "-- remove"
c rm -f /run/stop-order
check "apt-get remove svbridge" c apt-get remove -y svbridge >"$SDH_STATE_DIR/remove.log" 2>&1
check "  hello stopped before its logger" stop_order
check "  svscan.service inactive" sh_in '! systemctl is-active --quiet svscan.service'
check "  no svscan, supervise or service left" sh_in "$PROCS"'[ -z "$(procs svscan)$(procs supervise)" ] && ! pgrep -fx "sleep 100000"' >/dev/null
check "  the admin's service dirs stay" c test -x /etc/sv/hello/run -a -L /etc/service/hello -a -x /etc/service/plain/run

echo "-- purge"
check "apt-get purge svbridge" c apt-get purge -y svbridge >"$SDH_STATE_DIR/purge.log" 2>&1
check "  no unit file, no enablement link" sh_in '! test -e /usr/lib/systemd/system/svscan.service && ! test -e /lib/systemd/system/svscan.service && ! test -L /etc/systemd/system/multi-user.target.wants/svscan.service'
check "  systemd knows no svscan.service" sh_in '! systemctl list-unit-files svscan.service | grep -q svscan'
check "  /var/lib/supervise removed" sh_in '! test -e /var/lib/supervise'
check "  the admin's service dirs stay" c test -x /etc/sv/hello/run -a -x /etc/service/plain/run -a -L /etc/service/hello

echo "-- install again after the purge"
check "apt-get install NEW" c apt-get install -y "$NEW" >"$SDH_STATE_DIR/reinstall.log" 2>&1
check "  hello (its supervise link into /var/lib/supervise was left dangling) and plain up" until_ok 15 up /etc/service/hello /etc/service/hello/log /etc/service/plain /etc/service/plain/log
check "  hello's state dirs are made again 0700" sh_in '[ "$(stat -c %a /var/lib/supervise/hello /var/lib/supervise/hello.log)" = "$(printf "700\n700")" ]'
sh_in 'stat -c "%a %n" /var/lib/supervise /var/lib/supervise/*' | while read -r l; do note "$l"; done
echo "-- one entry point: the unit starts svscanboot, which becomes svscan"
check "svscan.service's ExecStart is svscanboot /etc/service" sh_in 'systemctl show -P ExecStart svscan.service | grep -q "path=/usr/bin/svscanboot ; argv\[\]=/usr/bin/svscanboot /etc/service "'
check "  its main process is svscan (argv and systemctl status)" sh_in 'p=$(systemctl show -P MainPID svscan) && [ "$(tr "\0" " " </proc/$p/cmdline)" = "svscan /etc/service " ] && systemctl status svscan --no-pager | grep -q "Main PID: $p (svscan)"'

echo "-- svbridge-ready@: a native unit waits for a daemontools service"
# slow: ready 3 s after it starts (notification-fd); it notes the time it
# said so. never: up, never ready. after-slow and after-never: native units
# that need them and note when they start.
ready_fixtures='
set -e
mkdir -p /etc/sv/slow /etc/sv/never
echo 3 >/etc/sv/slow/notification-fd
cat >/etc/sv/slow/run <<X
#!/bin/sh
sleep 3
date +%s.%N >/run/slow-ready
echo >&3
exec sleep 100000
X
printf "#!/bin/sh\nexec sleep 100000\n" >/etc/sv/never/run
chmod +x /etc/sv/slow/run /etc/sv/never/run
for n in slow never; do
cat >/etc/systemd/system/after-$n.service <<X
[Unit]
Requires=svbridge-ready@$n.service
After=svbridge-ready@$n.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c "date +%%s.%%N >/run/after-$n-started"
X
done
mkdir -p /etc/systemd/system/svbridge-ready@never.service.d
printf "[Service]\nEnvironment=SVBRIDGE_READY_TIMEOUT=2\n" >/etc/systemd/system/svbridge-ready@never.service.d/timeout.conf
systemctl daemon-reload
'
check "fixtures: slow, never, after-slow.service, after-never.service" sh_in "$ready_fixtures"
check "systemd-analyze verify svbridge-ready@slow.service (installed)" c systemd-analyze verify --man=no svbridge-ready@slow.service
check "update-service --add slow and never (svscan starts them at its next scan)" sh_in 'update-service --add /etc/sv/slow >/dev/null && update-service --add /etc/sv/never >/dev/null'
check "  slow is not ready yet" sh_in '! test -e /run/slow-ready'
check "systemctl start after-slow.service: waits for slow's supervise, then READY, then succeeds" c systemctl start after-slow.service
check "  svbridge-ready@slow.service is active" c systemctl is-active --quiet svbridge-ready@slow.service
check "  after-slow started after slow said READY" sh_in 'r=$(cat /run/slow-ready) && s=$(cat /run/after-slow-started) && awk -v r="$r" -v s="$s" "BEGIN { exit !(s >= r) }"'
note "slow ready at $(c cat /run/slow-ready 2>/dev/null), after-slow started at $(c cat /run/after-slow-started 2>/dev/null)"
check "systemctl start after-never.service fails (never is not ready within 2 s)" sh_in '! systemctl start after-never.service 2>/dev/null'
check "  after-never did not start" sh_in '! test -e /run/after-never-started && ! systemctl is-active --quiet after-never.service'
check "  svbridge-ready@never.service failed, exit 99" sh_in 'systemctl is-failed --quiet svbridge-ready@never.service && [ "$(systemctl show -P ExecMainStatus svbridge-ready@never.service)" = 99 ]'
check "  its journal says why" until_ok 5 sh_in 'journalctl -u svbridge-ready@never.service --no-pager -o cat | grep -qF "svbridge wait: fatal: timed out after 2 seconds waiting for /etc/service/never to be ready"'
halt main

if [ -n "$debian" ]; then
	echo "== takeover of a running Debian daemontools + daemontools-run"
	check "container boots" boot || { summary "e2e-systemd"; exit 1; }
	check "dpkg -i Debian's daemontools daemontools-run" sh_in 'dpkg -i /mnt/share/daemontools_*.deb /mnt/share/daemontools-run_*.deb' >"$SDH_STATE_DIR/debian.log" 2>&1
	check "  daemontools-run.service active" c systemctl is-active --quiet daemontools-run.service
	sh_in "$fixtures" >/dev/null 2>&1
	check "Debian's update-service --add /etc/sv/hello" sh_in 'update-service --add /etc/sv/hello >/dev/null'
	check "  hello and plain up under Debian's svscan" until_ok 15 up /etc/service/hello /etc/service/plain /etc/service/plain/log
	old_pid=$(pidof_svc /etc/service/hello)
	check "apt-get install svbridge over it" c apt-get install -y "$NEW" >"$SDH_STATE_DIR/takeover.log" 2>&1
	check "  daemontools and daemontools-run removed" sh_in '! dpkg-query -W -f "\${Status}" daemontools daemontools-run 2>/dev/null | grep -q "install ok installed"'
	check "  daemontools-run.service gone, svscan.service active" sh_in '! systemctl is-active --quiet daemontools-run.service && systemctl is-active --quiet svscan.service'
	check "  hello and plain up under svbridge" until_ok 15 up /etc/service/hello /etc/service/hello/log /etc/service/plain /etc/service/plain/log
	check "  svscan is svbridge's, any supervise is svbridge's" sh_in "$PROCS"'[ "$(readlink /proc/$(systemctl show -P MainPID svscan)/exe)" = /usr/bin/svbridge ] && dpkg -S /usr/bin/supervise | grep -q "^svbridge:" && for p in $(procs supervise); do [ "$(readlink /proc/$p/exe)" = /usr/bin/supervise ] || exit 1; done'
	check "  no process of Debian's (deleted) binaries left" sh_in '! ls -l /proc/[0-9]*/exe 2>/dev/null | grep -q "(deleted)"'
	new_pid=$(pidof_svc /etc/service/hello)
	note "hello's pid: $old_pid under Debian, $new_pid after the takeover (restarted: daemontools-run's prerm stops its unit, which kills its cgroup)"
	check "  update-service --list still knows hello" sh_in 'update-service --list hello | grep -qx "hello -> /etc/sv/hello"'
	check "  multilog keeps appending to plain's log" sh_in 'test $(grep -c "plain says hi" /etc/service/plain/log/main/current) -ge 2'
	halt takeover
fi
summary "e2e-systemd"
