#!/usr/bin/env bash
# t128: a Vault namespace (store.vault.namespace, or VAULT_NAMESPACE) sent as
# X-Vault-Namespace for logins and entries; policies that refuse berth's writes
# give a clear 403 naming the Vault path, Harbor never gets a secret that was
# not stored, and once the policy is fixed the next run converges.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
source tests/lib/vault-store.sh

CFG=$TEST_TMP/berth.yaml
P=harbor/tekton-robot-account
robots() {
	echo "robots:"
	for n in "$@"; do
		printf '  - name: %s\n    permissions:\n      - kind: project\n        namespace: "*"\n        access:\n          - {resource: repository, action: push}\n          - {resource: repository, action: pull}\n' "$n"
	done
}

# ---- namespaces
vault_ctl namespaces '{"path":"team-a"}'
vault_ctl mounts '{"path":"secret","version":2,"vault_namespace":"team-a"}'
ROLE_ID=rid-$RANDOM$RANDOM
SECRET_ID=sid-$RANDOM$RANDOM$RANDOM
vault_ctl approle/roles "{\"vault_namespace\":\"team-a\",\"role_name\":\"berth\",\"role_id\":\"$ROLE_ID\",\"secret_id\":\"$SECRET_ID\",\"policies\":[{\"path_prefix\":\"team-a/secret/\",\"capabilities\":[\"create\",\"read\",\"update\",\"delete\",\"list\"]}],\"ttl_s\":600}"
printf '%s' "$ROLE_ID" >"$TEST_TMP/role-id"
printf '%s' "$SECRET_ID" >"$TEST_TMP/secret-id"

robots tekton | write_config "$CFG" "$(vault_store_yaml \
	"{approle: {roleId: {file: $TEST_TMP/role-id}, secretId: {file: $TEST_TMP/secret-id}}}" $'namespace: team-a\nkvVersion: auto')"
sim_reset vault
run_berth apply -f "$CFG"
is 0 "$RC" "namespace team-a, AppRole login in the namespace: apply exits 0" || show_berth
is 1 "$(vault_logins)" "one login"
vault_api GET "/v1/secret/data/$P" -H 'X-Vault-Namespace: team-a'
is '200 robot$tekton' "$STATUS $(printf '%s' "$BODY" | jq -r .data.data.name)" "the entry is in team-a's secret/ mount"
ns_entry=$BODY
vault_api GET "/v1/secret/metadata/$P"
is 404 "$STATUS" "the root namespace's secret/ mount has no such entry"
vault_api GET "/v1/team-a/secret/metadata/$P"
is 'berth' "$(printf '%s' "$BODY" | jq -r .data.custom_metadata.berth_owner)" "custom_metadata in team-a carries berth's mark"
printf '%s' "$ns_entry" | jq -c '.data' >"$TEST_TMP/ns.json"
is '' "$(check_vault_accepted '[.data.name, .data.secret]' "$(cat "$TEST_TMP/ns.json")")" "the stored secret is accepted"
NS_SECRET=$(jq -r .data.secret "$TEST_TMP/ns.json")
rm -f "$TEST_TMP/ns.json"

# VAULT_NAMESPACE from the environment, a token whose policy covers team-a/secret/.
TOKEN=$(vault_token '{"policies":[{"path_prefix":"team-a/secret/","capabilities":["create","read","update","delete","list"]}],"ttl_s":600}')
robots tekton | write_config "$CFG" "$(vault_store_yaml '{token: {env: VAULT_TOKEN}}' 'kvVersion: auto')"
sim_reset vault
sim_reset harbor
VAULT_NAMESPACE=team-a VAULT_TOKEN=$TOKEN run_berth apply -f "$CFG"
is '0 0 0' "$RC $(writes vault) $(writes harbor)" "VAULT_NAMESPACE=team-a: the same entry is found, nothing to write" || show_berth
VAULT_TOKEN=$VAULT_ROOT run_berth plan -f "$CFG"
like 'secret: set \(store entry missing\), store harbor/tekton-robot-account' "$OUT" "without the namespace the root's secret/ is read, where the entry is missing" || show_berth

# ---- policies refusing writes (root namespace)
RO=$(vault_token '{"policies":[{"path_prefix":"secret/","capabilities":["read","list"]}],"ttl_s":600}')
robots tekton pusher | write_config "$CFG" "$(vault_store_yaml '{token: {env: VAULT_TOKEN}}' 'kvVersion: 2')"
sim_reset vault
sim_reset harbor
VAULT_TOKEN=$RO run_berth apply -f "$CFG"
is 1 "$RC" "a read-only policy: apply exits 1" || show_berth
like "vault: write the metadata of 'harbor/pusher-robot-account' at secret/metadata/harbor/pusher-robot-account: HTTP 403: .*permission denied" \
	"$ERR" "the error names the entry, the Vault path and 'permission denied'"
is '0 0' "$(requests harbor PATCH) $(requests harbor POST)" "no robot is created and Harbor is given no secret that was not stored first"

DATA_ONLY=$(vault_token '{"policies":[{"path_prefix":"secret/data/","capabilities":["create","read","update"]},{"path_prefix":"secret/metadata/","capabilities":["read"]}],"ttl_s":600}')
sim_reset vault
sim_reset harbor
VAULT_TOKEN=$DATA_ONLY run_berth apply -f "$CFG"
is 1 "$RC" "a policy allowing data but not metadata writes: apply exits 1" || show_berth
like "at secret/metadata/harbor/[a-z]+-robot-account: HTTP 403: .*permission denied" "$ERR" \
	"the error names the metadata path the policy must allow"
is '0 0' "$(requests harbor PATCH) $(requests harbor POST)" "no secret set in Harbor, no robot created"

FULL=$(vault_token '{"policies":[{"path_prefix":"secret/","capabilities":["create","read","update","delete","list"]}],"ttl_s":600}')
sim_reset vault
sim_reset harbor
VAULT_TOKEN=$FULL run_berth apply -f "$CFG"
is 0 "$RC" "with the policy fixed, apply exits 0" || show_berth
pusher_id=$(harbor_robot 'robot$pusher' | jq -r .id)
is 1 "$(requests harbor POST)" "the robot is created once, now that its secret can be stored first"
a=$(kv2_entry harbor/pusher-robot-account)
is '' "$(check_vault_accepted '[.data.name, .data.secret]' "$a")" "its stored secret is accepted"
is "$pusher_id" "$(printf '%s' "$a" | jq -r .custom_metadata.berth_robot_id)" "the entry names its robot id"
# The policy docs/config.md gives is enough, --prune included.
DOC=$(vault_token '{"policies":[{"path_prefix":"secret/data/harbor/","capabilities":["create","read","update"]},{"path_prefix":"secret/metadata/harbor/","capabilities":["create","read","update","delete"]}],"ttl_s":600}')
robots tekton pusher docs | write_config "$CFG" "$(vault_store_yaml '{token: {env: VAULT_TOKEN}}' 'kvVersion: auto')"
sim_reset vault
VAULT_TOKEN=$DOC run_berth apply -f "$CFG"
is 0 "$RC" "the documented policy: apply (kvVersion auto) exits 0" || show_berth
like 'docs.*created' "$OUT" "a robot is created and stored"
robots tekton pusher | write_config "$CFG" "$(vault_store_yaml '{token: {env: VAULT_TOKEN}}' 'kvVersion: auto')"
VAULT_TOKEN=$DOC run_berth apply -f "$CFG" --prune
is 0 "$RC" "the documented policy: apply --prune exits 0" || show_berth
like 'docs.*store entry harbor/docs-robot-account removed' "$OUT" "--prune removes the entry"
is 0 "$(sim_requests vault | jq '[.[] | select(.status == 403)] | length')" "no request was refused"

check "no secret or token in berth's output" no_leak "$NS_SECRET" "$(printf '%s' "$a" | jq -r .data.secret)" \
	"$TOKEN" "$RO" "$DATA_ONLY" "$FULL" "$DOC" "$ROLE_ID" "$SECRET_ID" "$VAULT_ROOT"
tap_done
