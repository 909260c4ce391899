#!/usr/bin/env bash
# A custom robot name prefix: read from /configurations, or set in the config;
# changing it renames every robot, and berth follows without new secrets.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
harbor_api PUT /api/v2.0/configurations -H 'Content-Type: application/json' --data '{"robot_name_prefix":"bot-"}'
is 200 "$STATUS" "the robot name prefix is set to bot- in Harbor"
CFG=$TEST_TMP/berth.yaml
write_config "$CFG" <<'YAML'
robots:
  - name: tekton
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: push}]}]
  - name: ci
    level: project
    project: library
    permissions: [{access: [{resource: repository, action: pull}]}]
YAML
run_berth apply -f "$CFG"
is 0 "$RC" "apply exits 0" || show_berth
is 'bot-tekton' "$(stored_field harbor/tekton-robot-account name)" "the stored login uses the prefix read from Harbor"
is 'bot-library+ci' "$(stored_field harbor/ci-robot-account name)" "project robots too"
s1=$(stored_field harbor/tekton-robot-account secret)
is 'bot-tekton' "$(token_sub bot-tekton "$s1" 'repository:library/app:push')" "the token service accepts the prefixed login"

harbor_api PUT /api/v2.0/configurations -H 'Content-Type: application/json' --data '{"robot_name_prefix":"ci$"}'
run_berth plan -f "$CFG"
like 'rename \(the robot.s login name changed\)' "$OUT" "plan notices the renamed robots and only renames the store entries"
sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$RC" "apply after the prefix change exits 0" || show_berth
is 0 "$(writes harbor)" "no Harbor write: the robots and their secrets did not change"
is 'ci$tekton' "$(stored_field harbor/tekton-robot-account name)" "the store entry follows the new login"
is "$s1" "$(stored_field harbor/tekton-robot-account secret)" "the secret is kept"
is 'ci$tekton' "$(token_sub 'ci$tekton' "$s1" 'repository:library/app:push')" "the stored credential works under the new name"

# A prefix in the config wins over what Harbor says.
HARBOR_EXTRA='  robotNamePrefix: ci$' write_config "$CFG" <<'YAML'
robots:
  - name: tekton
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: push}]}]
  - name: ci
    level: project
    project: library
    permissions: [{access: [{resource: repository, action: pull}]}]
YAML
sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$RC" "apply with robotNamePrefix in the config exits 0" || show_berth
is 0 "$(sim_requests harbor | jq '[.[] | select(.path == "/api/v2.0/configurations")] | length')" "with robotNamePrefix set, /configurations is not read"
is 0 "$(writes harbor)" "and nothing is written"
tap_done
