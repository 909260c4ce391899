# tests/reliability/world.sh - the world of the reliability tests: berth-sim
# with 250 robots (system and project), a Vault KV v2 store (token auth) and
# dockerconfigjson Secrets in three namespaces; helpers that check the
# invariants after every faulted, crashed or clean run. Source after tap.sh,
# sim.sh and berth.sh; call world_start once.
#
#   world_start [N]           start the sim, projects, namespaces; write $CFG
#                             for N robots (default 250)
#   world_config [EXTRA]      rewrite $CFG; $HARBOR_EXTRA, $VAULT_EXTRA and
#                             $KUBE_EXTRA add lines to those sections
#   world_apply ARGS...       berth apply -f $CFG ARGS (sets RC, OUT, ERR)
#   world_reset_logs          clear every API's request log and faults
#   world_cold_reset          delete every robot, store entry and Secret (back to cold)
#   world_stop                stop the sim (world_start may start another)
#   world_check LABEL         every invariant; prints TAP lines, returns 1 on a failure:
#                               - each robot exists in Harbor exactly once, none deleted
#                                 (ids never change once known)
#                               - each store entry is berth's, has no pending secret left,
#                                 and its secret is accepted by the token service
#                               - each robot's Secret holds exactly that credential
#   nonidem_retried           the non-idempotent writes (robot POST, Vault CAS
#                             write, Secret POST) sent twice with the same body
#                             since the last reset, one per line
#   world_snapshot_ids        remember each robot's id (called by world_check)
#
# Never prints a secret: helpers compare them in files and print names only.
: "${TEST_TMP:?source sim.sh first}"
CFG=$TEST_TMP/berth.yaml
WORLD_N=250
NAMESPACES=(ns-a ns-b ns-c)
PROJECTS=(team-a team-b)
IDS_FILE=$TEST_TMP/robot-ids.tsv
export BERTH_LOG=${BERTH_LOG:-warn}

_kube() {
	local m=$1 p=$2
	shift 2
	curl -sS --cacert "$CA_FILE" -X "$m" -H "Authorization: Bearer ${KUBE_TOKEN_:-$(ready .kube.token)}" \
		-H 'Content-Type: application/json' "$@" "${KUBE_URL_:-$(ready .kube.url)}$p"
}

_vault() {
	local m=$1 p=$2
	shift 2
	curl -sS --cacert "$CA_FILE" -X "$m" -H "X-Vault-Token: $VAULT_TOKEN_" "$@" "$VAULT_URL_$p"
}

# robot i (1-based): name, level/project lines, store path, namespace
world_robot() {
	local i=$1 np=${#PROJECTS[@]}
	if [ "$i" -le $((WORLD_N * 4 / 5)) ]; then
		printf 'sys-%03d\n' "$i"
	else
		printf 'ci-%03d\n' "$i"
	fi
}

# ROBOTS[i-1]: the name of robot i, filled by world_start.
ROBOTS=()

world_config() {
	local i name ns p np=${#PROJECTS[@]}
	{
		echo "harbor:"
		echo "  url: $(ready .harbor.url)"
		echo "  caFile: $(ready .ca_file)"
		echo "  password: {env: HARBOR_PASSWORD}"
		[ -n "${HARBOR_EXTRA:-}" ] && printf '%s\n' "$HARBOR_EXTRA"
		echo "store:"
		echo "  vault:"
		echo "    address: $(ready .vault.url)"
		echo "    caFile: $(ready .ca_file)"
		echo "    mount: secret"
		echo "    auth: {token: {env: VAULT_TOKEN}}"
		[ -n "${VAULT_EXTRA:-}" ] && printf '%s\n' "$VAULT_EXTRA"
		echo "kubernetes:"
		echo "  kubeconfig: $(ready .kube.kubeconfig)"
		[ -n "${KUBE_EXTRA:-}" ] && printf '%s\n' "$KUBE_EXTRA"
		echo "robots:"
		for i in $(seq 1 "$WORLD_N"); do
			name=$(world_robot "$i")
			ns=${NAMESPACES[$((i % ${#NAMESPACES[@]}))]}
			if [ "${name%%-*}" = sys ]; then
				printf '  - name: %s\n    permissions: [{kind: project, namespace: team-a, access: [{resource: repository, action: pull}]}]\n' "$name"
			else
				p=${PROJECTS[$((i % np))]}
				printf '  - name: %s\n    level: project\n    project: %s\n    permissions: [{access: [{resource: repository, action: push}, {resource: repository, action: pull}]}]\n' "$name" "$p"
			fi
			printf '    targets: {secrets: [{namespace: %s, name: harbor-%s}]}\n' "$ns" "$name"
		done
	} >"$CFG"
}

world_start() {
	WORLD_N=${1:-250}
	sim_start
	# values of this sim (a test may start several in turn)
	KUBE_URL_=$(ready .kube.url) KUBE_TOKEN_=$(ready .kube.token)
	local p ns i
	for p in "${PROJECTS[@]}"; do
		curl -sS --cacert "$CA_FILE" -X POST --data "{\"name\":\"$p\"}" "$(ready .harbor.url)/_sim/harbor/projects" >/dev/null
	done
	for ns in "${NAMESPACES[@]}"; do
		_kube POST /api/v1/namespaces --data "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$ns\"}}" >/dev/null
	done
	: >"$IDS_FILE"
	ROBOTS=()
	for i in $(seq 1 "$WORLD_N"); do ROBOTS+=("$(world_robot "$i")"); done
	HARBOR_URL_=$(ready .harbor.url) ADMIN_PW_=$(harbor_admin_password)
	VAULT_URL_=$(ready .vault.url) VAULT_TOKEN_=$(ready .vault.root_token)
	KUBE_URL_=$(ready .kube.url) KUBE_TOKEN_=$(ready .kube.token)
	PROJECT_IDS=()
	for p in "${PROJECTS[@]}"; do
		PROJECT_IDS+=("$(curl -sS --cacert "$CA_FILE" -u "admin:$ADMIN_PW_" "$HARBOR_URL_/api/v2.0/projects/$p" | jq .project_id)")
	done
	world_config
}

# Make the world cold again without restarting the sim: delete every robot,
# store entry and robot Secret (projects and namespaces stay).
world_cold_reset() {
	local urls=() id name ns
	while IFS=$'\t' read -r _ id; do urls+=("$HARBOR_URL_/api/v2.0/robots/$id"); done < <(harbor_robots_tsv)
	[ ${#urls[@]} -gt 0 ] && curl -sS --cacert "$CA_FILE" -u "admin:$ADMIN_PW_" -X DELETE "${urls[@]}" >/dev/null
	urls=()
	for name in "${ROBOTS[@]}"; do urls+=("$VAULT_URL_/v1/secret/metadata/harbor/$name-robot-account"); done
	curl -sS --cacert "$CA_FILE" -H "X-Vault-Token: $VAULT_TOKEN_" -X DELETE "${urls[@]}" >/dev/null
	urls=()
	for ns in "${NAMESPACES[@]}"; do
		urls+=("$KUBE_URL_/api/v1/namespaces/$ns/secrets?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dberth")
	done
	curl -sS --cacert "$CA_FILE" -X DELETE -H "Authorization: Bearer $KUBE_TOKEN_" "${urls[@]}" >/dev/null
	: >"$IDS_FILE"
	world_reset_logs
}

# Stop the sim (a test may start a fresh one with world_start).
world_stop() {
	if [ -n "$SIM_PID" ] && kill -0 "$SIM_PID" 2>/dev/null; then
		kill -TERM "$SIM_PID" 2>/dev/null
		wait "$SIM_PID" 2>/dev/null
	fi
	SIM_PID=
	rm -rf "$TEST_TMP/sim"
}

world_apply() {
	OUT_FILE=$TEST_TMP/berth.out
	ERR_FILE=$TEST_TMP/berth.err
	HARBOR_PASSWORD=$(harbor_admin_password) VAULT_TOKEN=$(ready .vault.root_token) \
		"$BERTH_BIN" apply -f "$CFG" "$@" >"$OUT_FILE" 2>"$ERR_FILE"
	RC=$?
	OUT=$(cat "$OUT_FILE")
	ERR=$(cat "$ERR_FILE")
	return 0
}

world_reset_logs() {
	curl -sS --cacert "$CA_FILE" -X POST "$HARBOR_URL_/_sim/reset" "$VAULT_URL_/_sim/reset" \
		"$KUBE_URL_/_sim/reset" >/dev/null
}

# The three request logs as one JSON array [harbor, vault, kube] (one curl, one jq).
world_logs() {
	curl -sS --cacert "$CA_FILE" "$HARBOR_URL_/_sim/requests" "$VAULT_URL_/_sim/requests" \
		"$KUBE_URL_/_sim/requests" | jq -c -n '[inputs]'
}

# Writes (not GET/HEAD) on all three APIs since the last reset.
world_writes() {
	world_logs | jq '[.[][] | select(.method != "GET" and .method != "HEAD")] | length'
}

# All robots Harbor holds, as "name<TAB>id", sorted (system robots and the projects' robots).
harbor_robots_tsv() {
	local u=$HARBOR_URL_/api/v2.0 pid p urls=()
	for p in $(seq 1 $(((WORLD_N + 99) / 100 + 1))); do urls+=("$u/robots?page=$p&page_size=100"); done
	for pid in "${PROJECT_IDS[@]}"; do
		urls+=("$u/robots?page_size=100&q=Level%3Dproject%2CProjectID%3D$pid")
	done
	# one curl (keep-alive) and one jq for all pages
	curl -sS --cacert "$CA_FILE" -u "admin:$ADMIN_PW_" "${urls[@]}" | jq -r '.[] | [.name, .id] | @tsv' | sort -u
}

# Every store entry: "robot<TAB>login<TAB>secret<TAB>pending<TAB>owner" into FILE (mode 0600),
# one curl process for all reads.
store_dump() {
	local file=$1 k=$TEST_TMP/vault.curlrc dir=$TEST_TMP/vdump name n=0
	rm -rf "$dir" && mkdir -p "$dir" && : >"$k" && chmod 600 "$k"
	for name in "${ROBOTS[@]}"; do
		n=$((n + 1))
		[ "$n" -gt 1 ] && echo next >>"$k"
		printf 'url = "%s/v1/secret/data/harbor/%s-robot-account"\nheader = "X-Vault-Token: %s"\noutput = "%s/%s"\ncacert = "%s"\nsilent\n' \
			"$VAULT_URL_" "$name" "$VAULT_TOKEN_" "$dir" "$name" "$CA_FILE" >>"$k"
	done
	curl -K "$k" 2>/dev/null
	rm -f "$k"
	: >"$file" && chmod 600 "$file"
	# One jq for all: "name<TAB>json" lines; an entry missing or not JSON reads as all "-".
	for name in "${ROBOTS[@]}"; do
		printf '%s\t' "$name"
		tr -d '\n' <"$dir/$name" 2>/dev/null
		echo
	done | jq -r -R '(split("\t") | .[0]) as $r | (try (split("\t")[1] | fromjson) catch {}) as $j
		| [$r, ($j.data.data.name // "-"), ($j.data.data.secret // "-"),
		   ($j.data.data.pending_secret // "-"), ($j.data.metadata.custom_metadata.berth_owner // "-")] | @tsv' \
		>>"$file" 2>/dev/null
	rm -rf "$dir"
}

# Every robot Secret: "robot<TAB>login<TAB>secret" into FILE (mode 0600), from three lists.
targets_dump() {
	local file=$1 ns urls=()
	: >"$file" && chmod 600 "$file"
	for ns in "${NAMESPACES[@]}"; do
		urls+=("$KUBE_URL_/api/v1/namespaces/$ns/secrets?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dberth")
	done
	curl -sS --cacert "$CA_FILE" -H "Authorization: Bearer $KUBE_TOKEN_" "${urls[@]}" |
		jq -r '.items[] | (.data[".dockerconfigjson"] | @base64d | fromjson | .auths | to_entries[0].value) as $a
			| [(.metadata.name | ltrimstr("harbor-")), $a.username, $a.password] | @tsv' >>"$file"
}

world_snapshot_ids() {
	harbor_robots_tsv >"$IDS_FILE"
}

# world_check LABEL: all invariants, one TAP line each.
world_check() {
	local label=$1 bad=0 robots store targets creds msg missing dup changed
	robots=$TEST_TMP/robots.tsv store=$TEST_TMP/store.tsv targets=$TEST_TMP/targets.tsv creds=$TEST_TMP/creds.tsv
	harbor_robots_tsv >"$robots"
	# Exactly once each; the configured ones all present.
	dup=$(cut -f1 "$robots" | sort | uniq -d | head -3 | tr '\n' ' ')
	missing=$(comm -23 <(printf '%s\n' "${ROBOTS[@]}" | sort) \
		<(cut -f1 "$robots" | sed -e 's/^robot\$//' -e 's/^[a-z-]*+//' | sort) | head -3 | tr '\n' ' ')
	# Ids known before are unchanged (no robot was deleted and made again).
	changed=$(join -t $'\t' <(sort "$IDS_FILE") <(sort "$robots") | awk -F'\t' '$2 != $3 {print $1}' | head -3 | tr '\n' ' ')
	if [ -z "$dup$missing$changed" ] && [ "$(wc -l <"$robots")" -eq "$WORLD_N" ]; then
		tap_ok "$label: $WORLD_N robots, each exactly once, none deleted or made again"
	else
		tap_fail "$label: robots exactly once, none deleted"
		diag "duplicated: $dup" "missing: $missing" "id changed: $changed" "robots in Harbor: $(wc -l <"$robots")"
		bad=1
	fi
	cp "$robots" "$IDS_FILE"
	store_dump "$store"
	msg=$(awk -F'\t' '$3 == "-" || $4 != "-" || $5 != "berth" {print $1}' "$store" | head -3 | tr '\n' ' ')
	if [ -z "$msg" ]; then
		tap_ok "$label: every store entry is berth's, with an active secret and nothing pending"
	else
		tap_fail "$label: store entries complete"
		diag "incomplete: $msg"
		bad=1
	fi
	awk -F'\t' '{print $2 "\t" $3 "\t" $1}' "$store" >"$creds"
	msg=$(check_creds "$creds" | head -3 | tr '\n' ' ')
	if [ -z "$msg" ]; then
		tap_ok "$label: every stored secret is accepted by the token service"
	else
		tap_fail "$label: stored secrets accepted"
		diag "refused: $msg"
		bad=1
	fi
	targets_dump "$targets"
	msg=$(join -t $'\t' -a1 -e NONE -o '1.1,1.2,1.3,2.2,2.3' <(cut -f1-3 "$store" | sort) <(sort "$targets") |
		awk -F'\t' '$2 != $4 || $3 != $5 {print $1}' | head -3 | tr '\n' ' ')
	if [ -z "$msg" ] && [ "$(wc -l <"$targets")" -eq "$WORLD_N" ]; then
		tap_ok "$label: every robot's Secret holds its stored credential"
	else
		tap_fail "$label: Secrets hold the stored credential"
		diag "differ or missing: $msg" "Secrets: $(wc -l <"$targets")"
		bad=1
	fi
	rm -f "$store" "$targets" "$creds"
	return $bad
}

# Non-idempotent writes sent more than once with the same body since the
# last reset: "service method path (n times)". A request the client died
# before sending (crash tests: kill_before) never reached the server.
nonidem_retried() {
	world_logs | jq -r '
		[.[][] | select(.method == "POST" and .body_sha256 != null and .fault != "kill_before" and
			((.path == "/api/v2.0/robots") or (.path | startswith("/v1/secret/data/")) or
			 (.path | test("^/api/v1/namespaces/[^/]+/secrets$"))))]
		| group_by([.path, .body_sha256]) | map(select(length > 1))
		| .[] | "POST \(.[0].path) (\(length) times)"'
}
