#!/usr/bin/env bash
# packaging/test/sysv-rootfs.sh CACHE_DIR: build (once) a Debian rootfs whose
# init is sysvinit (sysvinit-core, no systemd), for the SysV package test.
# Prints the rootfs path. Uses the host's Debian mirror (as the systemd
# harness does) and debootstrap; ~1-2 minutes the first time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/internal/e2e/harness/sdh-common.sh"
cache=$1
suite=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-bookworm}")
pkgs=sysvinit-core,procps
rootfs=$cache/sysv-$suite-1
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ ! -x "$rootfs/sbin/init" ]; then
	mirror=${SDH_MIRROR:-$(sdh_host_mirror "$suite")}
	tmp=$(mktemp -d "$cache/.build-XXXXXX")
	echo "sysv-rootfs: debootstrap $suite (minbase + $pkgs)" >&2
	debootstrap --variant=minbase --include="$pkgs" "$suite" "$tmp" "$mirror" >"$tmp.log" 2>&1 ||
		{ tail -20 "$tmp.log" >&2; rm -rf "$tmp" "$tmp.log"; exit 1; }
	rm -f "$tmp.log"
	echo sysv >"$tmp/etc/hostname"
	# no gettys (no terminals in the container), nothing else respawning
	sed -i '/getty/d' "$tmp/etc/inittab"
	rm -rf "$tmp/var/cache/apt/"*.bin "$tmp/var/lib/apt/lists/"*
	mv "$tmp" "$rootfs"
fi
echo "$rootfs"
