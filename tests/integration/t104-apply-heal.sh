#!/usr/bin/env bash
# A store entry missing, corrupt, or holding a secret Harbor refuses is healed
# with a new secret for the same robot - never by delete and recreate.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
CFG=$TEST_TMP/berth.yaml
write_config "$CFG" <<'YAML'
robots:
  - name: tekton
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: push}]}]
YAML
run_berth apply -f "$CFG"
id=$(harbor_robot 'robot$tekton' | jq .id)
F=$STORE_DIR/harbor/tekton-robot-account.json
old=$(stored_field harbor/tekton-robot-account secret)

rm -f "$F"
sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$RC" "apply with the store entry deleted exits 0" || show_berth
like 'secret set \(store entry missing\)' "$OUT" "apply says why it set a new secret"
is 0 "$(requests harbor POST)" "no robot is created"
is 0 "$(requests harbor DELETE)" "no robot is deleted"
is 1 "$(requests harbor PATCH)" "one PATCH sets the new secret"
is "$id" "$(harbor_robot 'robot$tekton' | jq .id)" "the robot id is unchanged"
new=$(stored_field harbor/tekton-robot-account secret)
[ -n "$new" ] && [ "$new" != "$old" ] && tap_ok "a new secret was stored" || tap_fail "a new secret was stored"
is 'robot$tekton' "$(token_sub 'robot$tekton' "$new" 'repository:library/a:push')" "the healed secret is accepted"
is '' "$(token_sub 'robot$tekton' "$old" 'repository:library/a:push')" "the old secret no longer works"

printf 'not json' >"$F"
run_berth apply -f "$CFG"
is 0 "$RC" "apply with a corrupt store entry exits 0" || show_berth
like 'secret set \(store entry unreadable\)' "$OUT" "a corrupt entry of berth's robot is healed"
s=$(stored_field harbor/tekton-robot-account secret)
is 'robot$tekton' "$(token_sub 'robot$tekton' "$s" 'repository:library/a:push')" "the healed secret is accepted"

jq '.secret = "Wr0ngWr0ngWr0ngWr0ng"' "$F" >"$F.tmp" && mv "$F.tmp" "$F"
sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$(writes harbor)" "without --verify-secrets, apply trusts a consistent store entry (no token checks)"
run_berth verify -f "$CFG"
is 2 "$RC" "verify finds the wrong secret (exit 2)"
like 'wrong secret' "$OUT" "verify says which check failed"
run_berth apply -f "$CFG" --verify-secrets
is 0 "$RC" "apply --verify-secrets exits 0" || show_berth
like 'Harbor refuses the stored secret' "$OUT" "apply --verify-secrets heals the refused secret"
s=$(stored_field harbor/tekton-robot-account secret)
is 'robot$tekton' "$(token_sub 'robot$tekton' "$s" 'repository:library/a:push')" "the new secret is accepted"
is "$id" "$(harbor_robot 'robot$tekton' | jq .id)" "still the same robot"
run_berth verify -f "$CFG"
is 0 "$RC" "verify passes afterwards" || show_berth
tap_done
