#!/bin/bash
# Memory (PSS) of the supervision tree per service: N service dirs under
# daemontools' svscan + supervise, under our svscan + lean supervise, and
# under our svscan in all-in-one mode (SVBRIDGE_INPROCESS=1), in one run.
# Counts svscan and its supervise children only (not the services).
# Usage: supervise/scan/testdata/bench-pss.sh [N]   (default 200)
set -eu
N=${1:-200}
root=$(cd "$(dirname "$0")/../../.." && pwd)
work=$(mktemp -d)
# pg is set in measure's subshell: 0 here means nothing to kill (and
# "kill -- -0" would kill this script's own process group, its caller too)
trap '[ "$pg" = 0 ] || kill -9 -- -"$pg" 2>/dev/null; rm -rf "$work"' EXIT
pg=0
# as packaged: with the entry stub of internal/rlimit
(cd "$root" && CGO_ENABLED=0 go build -ldflags=-E=svbridge_rt0 -o "$work/bin/" ./cmd/...)
ln -s svbridge "$work/bin/svscan"

pss() { # sum of Pss (kB) of the given pids
	local sum=0 p v
	for p in "$@"; do
		v=$(awk '/^Pss:/ {print $2}' /proc/$p/smaps_rollup 2>/dev/null || echo 0)
		sum=$((sum + ${v:-0}))
	done
	echo $sum
}

measure() { # name svscan-binary env...
	local name=$1 bin=$2; shift 2
	local dir=$work/$name
	mkdir -p "$dir"
	for i in $(seq 1 "$N"); do
		mkdir "$dir/s$i"
		printf '#!/bin/sh\nexec tail -f /dev/null\n' > "$dir/s$i/run"
		chmod +x "$dir/s$i/run"
	done
	env "$@" setsid "$bin" "$dir" </dev/null >/dev/null 2>&1 &
	local scan=$!
	pg=$scan
	local deadline=$((SECONDS + 60)) up=0
	while [ $SECONDS -lt $deadline ]; do
		up=0
		for i in $(seq 1 "$N"); do
			[ -s "$dir/s$i/supervise/status" ] && [ "$(od -An -tu4 -j12 -N4 "$dir/s$i/supervise/status" | tr -d ' ')" != 0 ] && up=$((up + 1))
		done
		[ "$up" -eq "$N" ] && break
		sleep 0.5
	done
	sleep 2 # let start-up garbage settle
	local kids
	kids=$(ps -o pid=,args= --ppid "$scan" | awk '$2 == "supervise" {print $1}' | tr '\n' ' ')
	local total
	total=$(pss "$scan" $kids)
	echo "$name: $up/$N up, $(echo "$kids" | wc -w) supervise processes, PSS total ${total} kB, per service $((total / N)) kB" >&2
	kill -9 -- -"$scan" 2>/dev/null || true
	wait "$scan" 2>/dev/null || true
	echo $((total / N))
}

dt=$(measure daemontools /usr/bin/svscan PATH=/usr/bin:/bin)
ours=$(measure ours "$work/bin/svscan" PATH=/usr/bin:/bin)
inproc=$(measure inprocess "$work/bin/svscan" PATH=/usr/bin:/bin SVBRIDGE_INPROCESS=1)
echo "PSS per service (kB): daemontools $dt, ours $ours, ours all-in-one $inproc"
awk -v d="$dt" -v o="$ours" -v i="$inproc" 'BEGIN {
	printf "ratio ours/daemontools %.2f, all-in-one/daemontools %.2f\n", o/d, i/d }'
