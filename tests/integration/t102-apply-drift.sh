#!/usr/bin/env bash
# Out-of-band changes to a robot (permissions, disable, description, duration)
# are fixed in place with PUT: same robot id, same secret.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
CFG=$TEST_TMP/berth.yaml
write_config "$CFG" <<'YAML'
robots:
  - name: tekton
    description: CI pushes
    permissions:
      - kind: project
        namespace: library
        access:
          - {resource: repository, action: push}
          - {resource: repository, action: pull}
YAML
run_berth apply -f "$CFG"
is 0 "$RC" "first apply exits 0" || show_berth
before=$(harbor_robot 'robot$tekton')
id=$(printf '%s' "$before" | jq .id)
secret=$(stored_field harbor/tekton-robot-account secret)

# Someone edits the robot by hand: fewer rights, disabled, another description.
body=$(printf '%s' "$before" | jq -c '.permissions = [{"kind":"project","namespace":"library","access":[{"resource":"repository","action":"pull"}]}] | .disable = true | .description = "edited by hand" | .duration = 7')
harbor_api PUT "/api/v2.0/robots/$id" -H 'Content-Type: application/json' --data "$body"
is 200 "$STATUS" "the out-of-band edit was accepted by Harbor"
is '' "$(token_sub 'robot$tekton' "$secret" 'repository:library/app:pull')" "the disabled robot is refused by the token service"

run_berth plan -f "$CFG"
like '~ permissions' "$OUT" "plan shows the permission drift"
like '~ enable' "$OUT" "plan shows the robot must be enabled again"
like '~ description' "$OUT" "plan shows the description drift"
like '~ duration 7 days -> never expires' "$OUT" "plan shows the duration drift"

sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$RC" "apply fixing the drift exits 0" || show_berth
is 1 "$(requests harbor PUT)" "the drift is fixed with one PUT"
is 0 "$(requests harbor POST)" "no robot is created"
is 0 "$(requests harbor DELETE)" "no robot is deleted"
is 0 "$(requests harbor PATCH)" "the secret is not changed"
after=$(harbor_robot 'robot$tekton')
is "$id" "$(printf '%s' "$after" | jq .id)" "the robot id is unchanged"
is false "$(printf '%s' "$after" | jq .disable)" "the robot is enabled again"
is -1 "$(printf '%s' "$after" | jq .duration)" "the duration is back to never"
is 'pull push' "$(printf '%s' "$after" | jq -r '[.permissions[].access[].action] | sort | join(" ")')" "the permissions are restored"
like '^CI pushes \[berth:' "$(printf '%s' "$after" | jq -r .description)" "the description is restored with the marker"
is "$secret" "$(stored_field harbor/tekton-robot-account secret)" "the stored secret is unchanged"
is 'robot$tekton' "$(token_sub 'robot$tekton' "$secret" 'repository:library/app:pull')" "the stored secret works again"

sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$(writes harbor)" "the next apply writes nothing"
tap_done
