#!/usr/bin/env bash
# scripts/fuzz.sh [TARGET...] - `make fuzz`: build the fuzz tree (clang,
# libFuzzer, ASan+UBSan; -Dfuzz=true) and fuzz each target (all of
# tests/fuzz/corpus/* by default) for a set time, then merge the inputs
# that reach new code into the committed corpus, tests/fuzz/corpus/NAME.
#
# Environment:
#   FUZZ_SECONDS   fuzzing time per target (default 60)
#   FUZZ_JOBS      targets fuzzed at once (default: the number of CPUs)
#   FUZZ_BUILD     the build directory (default build-fuzz)
#
# A crash, leak, timeout or broken invariant leaves its input in
# FUZZ_BUILD/fuzz-artifacts/ and makes the script exit 1. The figures of the
# run (executions, corpus sizes) go to FUZZ_BUILD/fuzz-summary.txt.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${FUZZ_BUILD:-build-fuzz}
secs=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-$(nproc)}
corpus=tests/fuzz/corpus
dicts=tests/fuzz/dict

if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" --buildtype=debugoptimized -Dwerror=true -Dfuzz=true \
		-Dtests=disabled >/dev/null || exit 1
fi
ninja -C "$build" >/dev/null || { ninja -C "$build"; exit 1; }

if [ $# -gt 0 ]; then
	targets=("$@")
else
	targets=()
	for d in "$corpus"/*/; do
		targets+=("$(basename "$d")")
	done
fi

art=$build/fuzz-artifacts
logs=$build/fuzz-logs
mkdir -p "$art" "$logs"

# Fuzz one target into a scratch corpus, then merge what is new into the committed one.
fuzz_one() {
	local t=$1 bin=$build/tests/fuzz/fuzz_$1 work=$build/fuzz-work/$1 log=$logs/$1.log dict=()
	local before after runs verdict=ok

	if [ ! -x "$bin" ]; then
		echo "$t: FAILED (no binary $bin)" >"$logs/$t.line"
		return
	fi
	[ -f "$dicts/$t.dict" ] && dict=(-dict="$dicts/$t.dict")
	rm -rf "$work"
	mkdir -p "$work" "$corpus/$t"
	before=$(find "$corpus/$t" -type f | wc -l)
	if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$art/$t-" "${dict[@]}" "$work" "$corpus/$t" >"$log" 2>&1; then
		verdict="FAILED (see $log; input in $art)"
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	"$bin" -merge=1 "$corpus/$t" "$work" >"$logs/$t.merge.log" 2>&1 ||
		verdict="$verdict, merge failed (see $logs/$t.merge.log)"
	after=$(find "$corpus/$t" -type f | wc -l)
	printf '%-18s %-6s %12s executions in %ss, corpus %d -> %d\n' "$t" "$verdict" "${runs:-?}" "$secs" \
		"$before" "$after" >"$logs/$t.line"
}

for t in "${targets[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
	echo "fuzz: $t for ${secs}s" >&2
	fuzz_one "$t" &
done
wait

for t in "${targets[@]}"; do
	cat "$logs/$t.line"
done | tee "$build/fuzz-summary.txt"
! grep -q FAILED "$build/fuzz-summary.txt"
