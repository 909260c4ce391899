#!/usr/bin/env bash
# tests/summary.sh BUILDDIR... - one line over every suite that ran in the
# given meson build directories: "N passed, N failed[, N skipped]".
#
# Counts TAP results (each cmocka case, each simulator check, each
# integration step) from meson-logs/testlog.json. A test program that
# crashed, timed out or reported nothing counts as a failure, so a run
# that tested nothing cannot pass unnoticed. Exits 0 only when nothing
# failed and something passed.
set -euo pipefail

pass=0 fail=0 skip=0
# Every test log of a directory: testlog.json, and testlog-SETUP.json of a
# named test setup (the valgrind run).
logs=()
for dir in "$@"; do
	if [ ! -s "$dir/meson-logs/testlog.json" ]; then
		echo "summary: no test log in $dir" >&2
		fail=$((fail + 1))
	fi
	for log in "$dir"/meson-logs/testlog*.json; do
		[ -s "$log" ] && logs+=("$log")
	done
done
for log in "${logs[@]}"; do
	dir=${log%/meson-logs/*}
	read -r p f s < <(jq -rs '
		def count(name; res; out):
			(out // "" | split("\n")) as $lines
			| ($lines | map(select(test("^ok\\b") and (test("#\\s*SKIP"; "i") | not))) | length) as $ok
			| ($lines | map(select(test("^ok\\b") and test("#\\s*SKIP"; "i"))) | length) as $sk
			| ($lines | map(select(test("^not ok\\b"))) | length) as $nok
			| if res == "SKIP" then [0, 0, 1]
			  elif (res == "OK" or res == "EXPECTEDFAIL") then
			    (if ($ok + $sk + $nok) == 0 then [0, 1, 0] else [$ok, $nok, $sk] end)
			  else [$ok, ([$nok, 1] | max), $sk] end;
		map(count(.name; .result; .stdout))
		| reduce .[] as $r ([0, 0, 0]; [.[0] + $r[0], .[1] + $r[1], .[2] + $r[2]])
		| "\(.[0]) \(.[1]) \(.[2])"' "$log")
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	# Name what failed, so the summary line is not the only clue.
	jq -r 'select(.result != "OK" and .result != "SKIP" and .result != "EXPECTEDFAIL")
		| "summary: \(.name) (\(.result)) in '"$dir"'"' "$log" >&2 || true
done
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
