# tests/lib/tap.sh - TAP output for shell test scripts. Source it.
#   ok COND_EXIT "description"   | check "description" cmd args...
#   is EXPECTED ACTUAL "description"
#   tap_done  (prints the plan at the end, exits non-zero when any failed)
TAP_N=0
TAP_FAILED=0

tap_ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $*"
}

tap_fail() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $*"
}

tap_skip() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $* # SKIP"
}

# diag TEXT... : a comment line (also for multi-line text)
diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

# check "description" command args... : passes when the command succeeds
check() {
	local desc=$1
	shift
	if "$@" >/dev/null 2>&1; then tap_ok "$desc"; else tap_fail "$desc"; fi
}

# is EXPECTED ACTUAL "description"
is() {
	if [ "$1" == "$2" ]; then
		tap_ok "$3"
	else
		tap_fail "$3"
		diag "expected: $1" "     got: $2"
		return 1
	fi
}

# like PATTERN ACTUAL "description" (grep -E)
like() {
	if printf '%s' "$2" | grep -Eq -- "$1"; then
		tap_ok "$3"
	else
		tap_fail "$3"
		diag "expected to match: $1" "                got: $2"
		return 1
	fi
}

tap_done() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}
