#!/usr/bin/env bash
# tests/docs/check-docs.sh - every command has a page, and --help and the
# page agree. TAP, one line per check.
#
# The command list comes from 'berth --help' (the command table), never
# from a list in this file, so a new command without a page fails here.
# For each command NAME:
#   - docs/cmd/berth-NAME.md exists, with the sections every page has;
#   - 'berth help NAME' and 'berth NAME --help' succeed and print the same text;
#   - the page quotes the usage line of --help exactly;
#   - every long option --help lists appears in the page;
#   - every option the page's option tables list exists in --help.
# Then: no page documents a command that is not in the table, and
# docs/cmd/docker-credential-berth.md names every action the helper's
# usage line lists. The option checks are first run on a made-up page that
# lacks an option and names one that does not exist, so that they cannot
# pass by checking nothing.
set -uo pipefail
: "${BERTH_BUILD_DIR:?run under meson test, or set BERTH_BUILD_DIR}"
SRC=${BERTH_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BERTH_BIN=${BERTH_BIN:-$BERTH_BUILD_DIR/berth}
DOCS=$SRC/docs/cmd
# shellcheck source=../lib/tap.sh
source "$SRC/tests/lib/tap.sh"
TMP=$(mktemp -d /tmp/berth-docs.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
export BERTH_LOG=warn

# help_options FILE: the long options a --help text lists, one per line.
help_options() {
	grep -E '^  +(-[A-Za-z0-9], )?--[a-z0-9][a-z0-9-]*' "$1" |
		sed -E 's/^ +(-[A-Za-z0-9], )?--([a-z0-9][a-z0-9-]*).*/\2/' | sort -u
}

# page_table_options FILE: the long options named in the first column of the
# tables under the page's "## Options" and "## Global options" headings.
page_table_options() {
	awk '
		/^## / { in_opts = ($0 == "## Options" || $0 == "## Global options"); next }
		in_opts && /^\|/ {
			split($0, cell, "|")
			print cell[2]
		}' "$1" | grep -oE -- '--[a-z0-9][a-z0-9-]*' | sed 's/^--//' | sort -u
}

# page_mentions FILE OPT: the page names --OPT (not as the prefix of a longer option).
page_mentions() {
	grep -Eq -- "--$2([^a-z0-9-]|\$)" "$1"
}

# check_options HELPFILE PAGE: prints the problems, returns 1 when there are any.
check_options() {
	local help=$1 page=$2 o bad=0
	while IFS= read -r o; do
		[ -n "$o" ] || continue
		if ! page_mentions "$page" "$o"; then
			echo "--$o is in --help but not in the page"
			bad=1
		fi
	done < <(help_options "$help")
	while IFS= read -r o; do
		[ -n "$o" ] || continue
		if ! help_options "$help" | grep -qx -- "$o"; then
			echo "--$o is in the page's options but not in --help"
			bad=1
		fi
	done < <(page_table_options "$page")
	return $bad
}

# --- The checker itself: a page missing an option, naming a wrong one, must fail.
cat >"$TMP/help.txt" <<'EOF'
usage: berth demo [-f FILE]

options:
  -f, --file FILE            the file
      --lease-namespace NS   a namespace
      --lease-name NAME      a name
EOF
cat >"$TMP/page.md" <<'EOF'
## Options

| Option | Argument | Default | Meaning |
|---|---|---|---|
| `-f`, `--file` | FILE | | the file |
| `--lease-namespace` | NS | | a namespace |
| `--no-such-option` | | | not in --help |
EOF
problems=$(check_options "$TMP/help.txt" "$TMP/page.md")
like '^--lease-name is in --help but not in the page' "$problems" \
	"checker: an option missing from a page is found (not hidden by a longer one)"
like 'no-such-option is in the page.s options but not in --help' "$problems" \
	"checker: an option a page lists that --help does not is found"

# --- The command table, from berth --help.
if ! "$BERTH_BIN" --help >"$TMP/main.txt" 2>"$TMP/main.err"; then
	tap_fail "berth --help succeeds"
	diag "$(cat "$TMP/main.err")"
	tap_done
	exit 1
fi
tap_ok "berth --help succeeds"
mapfile -t commands < <(awk '/^commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }' "$TMP/main.txt")
if [ "${#commands[@]}" -ge 1 ]; then
	tap_ok "berth --help lists the commands (${commands[*]})"
else
	tap_fail "berth --help lists the commands"
	tap_done
	exit 1
fi

sections=("## Synopsis" "## Description" "## Options" "## Global options" "## Exit status" "## Examples")

for cmd in "${commands[@]}"; do
	page=$DOCS/berth-$cmd.md
	if [ -f "$page" ]; then
		tap_ok "$cmd: docs/cmd/berth-$cmd.md exists"
	else
		tap_fail "$cmd: docs/cmd/berth-$cmd.md exists"
	fi

	missing=()
	for s in "${sections[@]}"; do
		[ -f "$page" ] && grep -qxF -- "$s" "$page" || missing+=("$s")
	done
	if [ "${#missing[@]}" -eq 0 ]; then
		tap_ok "$cmd: the page has every section"
	else
		tap_fail "$cmd: the page has every section"
		diag "missing: ${missing[*]}"
	fi

	"$BERTH_BIN" help "$cmd" >"$TMP/help-$cmd.txt" 2>"$TMP/help-$cmd.err"
	rc=$?
	is 0 "$rc" "$cmd: 'berth help $cmd' succeeds" || diag "$(cat "$TMP/help-$cmd.err")"
	"$BERTH_BIN" "$cmd" --help >"$TMP/opt-$cmd.txt" 2>"$TMP/opt-$cmd.err"
	rc=$?
	is 0 "$rc" "$cmd: 'berth $cmd --help' succeeds" || diag "$(cat "$TMP/opt-$cmd.err")"
	if [ -s "$TMP/help-$cmd.txt" ] && cmp -s "$TMP/help-$cmd.txt" "$TMP/opt-$cmd.txt"; then
		tap_ok "$cmd: 'berth help $cmd' and 'berth $cmd --help' print the same text"
	else
		tap_fail "$cmd: 'berth help $cmd' and 'berth $cmd --help' print the same text"
		diag "$(diff "$TMP/help-$cmd.txt" "$TMP/opt-$cmd.txt" | head -20)"
	fi

	usage=$(sed -n '1s/^usage: //p' "$TMP/help-$cmd.txt")
	if [ -n "$usage" ] && [ -f "$page" ] && grep -qF -- "$usage" "$page"; then
		tap_ok "$cmd: the page quotes the usage line of --help"
	else
		tap_fail "$cmd: the page quotes the usage line of --help"
		diag "usage: $usage"
	fi

	problems=
	if [ -f "$page" ] && problems=$(check_options "$TMP/help-$cmd.txt" "$page"); then
		tap_ok "$cmd: every option of --help is in the page, and every option of the page in --help" \
			"($(help_options "$TMP/help-$cmd.txt" | sed 's/^/--/' | paste -sd' '))"
	else
		tap_fail "$cmd: every option of --help is in the page, and every option of the page in --help"
		diag "${problems:-no page}"
	fi
done

# --- No page for a command that does not exist.
stale=()
for page in "$DOCS"/berth-*.md; do
	[ -e "$page" ] || continue
	name=$(basename "$page" .md)
	name=${name#berth-}
	printf '%s\n' "${commands[@]}" | grep -qxF -- "$name" || stale+=("$(basename "$page")")
done
if [ "${#stale[@]}" -eq 0 ]; then
	tap_ok "every docs/cmd/berth-*.md page is a command in the table"
else
	tap_fail "every docs/cmd/berth-*.md page is a command in the table"
	diag "no such command: ${stale[*]}"
fi

# --- The credential helper: the same binary, chosen by its name.
helper_page=$DOCS/docker-credential-berth.md
if [ -f "$helper_page" ]; then
	tap_ok "docs/cmd/docker-credential-berth.md exists"
else
	tap_fail "docs/cmd/docker-credential-berth.md exists"
fi
ln -s "$BERTH_BIN" "$TMP/docker-credential-berth"
helper_usage=$("$TMP/docker-credential-berth" </dev/null 2>/dev/null)
actions=$(printf '%s' "$helper_usage" | sed -n 's/.*<\(.*\)>.*/\1/p' | tr '|' ' ')
if [ -z "$actions" ]; then
	tap_fail "docker-credential-berth prints its actions when run without one"
	diag "got: $helper_usage"
else
	tap_ok "docker-credential-berth prints its actions when run without one ($actions)"
	missing=()
	for a in $actions; do
		[ -f "$helper_page" ] && grep -qE -- "\`$a\`" "$helper_page" || missing+=("$a")
	done
	if [ "${#missing[@]}" -eq 0 ]; then
		tap_ok "docker-credential-berth.md describes every action"
	else
		tap_fail "docker-credential-berth.md describes every action"
		diag "not described: ${missing[*]}"
	fi
fi

tap_done
