#!/usr/bin/env bash
# tests/fuzz/replay.sh - the fuzz suite of `make check` (TAP, one line per
# target): each libFuzzer target of the -Dfuzz=true build replays its
# committed corpus (tests/fuzz/corpus/NAME) and then fuzzes for a few
# seconds. A crash, a leak, a timeout or a broken invariant fails the
# target; the input that did it is kept in BUILD/fuzz-artifacts/. The fuzz
# build is brought up to date (ninja) first.
#
# Environment:
#   BERTH_FUZZ_BUILD      the fuzz build directory (default: SOURCE/build-fuzz);
#                         when it does not exist the suite is skipped
#   BERTH_SOURCE_DIR      the source tree (set by meson)
#   FUZZ_REPLAY_SECONDS   fuzzing time per target after the replay (default 5)
#   FUZZ_JOBS             targets run at once (default 2)
#   FUZZ_SEED             libFuzzer's seed for the short runs (default 1, so
#                         a make check fuzzes the same inputs on every
#                         machine, only as far as its speed allows; 0: a
#                         random seed. Exploring is make fuzz's job)
#
# The source tree is never written: new inputs go to a temporary directory.
set -u
src=${BERTH_SOURCE_DIR:?}
build=${BERTH_FUZZ_BUILD:-$src/build-fuzz}
secs=${FUZZ_REPLAY_SECONDS:-5}
jobs=${FUZZ_JOBS:-2}
seed=${FUZZ_SEED:-1}
corpus=$src/tests/fuzz/corpus
dicts=$src/tests/fuzz/dict

if [ ! -d "$build/tests/fuzz" ]; then
	echo "1..0 # SKIP no fuzz build in '$build' (CC=clang meson setup $build -Dfuzz=true)"
	exit 0
fi

targets=()
for d in "$corpus"/*/; do
	targets+=("$(basename "$d")")
done
echo "1..${#targets[@]}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
art=$build/fuzz-artifacts
mkdir -p "$art"

# Run one target; its verdict goes to $tmp/NAME.tap.
run() {
	local i=$1 t=$2 bin=$build/tests/fuzz/fuzz_$2 log=$tmp/$2.log dict=()
	local n runs

	n=$(find "$corpus/$t" -type f | wc -l)
	if [ ! -x "$bin" ]; then
		echo "not ok $i - $t: no binary $bin" >"$tmp/$t.tap"
		return
	fi
	if [ "$ninja_ok" -eq 0 ] && [ -n "$(find "$src/src" "$src/tests/fuzz" -name '*.[ch]' -newer "$bin" -print -quit)" ]; then
		echo "not ok $i - $t: $bin is older than the sources (ninja -C $build failed?)" >"$tmp/$t.tap"
		return
	fi
	[ -f "$dicts/$t.dict" ] && dict=(-dict="$dicts/$t.dict")
	mkdir -p "$tmp/$t.new"
	if "$bin" -seed="$seed" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$art/$t-" "${dict[@]}" "$tmp/$t.new" "$corpus/$t" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
		echo "ok $i - $t: $n corpus inputs replayed, ${runs:-?} executions" >"$tmp/$t.tap"
	else
		{
			echo "not ok $i - $t: crash, leak, timeout or broken invariant (input kept in $art)"
			grep -E 'ERROR|SUMMARY|invariant broken|runtime error|Test unit written' "$log" |
				head -20 | sed 's/^/# /'
		} >"$tmp/$t.tap"
	fi
}

# A fuzz build older than the sources is brought up to date first.
ninja_ok=1
if ! ninja -C "$build" >"$tmp/ninja.log" 2>&1; then
	ninja_ok=0
	echo "# ninja -C $build failed:"
	tail -20 "$tmp/ninja.log" | sed 's/^/# /'
fi

i=0
for t in "${targets[@]}"; do
	i=$((i + 1))
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
	run "$i" "$t" &
done
wait

status=0
for t in "${targets[@]}"; do
	cat "$tmp/$t.tap"
	grep -q '^not ok' "$tmp/$t.tap" && status=1
done
exit $status
