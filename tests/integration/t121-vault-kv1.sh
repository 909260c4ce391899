#!/usr/bin/env bash
# t121: the Vault store on a KV v1 mount found by kvVersion: auto: one flat map
# per entry (name, secret, registry, berth_-prefixed bookkeeping), secrets Harbor
# accepts, a second apply with no write to Vault or Harbor, and recovery when
# the entry is deleted.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
source tests/lib/vault-store.sh

CFG=$TEST_TMP/berth.yaml
write_config "$CFG" "$(vault_store_yaml '{token: {env: VAULT_TOKEN}}' $'mount: kv\nkvVersion: auto')" <<'YAML'
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

sim_reset vault
run_berth apply -f "$CFG"
is 0 "$RC" "apply on the kv (v1) mount exits 0" || show_berth
like 'Apply: 2 changed, 0 unchanged, 0 failed' "$OUT" "both robots created"
is 1 "$(sim_requests vault | jq '[.[] | select(.path == "/v1/sys/internal/ui/mounts/kv")] | length')" \
	"kvVersion auto asks sys/internal/ui/mounts once"
is 0 "$(sim_requests vault | jq '[.[] | select(.path | test("^/v1/kv/(data|metadata)/"))] | length')" \
	"no KV v2 paths are used on the v1 mount"

e=$(kv1_entry harbor/tekton-robot-account)
robot_id=$(harbor_robot 'robot$tekton' | jq -r .id)
is '["berth_owner","berth_robot_id","berth_rotated_at","name","registry","secret"]' \
	"$(printf '%s' "$e" | jq -c 'keys')" "the entry is one flat map: name, secret, registry and berth_ fields"
is "robot\$tekton berth $robot_id" "$(printf '%s' "$e" | jq -r '"\(.name) \(.berth_owner) \(.berth_robot_id)"')" \
	"name, berth_owner and berth_robot_id (Harbor's id)"
ci=$(kv1_entry harbor/ci-robot-account)
bad=$(check_vault_accepted '[.name, .secret]' "$e" "$ci")
is '' "$bad" "the token service accepts every stored secret"
check "no secret or Vault token in berth's output" \
	no_leak "$(printf '%s' "$e" | jq -r .secret)" "$(printf '%s' "$ci" | jq -r .secret)" "$VAULT_ROOT"

sim_reset vault
sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$RC" "a second apply exits 0" || show_berth
like 'Apply: 0 changed, 2 unchanged, 0 failed' "$OUT" "a second apply changes nothing"
is 0 "$(writes vault)" "a second apply sends no write to Vault"
is 0 "$(writes harbor)" "a second apply sends no write to Harbor"

# The entry disappears: a new secret for the same robot.
vault_api DELETE /v1/kv/harbor/tekton-robot-account
is 204 "$STATUS" "(the test deletes the KV v1 entry)"
sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$RC" "apply after the entry was deleted exits 0" || show_berth
like 'tekton.*secret set \(store entry missing\)' "$OUT" "berth sets a new secret: store entry missing"
is 0 "$(requests harbor POST)" "no robot is created again"
is 1 "$(requests harbor PATCH)" "one PATCH sets the new secret"
e2=$(kv1_entry harbor/tekton-robot-account)
is "$robot_id" "$(printf '%s' "$e2" | jq -r .berth_robot_id)" "the entry names the same robot id"
is "$robot_id" "$(harbor_robot 'robot$tekton' | jq -r .id)" "Harbor still has the same robot"
bad=$(check_vault_accepted '[.name, .secret]' "$e2")
is '' "$bad" "the token service accepts the new secret"

# kvVersion: 1 skips the mount lookup.
write_config "$CFG" "$(vault_store_yaml '{token: {env: VAULT_TOKEN}}' $'mount: kv\nkvVersion: 1')" <<'YAML'
robots:
  - name: tekton
    permissions:
      - kind: project
        namespace: "*"
        access:
          - {resource: repository, action: push}
          - {resource: repository, action: pull}
YAML
sim_reset vault
run_berth apply -f "$CFG"
is 0 "$RC" "kvVersion: 1 works as well" || show_berth
is 0 "$(sim_requests vault | jq '[.[] | select(.path | startswith("/v1/sys/internal/ui/mounts"))] | length')" \
	"kvVersion: 1 skips the mount lookup"
is 0 "$(writes vault)" "and writes nothing when nothing changed"

# kvVersion: 1 on the KV v2 mount: Vault's "Invalid path" warning becomes a clear error.
write_config "$CFG" "$(vault_store_yaml '{token: {env: VAULT_TOKEN}}' $'mount: secret\nkvVersion: 1')" <<'YAML'
robots:
  - name: other
    permissions:
      - kind: project
        namespace: "*"
        access:
          - {resource: repository, action: pull}
YAML
sim_reset harbor
run_berth apply -f "$CFG"
is 64 "$RC" "kvVersion: 1 on a KV v2 mount fails as a config error (exit 64)" || show_berth
like "mount 'secret' is not the KV version berth expected" "$ERR" "the error names the mount and the version mismatch"
is 0 "$(writes harbor)" "and no Harbor write happened"
tap_done
