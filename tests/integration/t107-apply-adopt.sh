#!/usr/bin/env bash
# An unmarked robot with a wanted name is an error that says how to adopt it;
# with adopt: true berth takes it over in place (same id, new secret).
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
harbor_api POST /api/v2.0/robots -H 'Content-Type: application/json' \
	--data '{"name":"tekton","description":"made by hand","level":"system","duration":-1,"permissions":[{"kind":"project","namespace":"library","access":[{"resource":"repository","action":"pull"}]}]}'
is 201 "$STATUS" "a robot is created by hand, as the seed's script did"
id=$(printf '%s' "$BODY" | jq .id)
CFG=$TEST_TMP/berth.yaml
write_config "$CFG" <<'YAML'
robots:
  - name: tekton
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: push}]}]
  - name: other
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: pull}]}]
YAML
sim_reset harbor
run_berth apply -f "$CFG"
is 1 "$RC" "apply refuses (exit 1)"
like "robot 'robot\\\$tekton' exists in Harbor but is not managed by berth; set adopt: true on robot 'tekton'" "$OUT" "the error names the robot and how to adopt it"
like 'nothing was changed' "$ERR" "berth says nothing was changed"
is 0 "$(writes harbor)" "no write reached Harbor, not even for the other robot"

write_config "$CFG" <<'YAML'
robots:
  - name: tekton
    adopt: true
    description: adopted
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: push}]}]
  - name: other
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: pull}]}]
YAML
run_berth apply -f "$CFG"
is 0 "$RC" "apply with adopt: true exits 0" || show_berth
like 'tekton.*adopted.*secret set' "$OUT" "the robot is adopted and given a secret berth knows"
r=$(harbor_robot 'robot$tekton')
is "$id" "$(printf '%s' "$r" | jq .id)" "the adopted robot keeps its id"
like '^adopted \[berth:berth:' "$(printf '%s' "$r" | jq -r .description)" "the adopted robot now carries the marker"
s=$(stored_field harbor/tekton-robot-account secret)
like '(^| )push( |$)' "$(token_actions 'robot$tekton' "$s" library/app)" "the stored secret works with the configured rights (push; pull comes with the public project)"
sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$(writes harbor)" "the next apply writes nothing"
tap_done
