#!/usr/bin/env bash
# t129: ownership on the Vault store. The seed's script left a robot and a Vault
# entry {name, secret} berth did not make: berth refuses them until adopt: true,
# then takes both over (new secret, same robot, berth's mark in custom_metadata,
# other custom_metadata kept). apply --prune deletes berth's robot and its
# entry, and keeps an entry at that path that is not berth's.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
source tests/lib/vault-store.sh
export VAULT_TOKEN=$VAULT_ROOT
CFG=$TEST_TMP/berth.yaml
P=harbor/tekton-robot-account
STORE=$(vault_store_yaml '{token: {env: VAULT_TOKEN}}' 'kvVersion: auto')

# The seed: a robot made through Harbor's API, its name and secret written to Vault.
harbor_api POST /api/v2.0/robots -H 'Content-Type: application/json' --data-binary \
	'{"name":"tekton","duration":-1,"level":"system","description":"Robot account for tekton pipelines","permissions":[{"kind":"project","namespace":"*","access":[{"resource":"repository","action":"push"},{"resource":"repository","action":"pull"}]}]}'
is 201 "$STATUS" "(the seed's script creates robot\$tekton)"
SEED_NAME=$(printf '%s' "$BODY" | jq -r .name)
SEED_SECRET=$(printf '%s' "$BODY" | jq -r .secret)
ID=$(printf '%s' "$BODY" | jq -r .id)
vault_api POST "/v1/secret/data/$P" --data-binary "$(jq -cn --arg n "$SEED_NAME" --arg s "$SEED_SECRET" '{data: {name: $n, secret: $s}}')"
is 200 "$STATUS" "(and stores {name, secret} in Vault)"
vault_api POST "/v1/secret/metadata/$P" --data-binary '{"custom_metadata":{"team":"platform"}}'
is 204 "$STATUS" "(someone labels the entry in custom_metadata)"

config() {
	write_config "$CFG" "$STORE" <<YAML
robots:
  - name: tekton
    description: Robot account for tekton pipelines
    duration: -1
    adopt: $1
    permissions:
      - kind: project
        namespace: "*"
        access:
          - {resource: repository, action: push}
          - {resource: repository, action: pull}
YAML
}

config false
sim_reset vault
sim_reset harbor
run_berth apply -f "$CFG"
is 1 "$RC" "without adopt: apply exits 1" || show_berth
like "not managed by berth; set adopt: true on robot 'tekton'" "$OUT" \
	"the plan says what is not berth's and how to adopt it"
is '0 0' "$(writes vault) $(writes harbor)" "nothing is written"

config true
sim_reset vault
sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$RC" "adopt: true: apply exits 0" || show_berth
like 'tekton.*adopted.*secret set' "$OUT" "berth adopts the robot and sets a new secret"
is "0 $ID" "$(requests harbor POST) $(harbor_robot 'robot$tekton' | jq -r .id)" "same robot, none created"
e=$(kv2_entry "$P")
is "berth $ID platform" "$(printf '%s' "$e" | jq -r '.custom_metadata | "\(.berth_owner) \(.berth_robot_id) \(.team)"')" \
	"custom_metadata now carries berth's mark and keeps the team label"
is '["name","registry","secret"]' "$(printf '%s' "$e" | jq -c '.data | keys')" "the entry keeps the seed's layout"
is '' "$(check_vault_accepted '[.data.name, .data.secret]' "$e")" "the new stored secret is accepted"
if [ "$(printf '%s' "$e" | jq -r .data.secret)" = "$SEED_SECRET" ]; then
	tap_fail "the seed's secret was replaced"
else
	tap_ok "the seed's secret was replaced"
fi
sim_reset vault
sim_reset harbor
run_berth apply -f "$CFG"
is '0 0 0' "$RC $(writes vault) $(writes harbor)" "a second apply writes nothing"

# Another berth owner's entry sits at the path of a robot berth made.
write_config "$CFG" "$STORE" <<'YAML'
robots:
  - name: tekton
    description: Robot account for tekton pipelines
    duration: -1
    permissions:
      - kind: project
        namespace: "*"
        access:
          - {resource: repository, action: push}
          - {resource: repository, action: pull}
  - name: builder
    permissions:
      - kind: project
        namespace: "*"
        access:
          - {resource: repository, action: pull}
YAML
run_berth apply -f "$CFG"
is 0 "$RC" "(berth creates robot builder)" || show_berth
BID=$(harbor_robot 'robot$builder' | jq -r .id)
b=$(kv2_entry harbor/builder-robot-account)
vault_api POST /v1/secret/metadata/harbor/builder-robot-account --data-binary \
	"$(printf '%s' "$b" | jq -c '{custom_metadata: (.custom_metadata + {berth_owner: "someone-else"})}')"
is 204 "$STATUS" "(another owner's mark is put on builder's entry)"

# Only tekton is left in the config: prune.
config true
sim_reset vault
sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$RC" "without --prune apply exits 0" || show_berth
like 'builder.*orphan.*--prune' "$OUT" "builder is reported as an orphan"
is '0 0' "$(writes vault) $(writes harbor)" "nothing is deleted without --prune"
run_berth apply -f "$CFG" --prune
is 0 "$RC" "apply --prune exits 0" || show_berth
like "builder.*deleted \\(id $BID\\).*kept \\(not this robot's\\)" "$OUT" \
	"builder's robot is deleted, the entry that is not berth's is kept"
is null "$(harbor_robot 'robot$builder')" "Harbor no longer has robot\$builder"
is 'someone-else' "$(kv2_entry harbor/builder-robot-account | jq -r .custom_metadata.berth_owner)" \
	"the other owner's entry is still in Vault"

# A robot berth owns with its own entry: --prune removes both.
write_config "$CFG" "$STORE" <<'YAML'
robots:
  - name: temp
    permissions:
      - kind: project
        namespace: "*"
        access:
          - {resource: repository, action: pull}
YAML
run_berth apply -f "$CFG"
is 0 "$RC" "(berth creates robot temp)" || show_berth
config true
sim_reset vault
run_berth apply -f "$CFG" --prune
is 0 "$RC" "apply --prune exits 0" || show_berth
like 'temp.*deleted.*store entry harbor/temp-robot-account removed' "$OUT" "temp's robot and entry are removed"
is '{}' "$(kv2_entry harbor/temp-robot-account)" "the entry is gone from Vault, with its metadata and versions"
is 1 "$(sim_requests vault | jq '[.[] | select(.method == "DELETE" and .path == "/v1/secret/metadata/harbor/temp-robot-account")] | length')" \
	"one DELETE of the entry's metadata"
is "$ID" "$(harbor_robot 'robot$tekton' | jq -r .id)" "tekton is untouched"
check "no secret or token in berth's output" no_leak "$SEED_SECRET" "$(kv2_entry "$P" | jq -r .data.secret)" "$VAULT_ROOT"
tap_done
