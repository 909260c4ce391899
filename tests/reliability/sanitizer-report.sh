#!/usr/bin/env bash
# tests/reliability/sanitizer-report.sh - TAP over the reports that
# AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer wrote to
# $BERTH_SANITIZER_DIR (ASAN_OPTIONS/UBSAN_OPTIONS log_path) while the
# suites ran against the sanitizer builds of berth and berth-sim. A test
# sees berth's exit status, but nobody waits for berth-sim's: its reports
# surface only here. Skips (exit 77) when the directory is not set.
dir=${BERTH_SANITIZER_DIR:-}
if [ -z "$dir" ]; then
	echo "1..0 # SKIP BERTH_SANITIZER_DIR not set (scripts/check.sh sets it for the sanitizer build)"
	exit 77
fi
n=0 bad=0
for f in "$dir"/*; do
	[ -s "$f" ] || continue
	n=$((n + 1))
	bad=$((bad + 1))
	echo "not ok $n - $(basename "$f"): $(grep -m1 -E 'ERROR: |runtime error' "$f")"
	sed 's/^/# /' "$f" | head -40
done
if [ "$n" -eq 0 ]; then
	echo "ok 1 - no sanitizer report from berth or berth-sim ($(ls "$dir" 2>/dev/null | wc -l) files)"
	echo "1..1"
	exit 0
fi
echo "1..$n"
exit 1
