#!/usr/bin/env bash
# Rotation with one slot: every target carries the new secret at once and the
# old one is dead; a rotation that is due (rotate.every) happens on apply; a
# crash in the middle of a two-slot rotation converges with nothing lost.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
CFG=$TEST_TMP/berth.yaml
A=$TEST_TMP/a/config.json B=$TEST_TMP/b/config.json
write_config "$CFG" <<YAML
robots:
  - name: tekton
    rotate: {every: 24h}
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: push}]}]
    targets:
      files: [{path: $A}, {path: $B}]
YAML
run_berth apply -f "$CFG"
is 0 "$RC" "apply exits 0" || show_berth
old=$(stored_field harbor/tekton-robot-account secret)
reg=$(jq -r '.auths | keys[0]' "$A")
run_berth rotate -f "$CFG" --now
is 0 "$RC" "rotate --now exits 0" || show_berth
new=$(stored_field harbor/tekton-robot-account secret)
[ "$new" != "$old" ] && tap_ok "the stored secret changed" || tap_fail "the stored secret changed"
is "$new" "$(jq -r --arg r "$reg" '.auths[$r].password' "$A")" "the first file carries the new secret"
is "$new" "$(jq -r --arg r "$reg" '.auths[$r].password' "$B")" "the second file carries the new secret"
is 'robot$tekton' "$(token_sub 'robot$tekton' "$new" 'repository:library/a:push')" "the new secret is accepted"
is '' "$(token_sub 'robot$tekton' "$old" 'repository:library/a:push')" "the old secret is dead (one slot: refreshed in place)"

sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$(writes harbor)" "no rotation is due right after one"
export BERTH_FAKE_NOW=$(( $(date +%s) + 25 * 3600 ))
run_berth plan -f "$CFG"
like 'secret: set \(rotation due\)' "$OUT" "a day later, plan shows the rotation is due"
run_berth apply -f "$CFG"
is 0 "$RC" "apply performs the due rotation" || show_berth
due=$(stored_field harbor/tekton-robot-account secret)
[ "$due" != "$new" ] && tap_ok "the due rotation set a new secret" || tap_fail "the due rotation set a new secret"
is 'robot$tekton' "$(token_sub 'robot$tekton' "$due" 'repository:library/a:push')" "and it is accepted"
unset BERTH_FAKE_NOW

# Crash in the middle of a two-slot rotation: while Harbor sets the new secret
# (PATCH), and while the token service checks it before it is published.
write_config "$CFG" <<YAML
robots:
  - name: ci
    rotate: {slots: 2, overlap: 1h}
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: push}]}]
    targets:
      files: [{path: $A}]
YAML
run_berth apply -f "$CFG"
is 0 "$RC" "apply of a two-slot robot exits 0" || show_berth
for k in 1 2; do
	sim_reset harbor
	if [ "$k" = 1 ]; then
		sim_fault harbor '{"method":"PATCH","path":"/api/v2.0/robots","count":1,"delay_ms":1500,"action":"delay"}'
	else
		sim_fault harbor '{"method":"GET","path":"/service/token","count":1,"delay_ms":1500,"action":"delay"}'
	fi
	export BERTH_FAKE_NOW=$(( $(date +%s) + k * 2 * 3600 ))
	HARBOR_PASSWORD=$(harbor_admin_password) "$BERTH_BIN" rotate -f "$CFG" --now >/dev/null 2>&1 &
	pid=$!
	sleep 0.8
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	sleep 1.2
	if [ "$k" = 1 ]; then
		what=$(sim_requests harbor | jq -r '[.[] | select(.method == "PATCH")][0] | "\(.method) \(.path)"')
	else
		what=$(sim_requests harbor | jq -r '[.[] | select(.path == "/service/token")][0] | "\(.method) \(.path)"')
	fi
	like "^$([ "$k" = 1 ] && echo PATCH || echo 'GET /service/token')" "$what" "berth was killed while Harbor held $what"
	run_berth apply -f "$CFG"
	is 0 "$RC" "rotation killed at write $k ($what): the next apply exits 0" || show_berth
	jq -r '"\(.slot_a_name)\t\(.slot_a_secret)\ta", "\(.slot_b_name)\t\(.slot_b_secret)\tb", "\(.name)\t\(.secret)\tpublished"' \
		"$STORE_DIR/harbor/ci-robot-account.json" >"$TEST_TMP/slots.tsv"
	is '' "$(check_creds "$TEST_TMP/slots.tsv")" "rotation killed at write $k: every stored slot secret is accepted (nothing lost)"
	pub=$(stored_field harbor/ci-robot-account name)
	is "$pub" "$(jq -r --arg r "$reg" '.auths[$r].username' "$A")" "rotation killed at write $k: the file carries the published slot"
	unset BERTH_FAKE_NOW
done
tap_done
