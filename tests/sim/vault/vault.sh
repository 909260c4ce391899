# tests/sim/vault/vault.sh - helpers for the simulated Vault's suite. Source it
# from a tNNN-*.sh script; it sources tap.sh and sim.sh and starts berth-sim.
#
#   vreq METHOD PATH [curl args]   request with X-Vault-Token: $TOKEN (default: root)
#   noauth METHOD PATH [curl args] request without a token
#   ctl PATH JSON                  POST a control endpoint; CTL holds the reply, bails on non-200
#   jb FILTER                      jq -r FILTER over the last BODY
#   errs                           the last body's errors[0] (or "<none>")
#   mktoken JSON                   a token from /_sim/vault/tokens (prints it)
#   is_secret EXPECTED ACTUAL DESC like `is`, but never prints the values
# Secret values never reach the TAP output: compare them with is_secret.
. "$BERTH_SOURCE_DIR/tests/lib/tap.sh"
. "$BERTH_SOURCE_DIR/tests/lib/sim.sh"

sim_start
ROOT=$(ready .vault.root_token)
TOKEN=$ROOT

vreq() {
	local method=$1 path=$2
	shift 2
	req vault "$method" "$path" -H "X-Vault-Token: $TOKEN" "$@"
}

noauth() {
	local method=$1 path=$2
	shift 2
	req vault "$method" "$path" "$@"
}

ctl() {
	local code
	code=$(curl -sS --cacert "$CA_FILE" -o "$TEST_TMP/ctl.body" -w '%{http_code}' \
		-X POST --data-binary "$2" "$(_svc_url vault)/_sim/vault/$1")
	CTL=$(cat "$TEST_TMP/ctl.body")
	if [ "$code" != 200 ]; then
		echo "Bail out! control $1 failed ($code): $CTL"
		exit 1
	fi
}

jb() { printf '%s' "$BODY" | jq -r "$1"; }

errs() { printf '%s' "$BODY" | jq -r 'if (.errors|type) == "array" and (.errors|length) > 0 then .errors[0] else "<none>" end' 2>/dev/null; }

mktoken() {
	ctl tokens "$1"
	printf '%s' "$CTL" | jq -r .token
}

is_secret() {
	if [ "$1" == "$2" ]; then tap_ok "$3"; else tap_fail "$3"; diag "(values not shown)"; fi
}

# write a KV v2 secret with the root token: kv2_put PATH JSON-OF-DATA
kv2_put() {
	TOKEN=$ROOT vreq POST "/v1/secret/data/$1" -d "{\"data\":$2}"
	[ "$STATUS" = 200 ] || { echo "Bail out! kv2_put $1: $STATUS"; exit 1; }
}
