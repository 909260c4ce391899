#!/usr/bin/env bash
# tests/headers.sh - compile every public header of src/ on its own (TAP).
# A header must include or forward-declare all it uses.
set -u
cc=${CC:-cc}
src=${BERTH_SOURCE_DIR:?}/src
flags=$(pkg-config --cflags libcurl jansson yaml-0.1 libcrypto)
hdrs=("$src"/*.h)
echo "1..${#hdrs[@]}"
i=0
for h in "${hdrs[@]}"; do
	i=$((i + 1))
	name=$(basename "$h")
	if out=$(printf '#include "%s"\n' "$name" | "$cc" -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror \
		-Wstrict-prototypes -Wmissing-prototypes -I"$src" $flags -x c -fsyntax-only - 2>&1); then
		echo "ok $i - $name compiles alone"
	else
		echo "not ok $i - $name compiles alone"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
done
