#!/usr/bin/env bash
# berth plan/apply against the simulated Harbor: create, idempotence, exit
# codes, ownership markers, store files (mode 0600, seed layout).
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
CFG=$TEST_TMP/berth.yaml
write_config "$CFG" <<'YAML'
robots:
  - name: tekton
    description: Robot account for tekton pipelines
    permissions:
      - kind: project
        namespace: "*"
        access:
          - {resource: repository, action: push}
          - {resource: repository, action: pull}
  - name: ci
    level: project
    project: library
    duration: 30
    permissions:
      - access:
          - {resource: repository, action: pull}
YAML

run_berth plan -f "$CFG" --detailed-exitcode
is 2 "$RC" "plan --detailed-exitcode exits 2 when robots must be created"
like 'robot tekton \(robot\$tekton\): create' "$OUT" "plan shows the system robot's creation"
like 'robot ci \(robot\$library\+ci\): create' "$OUT" "plan shows the project robot's creation with Harbor's project+name login"
is 0 "$(writes harbor)" "plan sends no write to Harbor"

run_berth plan -f "$CFG" --output json
is 0 "$RC" "plan --output json exits 0"
is 2 "$(printf '%s' "$OUT" | jq '.summary.create')" "plan JSON counts two creations"

sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$RC" "apply exits 0" || show_berth
like 'tekton.*created \(id [0-9]+\), secret set' "$OUT" "apply reports what it did"
is 2 "$(requests harbor POST)" "apply sent exactly one POST per robot"
is 2 "$(requests harbor PATCH)" "apply set each robot's secret with one PATCH"
sim_requests harbor | jq -r '.[].path' | grep -q '/projects/[^/]*/robots' && tap_fail "legacy /projects/{p}/robots used" || tap_ok "the legacy /projects/{p}/robots endpoints are never used"

r=$(harbor_robot 'robot$tekton')
like '\[berth:berth:harbor/tekton-robot-account\]$' "$(printf '%s' "$r" | jq -r .description)" "the robot's description carries berth's marker"
is '[{"a":"pull","k":"project","n":"*"},{"a":"push","k":"project","n":"*"}]' \
	"$(printf '%s' "$r" | jq -c '[.permissions[] | .kind as $k | .namespace as $n | .access[] | {a: .action, k: $k, n: $n}] | sort_by(.a)')" \
	"the robot has exactly the configured permissions"

f=$STORE_DIR/harbor/tekton-robot-account.json
is 600 "$(stat -c %a "$f")" "the store file has mode 0600"
is 700 "$(stat -c %a "$STORE_DIR/harbor")" "store directories have mode 0700"
is 'robot$tekton' "$(stored_field harbor/tekton-robot-account name)" "the store entry keeps the seed's layout: name"
secret=$(stored_field harbor/tekton-robot-account secret)
is 40 "${#secret}" "the secret berth generated is 40 characters"
printf '%s' "$secret" | grep -q '[A-Z]' && printf '%s' "$secret" | grep -q '[a-z]' && printf '%s' "$secret" | grep -q '[0-9]' \
	&& tap_ok "the secret meets Harbor's rule (upper, lower, digit)" || tap_fail "the secret meets Harbor's rule"
is '' "$(stored_field harbor/tekton-robot-account pending_secret)" "no pending secret is left after apply"
is 'robot$tekton' "$(token_sub 'robot$tekton' "$secret" 'repository:library/app:pull')" "the token service accepts the stored secret"
is 'pull push' "$(token_actions 'robot$tekton' "$secret" library/app)" "the stored credential grants push and pull"
ci=$(stored_field harbor/ci-robot-account secret)
is 'pull' "$(token_actions 'robot$library+ci' "$ci" library/app)" "the project robot grants pull only (least privilege)"
if grep -rqF -- "$secret" "$OUT_FILE" "$ERR_FILE"; then tap_fail "the secret appears in berth's output"; else tap_ok "the secret appears nowhere in berth's output"; fi

sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$RC" "a second apply exits 0"
is 0 "$(writes harbor)" "a second apply sends no write to Harbor"
like 'Apply: 0 changed, 2 unchanged, 0 failed' "$OUT" "a second apply changes nothing"
run_berth plan -f "$CFG" --detailed-exitcode
is 0 "$RC" "plan --detailed-exitcode exits 0 when nothing is pending"
like '^No changes' "$OUT" "plan says there is nothing to do"

run_berth plan -f "$TEST_TMP/nope.yaml"
is 64 "$RC" "a missing config file exits 64"
run_berth frobnicate
is 64 "$RC" "an unknown command exits 64"
tap_done
