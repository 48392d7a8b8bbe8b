# Shared by the package tests (sourced). Counts checks and prints
# "ok"/"FAIL" lines; summary prints the counts and returns non-zero on failure.
exec 3>&1 # check results go here even when a check redirects its output
pass=0
fail=0
check() { # check NAME CMD...: one named check
	local name=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
		echo "ok   $name" >&3
	else
		fail=$((fail + 1))
		echo "FAIL $name" >&3
		return 1
	fi
}
note() { echo "     $*"; }
summary() { # summary TITLE
	echo "$1: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
# until_ok SECONDS CMD...: poll CMD every 0.1 s until it succeeds or time runs out.
until_ok() {
	local t=$(($1 * 10))
	shift
	while [ $t -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		t=$((t - 1))
	done
	return 1
}
# PROCS is shell code for inside a container: "procs NAME" lists the pids
# whose argv[0] is NAME or ends in /NAME (comm is not reliable: supervise
# re-executes itself, and multi-call programs are links).
PROCS='procs() { for d in /proc/[0-9]*; do a=$(tr "\0" "\n" <$d/cmdline 2>/dev/null | head -n 1); [ "${a##*/}" = "$1" ] && echo ${d#/proc/}; done | sort -n; }; '
