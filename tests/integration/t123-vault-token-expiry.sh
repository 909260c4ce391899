#!/usr/bin/env bash
# t123: Vault tokens that expire in the middle of a run. An AppRole token with a
# 4 s TTL (6 s max TTL), a run stretched by Harbor holding each robot creation
# 3 s: berth renews the token when under a third of its TTL is left, logs in
# again when renewal is capped or refused, and finishes with exit 0.
# A static token that expires cannot be renewed: berth says so.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
source tests/lib/vault-store.sh

CFG=$TEST_TMP/berth.yaml
vault_ctl policies '{"name":"berth-store","rules":[{"path_prefix":"secret/","capabilities":["create","read","update","delete","list"]}]}'
ROLE_ID=rid-$RANDOM$RANDOM
SECRET_ID=sid-$RANDOM$RANDOM$RANDOM
vault_ctl approle/roles "{\"role_name\":\"berth\",\"role_id\":\"$ROLE_ID\",\"secret_id\":\"$SECRET_ID\",\"policies\":[\"berth-store\"],\"ttl_s\":4,\"max_ttl_s\":6}"
printf '%s' "$ROLE_ID" >"$TEST_TMP/role-id"
printf '%s' "$SECRET_ID" >"$TEST_TMP/secret-id"

robots() {
	echo "robots:"
	for n in "$@"; do
		printf '  - name: %s\n    permissions:\n      - kind: project\n        namespace: "*"\n        access:\n          - {resource: repository, action: pull}\n' "$n"
	done
}

robots r1 r2 r3 | write_config "$CFG" "$(vault_store_yaml \
	"{approle: {roleId: {file: $TEST_TMP/role-id}, secretId: {file: $TEST_TMP/secret-id}}}" 'kvVersion: 2')"
sim_reset vault
sim_reset harbor
sim_fault harbor '{"method":"POST","path":"/api/v2.0/robots","count":3,"delay_ms":3000,"action":"delay"}'
start=$(date +%s%N)
BERTH_LOG=info run_berth apply -f "$CFG" --concurrency 1
took=$((($(date +%s%N) - start) / 1000000))
diag "the run took $took ms with a token TTL of 4 s"
is 0 "$RC" "apply exits 0 although the token expired during the run" || show_berth
like 'Apply: 3 changed, 0 unchanged, 0 failed' "$OUT" "all three robots created"
[ "$took" -gt 8000 ] && tap_ok "the run outlived the token's TTL" || tap_fail "the run outlived the token's TTL"
logins=$(vault_logins)
renewals=$(sim_requests vault | jq '[.[] | select(.path == "/v1/auth/token/renew-self" and .status == 200)] | length')
refused=$(sim_requests vault | jq '[.[] | select(.path | test("^/v1/secret/")) | select(.status == 403)] | length')
diag "logins: $logins, renewals: $renewals, store requests refused: $refused"
like '^[2-9]$' "$logins" "berth logged in again during the run (the log shows $logins logins)"
like '^[1-9]' "$renewals" "berth renewed the token while renewal could extend it"
is 0 "$refused" "no store request was sent with an expired token"
like 'vault: logging in again|vault: .*renew' "$ERR" "berth's log says what it did with the token"
entries=()
for n in r1 r2 r3; do entries+=("$(kv2_entry "harbor/$n-robot-account")"); done
is '' "$(check_vault_accepted '[.data.name, .data.secret]' "${entries[@]}")" "every stored secret is accepted"
check "no secret or credential in berth's output" no_leak "$ROLE_ID" "$SECRET_ID" \
	"$(for e in "${entries[@]}"; do printf '%s' "$e" | jq -r .data.secret; done)"

# A static token that can be renewed is renewed before it expires. Its TTL runs
# from its creation: make it just before berth starts.
robots s1 | write_config "$CFG" "$(vault_store_yaml '{token: {env: VAULT_TOKEN}}' 'kvVersion: 2')"
sim_reset harbor
sim_fault harbor '{"method":"POST","path":"/api/v2.0/robots","count":1,"delay_ms":4200,"action":"delay"}'
sim_reset vault
TOKEN=$(vault_token '{"policies":["berth-store"],"ttl_s":6,"renewable":true}')
VAULT_TOKEN=$TOKEN run_berth apply -f "$CFG"
is 0 "$RC" "a renewable static token with a 6 s TTL lasts a longer run" || show_berth
like '^[1-9]' "$(sim_requests vault | jq '[.[] | select(.path == "/v1/auth/token/renew-self" and .status == 200)] | length')" \
	"berth renewed it (renew-self)"
is 0 "$(sim_requests vault | jq '[.[] | select(.status == 403)] | length')" "no request was refused"
check "the token does not appear in berth's output" no_leak "$TOKEN"

# A static token cannot log in again: when it expires mid-run, berth stops with a clear error.
TOKEN=$(vault_token '{"policies":["berth-store"],"ttl_s":2,"renewable":false}')
robots r1 r2 r3 r4 | write_config "$CFG" "$(vault_store_yaml '{token: {env: VAULT_TOKEN}}' 'kvVersion: 2')"
sim_reset vault
sim_reset harbor
sim_fault harbor '{"method":"POST","path":"/api/v2.0/robots","count":1,"delay_ms":2500,"action":"delay"}'
VAULT_TOKEN=$TOKEN run_berth apply -f "$CFG" --concurrency 1
is 1 "$RC" "a static token that expires mid-run fails the run" || show_berth
like 'vault: .*(invalid token|expired)' "$ERR" "the error says the Vault token is invalid or expired"
e4=$(kv2_entry harbor/r4-robot-account)
is '' "$(check_vault_accepted '[.data.name, (.data.pending_secret // .data.secret)]' "$e4")" \
	"the secret Harbor holds for the new robot was stored in Vault first (as pending): nothing lost"
check "the token does not appear in berth's output" no_leak "$TOKEN"
tap_done
