#!/usr/bin/env bash
# The crash matrix: a cold berth apply (Vault KV v2 store, Secrets in three
# namespaces) is killed with SIGKILL at its k-th request, counted across
# Harbor, Vault and Kubernetes, then run again. For every k:
#   - the next run exits 0, and a further one writes nothing;
#   - every robot exists exactly once, none was deleted (ids kept from the
#     killed run), every store entry is berth's with an active secret that
#     the token service accepts, every Secret holds it;
#   - no unsafe write was sent twice across the two runs (robot POST, Vault
#     check-and-set write, Secret POST with the same body).
#
# Mechanism: berth-sim kills berth itself (POST /_sim/kill {pid, at, when})
# when the k-th request arrives, either before it handles it ("before": the
# request is lost) or right after (the server acted, berth never hears the
# answer, the most adversarial point). This is exact where holding a
# request with a delay and killing from the test is a race, and it costs
# no waiting. k alternates between the two.
#
# Worlds: CRASH_N robots (default 3) with every k from 1 to the number of
# requests a cold apply sends; then 250 robots with CRASH_SAMPLES points
# (default 3) spread over its cold apply. Every kind of request a cold
# apply sends is killed at least once (checked).
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
source tests/reliability/world.sh

SMALL=${CRASH_N:-3}
SAMPLES=${CRASH_SAMPLES:-3}
STATS=${RELIABILITY_STATS:-}
KINDS=$TEST_TMP/kinds.killed
ALLKINDS=$TEST_TMP/kinds.all
: >"$KINDS"
: >"$ALLKINDS"
t_start=$(date +%s)
points=0

# A request's kind: method and path with names and ids made generic.
kind_of() {
	sed -E -e 's#/robots/[0-9]+#/robots/{id}#' -e 's#/(data|metadata)/harbor/.*#/\1/{path}#' \
		-e 's#/namespaces/[^/]+/secrets/[^/]+$#/namespaces/{ns}/secrets/{name}#' \
		-e 's#/namespaces/[^/]+/secrets$#/namespaces/{ns}/secrets#'
}

all_requests() {
	local s
	for s in harbor vault kube; do
		sim_requests "$s" | jq -r --arg s "$s" '.[] | "\($s) \(.method) \(.path)"'
	done
}

# cold_count N: a world of N robots; COLD_K = requests of its cold apply;
# records their kinds.
cold_count() {
	world_stop
	world_start "$1"
	world_reset_logs
	world_apply
	[ "$RC" -eq 0 ] || { tap_fail "cold apply of $1 robots (reference) exits 0"; show_berth; }
	all_requests >"$TEST_TMP/cold.requests"
	kind_of <"$TEST_TMP/cold.requests" | sort -u >>"$ALLKINDS"
	COLD_K=$(wc -l <"$TEST_TMP/cold.requests")
}

# crash_at K WHEN [METHOD PATH]: in a cold world, kill at the K-th request
# (counting only METHOD requests under PATH when given).
crash_at() {
	local k=$1 when=$2 filter='' pid rc killed label n=$WORLD_N
	[ -n "${3:-}" ] && filter=",\"method\":\"$3\",\"path\":\"$4\""
	world_cold_reset
	points=$((points + 1))
	rm -f "$TEST_TMP/go" && mkfifo "$TEST_TMP/go"
	(
		read -r _ <"$TEST_TMP/go"
		exec env HARBOR_PASSWORD="$ADMIN_PW_" VAULT_TOKEN="$VAULT_TOKEN_" \
			"$BERTH_BIN" apply -f "$CFG" >"$TEST_TMP/killed.out" 2>"$TEST_TMP/killed.err"
	) &
	pid=$!
	curl -sS --cacert "$CA_FILE" -X POST --data "{\"pid\":$pid,\"at\":$k,\"when\":\"$when\"$filter}" \
		"$(ready .harbor.url)/_sim/kill" >/dev/null
	echo go >"$TEST_TMP/go"
	wait "$pid" 2>/dev/null
	rc=$?
	killed=$(curl -sS --cacert "$CA_FILE" "$(ready .harbor.url)/_sim/kill" | jq -r '.killed // empty | "\(.service) \(.method) \(.path)"')
	label="$n robots, killed $when request $k${3:+ of $3 $4} ($(printf '%s' "$killed" | kind_of))"
	if [ "$rc" -ne 137 ] || [ -z "$killed" ]; then
		tap_fail "$label: berth was killed (exit $rc)"
		diag "$(cat "$TEST_TMP/killed.err")"
		return
	fi
	printf '%s\n' "$killed" | kind_of >>"$KINDS"
	world_snapshot_ids
	world_apply
	is 0 "$RC" "$label: the next run exits 0" || show_berth
	is '' "$(nonidem_retried)" "$label: no unsafe write sent twice across both runs"
	is 0 "$(sim_requests harbor | jq '[.[] | select(.method == "DELETE")] | length')" "$label: nothing deleted"
	local n0=$TAP_N f0=$TAP_FAILED
	world_check "$label" >"$TEST_TMP/check.tap"
	TAP_N=$n0 TAP_FAILED=$f0 # re-emitted below, as one line when all passed
	# one TAP line for the four invariants, unless one failed
	if grep -q '^not ok' "$TEST_TMP/check.tap"; then
		while IFS= read -r l; do
			case $l in
			ok*) tap_ok "${l#ok * - }" ;;
			not\ ok*) tap_fail "${l#not ok * - }" ;;
			*) echo "$l" ;;
			esac
		done <"$TEST_TMP/check.tap"
	else
		tap_ok "$label: robots once each with ids kept, store complete and accepted, Secrets hold it"
	fi
	world_reset_logs
	world_apply
	is 0 "$(world_writes)" "$label: a further run writes nothing"
}

# The small world: every k, then the first request of each kind (the global
# order of concurrent robots varies from run to run, so the sweep alone
# may miss a kind).
cold_count "$SMALL"
K=$COLD_K
diag "a cold apply of $SMALL robots sends $K requests"
for k in $(seq 1 "$K"); do
	if [ $((k % 2)) -eq 1 ]; then crash_at "$k" after; else crash_at "$k" before; fi
done
i=0
while read -r _ method path; do
	i=$((i + 1))
	prefix=${path%%\{*}
	if [ $((i % 2)) -eq 1 ]; then crash_at 1 before "$method" "$prefix"; else crash_at 1 after "$method" "$prefix"; fi
done < <(sort -u "$ALLKINDS")

# The big world: sampled points over its cold apply (first, last, spread).
cold_count 250
KB=$COLD_K
diag "a cold apply of 250 robots sends $KB requests"
for i in $(seq 0 $((SAMPLES - 1))); do
	k=$((1 + (KB - 1) * i / (SAMPLES - 1)))
	[ $k -gt 3 ] && [ $k -lt "$KB" ] && k=$((k - (i * 37) % 11)) # not always the same phase
	if [ $((i % 2)) -eq 0 ]; then crash_at "$k" after; else crash_at "$k" before; fi
done

# Every kind of request of a cold apply was killed at least once.
missing=$(comm -23 <(sort -u "$ALLKINDS") <(sort -u "$KINDS") | tr '\n' ';')
is '' "$missing" "every kind of request of a cold apply was a crash point ($(sort -u "$KINDS" | wc -l) kinds)"
elapsed=$(($(date +%s) - t_start))
diag "crash matrix: $points crash points (all $K of $SMALL robots' cold apply, the first of each of its $(sort -u "$ALLKINDS" | wc -l) kinds, $SAMPLES of $KB for 250 robots) in ${elapsed}s"
diag "kinds killed:" "$(sort "$KINDS" | uniq -c)"
if [ -n "$STATS" ]; then
	printf 'crash-points\t%s\t%s\t%s\t%s\t%s\n' "$points" "$K" "$SMALL" "$KB" "$elapsed" >>"$STATS"
	sort "$KINDS" | uniq -c | awk '{c=$1; $1=""; print "crash-kind\t" substr($0,2) "\t" c}' >>"$STATS"
fi
tap_done
