#!/usr/bin/env bash
# A robot that expired is renewed (duration extended with PUT), not recreated,
# and its stored secret works again; a robot nearing expiry is renewed too.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
CFG=$TEST_TMP/berth.yaml
write_config "$CFG" <<'YAML'
robots:
  - name: tekton
    duration: 30
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: push}]}]
YAML
run_berth apply -f "$CFG"
is 0 "$RC" "apply exits 0" || show_berth
r=$(harbor_robot 'robot$tekton')
id=$(printf '%s' "$r" | jq .id)
secret=$(stored_field harbor/tekton-robot-account secret)
now=$(date +%s)
exp=$(printf '%s' "$r" | jq .expires_at)
[ "$exp" -gt $((now + 29 * 86400)) ] && [ "$exp" -le $((now + 30 * 86400 + 60)) ] && tap_ok "the new robot expires in 30 days" || tap_fail "the new robot expires in 30 days"

# Age the robot: created 60 days ago, expired 30 days ago.
curl -sS --cacert "$CA_FILE" -X PATCH --data "{\"creation_time\":$((now - 60 * 86400)),\"expires_at\":$((now - 30 * 86400))}" \
	"$(ready .harbor.url)/_sim/harbor/robots/$id" >/dev/null
is '' "$(token_sub 'robot$tekton' "$secret" 'repository:library/a:push')" "the expired robot is refused"
run_berth verify -f "$CFG"
is 2 "$RC" "verify reports the expired robot (exit 2)"
like 'expired: expired at [0-9T:-]+Z' "$OUT" "verify says expired, with the date"

run_berth plan -f "$CFG"
like 'renew: expires at .*duration 30 -> 90 days \(secret unchanged\)' "$OUT" "plan shows a renewal, not a recreation"
sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$RC" "apply exits 0" || show_berth
is 1 "$(requests harbor PUT)" "one PUT renews the robot"
is 0 "$(requests harbor POST)" "no robot is created"
is 0 "$(requests harbor PATCH)" "the secret is not changed"
r=$(harbor_robot 'robot$tekton')
is "$id" "$(printf '%s' "$r" | jq .id)" "the robot id is unchanged"
exp=$(printf '%s' "$r" | jq .expires_at)
[ "$exp" -gt $((now + 29 * 86400)) ] && [ "$exp" -le $((now + 30 * 86400 + 60)) ] && tap_ok "the renewed robot expires within a day of 30 days from now, not later" || tap_fail "the renewed robot expires in 30 days from now"
# And once more, nearing expiry: Harbor keeps expires_at = creation + duration, so age it consistently.
is 'robot$tekton' "$(token_sub 'robot$tekton' "$secret" 'repository:library/a:push')" "the same stored secret works again"

# Nearing expiry (within the default 72h margin): renewed too.
d=$(harbor_robot 'robot$tekton' | jq .duration)
c=$((now + 86400 - d * 86400))
curl -sS --cacert "$CA_FILE" -X PATCH --data "{\"creation_time\":$c,\"expires_at\":$((now + 86400))}" "$(ready .harbor.url)/_sim/harbor/robots/$id" >/dev/null
sim_reset harbor
run_berth apply -f "$CFG"
is 1 "$(requests harbor PUT)" "a robot expiring within 72h is renewed"
sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$(writes harbor)" "the next apply writes nothing"
tap_done
