#!/usr/bin/env bash
# t120: the Vault store on KV v2 with a token from the environment: the seed's
# layout in data.data, berth's bookkeeping in custom_metadata, secrets Harbor
# accepts, the pending secret stored before Harbor hears of it, and a second
# apply that sends no write to Vault or Harbor; the same for a two-slot robot.
# No secret or token in berth's output.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
source tests/lib/vault-store.sh

CFG=$TEST_TMP/berth.yaml
write_config "$CFG" "$(vault_store_yaml '{token: {env: VAULT_TOKEN}}' 'kvVersion: auto')" <<'YAML'
robots:
  - name: tekton
    permissions:
      - kind: project
        namespace: "*"
        access:
          - {resource: repository, action: push}
          - {resource: repository, action: pull}
  - name: ci
    level: project
    project: library
    permissions:
      - access:
          - {resource: repository, action: pull}
YAML
export VAULT_TOKEN=$VAULT_ROOT

run_berth plan -f "$CFG" --detailed-exitcode
is 2 "$RC" "plan with the Vault store: exit 2, robots to create" || show_berth
is 0 "$(writes vault)" "plan sends no write to Vault"

# Hold Harbor's first PATCH (the secret) for a moment: Vault must already have it.
sim_reset vault
sim_reset harbor
sim_fault harbor '{"method":"PATCH","path":"/api/v2.0/robots/","count":1,"delay_ms":1500,"action":"delay"}'
BERTH_LOG=debug berth_bg apply -f "$CFG" --concurrency 1
pending_seen=no
# The fault is taken when the PATCH reaches Harbor, which then holds it 1.5 s.
for i in $(seq 1 250); do
	if [ "$(curl -sS --cacert "$CA_FILE" "$(ready .harbor.url)/_sim/faults" | jq length)" = 0 ]; then
		PENDING=$(kv2_entry harbor/tekton-robot-account | jq -r '.data.pending_secret // empty')
		[ "${#PENDING}" = 40 ] && pending_seen=yes
		break
	fi
	sleep 0.02
done
berth_wait
is yes "$pending_seen" "when the secret's PATCH reaches Harbor, Vault already holds that secret as pending_secret"
like 'Apply: 2 changed, 0 unchanged, 0 failed' "$OUT" "apply creates both robots" || show_berth

e=$(kv2_entry harbor/tekton-robot-account)
is '["name","registry","secret"]' "$(printf '%s' "$e" | jq -c '.data | keys')" \
	"data.data holds exactly the seed's layout: name, secret, registry"
is 'robot$tekton' "$(printf '%s' "$e" | jq -r .data.name)" "data.data.name is the robot's login name"
is "$(ready .harbor.url | sed 's|^https://||')" "$(printf '%s' "$e" | jq -r .data.registry)" \
	"data.data.registry is the registry host"
SECRET=$(printf '%s' "$e" | jq -r .data.secret)
is 40 "${#SECRET}" "the stored secret has 40 characters"
[ "$SECRET" = "$PENDING" ] && tap_ok "the active secret is the one stored as pending before the PATCH" ||
	tap_fail "the active secret is the one stored as pending before the PATCH"
robot_id=$(harbor_robot 'robot$tekton' | jq -r .id)
is "berth $robot_id" "$(printf '%s' "$e" | jq -r '.custom_metadata | "\(.berth_owner) \(.berth_robot_id)"')" \
	"custom_metadata holds berth_owner and berth_robot_id (Harbor's id)"
like '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' "$(printf '%s' "$e" | jq -r .custom_metadata.berth_rotated_at)" \
	"custom_metadata holds berth_rotated_at (RFC 3339)"
is '[]' "$(printf '%s' "$e" | jq -c '[.custom_metadata | keys[] | select(startswith("berth_") | not)]')" \
	"custom_metadata holds only berth_ keys"
is '[]' "$(printf '%s' "$e" | jq -c '[.data | keys[] | select(startswith("berth_"))]')" \
	"no bookkeeping field leaks into data.data"

ci=$(kv2_entry harbor/ci-robot-account)
bad=$(check_vault_accepted '[.data.name, .data.secret]' "$e" "$ci")
is '' "$bad" "the token service accepts every stored secret (as the stored name)"
is 'robot$library+ci' "$(printf '%s' "$ci" | jq -r .data.name)" "the project robot's entry names its Harbor login"
check "no secret or Vault token in berth's output (debug log)" \
	no_leak "$SECRET" "$(printf '%s' "$ci" | jq -r .data.secret)" "$VAULT_ROOT"
versions=$(printf '%s' "$e" | jq -r .version)

sim_reset vault
sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$RC" "a second apply exits 0" || show_berth
like 'Apply: 0 changed, 2 unchanged, 0 failed' "$OUT" "a second apply changes nothing"
is 0 "$(writes vault)" "a second apply sends no write to Vault"
is 0 "$(writes harbor)" "a second apply sends no write to Harbor"
is "$versions" "$(kv2_entry harbor/tekton-robot-account | jq -r .version)" "the entry's version is unchanged"

sim_reset vault
run_berth plan -f "$CFG" --detailed-exitcode
is 0 "$RC" "plan --detailed-exitcode: 0, nothing pending"
is 0 "$(writes vault)" "plan sends no write to Vault"

# Two slots (rotate.slots: 2): both slots' credentials in data.data, the
# published one mirrored in name/secret; bookkeeping in custom_metadata only,
# with nothing left over once a change is finished.
write_config "$CFG" "$(vault_store_yaml '{token: {env: VAULT_TOKEN}}' 'kvVersion: auto')" <<'YAML'
robots:
  - name: builder
    permissions:
      - kind: project
        namespace: "*"
        access:
          - {resource: repository, action: pull}
    rotate:
      slots: 2
      overlap: 1s
YAML
run_berth apply -f "$CFG"
is 0 "$RC" "two slots: apply exits 0" || show_berth
e=$(kv2_entry harbor/builder-robot-account)
is '["name","registry","secret","slot_a_name","slot_a_secret","slot_b_name","slot_b_secret"]' \
	"$(printf '%s' "$e" | jq -c '.data | keys')" "two slots: data.data holds the published credential and both slots"
is '["berth_owner","berth_robot_id","berth_rotated_at","berth_slot","berth_slot_a_robot_id","berth_slot_b_robot_id"]' \
	"$(printf '%s' "$e" | jq -c '.custom_metadata | keys')" "two slots: custom_metadata holds the bookkeeping, no pending slot left"
is 'a robot$builder-a' "$(printf '%s' "$e" | jq -r '"\(.custom_metadata.berth_slot) \(.data.name)"')" "slot a is published"
is '' "$(check_vault_accepted '[.data.name, .data.secret]' "$e")" "the published credential is accepted"
sleep 1.1
run_berth rotate -f "$CFG" --now
is 0 "$RC" "two slots: rotate exits 0" || show_berth
e2=$(kv2_entry harbor/builder-robot-account)
is 'b robot$builder-b' "$(printf '%s' "$e2" | jq -r '"\(.custom_metadata.berth_slot) \(.data.name)"')" "slot b is published"
is 'null' "$(printf '%s' "$e2" | jq -c '.custom_metadata.berth_pending_slot')" "no pending slot is left in custom_metadata"
is '' "$(check_vault_accepted '[.data.name, .data.secret]' "$e2")" "the newly published credential is accepted"
is '' "$(check_vault_accepted '[.data.slot_a_name, .data.slot_a_secret]' "$e2")" "the slot published before stays valid"
sim_reset vault
sim_reset harbor
run_berth apply -f "$CFG"
is '0 0 0' "$RC $(writes vault) $(writes harbor)" "two slots: a second apply writes nothing"
check "no secret in berth's output" no_leak "$(printf '%s' "$e2" | jq -r .data.slot_a_secret)" \
	"$(printf '%s' "$e2" | jq -r .data.slot_b_secret)"
tap_done
