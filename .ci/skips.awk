# .ci/skips.awk: from `go test -v` output, one line per skipped test with
# its reason: "PACKAGE TEST: FILE:LINE: REASON". The reason is the test's
# last log entry before its "--- SKIP" line (t.Skip logs it there; a
# subtest's SKIP line comes later, after its parent's, so entries are kept
# per test name until the package's "ok"/"FAIL" line).
function flush(pkg,   i) {
	for (i = 1; i <= n; i++) print "  " pkg " " skip[i]
	n = 0
	split("", reason)
	cur = ""
	cont = 0
}
/^=== (RUN|CONT|NAME|PAUSE) / { cur = $3; cont = 0; next }
/^ *--- SKIP: / {
	skip[++n] = $3 ": " (($3 in reason) ? reason[$3] : "(no reason given)")
	cont = 0
	next
}
/^ *--- (PASS|FAIL): / { cont = 0; next }
/^(ok|FAIL|\?)([ \t]|$)/ { flush($2); next }
cur != "" && /^ +[^ ]+\.go:[0-9]+: / {
	line = $0
	sub(/^ +/, "", line)
	reason[cur] = line
	cont = 1
	next
}
cont && /^        / {
	line = $0
	sub(/^ +/, "", line)
	reason[cur] = reason[cur] " " line
	next
}
{ cont = 0 }
END { flush("") }
