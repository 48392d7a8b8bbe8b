#!/usr/bin/env bash
# packaging/test/static.sh DIST_DIR: checks of the built packages that need
# no container: lintian on each .deb (no error or warning left that is not
# overridden with a reason in packaging/lintian-overrides), rpm -qp checks of
# each .rpm (file list, modes, scripts, dependencies), an rpm install into a
# scratch root, systemd-analyze verify of the units, and the packaged
# binary's --version against the .deb's Version.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
dist=${1:-$root/dist}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the daemontools programs: all run from the lean supervise, which the kernel
# can map under softlimit -m 4000000 (svscan then hands over to svbridge)
leanprograms="svscanboot svscan svc svok svstat readproctitle multilog tai64n tai64nlocal setuidgid envuidgid envdir softlimit setlock fghack pgrphack"
programs="$leanprograms"

# has_lines TEXT LINE...: every LINE is a whole line of TEXT
has_lines() {
	local text=$1 l
	shift
	for l in "$@"; do
		echo "$text" | grep -qxF -- "$l" || { note "missing: $l"; return 1; }
	done
}
# section TEXT FROM TO: the lines of TEXT from the one starting FROM to the one starting TO
section() { echo "$1" | sed -n "/^$2/,/^$3/p"; }
# elf_machine FILE: the e_machine of an ELF file (62 = x86-64, 183 = aarch64)
elf_machine() { od -An -t u2 -j 18 -N 2 "$1" | tr -d ' '; }

echo "== static checks of the packages in $dist"
debs=$(ls "$dist"/svbridge_*.deb 2>/dev/null)
rpms=$(ls "$dist"/svbridge-*.rpm 2>/dev/null)
check "a .deb and an .rpm for amd64 and arm64" test "$(echo "$debs" | grep -c -e _amd64.deb -e _arm64.deb)" = 2 -a "$(echo "$rpms" | grep -c -e x86_64.rpm -e aarch64.rpm)" = 2

for deb in $debs; do
	b=$(basename "$deb")
	out=$(lintian --fail-on none "$deb" 2>&1 | grep -v 'running with root privileges')
	check "lintian $b: no error or warning" test -z "$(echo "$out" | grep -E '^[EW]:')"
	[ -z "$out" ] || echo "$out" | sed 's/^/     /'
	x=$tmp/${b%.deb}
	mkdir -p "$x"
	dpkg-deb -x "$deb" "$x"
	arch=$(dpkg-deb -f "$deb" Architecture)
	want=62
	[ "$arch" = arm64 ] && want=183
	check "$b: binaries are static ELF for $arch" sh -c "[ \"\$(od -An -t u2 -j 18 -N 2 '$x/usr/bin/svbridge' | tr -d ' ')\" = $want ] && [ \"\$(od -An -t u2 -j 18 -N 2 '$x/usr/bin/supervise' | tr -d ' ')\" = $want ] && ! od -c '$x/usr/bin/svbridge' | head -40 | grep -q 'l   d   -   l   i   n   u   x'"
	check "$b: Conflicts/Replaces daemontools" sh -c "dpkg-deb -f '$deb' Conflicts | grep -q 'daemontools-run' && dpkg-deb -f '$deb' Replaces | grep -q 'daemontools,'"
	# versioned, as Debian ships them, so daemontools-run's own
	# "Depends: daemontools (>> 1:0.76)" is met by svbridge
	prov=$(dpkg-deb -f "$deb" Provides)
	check "$b: Provides daemontools (= 1:0.76-8.1), daemontools-run (= 1:0.76-8.1)" test "$prov" = "daemontools (= 1:0.76-8.1), daemontools-run (= 1:0.76-8.1)"
	pver=$(echo "$prov" | sed -n 's/^daemontools (= \([^)]*\)).*/\1/p')
	check "$b: the provided version meets daemontools (>> 1:0.76)" dpkg --compare-versions "$pver" gt 1:0.76
	dver=$(apt-cache show --no-all-versions daemontools 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
	[ -z "$dver" ] || [ "$dver" = "$pver" ] || note "Debian's daemontools here is $dver, svbridge provides $pver: update nfpm.yaml"
	check "$b: the description explains the runit conflict" sh -c "dpkg-deb -f '$deb' Description | grep -q 'conflicts with runit'"
	check "$b: the 16 daemontools names but supervise link to the lean supervise" sh -c "for p in $leanprograms; do [ \"\$(readlink '$x'/usr/bin/\$p)\" = supervise ] || exit 1; done"
	check "$b: changelog.gz and copyright" test -s "$x/usr/share/doc/svbridge/changelog.gz" -a -s "$x/usr/share/doc/svbridge/copyright"
	check "$b: svscan.service and svbridge-ready@.service (0644)" sh -c "[ \"\$(stat -c %a '$x/usr/lib/systemd/system/svscan.service')\" = 644 ] && [ \"\$(stat -c %a '$x/usr/lib/systemd/system/svbridge-ready@.service')\" = 644 ]"
	[ "$arch" = "$(dpkg --print-architecture)" ] || continue
	# the packaged binary runs here: its version is the package's
	debver=$(dpkg-deb -f "$deb" Version)
	binver=$("$x/usr/bin/svbridge" --version 2>&1)
	check "$b: svbridge --version ($binver) is the package's Version ($debver)" test "$binver" = "$debver" -a "$("$x/usr/bin/svbridge" version 2>&1)" = "$debver"
	# the template unit as packaged, with the packaged binary: a copy of both
	# units whose /usr/bin/ points into the extracted package (verify checks
	# that ExecStart is executable and that svscan.service exists)
	u=$tmp/units-$arch
	mkdir -p "$u"
	for f in svscan.service svbridge-ready@.service; do
		sed "s|/usr/bin/|$x/usr/bin/|" "$x/usr/lib/systemd/system/$f" >"$u/$f"
	done
	out=$(cd "$u" && systemd-analyze verify --man=no svbridge-ready@db.service 2>&1)
	rc=$?
	check "systemd-analyze verify svbridge-ready@db.service: no error or warning" test "$rc" -eq 0 -a -z "$out"
	[ -z "$out" ] || echo "$out" | sed 's/^/     /'
done

for rpm in $rpms; do
	b=$(basename "$rpm")
	files=$(rpm -qpl "$rpm" 2>/dev/null)
	ok=1
	for f in /usr/bin/svbridge /usr/bin/supervise /usr/sbin/update-service /usr/lib/systemd/system/svscan.service \
		/usr/share/svbridge/inittab /usr/share/man/man8/svscan.8.gz /usr/share/man/man8/update-service.8.gz \
		/usr/share/bash-completion/completions/svbridge /usr/share/doc/svbridge/copyright /etc/service /var/lib/supervise; do
		echo "$files" | grep -qx "$f" || { note "missing $f"; ok=; }
	done
	for p in $programs; do echo "$files" | grep -qx "/usr/bin/$p" || { note "missing /usr/bin/$p"; ok=; }; done
	check "rpm -qpl $b: every file" test -n "$ok"
	if [ -f "$root/units/svbridge.catalog" ]; then
		check "rpm -qpl $b: the journald catalog" sh -c "echo '$files' | grep -qx /usr/lib/systemd/catalog/svbridge.catalog"
	fi
	modes=$(rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\n]' "$rpm" 2>/dev/null)
	links=$(rpm -qp --qf '[%{FILENAMES} %{FILELINKTOS}\n]' "$rpm" 2>/dev/null)
	scripts=$(rpm -qp --scripts "$rpm" 2>/dev/null)
	check "$b: modes (binaries 0755 root, unit 0644, dirs 0755)" has_lines "$modes" \
		'-rwxr-xr-x root:root /usr/bin/svbridge' '-rwxr-xr-x root:root /usr/bin/supervise' \
		'-rw-r--r-- root:root /usr/lib/systemd/system/svscan.service' '-rw-r--r-- root:root /usr/lib/systemd/system/svbridge-ready@.service' \
		'drwxr-xr-x root:root /etc/service'
	check "$b: 16 program links to supervise, update-service to ../bin/svbridge" \
		test "$(echo "$links" | grep -c '^/usr/bin/[a-z0-9]* supervise$')" = 16 -a -n "$(echo "$links" | grep -x '/usr/sbin/update-service ../bin/svbridge')"
	check "$b: %post enables on install (\$1 = 1) only" has_lines "$(section "$scripts" postinstall preuninstall)" 'if [ "$1" -eq 1 ] && command -v systemctl >/dev/null 2>&1; then'
	check "$b: no scriptlet restarts svscan.service" test -z "$(echo "$scripts" | grep -E 'systemctl (try-)?restart|deb-systemd-invoke restart')"
	check "$b: %preun stops only on erase (\$1 = 0)" has_lines "$(section "$scripts" preuninstall postuninstall)" 'if [ "$1" -eq 0 ]; then'
	check "$b: Requires /bin/sh" has_lines "$(rpm -qp --requires "$rpm" 2>/dev/null)" /bin/sh
	check "$b: Provides daemontools = 1:0.76-8.1, daemontools-run = 1:0.76-8.1" has_lines "$(rpm -qp --provides "$rpm" 2>/dev/null)" 'daemontools = 1:0.76-8.1' 'daemontools-run = 1:0.76-8.1'
	check "$b: Conflicts daemontools daemontools-run runit runit-run runit-init" has_lines "$(rpm -qp --conflicts "$rpm" 2>/dev/null)" daemontools daemontools-run runit runit-run runit-init
done

# rpm install into a scratch root (no scriptlets: the root has no /bin/sh;
# they are run for real in the systemd container by e2e-rpm.sh)
hostrpm=$(echo "$rpms" | grep "$(uname -m)" | head -1)
if [ -n "$hostrpm" ]; then
	r=$tmp/rpmroot
	mkdir -p "$r"
	check "rpm --root: install (--nodeps --noscripts)" rpm --root "$r" --dbpath /var/lib/rpm -i --nodeps --noscripts "$hostrpm" 2>/dev/null
	check "  installed svbridge runs and lists its programs" sh -c "'$r/usr/bin/svbridge' --help | grep -q update-service"
	check "  rpm -V: files as packaged" rpm --root "$r" --dbpath /var/lib/rpm -V --nodeps svbridge
	check "  rpm -e removes every file" sh -c "rpm --root '$r' --dbpath /var/lib/rpm -e --nodeps --noscripts svbridge 2>/dev/null && [ -z \"\$(find '$r/usr' -type f -o -type l)\" ]"
fi

check "systemd-analyze verify units/svscan.service (with our man pages)" sh -c "cd '$root' && MANPATH='$root/packaging/man:' systemd-analyze verify units/svscan.service"
summary "static"
