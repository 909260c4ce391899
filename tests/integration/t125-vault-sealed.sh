#!/usr/bin/env bash
# t125: a sealed or unreachable Vault stops the run before any Harbor write -
# sealed from the start, sealed between berth's reads and its first write, or
# gone. Sealed after Harbor took the secret: the pending secret is in Vault and
# the next run finishes it. So does a pending write whose answer is lost. A
# standby node (which forwards) is fine.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
source tests/lib/vault-store.sh

CFG=$TEST_TMP/berth.yaml
STORE=$(vault_store_yaml '{token: {env: VAULT_TOKEN}}' 'kvVersion: 2')
write_config "$CFG" "$STORE" <<'YAML'
robots:
  - name: tekton
    permissions:
      - kind: project
        namespace: "*"
        access:
          - {resource: repository, action: push}
          - {resource: repository, action: pull}
YAML
export VAULT_TOKEN=$VAULT_ROOT
P=harbor/tekton-robot-account

# wait_fault_taken SERVICE: until the service's pending faults are all taken.
wait_fault_taken() {
	local i
	for i in $(seq 1 250); do
		[ "$(curl -sS --cacert "$CA_FILE" "$(ready ".$1.url")/_sim/faults" | jq length)" = 0 ] && return 0
		sleep 0.02
	done
	return 1
}

# 1. Sealed from the start.
vault_ctl seal '{}'
sim_reset harbor
run_berth apply -f "$CFG"
is 1 "$RC" "sealed Vault: apply exits 1" || show_berth
like 'vault: .*Vault is sealed' "$ERR" "the error names Vault and says it is sealed"
is 0 "$(writes harbor)" "no Harbor write"
vault_ctl unseal '{}'

# 2. Sealed after berth read the store, before its first write (Vault holds the health check).
sim_reset vault
sim_reset harbor
sim_fault vault '{"method":"GET","path":"/v1/sys/health","count":1,"delay_ms":1000,"action":"delay"}'
berth_bg apply -f "$CFG"
check "(berth's health check reaches Vault)" wait_fault_taken vault
vault_ctl seal '{}'
berth_wait
is 1 "$RC" "sealed between reading and writing: apply exits 1" || show_berth
like 'store not usable, nothing was changed: vault: https://[^ ]+ is sealed' "$ERR" \
	"the error says nothing was changed because Vault is sealed"
is 0 "$(writes harbor)" "no Harbor write"
is 1 "$(sim_requests vault | jq '[.[] | select(.path == "/v1/sys/health")] | length')" \
	"a sealed Vault is not asked again and again"
is 0 "$(writes vault)" "no Vault write"
vault_ctl unseal '{}'

# 3. Unreachable from the start: an address where nothing listens.
port=$((20000 + RANDOM % 20000))
while ss -ltnH "sport = :$port" 2>/dev/null | grep -q .; do port=$((port + 1)); done
write_config "$TEST_TMP/gone.yaml" "$(printf '%s\n' "$STORE" | sed "s|address: .*|address: https://127.0.0.1:$port|")" <<'YAML'
robots:
  - name: tekton
    permissions:
      - kind: project
        namespace: "*"
        access:
          - {resource: repository, action: pull}
YAML
sim_reset harbor
run_berth apply -f "$TEST_TMP/gone.yaml"
is 1 "$RC" "unreachable Vault: apply exits 1" || show_berth
like "vault: .*127.0.0.1:$port" "$ERR" "the error names Vault and its address"
is 0 "$(writes harbor)" "no Harbor write"

# 4. Vault stops answering between the reads and the first write.
sim_reset vault
sim_reset harbor
sim_fault vault '{"method":"GET","path":"/v1/sys/health","count":10,"action":"drop"}'
run_berth apply -f "$CFG"
is 1 "$RC" "Vault dropping connections: apply exits 1" || show_berth
like 'store not usable, nothing was changed: vault' "$ERR" "the error says the store is not usable"
is 0 "$(writes harbor)" "no Harbor write"
sim_reset vault

# 5. A standby node forwards requests: the run goes on.
vault_ctl standby '{"standby":true}'
sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$RC" "a standby Vault node: apply exits 0" || show_berth
like 'tekton.*created' "$OUT" "the robot is created"
vault_ctl standby '{"standby":false}'
e=$(kv2_entry "$P")
is '' "$(check_vault_accepted '[.data.name, .data.secret]' "$e")" "its stored secret is accepted"
id=$(harbor_robot 'robot$tekton' | jq -r .id)

# 6. Sealed while Harbor takes the new secret: the active write fails, the pending
#    secret in Vault is the one Harbor accepts, the next run finishes it.
vault_api POST "/v1/secret/data/$P" --data-binary "$(printf '%s' "$e" | jq -c '{options: {cas: .version}, data: (.data + {secret: "Wrong0Secret0Harbor0Refuses0123456789abc"})}')"
is 200 "$STATUS" "(the test breaks the stored secret)"
sim_reset vault
sim_reset harbor
sim_fault harbor '{"method":"PATCH","path":"/api/v2.0/robots/","count":1,"delay_ms":1000,"action":"delay"}'
berth_bg apply -f "$CFG" --verify-secrets
check "(berth's PATCH reaches Harbor)" wait_fault_taken harbor
vault_ctl seal '{}'
berth_wait
is 1 "$RC" "sealed after the PATCH: apply exits 1" || show_berth
like "'$P'.*Vault is sealed" "$ERR" "the error names the entry and says Vault is sealed"
vault_ctl unseal '{}'
e=$(kv2_entry "$P")
is '' "$(check_vault_accepted '[.data.name, .data.pending_secret]' "$e")" \
	"Harbor accepts the pending secret Vault holds: nothing lost"
pending=$(printf '%s' "$e" | jq -r .data.pending_secret)
sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$RC" "after unsealing, the next apply exits 0" || show_berth
like 'tekton.*secret finished \(finish an interrupted secret change\)' "$OUT" "it finishes the pending secret"
e=$(kv2_entry "$P")
[ "$(printf '%s' "$e" | jq -r .data.secret)" = "$pending" ] && tap_ok "the active secret is the pending one" ||
	tap_fail "the active secret is the pending one"
is 'null' "$(printf '%s' "$e" | jq -r .data.pending_secret)" "no pending secret is left"
is '' "$(check_vault_accepted '[.data.name, .data.secret]' "$e")" "the stored secret is accepted"
is "$id 0" "$(harbor_robot 'robot$tekton' | jq -r .id) $(requests harbor POST)" "same robot, none created"

# 7. Vault stores the pending secret of a new robot but the answer is lost (the
#    connection drops): berth must not tell Harbor; the next run finishes it.
write_config "$CFG" "$STORE" <<'YAML'
robots:
  - name: tekton
    permissions:
      - kind: project
        namespace: "*"
        access:
          - {resource: repository, action: push}
          - {resource: repository, action: pull}
  - name: late
    permissions:
      - kind: project
        namespace: "*"
        access:
          - {resource: repository, action: pull}
YAML
sim_reset vault
sim_reset harbor
sim_fault vault '{"method":"POST","path":"/v1/secret/data/harbor/late-robot-account","count":1,"action":"drop_after"}'
run_berth apply -f "$CFG"
is 1 "$RC" "the answer to the pending write is lost: apply exits 1" || show_berth
like "late.*failed: vault: write 'harbor/late-robot-account'" "$OUT" "the report names the robot and the entry"
is 0 "$(requests harbor PATCH)" "Harbor is not told a secret berth could not confirm as stored"
e=$(kv2_entry harbor/late-robot-account)
is 40 "$(printf '%s' "$e" | jq -r '.data.pending_secret' | tr -d '\n' | wc -c)" "Vault did store the pending secret"
late_pending=$(printf '%s' "$e" | jq -r .data.pending_secret)
is null "$(harbor_robot 'robot$late')" "and no robot was created for a secret whose storing is unconfirmed"
sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$RC" "the next apply exits 0" || show_berth
like 'late.*secret finished' "$OUT" "it finishes the stored pending secret"
e=$(kv2_entry harbor/late-robot-account)
[ "$(printf '%s' "$e" | jq -r .data.secret)" = "$late_pending" ] && tap_ok "the active secret is the pending one" ||
	tap_fail "the active secret is the pending one"
is 1 "$(requests harbor POST)" "the robot is created once, with the stored pending secret"
is '' "$(check_vault_accepted '[.data.name, .data.secret]' "$e")" "the stored secret is accepted"
check "no secret or token in berth's output" no_leak "$pending" "$late_pending" "$VAULT_ROOT"
tap_done
