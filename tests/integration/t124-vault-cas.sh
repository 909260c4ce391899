#!/usr/bin/env bash
# t124: check-and-set on KV v2. Another writer changes an entry between berth's
# read and its write (Vault holds berth's write for a moment, the test writes
# meanwhile): berth reports the conflict naming the entry, exits non-zero and
# never tells Harbor a secret it could not store; the next run converges with
# nothing lost - every stored secret accepted, no robot duplicated or deleted.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
source tests/lib/vault-store.sh

CFG=$TEST_TMP/berth.yaml
write_config "$CFG" "$(vault_store_yaml '{token: {env: VAULT_TOKEN}}' 'kvVersion: 2')" <<'YAML'
robots:
  - name: tekton
    permissions:
      - kind: project
        namespace: "*"
        access:
          - {resource: repository, action: push}
          - {resource: repository, action: pull}
  - name: other
    permissions:
      - kind: project
        namespace: "*"
        access:
          - {resource: repository, action: pull}
YAML
export VAULT_TOKEN=$VAULT_ROOT
P=harbor/tekton-robot-account
HURL=$(ready .harbor.url)

# hold_vault_write: Vault holds berth's next data write to the entry 2 s.
hold_vault_write() {
	sim_fault vault "{\"method\":\"POST\",\"path\":\"/v1/secret/data/$P\",\"count\":1,\"delay_ms\":2000,\"action\":\"delay\"}"
}

# wait_held: until berth's write has reached Vault (the fault is taken).
wait_held() {
	local i
	for i in $(seq 1 250); do
		[ "$(curl -sS --cacert "$CA_FILE" "$VAULT_URL/_sim/faults" | jq length)" = 0 ] && return 0
		sleep 0.02
	done
	return 1
}

# gen_secret: 40 characters meeting Harbor's rule.
gen_secret() { printf 'Aa1%s' "$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 37)"; }

robots_total() {
	curl -sS --cacert "$CA_FILE" -u "admin:$(harbor_admin_password)" "$HURL/api/v2.0/robots?page_size=100" | jq length
}

# 1. A new robot: berth marks the entry and stores its pending secret before it
#    creates the robot; another writer stores its own pending secret at the entry
#    before berth's data write lands.
sim_reset vault
sim_reset harbor
OTHER_PENDING=$(gen_secret)
other_write=$(jq -cn --arg s "$OTHER_PENDING" '{options: {cas: 0}, data: {name: "robot$tekton", pending_secret: $s}}')
hold_vault_write
berth_bg apply -f "$CFG" --concurrency 1
check "berth's first data write reaches Vault" wait_held
vault_api POST "/v1/secret/data/$P" --data-binary "$other_write"
is 200 "$STATUS" "(another writer stores a pending secret with cas 0 meanwhile)"
berth_wait
is 1 "$RC" "berth exits 1 on the conflict" || show_berth
like "robot tekton .*failed: .*another writer changed the entry.*'$P'.*check-and-set" "$OUT" \
	"the report names the robot, the entry and the check-and-set conflict"
like "'$P'" "$ERR" "the error names the entry"
is null "$(harbor_robot 'robot$tekton')" "berth created no robot whose secret it could not store first"
o_id=$(harbor_robot 'robot$other' | jq -r .id)
is "/api/v2.0/robots/$o_id" "$(sim_requests harbor | jq -r '[.[] | select(.method == "PATCH") | .path] | join(" ")')" \
	"the only secret Harbor heard of is the other robot's"
like 'other.*created' "$OUT" "the other robot went ahead"

sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$RC" "the next apply exits 0" || show_berth
like 'tekton.*created \(id [0-9]+\), secret finished \(new robot, using the pending secret already stored\)' "$OUT" \
	"it creates the robot with the pending secret the other writer stored"
is 1 "$(requests harbor POST)" "one robot is created, once"
tekton_id=$(harbor_robot 'robot$tekton' | jq -r .id)
is 2 "$(robots_total)" "Harbor holds exactly the two robots"
e=$(kv2_entry "$P")
[ "$(printf '%s' "$e" | jq -r .data.secret)" = "$OTHER_PENDING" ] && tap_ok "the stored secret is the pending one, now active" ||
	tap_fail "the stored secret is the pending one, now active"
is "null $tekton_id berth" "$(printf '%s' "$e" | jq -r '"\(.data.pending_secret) \(.custom_metadata.berth_robot_id) \(.custom_metadata.berth_owner)"')" \
	"no pending secret left; the entry names the robot and berth's owner"
o=$(kv2_entry harbor/other-robot-account)
is '' "$(check_vault_accepted '[.data.name, .data.secret]' "$e" "$o")" "every stored secret is accepted"

# 2. A rotation: another writer rotates the same robot (Vault, then Harbor) while
#    berth's pending write is held. berth must not PATCH Harbor afterwards.
sim_reset vault
sim_reset harbor
NEW=$(gen_secret)
cur=$(kv2_entry "$P")
other_write=$(jq -cn --arg s "$NEW" --argjson e "$cur" '{options: {cas: $e.version}, data: ($e.data + {secret: $s})}')
other_patch=$(jq -cn --arg s "$NEW" '{secret: $s}')
hold_vault_write
berth_bg rotate -f "$CFG" --now tekton
check "berth's pending write reaches Vault" wait_held
vault_api POST "/v1/secret/data/$P" --data-binary "$other_write"
is 200 "$STATUS" "(another writer stores a new secret with cas on the current version)"
harbor_api PATCH "/api/v2.0/robots/$tekton_id" -H 'Content-Type: application/json' --data-binary "$other_patch"
is 200 "$STATUS" "(and sets it in Harbor)"
berth_wait
is 1 "$RC" "berth rotate exits 1 on the conflict" || show_berth
like "'$P'.*check-and-set parameter did not match the current version" "$ERR" \
	"the error names the entry and Vault's check-and-set message"
is 1 "$(requests harbor PATCH)" "berth sent no PATCH (the only one is the other writer's)"
e=$(kv2_entry "$P")
[ "$(printf '%s' "$e" | jq -r .data.secret)" = "$NEW" ] && tap_ok "the other writer's secret is kept" ||
	tap_fail "the other writer's secret is kept"
is '' "$(check_vault_accepted '[.data.name, .data.secret]' "$e")" "and Harbor accepts it"

sim_reset vault
sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$RC" "the next apply exits 0" || show_berth
is '0 0' "$(writes vault) $(writes harbor)" "nothing is left to do: no write to Vault or Harbor"
run_berth rotate -f "$CFG" --now tekton
is 0 "$RC" "a rotation now goes through" || show_berth
e=$(kv2_entry "$P")
is '' "$(check_vault_accepted '[.data.name, .data.secret]' "$e")" "the rotated secret is accepted"
is "$tekton_id 2" "$(harbor_robot 'robot$tekton' | jq -r .id) $(robots_total)" "same robot id, still two robots"
# cas_required on the mount: berth always sends check-and-set, so nothing changes.
vault_ctl cas_required '{"mount":"secret","cas_required":true}'
sim_reset vault
run_berth rotate -f "$CFG" --now
is 0 "$RC" "with cas_required on the mount, a rotation of both robots goes through" || show_berth
is 0 "$(sim_requests vault | jq '[.[] | select(.status >= 400 and .status != 404)] | length')" "no Vault request was refused"
e=$(kv2_entry "$P")
o=$(kv2_entry harbor/other-robot-account)
is '' "$(check_vault_accepted '[.data.name, .data.secret]' "$e" "$o")" "both rotated secrets are accepted"
check "no secret or token in berth's output" no_leak "$(printf '%s' "$e" | jq -r .data.secret)" "$NEW" \
	"$(printf '%s' "$o" | jq -r .data.secret)" \
	"$OTHER_PENDING" "$VAULT_ROOT"
tap_done
