#!/usr/bin/env bash
# t122: every Vault auth method berth offers - a token from the environment or a
# file, Kubernetes (role bound to a service account name and namespace, JWT in a
# token file), AppRole (role and secret IDs in files) - logs in once per run and
# stores secrets Harbor accepts; wrong credentials give a clear error and no
# Harbor write. No credential appears in berth's output.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
source tests/lib/vault-store.sh

CFG=$TEST_TMP/berth.yaml
POLICY='[{"path_prefix":"secret/","capabilities":["create","read","update","delete","list"]}]'
vault_ctl policies "{\"name\":\"berth-store\",\"rules\":$POLICY}"
vault_ctl kubernetes/roles '{"role":"berth","bound_service_account_names":["berth"],"bound_service_account_namespaces":["ci"],"policies":["berth-store"],"ttl_s":600}'
JWT=jwt-$RANDOM$RANDOM-berth
vault_ctl kubernetes/jwts "{\"jwt\":\"$JWT\",\"service_account\":\"berth\",\"namespace\":\"ci\"}"
vault_ctl kubernetes/jwts '{"jwt":"jwt-other-sa","service_account":"deployer","namespace":"ci"}'
vault_ctl kubernetes/jwts '{"jwt":"jwt-other-ns","service_account":"berth","namespace":"prod"}'
ROLE_ID=rid-$RANDOM$RANDOM
SECRET_ID=sid-$RANDOM$RANDOM$RANDOM
vault_ctl approle/roles '{"role_name":"open","role_id":"rid-open","policies":["berth-store"],"ttl_s":600}'
vault_ctl approle/roles "{\"role_name\":\"berth\",\"role_id\":\"$ROLE_ID\",\"secret_id\":\"$SECRET_ID\",\"policies\":[\"berth-store\"],\"ttl_s\":600}"
TOKEN=$(vault_token '{"policies":["berth-store"],"ttl_s":600}')

mkdir -p "$TEST_TMP/creds"
printf '%s\n' "$TOKEN" >"$TEST_TMP/creds/token"
printf '%s' "$JWT" >"$TEST_TMP/creds/jwt"
printf 'jwt-other-sa' >"$TEST_TMP/creds/jwt-other-sa"
printf 'jwt-other-ns' >"$TEST_TMP/creds/jwt-other-ns"
printf 'jwt-unknown' >"$TEST_TMP/creds/jwt-unknown"
printf '%s' "$ROLE_ID" >"$TEST_TMP/creds/role-id"
printf '%s' "$SECRET_ID" >"$TEST_TMP/creds/secret-id"
printf 'sid-wrong' >"$TEST_TMP/creds/secret-id-wrong"
printf 'rid-open' >"$TEST_TMP/creds/role-id-open"
chmod 600 "$TEST_TMP/creds"/*

# config NAME AUTH [STORE-YAML]: two robots NAME-a and NAME-b, Vault store with
# AUTH (or the given store: block).
config() {
	write_config "$CFG" "${3:-$(vault_store_yaml "$2" 'kvVersion: auto')}" <<YAML
robots:
  - name: $1-a
    permissions:
      - kind: project
        namespace: "*"
        access:
          - {resource: repository, action: pull}
  - name: $1-b
    level: project
    project: library
    permissions:
      - access:
          - {resource: repository, action: pull}
YAML
}

# good NAME AUTH LOGIN-PATH DESC: apply (traced) creates both robots with one login
# (or token lookup), stores accepted secrets, leaks nothing; a second apply writes nothing.
good() {
	local name=$1 auth=$2 login=$3 desc=$4 a b
	config "$name" "$auth" "${STORE_YAML:-}"
	sim_reset vault
	sim_reset harbor
	BERTH_LOG=trace run_berth apply -f "$CFG"
	is 0 "$RC" "$desc: apply exits 0" || show_berth
	like 'Apply: 2 changed' "$OUT" "$desc: both robots created"
	is 1 "$(sim_requests vault | jq --arg p "$login" '[.[] | select(.path == $p)] | length')" \
		"$desc: one $login for the whole run"
	if grep -q 'hvs\.' "$OUT_FILE" "$ERR_FILE"; then
		tap_fail "$desc: no Vault token (the sim's hvs.*) in berth's trace log"
	else
		tap_ok "$desc: no Vault token (the sim's hvs.*) in berth's trace log"
	fi
	a=$(kv2_entry "harbor/$name-a-robot-account")
	b=$(kv2_entry "harbor/$name-b-robot-account")
	is '' "$(check_vault_accepted '[.data.name, .data.secret]' "$a" "$b")" "$desc: the token service accepts both stored secrets"
	check "$desc: no secret or credential in berth's output" no_leak \
		"$(printf '%s' "$a" | jq -r .data.secret)" "$(printf '%s' "$b" | jq -r .data.secret)" \
		"$TOKEN" "$VAULT_ROOT" "$JWT" "$ROLE_ID" "$SECRET_ID"
	sim_reset vault
	sim_reset harbor
	run_berth apply -f "$CFG"
	is '0 0 0' "$RC $(vault_writes_of /v1/secret/) $(writes harbor)" \
		"$desc: a second apply exits 0 and writes nothing to the store or Harbor"
}

# bad NAME AUTH PATTERN DESC: apply fails with an error matching PATTERN, no Harbor write.
bad() {
	local name=$1 auth=$2 pattern=$3 desc=$4
	config "$name" "$auth"
	sim_reset vault
	sim_reset harbor
	run_berth apply -f "$CFG"
	if [ "$RC" -ne 0 ]; then tap_ok "$desc: apply fails (exit $RC)"; else tap_fail "$desc: apply fails"; show_berth; fi
	like "$pattern" "$ERR" "$desc: the error says why"
	is 0 "$(writes harbor)" "$desc: no Harbor write"
	is 0 "$(sim_requests vault | jq '[.[] | select(.path | test("^/v1/secret/"))] | length')" "$desc: no store request"
	check "$desc: no credential in berth's output" no_leak "$TOKEN" "$VAULT_ROOT" "$JWT" "$ROLE_ID" "$SECRET_ID"
}

# Wrong credentials first, so that a success would have had robots to create.
VAULT_TOKEN=hvs.not-a-token bad badtok '{token: {env: VAULT_TOKEN}}' \
	'vault: the token was refused \(invalid or expired\)' "token from env, unknown token"
bad badfile "{token: {file: $TEST_TMP/creds/missing}}" \
	"store.vault.auth.token.*$TEST_TMP/creds/missing" "token file missing"
bad badsa "{kubernetes: {role: berth, tokenFile: $TEST_TMP/creds/jwt-other-sa}}" \
	'vault: log in with kubernetes auth: .*403.*service account name not authorized' \
	"kubernetes, service account not bound to the role"
bad badns "{kubernetes: {role: berth, tokenFile: $TEST_TMP/creds/jwt-other-ns}}" \
	'vault: log in with kubernetes auth: .*403.*namespace not authorized' \
	"kubernetes, namespace not bound to the role"
bad badjwt "{kubernetes: {role: berth, tokenFile: $TEST_TMP/creds/jwt-unknown}}" \
	'vault: log in with kubernetes auth: .*403.*permission denied' "kubernetes, JWT Vault refuses"
bad badrole "{kubernetes: {role: nobody, tokenFile: $TEST_TMP/creds/jwt}}" \
	'vault: log in with kubernetes auth: .*400.*invalid role name' "kubernetes, unknown role"
bad badjwtfile "{kubernetes: {role: berth, tokenFile: $TEST_TMP/creds/no-jwt}}" \
	"vault: kubernetes auth.*$TEST_TMP/creds/no-jwt" "kubernetes, JWT file missing"
bad badsid "{approle: {roleId: {file: $TEST_TMP/creds/role-id}, secretId: {file: $TEST_TMP/creds/secret-id-wrong}}}" \
	'vault: log in with approle auth: .*400.*invalid role or secret ID' "approle, wrong secret ID"
bad nosid "{approle: {roleId: {file: $TEST_TMP/creds/role-id}}}" \
	'vault: log in with approle auth: .*400.*missing secret_id' "approle, no secret ID for a role that needs one"

VAULT_TOKEN=$TOKEN good tokenv '{token: {env: VAULT_TOKEN}}' /v1/auth/token/lookup-self "token from env"
good tokfile "{token: {file: $TEST_TMP/creds/token}}" /v1/auth/token/lookup-self "token from a file"
good k8s "{kubernetes: {role: berth, mount: kubernetes, tokenFile: $TEST_TMP/creds/jwt}}" \
	/v1/auth/kubernetes/login "kubernetes"
good approle "{approle: {mount: approle, roleId: {file: $TEST_TMP/creds/role-id}, secretId: {file: $TEST_TMP/creds/secret-id}}}" \
	/v1/auth/approle/login "approle"
good approle-open "{approle: {roleId: {file: $TEST_TMP/creds/role-id-open}}}" \
	/v1/auth/approle/login "approle, role ID alone (bind_secret_id off)"

# A valid token that may not look itself up (created without the default policy):
# Vault answers lookup-self with a plain permission denied. berth uses it unrenewed.
sim_fault vault '{"method":"GET","path":"/v1/auth/token/lookup-self","count":1,"status":403,"body":{"errors":["1 error occurred:\n\t* permission denied\n\n"]}}'
config nodefault2 '{token: {env: VAULT_TOKEN}}'
VAULT_TOKEN=$TOKEN run_berth apply -f "$CFG"
is 0 "$RC" "a token that may not look itself up: apply exits 0" || show_berth
like 'Apply: 2 changed' "$OUT" "both robots created"
like 'may not look itself up.*will not be renewed' "$ERR" "berth warns that it cannot renew the token"

# The environment, as Vault's CLI reads it: VAULT_ADDR and VAULT_CACERT, and
# VAULT_AGENT_ADDR winning over the address in the file.
VAULT_ADDR=$VAULT_URL VAULT_CACERT=$CA_FILE VAULT_TOKEN=$TOKEN STORE_YAML=$'store:\n  vault:\n    kvVersion: auto' \
	good envaddr '' /v1/auth/token/lookup-self "VAULT_ADDR, VAULT_CACERT and VAULT_TOKEN from the environment"
VAULT_AGENT_ADDR=$VAULT_URL VAULT_TOKEN=$TOKEN \
	STORE_YAML=$(vault_store_yaml '{token: {env: VAULT_TOKEN}}' 'kvVersion: auto' | sed 's|address: .*|address: https://127.0.0.1:1|') \
	good agent '' /v1/auth/token/lookup-self "VAULT_AGENT_ADDR wins over store.vault.address"
tap_done
