#!/usr/bin/env bash
# scripts/check.sh BUILD ASAN_BUILD - build both trees with -Werror and run
# every suite in BUILD (gcc), the unit suite again in ASAN_BUILD (clang,
# AddressSanitizer + UndefinedBehaviorSanitizer), then print one summary
# line over all of them.
set -uo pipefail
build=$1 asan=$2
status=0

ninja -C "$build" || exit 1
ninja -C "$asan" || exit 1
# The fuzz targets (clang, libFuzzer): the 'fuzz' suite of $build replays their
# corpus and fuzzes each a few seconds; it looks for SOURCE/build-fuzz.
fuzz="$(dirname "$0")/../build-fuzz"
if [ ! -f "$fuzz/build.ninja" ]; then
	CC=clang meson setup "$fuzz" --buildtype=debugoptimized -Dwerror=true -Dfuzz=true -Dtests=disabled >/dev/null || exit 1
fi
ninja -C "$fuzz" || exit 1

meson test -C "$build" --print-errorlogs --num-processes 2 || status=1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	meson test -C "$asan" --suite unit --suite headers --print-errorlogs --num-processes 2 || status=1

echo
bash "$(dirname "$0")/../tests/summary.sh" "$build" "$asan" || status=1
exit $status
