#!/bin/sh
# bench-journald.sh BINDIR [SERVICES] [SECONDS]
#
# Benchmark (not a test) of the journald bridge's cost: CPU time of svscan
# plus all supervise processes while SERVICES crash-looping services (run:
# exit 1, restarted once a second each) run for SECONDS, once with the
# journald observer on and once off (SVBRIDGE_JOURNAL=off), against a real
# journald. Prints CPU ms per 1,000 transitions (journal entries) for each,
# and the ratio on/off. Run it next to a private journald:
#   go build -o /tmp/b/ ./cmd/svbridge ./cmd/supervise && ln -s svbridge /tmp/b/svscan
#   internal/e2e/harness/journald-standalone.sh internal/e2e/testdata/bench-journald.sh /tmp/b 50 20
set -eu
bin=$1; n=${2:-50}; secs=${3:-20}
hz=$(getconf CLK_TCK)
[ -S /run/systemd/journal/socket ] || { echo "no journald socket: run under journald-standalone.sh" >&2; exit 1; }

# cpu_ticks PID...: utime+stime (own, not children) of the given processes
cpu_ticks() {
	t=0
	for p in "$@"; do
		s=$(sed 's/^.*) //' /proc/$p/stat 2>/dev/null) || continue
		set -- $s
		t=$((t + ${12} + ${13}))
	done
	echo $t
}

run() { # run MODE -> prints "ticks restarts"
	mode=$1
	dir=$(mktemp -d /tmp/bench-sv.XXXXXX)
	i=0
	while [ $i -lt $n ]; do
		mkdir -p $dir/s$i
		printf '#!/bin/sh\nexit 1\n' >$dir/s$i/run
		chmod 755 $dir/s$i/run
		i=$((i + 1))
	done
	if [ "$mode" = off ]; then export SVBRIDGE_JOURNAL=off; else unset SVBRIDGE_JOURNAL; fi
	env -u NOTIFY_SOCKET -u INVOCATION_ID PATH=$bin:$PATH $bin/svscan $dir >/dev/null 2>&1 &
	scan=$!
	sleep 2 # let every supervise start
	sups=$(pgrep -P $scan -x supervise | tr '\n' ' ')
	t0=$(cpu_ticks $scan $sups)
	r0=$(cat $dir/*/supervise/status.json 2>/dev/null | grep -o '"restarts":[0-9]*' | awk -F: '{s+=$2} END {print s+0}')
	sleep $secs
	t1=$(cpu_ticks $scan $sups)
	r1=$(cat $dir/*/supervise/status.json 2>/dev/null | grep -o '"restarts":[0-9]*' | awk -F: '{s+=$2} END {print s+0}')
	kill -TERM $scan; wait $scan 2>/dev/null || true
	rm -rf $dir
	echo "$((t1 - t0)) $((r1 - r0))"
}

e0=$(journalctl -q --no-pager SYSLOG_IDENTIFIER=supervise -o cat | wc -l)
set -- $(run on); on_ticks=$1; on_restarts=$2
sleep 1
e1=$(journalctl -q --no-pager SYSLOG_IDENTIFIER=supervise -o cat | wc -l)
set -- $(run off); off_ticks=$1; off_restarts=$2
# transitions per restart, as counted in the journal during the "on" run
awk -v hz=$hz -v ont=$on_ticks -v onr=$on_restarts -v offt=$off_ticks -v offr=$off_restarts -v ents=$((e1 - e0)) -v n=$n -v secs=$secs 'BEGIN {
	per = (onr > 0) ? ents / onr : 0
	on = (ents > 0) ? ont * 1000 / hz / ents * 1000 : 0
	off = (offr * per > 0) ? offt * 1000 / hz / (offr * per) * 1000 : 0
	printf "services %d, %ds each mode; %.2f journal entries per restart\n", n, secs, per
	printf "journald on : %d restarts, %d entries, %d ticks -> %.1f ms CPU per 1000 transitions\n", onr, ents, ont, on
	printf "journald off: %d restarts, ~%d transitions, %d ticks -> %.1f ms CPU per 1000 transitions\n", offr, offr * per, offt, off
	if (off > 0) printf "ratio on/off: %.2f\n", on / off
}'
