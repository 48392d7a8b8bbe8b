#!/bin/sh
# Memory (PSS) per supervise process and idle wake-ups: our lean supervise
# against Debian's daemontools supervise, in the same run, with ratios.
#
#   supervise/testdata/bench-supervise.sh [N] [IDLE_SECONDS]
#
# N services of each kind (default 50) run "exec sleep 100000"; when all are
# up (svstat), PSS is summed from /proc/PID/smaps_rollup; then context
# switches of every supervise thread are counted over IDLE_SECONDS
# (default 10) with nothing happening. Last, the time from exec'ing
# supervise to ./run running (median of 21 starts of each, in ms).
# Needs /usr/bin/supervise, svc, svstat.
set -eu
N=${1:-50}
IDLE=${2:-10}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'for d in "$work"/o* "$work"/d* "$work"/lat*; do svc -dx "$d" 2>/dev/null || :; done; sleep 1.5; rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -o "$work/bin/" "$root/cmd/supervise"

i=0
while [ $i -lt $N ]; do
	i=$((i + 1))
	for k in o d; do
		mkdir "$work/$k$i"
		printf '#!/bin/sh\nexec sleep 100000\n' > "$work/$k$i/run"
		chmod +x "$work/$k$i/run"
	done
	"$work/bin/supervise" "$work/o$i" &
	echo $! >> "$work/ours.pids"
	/usr/bin/supervise "$work/d$i" &
	echo $! >> "$work/deb.pids"
done

# wait until every service is up
deadline=$(($(date +%s) + 60))
while :; do
	n=$(svstat "$work"/o* "$work"/d* | grep -c ': up (pid' || :)
	[ "$n" -eq $((2 * N)) ] && break
	[ "$(date +%s)" -gt $deadline ] && { echo "only $n of $((2 * N)) up" >&2; exit 1; }
	sleep 0.2
done
sleep 2 # let start-up settle (daemontools sleeps 1 s after each start)

pss() { # total PSS in kB of the pids in file $1
	t=0
	for p in $(cat "$1"); do
		v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup")
		t=$((t + v))
	done
	echo $t
}
ctx() { # total context switches of all threads of the pids in file $1
	t=0
	for p in $(cat "$1"); do
		for s in /proc/$p/task/*/status; do
			v=$(awk '/ctxt_switches/ {s += $2} END {print s}' "$s")
			t=$((t + v))
		done
	done
	echo $t
}
po=$(pss "$work/ours.pids")
pd=$(pss "$work/deb.pids")
co=$(ctx "$work/ours.pids")
cd0=$(ctx "$work/deb.pids")
sleep "$IDLE"
co=$(($(ctx "$work/ours.pids") - co))
cd0=$(($(ctx "$work/deb.pids") - cd0))

startup() { # $1 = supervise binary, $2 = tag; prints the median in microseconds
	k=0
	: > "$work/lat.$2"
	while [ $k -lt 21 ]; do
		k=$((k + 1))
		d="$work/lat$2$k"
		mkdir "$d"
		printf '#!/bin/sh\ndate +%%s%%N > started\nexec sleep 100000\n' > "$d/run"
		chmod +x "$d/run"
		t0=$(date +%s%N)
		"$1" "$d" &
		while [ ! -s "$d/started" ]; do :; done
		echo $((($(cat "$d/started") - t0) / 1000)) >> "$work/lat.$2"
		svc -dx "$d"
	done
	sort -n "$work/lat.$2" | sed -n 11p
}
lo=$(startup "$work/bin/supervise" o)
ld=$(startup /usr/bin/supervise d)

echo "services: $N each"
echo "PSS per supervise: ours $((po / N)) kB, daemontools $((pd / N)) kB, ratio $(echo "scale=2; $po / $pd" | bc)"
echo "idle wake-ups in ${IDLE}s (all supervise processes): ours $co, daemontools $cd0"
echo "exec to ./run running (median): ours ${lo} us, daemontools ${ld} us, ratio $(echo "scale=2; $lo / $ld" | bc)"
