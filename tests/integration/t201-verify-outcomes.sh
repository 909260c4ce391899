#!/usr/bin/env bash
# berth verify: every outcome - ok, wrong secret, expired (with the date),
# disabled, missing rights (which), stale target, missing robot, no stored
# secret - and its exit codes (0, 2, 1) and JSON output. It never writes.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
curl -sS --cacert "$CA_FILE" -X POST --data '{"name":"private"}' "$(ready .harbor.url)/_sim/harbor/projects" >/dev/null
CFG=$TEST_TMP/berth.yaml
F=$TEST_TMP/out/config.json
write_config "$CFG" <<YAML
robots:
  - name: good
    permissions: [{kind: project, namespace: private, access: [{resource: repository, action: push}, {resource: repository, action: pull}]}]
    targets:
      files: [{path: $F}]
  - name: wrong
    permissions: [{kind: project, namespace: private, access: [{resource: repository, action: pull}]}]
  - name: old
    duration: 30
    permissions: [{kind: project, namespace: private, access: [{resource: repository, action: pull}]}]
  - name: off
    permissions: [{kind: project, namespace: private, access: [{resource: repository, action: pull}]}]
  - name: weak
    permissions: [{kind: project, namespace: private, access: [{resource: repository, action: push}, {resource: repository, action: pull}]}]
  - name: gone
    permissions: [{kind: project, namespace: private, access: [{resource: repository, action: pull}]}]
  - name: empty
    permissions: [{kind: project, namespace: private, access: [{resource: repository, action: pull}]}]
YAML
run_berth apply -f "$CFG"
is 0 "$RC" "apply exits 0" || show_berth
run_berth verify -f "$CFG"
is 0 "$RC" "verify exits 0 when every check passes" || show_berth
like 'Verify: 8 ok, 0 failed' "$OUT" "seven robots and one file: eight checks pass"

url=$(ready .harbor.url)
id() { harbor_robot "robot\$$1" | jq .id; }
# wrong: a secret Harbor refuses
jq '.secret = "Wr0ngWr0ngWr0ngWr0ng"' "$STORE_DIR/harbor/wrong-robot-account.json" >"$TEST_TMP/x" && mv "$TEST_TMP/x" "$STORE_DIR/harbor/wrong-robot-account.json"
# old: expired two days ago
curl -sS --cacert "$CA_FILE" -X PATCH --data "{\"expires_at\":$(( $(date +%s) - 2 * 86400 ))}" "$url/_sim/harbor/robots/$(id old)" >/dev/null
# off: disabled out of band
curl -sS --cacert "$CA_FILE" -X PATCH --data '{"disable":true}' "$url/_sim/harbor/robots/$(id off)" >/dev/null
# weak: push taken away by hand (description kept, so still berth's)
w=$(harbor_robot 'robot$weak' | jq -c '.permissions = [{"kind":"project","namespace":"private","access":[{"resource":"repository","action":"pull"}]}]')
harbor_api PUT "/api/v2.0/robots/$(id weak)" -H 'Content-Type: application/json' --data "$w"
# gone: deleted in Harbor
harbor_api DELETE "/api/v2.0/robots/$(id gone)"
# empty: no secret in the store
jq 'del(.secret)' "$STORE_DIR/harbor/empty-robot-account.json" >"$TEST_TMP/x" && mv "$TEST_TMP/x" "$STORE_DIR/harbor/empty-robot-account.json"
# good's file: an old credential
jq '.auths[].password = "0ld" | .auths[].auth = ("robot$good:0ld" | @base64)' "$F" >"$TEST_TMP/x" && mv "$TEST_TMP/x" "$F"

sim_reset harbor
run_berth verify -f "$CFG"
is 2 "$RC" "verify exits 2 when a check fails"
is 0 "$(writes harbor)" "verify writes nothing"
like 'ok +good \(robot\$good\): ok' "$OUT" "ok: the good robot"
like 'FAIL +good \(robot\$good\) file .*config.json: stale target: carries an old secret' "$OUT" "stale target: the file with an old secret"
like 'FAIL +wrong \(robot\$wrong\): wrong secret' "$OUT" "wrong secret"
like 'FAIL +old \(robot\$old\): expired: expired at [0-9]{4}-[0-9]{2}-[0-9]{2}T' "$OUT" "expired, with the date"
like 'FAIL +off \(robot\$off\): disabled' "$OUT" "disabled"
like 'FAIL +weak \(robot\$weak\): missing rights: push on private' "$OUT" "missing rights, naming which"
like 'FAIL +gone \(robot\$gone\): missing robot' "$OUT" "missing robot"
like 'FAIL +empty \(robot\$empty\): no stored secret' "$OUT" "no stored secret"
like 'Verify: 1 ok, 7 failed, 0 could not be checked' "$OUT" "the summary counts them"

run_berth verify -f "$CFG" --output json
is 2 "$RC" "verify --output json exits 2 too"
is 1 "$(printf '%s' "$OUT" | jq .schema)" "the JSON has a schema version"
is 'missing rights' "$(printf '%s' "$OUT" | jq -r '.checks[] | select(.robot == "weak") | .result')" "the JSON names each result"
is 7 "$(printf '%s' "$OUT" | jq .summary.failed)" "the JSON summary counts the failures"

sed "s#url: https://127.0.0.1:[0-9]*#url: https://127.0.0.1:1#" "$CFG" >"$CFG.down"
run_berth verify -f "$CFG.down"
is 1 "$RC" "verify exits 1 when it could not check (Harbor unreachable)"
tap_done
