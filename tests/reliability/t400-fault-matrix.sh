#!/usr/bin/env bash
# The fault matrix: berth apply over 250 robots (Vault KV v2 store, Secrets
# in three namespaces) while berth-sim breaks one kind of call of one API
# in one way: 500, 502, 503 with and without Retry-After, 429, a response
# slower than berth's timeout, a connection dropped before or after the
# server acted, a truncated body, malformed JSON, JSON of the wrong shape;
# and a Vault sealed in the middle of a run. For each case:
#   - the fault fired (else the case proves nothing);
#   - berth exits 0 when it could ride the fault out (an idempotent call,
#     a transient fault it retries), else 1 with a message naming the
#     service and the call;
#   - no write that is unsafe to repeat was sent twice (robot POST, Vault
#     check-and-set write, Secret POST: same path and same body);
#   - one more run without faults exits 0; then every robot exists exactly
#     once with its id unchanged, every store entry is berth's with an
#     active secret the token service accepts, every Secret holds it, and
#     a further run writes nothing.
#
# The calls: harbor (read the current user, list projects, list robots,
# create, update, set secret, delete, token service), vault (token lookup,
# health, KV version, read, metadata write, check-and-set write, delete),
# kube (list, create, update, delete). The table pairs every fault kind
# with every API at least once and every call at least once; FAULT_SEED=N
# rotates the pairing, FAULT_MATRIX=full runs every pair (about 20 min).
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
source tests/reliability/world.sh

SEED=${FAULT_SEED:-0}
MODE=${FAULT_MATRIX:-sampled}
STATS=${RELIABILITY_STATS:-}
# Small timeouts so that a held response is a timeout, not a wait.
HARBOR_EXTRA="  timeout: 1s"
VAULT_EXTRA="    timeout: 1s"
KUBE_EXTRA="  timeout: 1s"
world_start 250
t_start=$(date +%s)

world_apply
is 0 "$RC" "cold apply of $WORLD_N robots (Vault KV v2, Secrets in 3 namespaces) exits 0" || show_berth
is '' "$(nonidem_retried)" "cold apply: no unsafe write sent twice"
world_snapshot_ids
world_check "cold apply" || true

# The robots a case changes behind berth's back (so that writes happen), and
# the one whose requests a per-object fault breaks.
PERTURB=(7 130 231)
VICTIM=sys-007
VICTIM_NS=${NAMESPACES[$((7 % ${#NAMESPACES[@]}))]}

robot_id() { awk -F'\t' -v n="robot\$$1" '$1 == n {print $2}' "$IDS_FILE"; }

# ---- perturbations: make berth send the kind of write a case breaks ----
perturb_none() { :; }
perturb_newsecret() { # store entries destroyed: new secrets (Vault writes, PATCH, Secret PUT)
	local i
	for i in "${PERTURB[@]}"; do
		_vault DELETE "/v1/secret/metadata/harbor/$(world_robot "$i")-robot-account" >/dev/null
	done
}
perturb_recreate() { # robots deleted in Harbor: created again (POST), new secrets
	local i n
	for i in "${PERTURB[@]}"; do
		n=$(world_robot "$i")
		harbor_api DELETE "/api/v2.0/robots/$(robot_id "$n")"
		sed -i "/^robot\\\$\\([a-z-]*+\\)\\?$n	/d" "$IDS_FILE"
	done
}
perturb_drift() { # robots disabled out of band: berth PUTs them back
	local i
	for i in "${PERTURB[@]}"; do
		curl -sS --cacert "$CA_FILE" -X PATCH --data '{"disable":true}' \
			"$(ready .harbor.url)/_sim/harbor/robots/$(robot_id "$(world_robot "$i")")" >/dev/null
	done
}
perturb_secretgone() { # Secrets deleted: berth POSTs them again
	local i
	for i in "${PERTURB[@]}"; do
		_kube DELETE "/api/v1/namespaces/${NAMESPACES[$((i % ${#NAMESPACES[@]}))]}/secrets/harbor-$(world_robot "$i")" >/dev/null
	done
}
perturb_orphan() { # a robot berth made that the config no longer names: --prune deletes it
	local keep=$CFG
	CFG=$TEST_TMP/orphan.yaml
	{ cat "$keep"; printf '  - name: gone-001\n    permissions: [{kind: project, namespace: team-a, access: [{resource: repository, action: pull}]}]\n    targets: {secrets: [{namespace: %s, name: harbor-gone-001}]}\n' "$VICTIM_NS"; } >"$CFG"
	world_apply
	CFG=$keep
	[ "$RC" -eq 0 ] || { diag "orphan setup failed"; show_berth; }
}

# ---- the calls: api, method, path (prefix), perturbation, idempotent, shared, message[, soft] ----
# (in a message pattern, ~ stands for the alternation bar, which separates fields here)
# shared=1: the path is shared by many concurrent requests, so a fault
# with count > 1 may hit several of them; such calls get transient faults
# only (count 1) or faults no retry can cure.
# soft: berth rides out any failure of the call by design - a namespace
# whose Secret list failed is published Secret by Secret (create, or read
# and update) - so the run exits 0 and a warning names the failed call.
# status: berth needs only the status of a successful answer (the server
# acted; Vault's health is in its status code), so a garbled or wrong-shape
# body of a 2xx answer is ridden out (exit 0); the checks that follow prove
# nothing was lost.
CALLS=(
	"harbor|read-user|GET|/api/v2.0/users/current|none|1|0|harbor: read the current user"
	"harbor|list-projects|GET|/api/v2.0/projects|none|1|0|harbor: list projects"
	"harbor|list-robots|GET|/api/v2.0/robots|none|1|0|harbor: list (system robots~robots of project)"
	"harbor|create|POST|/api/v2.0/robots|recreate|0|1|harbor: create robot '"
	"harbor|update|PUT|/api/v2.0/robots/@ID|drift|1|0|harbor: update robot '|status"
	"harbor|set-secret|PATCH|/api/v2.0/robots/@ID|newsecret|1|0|harbor: set the secret of robot|status"
	"harbor|delete|DELETE|/api/v2.0/robots/|orphan|1|0|harbor: delete robot|status"
	"harbor|token|GET|/service/token|verify|1|1|harbor: ask the token service"
	"vault|token-lookup|GET|/v1/auth/token/lookup-self|none|1|0|vault: look up the token"
	"vault|health|GET|/v1/sys/health|newsecret|1|0|vault: (check health~.* is sealed)|status"
	"vault|kv-version|GET|/v1/sys/internal/ui/mounts/|none|1|0|vault: detect the KV version"
	"vault|read|GET|/v1/secret/data/harbor/@VICTIM-robot-account|none|1|0|vault: read '"
	"vault|write-metadata|POST|/v1/secret/metadata/harbor/@VICTIM-robot-account|newsecret|1|0|vault: write the metadata of '|status"
	"vault|cas-write|POST|/v1/secret/data/harbor/@VICTIM-robot-account|newsecret|0|0|vault: write '|status"
	"vault|delete|DELETE|/v1/secret/metadata/harbor/gone-001|orphan|1|0|vault: delete '|status"
	"kube|list|GET|/api/v1/namespaces/@NS/secrets|none|1|0|kube: list Secrets in namespace|soft"
	"kube|create|POST|/api/v1/namespaces/@NS/secrets|secretgone|0|0|kube: create Secret"
	"kube|update|PUT|/api/v1/namespaces/@NS/secrets/harbor-@VICTIM|newsecret|1|0|kube: update Secret"
	"kube|delete|DELETE|/api/v1/namespaces/@NS/secrets/harbor-gone-001|orphan|1|0|kube: delete Secret|status"
)
FAULTS=(s500 s502 s503 s503ra s429 timeout drop dropafter trunc badjson shape)

# fault_json API KIND METHOD PATH COUNT: the fault object for /_sim/faults.
fault_json() {
	local api=$1 kind=$2 method=$3 path=$4 count=$5 body write=0
	case $method in GET | HEAD) ;; *) write=1 ;; esac
	case $api in
	harbor) body='{"errors":[{"code":"UNKNOWN","message":"injected fault"}]}' ;;
	vault) body='{"errors":["injected fault"]}' ;;
	kube) body='{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"injected fault","reason":"InternalError","code":500}' ;;
	esac
	local base="\"method\":\"$method\",\"path\":\"$path\",\"count\":$count"
	case $kind in
	s500) echo "{$base,\"action\":\"status\",\"status\":500,\"body\":$body}" ;;
	s502) echo "{$base,\"action\":\"status\",\"status\":502,\"body\":\"<html><body>502 Bad Gateway</body></html>\",\"content_type\":\"text/html\"}" ;;
	s503) echo "{$base,\"action\":\"status\",\"status\":503,\"body\":$body}" ;;
	s503ra) echo "{$base,\"action\":\"status\",\"status\":503,\"retry_after\":1,\"body\":$body}" ;;
	s429) echo "{$base,\"action\":\"status\",\"status\":429,\"retry_after\":1,\"body\":$body}" ;;
	timeout) echo "{$base,\"action\":\"delay\",\"delay_ms\":1600}" ;;
	drop) echo "{$base,\"action\":\"drop\"}" ;;
	dropafter) echo "{$base,\"action\":\"drop_after\"}" ;;
	trunc) echo "{$base,\"action\":\"truncate\"}" ;;
	badjson)
		if [ $write -eq 1 ]; then
			echo "{$base,\"action\":\"replace_after\",\"status\":200,\"body\":\"{\\\"id\\\": 1, \\\"na\"}"
		else
			echo "{$base,\"action\":\"status\",\"status\":200,\"body\":\"{\\\"id\\\": 1, \\\"na\"}"
		fi ;;
	shape)
		# an array where an object is expected, an object where an array is
		local s='[{"wrong":"shape"}]'
		case $path in */robots | /api/v2.0/projects | */secrets) s='{"items":7,"wrong":"shape"}' ;; esac
		if [ $write -eq 1 ]; then
			echo "{$base,\"action\":\"replace_after\",\"body\":$s}"
		else
			echo "{$base,\"action\":\"status\",\"status\":200,\"body\":$s}"
		fi ;;
	esac
}

retryable() { case $1 in badjson | shape) return 1 ;; esac; return 0; }

declare -A FIRED SURVIVED FAILED
cases=0

# run_case CALL-LINE FAULT COUNT
run_case() {
	local api call method path perturb idem shared op soft kind=$2 count=$3 expect args=() label
	IFS='|' read -r api call method path perturb idem shared op soft <<<"$1"
	op=${op//\~/|}
	path=${path//@VICTIM/$VICTIM}
	path=${path//@NS/$VICTIM_NS}
	[[ $path == *@ID* ]] && path=${path//@ID/$(robot_id "$VICTIM")}
	label="$api $call $kind x$count"
	cases=$((cases + 1))
	if [ "$idem" = 1 ] && retryable "$kind" && [ "$count" -le 3 ]; then expect=0; else expect=1; fi
	[ "$soft" = soft ] && expect=0
	[ "$soft" = status ] && { [ "$kind" = badjson ] || [ "$kind" = shape ]; } && expect=0
	case $perturb in
	orphan) args=(--prune) ;;
	verify) args=(--verify-secrets) perturb=none ;;
	esac
	"perturb_$perturb"
	world_reset_logs
	sim_fault "$api" "$(fault_json "$api" "$kind" "$method" "$path" "$count")"
	world_apply "${args[@]}"
	[ "$kind" = timeout ] && sleep 0.7 # the held request finishes in the sim
	local fired
	fired=$(sim_requests "$api" | jq '[.[] | select(.fault != null)] | length')
	if [ "$fired" -ge 1 ]; then
		tap_ok "$label: the fault fired ($fired times)"
	else
		tap_fail "$label: the fault fired"
		show_berth
	fi
	FIRED[$api.$kind]=$((${FIRED[$api.$kind]:-0} + 1))
	if [ "$expect" -eq 0 ]; then
		is 0 "$RC" "$label: berth rides it out (exit 0)" || show_berth
		[ "$RC" -eq 0 ] && SURVIVED[$api.$kind]=$((${SURVIVED[$api.$kind]:-0} + 1))
		if [ "$soft" = soft ] && { [ "$count" -gt 3 ] || ! retryable "$kind"; }; then
			like "$op" "$ERR" "$label: a warning names the service and the call"
		fi
	else
		is 1 "$RC" "$label: berth fails the run (exit 1)" || show_berth
		like "^berth: .*$op" "$(tail -1 "$ERR_FILE")" "$label: the message names the service and the call"
		FAILED[$api.$kind]=$((${FAILED[$api.$kind]:-0} + 1))
	fi
	is '' "$(nonidem_retried)" "$label: no unsafe write was sent twice"
	if [ "$perturb" != orphan ]; then
		is 0 "$(sim_requests harbor | jq '[.[] | select(.method == "DELETE")] | length')" "$label: no robot deleted"
	fi
	world_reset_logs
	world_apply "${args[@]}"
	is 0 "$RC" "$label: the next run without faults exits 0" || show_berth
	world_check "$label" || true
	world_reset_logs
	world_apply
	is 0 "$(world_writes)" "$label: a further run writes nothing" ||
		diag "$(for s in harbor vault kube; do sim_requests $s | jq -c '.[] | select(.method != "GET") | [.method, .path]'; done | head -5)"
}

# The sampled table: for API a, fault i goes with call (i + SEED) mod n_a of
# that API, so each API sees every fault and every call; idempotent calls
# alternate transient (1) and persistent (8: more than berth's 3 retries,
# even when libcurl re-sends once on a reused connection) faults.
rows=()
for api in harbor vault kube; do
	mine=()
	for c in "${CALLS[@]}"; do [ "${c%%|*}" = "$api" ] && mine+=("$c"); done
	for i in "${!FAULTS[@]}"; do
		if [ "$MODE" = full ]; then
			for c in "${mine[@]}"; do rows+=("$c#${FAULTS[$i]}"); done
		else
			rows+=("${mine[$(((i + SEED) % ${#mine[@]}))]}#${FAULTS[$i]}")
		fi
	done
	# every call at least once (more calls than faults is not the case today)
	[ ${#mine[@]} -le ${#FAULTS[@]} ] || { tap_fail "$api: more calls than fault kinds; extend the table"; }
done
n=0
for r in "${rows[@]}"; do
	n=$((n + 1))
	line=${r%#*} kind=${r##*#}
	# FAULT_ONLY=REGEX runs only the cases whose "api call kind" matches.
	if [ -n "${FAULT_ONLY:-}" ]; then
		IFS='|' read -r a c _ <<<"$line"
		[[ "$a $c $kind" =~ $FAULT_ONLY ]] || continue
	fi
	IFS='|' read -r _ _ _ _ _ idem shared _ <<<"$line"
	count=1
	if [ "$idem" = 1 ] && [ "$shared" = 0 ] && retryable "$kind" && [ $(((n + SEED) % 2)) -eq 0 ]; then count=8; fi
	run_case "$line" "$kind" "$count"
done

# ---- Vault sealed in the middle of a run ----
seal_case() {
	local label=$1 when=$2 k
	cases=$((cases + 1))
	perturb_newsecret
	world_reset_logs
	# Hold one request so the seal lands while berth is mid-run.
	sim_fault vault "{\"method\":\"$3\",\"path\":\"$4\",\"count\":1,\"action\":\"delay\",\"delay_ms\":600}"
	HARBOR_PASSWORD=$(harbor_admin_password) VAULT_TOKEN=$(ready .vault.root_token) \
		"$BERTH_BIN" apply -f "$CFG" >"$TEST_TMP/berth.out" 2>"$TEST_TMP/berth.err" &
	k=$!
	wait_requests vault "$when"
	curl -sS --cacert "$CA_FILE" -X POST "$(ready .vault.url)/_sim/vault/seal" >/dev/null
	wait "$k"
	RC=$? OUT=$(cat "$TEST_TMP/berth.out") ERR=$(cat "$TEST_TMP/berth.err") ERR_FILE=$TEST_TMP/berth.err
	curl -sS --cacert "$CA_FILE" -X POST "$(ready .vault.url)/_sim/vault/unseal" >/dev/null
	is 1 "$RC" "$label: berth fails the run (exit 1)" || show_berth
	like "^berth: .*vault: .*sealed" "$(tail -1 "$ERR_FILE")" "$label: the message says Vault is sealed"
	is '' "$(nonidem_retried)" "$label: no unsafe write was sent twice"
	FIRED[vault.sealed]=$((${FIRED[vault.sealed]:-0} + 1))
	FAILED[vault.sealed]=$((${FAILED[vault.sealed]:-0} + 1))
	world_reset_logs
	world_apply
	is 0 "$RC" "$label: the next run without faults exits 0" || show_berth
	world_check "$label" || true
}
seal_case "vault sealed while berth reads the store" 60 GET "/v1/secret/data/harbor/sys-100-robot-account"
seal_case "vault sealed while berth writes the store" 254 POST "/v1/secret/data/harbor/$VICTIM-robot-account"

elapsed=$(($(date +%s) - t_start))
diag "fault matrix: $cases cases in ${elapsed}s (mode $MODE, seed $SEED)"
if [ -n "$STATS" ]; then
	for k in "${!FIRED[@]}"; do
		printf 'fault\t%s\t%s\t%s\t%s\n' "${k%%.*}" "${k#*.}" "${FIRED[$k]}" "${SURVIVED[$k]:-0}"
	done | sort >>"$STATS"
	printf 'fault-cases\t%s\t%s\n' "$cases" "$elapsed" >>"$STATS"
fi
tap_done
