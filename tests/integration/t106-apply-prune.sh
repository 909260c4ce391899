#!/usr/bin/env bash
# Robots berth made that the config no longer lists: reported as orphans,
# deleted with --prune together with their store entries - and never a robot
# berth did not mark, nor one of another owner.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
CFG=$TEST_TMP/berth.yaml
write_config "$CFG" <<'YAML'
robots:
  - name: keep
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: pull}]}]
  - name: old
    storePath: ci/old-credential
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: pull}]}]
  - name: oldproj
    level: project
    project: library
    permissions: [{access: [{resource: repository, action: pull}]}]
YAML
run_berth apply -f "$CFG"
is 0 "$RC" "apply of three robots exits 0" || show_berth
# A robot made by hand, and one of another berth owner: prune must leave them.
harbor_api POST /api/v2.0/robots -H 'Content-Type: application/json' \
	--data '{"name":"byhand","level":"system","duration":-1,"permissions":[{"kind":"project","namespace":"library","access":[{"resource":"repository","action":"pull"}]}]}'
is 201 "$STATUS" "a robot is created by hand"
harbor_api POST /api/v2.0/robots -H 'Content-Type: application/json' \
	--data '{"name":"teamb","description":"x [berth:team-b:harbor/teamb]","level":"system","duration":-1,"permissions":[{"kind":"project","namespace":"library","access":[{"resource":"repository","action":"pull"}]}]}'
is 201 "$STATUS" "a robot of another berth owner exists"

write_config "$CFG" <<'YAML'
robots:
  - name: keep
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: pull}]}]
YAML
run_berth plan -f "$CFG"
like 'robot robot\$old: orphan' "$OUT" "plan lists the system robot no longer in the config as an orphan"
run_berth plan -f "$CFG" --prune
like 'robot robot\$old: delete \(not in the config\), and its store entry ci/old-credential' "$OUT" "plan --prune shows the deletion and the store entry it will remove"
like 'robot robot\$library\+oldproj: delete' "$OUT" "plan --prune also finds orphan project robots"
if printf '%s' "$OUT" | grep -q 'byhand\|teamb'; then tap_fail "plan --prune touches only berth's own robots"; else tap_ok "plan --prune touches only berth's own robots"; fi

sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$RC" "apply without --prune exits 0" || show_berth
is 0 "$(requests harbor DELETE)" "without --prune nothing is deleted"
like 'orphan' "$OUT" "apply reports the orphans"

run_berth apply -f "$CFG" --prune
is 0 "$RC" "apply --prune exits 0" || show_berth
is null "$(harbor_robot 'robot$old')" "the orphan robot is deleted"
is null "$(harbor_robot 'robot$library+oldproj')" "the orphan project robot is deleted"
[ ! -e "$STORE_DIR/ci/old-credential.json" ] && tap_ok "its store entry is removed" || tap_fail "its store entry is removed"
[ -e "$STORE_DIR/harbor/keep-robot-account.json" ] && tap_ok "the kept robot's entry stays" || tap_fail "the kept robot's entry stays"
is byhand "$(harbor_robot 'robot$byhand' | jq -r '.name | ltrimstr("robot$")')" "the robot made by hand is untouched"
is teamb "$(harbor_robot 'robot$teamb' | jq -r '.name | ltrimstr("robot$")')" "the robot of another owner is untouched"
k=$(stored_field harbor/keep-robot-account secret)
is 'robot$keep' "$(token_sub 'robot$keep' "$k" 'repository:library/a:pull')" "the kept robot still works"
sim_reset harbor
run_berth apply -f "$CFG" --prune
is 0 "$(writes harbor)" "a second apply --prune writes nothing"
tap_done
