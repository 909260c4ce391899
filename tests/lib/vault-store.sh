# tests/lib/vault-store.sh - berth's Vault store against the simulated Vault in
# integration tests. Source after tap.sh, sim.sh and berth.sh, once sim_start ran.
# Secret values and tokens are kept in variables and files, never printed.
#
#   VAULT_URL, VAULT_ROOT            the sim's Vault address and root token
#   vault_ctl PATH JSON              POST /_sim/vault/PATH; CTL holds the reply; bails on non-200
#   vault_token JSON                 a new token from /_sim/vault/tokens (prints it)
#   vault_api METHOD PATH [curl args]
#                                    a Vault request with $VAULT_AS (default: root);
#                                    sets STATUS and BODY like req
#   vault_store_yaml AUTH [EXTRA]    the store: block for write_config: address and CA
#                                    of the sim, AUTH the one-line flow mapping under
#                                    auth:, EXTRA more store.vault lines ("mount: kv")
#   kv2_entry PATH [MOUNT]           a KV v2 entry as {data, custom_metadata, version}
#                                    (JSON, read as root); {} when there is none
#   kv1_entry PATH [MOUNT]           a KV v1 entry's flat map; {} when there is none
#   vault_logins                     the login requests in the Vault log (any auth mount)
#   vault_writes_of PREFIX           non-GET requests in the Vault log whose path starts so
#   check_vault_accepted JQ JSON...  for each entry JSON (as kv2_entry or kv1_entry gives),
#                                    JQ picks "name\tsecret"; prints the indexes refused
#   berth_bg ARGS...                 run_berth in the background (BERTH_PID)
#   berth_wait                       wait for it; sets RC, OUT, ERR as run_berth does
#   no_leak VALUE...                 none of the values appears in berth's last stdout/stderr
VAULT_URL=$(ready .vault.url)
VAULT_ROOT=$(ready .vault.root_token)
VAULT_AS=

vault_ctl() {
	local code
	code=$(curl -sS --cacert "$CA_FILE" -o "$TEST_TMP/vctl.body" -w '%{http_code}' \
		-X POST --data-binary "$2" "$VAULT_URL/_sim/vault/$1")
	CTL=$(cat "$TEST_TMP/vctl.body")
	if [ "$code" != 200 ]; then
		echo "Bail out! vault control $1 failed ($code): $CTL"
		exit 1
	fi
}

vault_token() {
	vault_ctl tokens "$1"
	printf '%s' "$CTL" | jq -r .token
}

vault_api() {
	local method=$1 path=$2
	shift 2
	req vault "$method" "$path" -H "X-Vault-Token: ${VAULT_AS:-$VAULT_ROOT}" "$@"
}

vault_store_yaml() {
	printf 'store:\n  vault:\n    address: %s\n    caFile: %s\n' "$VAULT_URL" "$CA_FILE"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/    /'
	printf '    auth: %s\n' "$1"
}

kv2_entry() {
	local path=$1 mount=${2:-secret} data meta
	vault_api GET "/v1/$mount/data/$path"
	data=$BODY
	vault_api GET "/v1/$mount/metadata/$path"
	meta=$BODY
	jq -cn --argjson d "${data:-null}" --argjson m "${meta:-null}" '
		if ($m.data // null) == null then {} else
		{data: ($d.data.data // null), custom_metadata: ($m.data.custom_metadata // null),
		 version: $m.data.current_version,
		 deleted: (($d.data.metadata.deletion_time // "") != ""),
		 destroyed: ($d.data.metadata.destroyed // false)} end'
}

kv1_entry() {
	vault_api GET "/v1/${2:-kv}/$1"
	if [ "$STATUS" = 200 ]; then printf '%s' "$BODY" | jq -c .data; else echo '{}'; fi
}

vault_logins() {
	sim_requests vault | jq '[.[] | select(.path | test("^/v1/auth/[^/]+/login$"))] | length'
}

vault_writes_of() {
	sim_requests vault | jq --arg p "$1" \
		'[.[] | select(.method != "GET" and .method != "HEAD" and (.path | startswith($p)))] | length'
}

check_vault_accepted() {
	local pick=$1 list=$TEST_TMP/vcreds.tsv i=0 e r
	shift
	: >"$list" && chmod 600 "$list"
	for e in "$@"; do
		i=$((i + 1))
		printf '%s' "$e" | jq -r --arg l "$i" "[($pick), \$l] | flatten | @tsv" >>"$list"
	done
	check_creds "$list"
	r=$?
	rm -f "$list"
	return $r
}

no_leak() {
	local v
	for v in "$@"; do
		[ -n "$v" ] || continue
		if grep -qF -- "$v" "$OUT_FILE" "$ERR_FILE"; then
			return 1
		fi
	done
	return 0
}

berth_bg() {
	OUT_FILE=$TEST_TMP/berth.out
	ERR_FILE=$TEST_TMP/berth.err
	HARBOR_PASSWORD=$(harbor_admin_password) "$BERTH_BIN" "$@" >"$OUT_FILE" 2>"$ERR_FILE" &
	BERTH_PID=$!
}

berth_wait() {
	wait "$BERTH_PID"
	RC=$?
	OUT=$(cat "$OUT_FILE")
	ERR=$(cat "$ERR_FILE")
}
