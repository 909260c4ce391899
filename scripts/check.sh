#!/usr/bin/env bash
# scripts/check.sh BUILD ASAN_BUILD - build both trees with -Werror, then:
#   1. every suite in BUILD (gcc): unit, headers, sim, integration,
#      reliability (fault and crash matrices, bad input, secret hygiene, TLS);
#   2. in ASAN_BUILD (clang, AddressSanitizer + UndefinedBehaviorSanitizer,
#      berth and berth-sim both): unit, headers, sim, integration and the
#      quick reliability tests, every sanitizer report written to a
#      directory that the 'sanitizers' suite then reads (a report from
#      berth-sim, whose exit status no test sees, fails it too);
#   3. at the same time, in BUILD, the integration suite once more with
#      berth under valgrind (memcheck; definite and indirect leaks are
#      errors), read by the 'valgrind' suite;
# then print one summary line over all of them.
set -uo pipefail
build=$1 asan=$2
status=0
here=$(cd "$(dirname "$0")/.." && pwd)

ninja -C "$build" || exit 1
ninja -C "$asan" || exit 1
# The fuzz targets (clang, libFuzzer): the 'fuzz' suite of $build replays their
# corpus and fuzzes each a few seconds; it looks for SOURCE/build-fuzz.
fuzz="$(dirname "$0")/../build-fuzz"
if [ ! -f "$fuzz/build.ninja" ]; then
	CC=clang meson setup "$fuzz" --buildtype=debugoptimized -Dwerror=true -Dfuzz=true -Dtests=disabled >/dev/null || exit 1
fi
ninja -C "$fuzz" || exit 1

t0=$(date +%s)
# The reliability tests append their figures here (tests/reliability/figures.sh).
stats=$(cd "$build" && pwd)/reliability-stats.tsv
rm -f "$stats"
RELIABILITY_STATS=$stats \
	meson test -C "$build" --print-errorlogs --num-processes 2 --no-suite valgrind --no-suite sanitizers || status=1
t1=$(date +%s)

# Stages 2 and 3 run side by side: neither races the clock the way the
# matrices do, and valgrind mostly waits on the simulator.
san=$(cd "$asan" && pwd)/sanitizer-logs
rm -rf "$san" && mkdir -p "$san"
(
	BERTH_SANITIZER_DIR=$san \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:log_path=$san/asan \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$san/ubsan \
		meson test -C "$asan" --print-errorlogs --num-processes 2 \
		--suite unit --suite headers --suite sim --suite integration --suite reliability-quick \
		--suite sanitizers >"$asan/meson-logs/check-stage.txt" 2>&1
) &
asan_pid=$!

# The integration suite under valgrind, but for the three tests that race
# a fixed clock: t108 and t301 kill berth while the simulator holds one of
# its requests for a fixed time, and t123 needs berth's next Vault request
# inside the last two seconds of a 6-second token; at memcheck's speed
# berth is not there yet. The crash matrix (t401) kills berth by request
# count instead, and t123 runs natively and under ASan.
vg_status=0
if command -v valgrind >/dev/null 2>&1; then
	rm -rf "$build/valgrind"
	mapfile -t vg_tests < <(meson test -C "$build" --list --suite integration 2>/dev/null |
		sed 's/.* \/ //' | grep -E '^t[0-9]+-' | grep -v -e '^t108-' -e '^t301-' -e '^t123-')
	meson test -C "$build" --setup valgrind --print-errorlogs --num-processes 2 \
		"${vg_tests[@]}" valgrind-report >"$build/meson-logs/check-valgrind.txt" 2>&1 || vg_status=1
else
	echo "check: valgrind not installed; the valgrind run is skipped" >&2
	vg_status=1
fi
wait "$asan_pid" || status=1
[ "$vg_status" -eq 0 ] || status=1
t2=$(date +%s)
# Show what failed in the side stages (their full logs stay in meson-logs/).
grep -E '^ *[0-9]+/[0-9]+ .*(FAIL|ERROR|TIMEOUT)' "$asan/meson-logs/check-stage.txt" "$build/meson-logs/check-valgrind.txt" || true
tail -12 "$asan/meson-logs/check-stage.txt"
tail -12 "$build/meson-logs/check-valgrind.txt"
t3=$t2

echo
bash "$here/tests/reliability/figures.sh" "$stats"
echo "check: gcc suites $((t1 - t0))s; sanitizer build and valgrind, side by side, $((t3 - t1))s"
bash "$here/tests/summary.sh" "$build" "$asan" || status=1
exit $status
