#!/usr/bin/env bash
# t126: recovery when Vault and Harbor disagree. The Harbor robot exists but its
# Vault entry is missing (the store moved from files to Vault), soft-deleted,
# destroyed, metadata-deleted, or holds a secret Harbor refuses (apply
# --verify-secrets): berth gives the same robot a new secret, stored in Vault
# before Harbor hears of it, and Harbor accepts it afterwards.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
source tests/lib/vault-store.sh

CFG=$TEST_TMP/berth.yaml
ROBOTS='robots:
  - name: tekton
    permissions:
      - kind: project
        namespace: "*"
        access:
          - {resource: repository, action: push}
          - {resource: repository, action: pull}'
export VAULT_TOKEN=$VAULT_ROOT
P=harbor/tekton-robot-account

wait_fault_taken() {
	local i
	for i in $(seq 1 250); do
		[ "$(curl -sS --cacert "$CA_FILE" "$(ready ".$1.url")/_sim/faults" | jq length)" = 0 ] && return 0
		sleep 0.02
	done
	return 1
}

robots_total() {
	curl -sS --cacert "$CA_FILE" -u "admin:$(harbor_admin_password)" "$(ready .harbor.url)/api/v2.0/robots?page_size=100" | jq length
}

# The robot is made with the file store; then the config moves to Vault.
printf '%s\n' "$ROBOTS" | write_config "$CFG"
run_berth apply -f "$CFG"
is 0 "$RC" "(the robot is created with the file store)" || show_berth
ID=$(harbor_robot 'robot$tekton' | jq -r .id)
printf '%s\n' "$ROBOTS" | write_config "$CFG" "$(vault_store_yaml '{token: {env: VAULT_TOKEN}}' 'kvVersion: auto')"
SECRETS=()

# recover DESC REASON [apply args]: berth sets a new secret for the same robot,
# stored as pending before Harbor's PATCH, active and accepted afterwards.
recover() {
	local desc=$1 reason=$2 pending e
	shift 2
	sim_reset vault
	sim_reset harbor
	sim_fault harbor '{"method":"PATCH","path":"/api/v2.0/robots/","count":1,"delay_ms":1000,"action":"delay"}'
	berth_bg apply -f "$CFG" "$@"
	pending=
	if wait_fault_taken harbor; then
		pending=$(kv2_entry "$P" | jq -r '.data.pending_secret // empty')
	fi
	berth_wait
	is 0 "$RC" "$desc: apply exits 0" || show_berth
	like "tekton.*secret set \\($reason\\)" "$OUT" "$desc: berth sets a new secret ($reason)"
	is '0 1' "$(requests harbor POST) $(requests harbor PATCH)" "$desc: no robot created, one PATCH"
	is "$ID 1" "$(harbor_robot 'robot$tekton' | jq -r .id) $(robots_total)" "$desc: the same robot id, one robot"
	is 40 "${#pending}" "$desc: Vault held the new secret as pending when the PATCH reached Harbor"
	e=$(kv2_entry "$P")
	[ -n "$pending" ] && [ "$(printf '%s' "$e" | jq -r .data.secret)" = "$pending" ] &&
		tap_ok "$desc: the active secret is the one stored first" ||
		tap_fail "$desc: the active secret is the one stored first"
	is "$ID berth null false" "$(printf '%s' "$e" | jq -r '"\(.custom_metadata.berth_robot_id) \(.custom_metadata.berth_owner) \(.data.pending_secret) \(.deleted)"')" \
		"$desc: the entry names the robot and berth, no pending secret, not deleted"
	is '' "$(check_vault_accepted '[.data.name, .data.secret]' "$e")" "$desc: Harbor accepts the stored secret"
	SECRETS+=("$(printf '%s' "$e" | jq -r .data.secret)")
}

recover "missing (store moved to Vault)" "store entry missing"

sim_reset vault
run_berth apply -f "$CFG"
is '0 0' "$RC $(writes vault)" "(a second apply writes nothing)"

vault_api DELETE "/v1/secret/data/$P"
is 204 "$STATUS" "(soft-delete the latest version)"
recover "soft-deleted" "store entry deleted"

v=$(kv2_entry "$P" | jq -r .version)
vault_api POST "/v1/secret/destroy/$P" --data-binary "{\"versions\":[$v]}"
is '204 true' "$STATUS $(kv2_entry "$P" | jq -r .destroyed)" "(destroy the latest version)"
recover "destroyed" "store entry deleted"

vault_api DELETE "/v1/secret/metadata/$P"
is '204 {}' "$STATUS $(kv2_entry "$P")" "(delete the metadata and every version)"
recover "metadata deleted" "store entry missing"

e=$(kv2_entry "$P")
vault_api POST "/v1/secret/data/$P" --data-binary "$(printf '%s' "$e" | jq -c '{options: {cas: .version}, data: (.data + {secret: "Wrong0Secret0Harbor0Refuses0123456789abc"})}')"
is 200 "$STATUS" "(the stored secret is replaced by one Harbor refuses)"
sim_reset harbor
run_berth apply -f "$CFG"
is '0 0' "$RC $(writes harbor)" "without --verify-secrets apply does not ask Harbor about stored secrets"
recover "refused by Harbor" "Harbor refuses the stored secret" --verify-secrets

sim_reset vault
sim_reset harbor
run_berth apply -f "$CFG" --verify-secrets
is '0 0 0' "$RC $(writes vault) $(writes harbor)" "apply --verify-secrets then finds nothing to heal"
check "no secret or token in berth's output" no_leak "${SECRETS[@]}" "$VAULT_ROOT"
tap_done
