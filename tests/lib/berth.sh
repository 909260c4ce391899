# tests/lib/berth.sh - run berth against berth-sim in integration tests.
# Source after tap.sh and sim.sh, and call sim_start first.
#
#   write_config FILE <<EOF ... EOF   a berth.yaml whose harbor:/store: come from
#                                    the sim; the heredoc holds robots: (and more)
#   run_berth ARGS...                run berth; sets RC, OUT, ERR (file paths: $OUT_FILE ...)
#   writes SERVICE                   number of non-GET/HEAD requests in the sim's log
#   requests SERVICE [METHOD]        number of requests (optionally of one method)
#   stored_field PATH FIELD          a field of a file-store entry (never printed by helpers)
#   token_sub USER PASSWORD SCOPE    the JWT subject the token service grants ("" = anonymous)
#   token_actions USER PASSWORD REPO the actions granted on REPO (space-separated, sorted)
#   check_store_accepted DIR         every entry's secret is accepted (prints the failures' paths)
#   harbor_robot NAME                Harbor's robot JSON by login name (admin)

STORE_DIR=$TEST_TMP/store
HARBOR_PASSWORD_VALUE=
export BERTH_LOG=${BERTH_LOG:-warn}

harbor_admin_password() { ready .harbor.password; }

# write_config FILE [store-yaml]: robots come from stdin; $HARBOR_EXTRA adds lines to harbor:.
write_config() {
	local file=$1 store=${2:-}
	{
		echo "harbor:"
		echo "  url: $(ready .harbor.url)"
		echo "  caFile: $(ready .ca_file)"
		echo "  password: {env: HARBOR_PASSWORD}"
		[ -n "${HARBOR_EXTRA:-}" ] && printf '%s\n' "$HARBOR_EXTRA"
		[ -n "${REGISTRY_HOST:-}" ] && echo "  registry: $REGISTRY_HOST"
		if [ -n "$store" ]; then
			printf '%s\n' "$store"
		else
			echo "store:"
			echo "  file: {dir: $STORE_DIR}"
		fi
		cat
	} >"$file"
}

run_berth() {
	OUT_FILE=$TEST_TMP/berth.out
	ERR_FILE=$TEST_TMP/berth.err
	HARBOR_PASSWORD=$(harbor_admin_password) "$BERTH_BIN" "$@" >"$OUT_FILE" 2>"$ERR_FILE"
	RC=$?
	OUT=$(cat "$OUT_FILE")
	ERR=$(cat "$ERR_FILE")
	return 0
}

# Show berth's output as TAP comments when a check fails.
show_berth() {
	diag "berth exit $RC" "--- stdout" "$OUT" "--- stderr" "$ERR"
}

writes() {
	sim_requests "$1" | jq '[.[] | select(.method != "GET" and .method != "HEAD")] | length'
}

requests() {
	if [ -n "${2:-}" ]; then
		sim_requests "$1" | jq --arg m "$2" '[.[] | select(.method == $m)] | length'
	else
		sim_requests "$1" | jq 'length'
	fi
}

stored_field() {
	jq -r --arg f "$2" '.[$f] // empty' "$STORE_DIR/$1.json" 2>/dev/null
}

# Decode a JWT's claims (base64url, unpadded).
jwt_claims() {
	local p
	p=$(printf '%s' "$1" | cut -d. -f2 | tr '_-' '/+')
	while [ $((${#p} % 4)) -ne 0 ]; do p="$p="; done
	printf '%s' "$p" | base64 -d 2>/dev/null
}

_token() {
	local user=$1 pass=$2 scope=$3
	curl -sS --cacert "$CA_FILE" -u "$user:$pass" \
		--get --data-urlencode "service=harbor-registry" --data-urlencode "scope=$scope" \
		"$(ready .harbor.url)/service/token" | jq -r '.token // empty'
}

token_sub() {
	local t
	t=$(_token "$1" "$2" "$3")
	[ -n "$t" ] || return 1
	jwt_claims "$t" | jq -r '.sub // ""'
}

token_actions() {
	local t
	t=$(_token "$1" "$2" "repository:$3:pull,push")
	[ -n "$t" ] || return 1
	jwt_claims "$t" | jq -r --arg r "$3" '[.access[]? | select(.name == $r) | .actions[]] | sort | join(" ")'
}

# JWT claims with jq alone: base64url -> base64, padded, decoded.
JQ_CLAIMS='split(".")[1] | gsub("-"; "+") | gsub("_"; "/") | . + ("=" * ((4 - (length % 4)) % 4)) | @base64d | fromjson'

# check_creds FILE: FILE holds lines "NAME<TAB>SECRET<TAB>LABEL"; prints the
# labels whose credential the token service does not accept (subject NAME).
# One curl process for all (keep-alive), one jq: fast for hundreds.
check_creds() {
	local list=$1 k=$TEST_TMP/tok.curlrc dir=$TEST_TMP/tok n=0 name secret label bad=0 url
	url=$(ready .harbor.url)
	rm -rf "$dir" && mkdir -p "$dir" && : >"$k" && chmod 600 "$k"
	while IFS=$'\t' read -r name secret label; do
		n=$((n + 1))
		[ "$n" -gt 1 ] && echo next >>"$k"
		# 'next' resets every option: each request names its CA again.
		printf 'url = "%s/service/token?service=harbor-registry&scope=repository:library/berth-check:pull"\nuser = "%s:%s"\noutput = "%s/%d"\ncacert = "%s"\nsilent\n' \
			"$url" "$name" "$secret" "$dir" "$n" "$CA_FILE" >>"$k"
		printf '%s\t%s\n' "$name" "$label" >"$dir/$n.want"
	done <"$list"
	[ "$n" -gt 0 ] || return 0
	curl -K "$k" 2>/dev/null
	[ -n "${KEEP_TOK:-}" ] || rm -f "$k"
	# One jq for all answers: "N<TAB>subject" per file.
	for i in $(seq 1 "$n"); do
		IFS=$'\t' read -r name label <"$dir/$i.want"
		printf '%s\t%s\n' "$name" "$label"
	done >"$dir/want.tsv"
	for i in $(seq 1 "$n"); do cat "$dir/$i" 2>/dev/null || echo '{}'; echo; done |
		jq -r "(.token // \"\") | if . == \"\" then \"\" else ($JQ_CLAIMS | .sub // \"\") end" >"$dir/got.txt" 2>/dev/null
	while IFS=$'\t' read -r name label <&3 && IFS= read -r sub <&4; do
		if [ "$sub" != "$name" ]; then
			echo "$label"
			bad=1
		fi
	done 3<"$dir/want.tsv" 4<"$dir/got.txt"
	[ "$(wc -l <"$dir/got.txt")" -eq "$n" ] || { echo "(token answers missing)"; bad=1; }
	[ -n "${KEEP_TOK:-}" ] || rm -rf "$dir"
	return $bad
}

# Every entry of a file store: its secret gets a token with the entry's name as subject.
check_store_accepted() {
	local dir=$1 f list=$TEST_TMP/creds.tsv
	: >"$list" && chmod 600 "$list"
	while IFS= read -r f; do
		jq -r --arg l "${f#"$dir"/}" '[.name // "-", .secret // "-", $l] | @tsv' "$f" >>"$list"
	done < <(find "$dir" -name '*.json' | sort)
	check_creds "$list"
	local r=$?
	rm -f "$list"
	return $r
}

harbor_robot() {
	curl -sS --cacert "$CA_FILE" -u "admin:$(harbor_admin_password)" \
		"$(ready .harbor.url)/api/v2.0/robots?page_size=100&q=name%3D${1#robot\$}" |
		jq --arg n "$1" '[.[] | select(.name == $n)][0]'
}

# harbor_api METHOD PATH [curl args]: as admin; sets STATUS and BODY like req.
harbor_api() {
	local m=$1 p=$2
	shift 2
	req harbor "$m" "$p" -u "admin:$(harbor_admin_password)" "$@"
}

# Wait until the sim has logged at least N requests on SERVICE (10 s max).
wait_requests() {
	local svc=$1 n=$2 i
	for i in $(seq 1 400); do
		[ "$(requests "$svc")" -ge "$n" ] && return 0
		sleep 0.025
	done
	return 1
}
