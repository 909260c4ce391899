#!/usr/bin/env bash
# tests/reliability/valgrind-report.sh - TAP over the logs valgrind-berth.sh
# left in $BERTH_VALGRIND_DIR: one line per berth process that ran under
# memcheck, failing when its log reports a memory error or a definite or
# indirect leak. Skips (exit 77) outside the valgrind test setup.
dir=${BERTH_VALGRIND_DIR:-}
if [ -z "$dir" ]; then
	echo "1..0 # SKIP not under the valgrind test setup"
	exit 77
fi
n=0 bad=0 killed=0
for log in "$dir"/vg.*.log; do
	[ -e "$log" ] || continue
	n=$((n + 1))
	# --quiet: a clean process leaves an empty log (a killed one may too)
	if grep -qE 'definitely lost: [1-9]|indirectly lost: [1-9]|ERROR SUMMARY: [1-9]|Invalid (read|write|free)|uninitialised|Mismatched free' "$log"; then
		bad=$((bad + 1))
		echo "not ok $n - $(basename "$log"): memcheck reports a problem"
		sed 's/^/# /' "$log" | head -60
	else
		echo "ok $n - $(basename "$log"): no memory error, no definite or indirect leak"
	fi
done
if [ "$n" -eq 0 ]; then
	echo "not ok 1 - berth ran under valgrind at least once"
	echo "1..1"
	exit 1
fi
echo "# $n berth processes under memcheck, $bad with problems"
echo "1..$n"
[ "$bad" -eq 0 ]
