#!/usr/bin/env bash
# t012: Kubernetes auth login: the auth block, bound service account names and
# namespaces, every error, a custom mount, short TTLs forcing a new login.
. "$BERTH_SOURCE_DIR/tests/sim/vault/vault.sh"

ctl kubernetes/roles '{"role":"harbor-rotator","bound_service_account_names":["berth"],"bound_service_account_namespaces":["ci"],"policies":["rotator",{"path_prefix":"secret/data/harbor/","capabilities":["read","create","update"]}],"ttl_s":3600}'
ctl kubernetes/jwts '{"jwt":"jwt-berth-ci","service_account":"berth","namespace":"ci","uid":"0718cef5-f5cd-11ee-986b-080027284afe"}'
ctl kubernetes/jwts '{"jwt":"jwt-other-ci","service_account":"other","namespace":"ci"}'
ctl kubernetes/jwts '{"jwt":"jwt-berth-prod","service_account":"berth","namespace":"prod"}'

noauth POST /v1/auth/kubernetes/login -d '{"role":"harbor-rotator","jwt":"jwt-berth-ci"}'
is 200 "$STATUS" "login with a known JWT and role, no token header: 200"
like '^hvs\.' "$(jb .auth.client_token)" "auth.client_token is a token"
is '["accessor","client_token","entity_id","lease_duration","metadata","mfa_requirement","num_uses","orphan","policies","renewable","token_policies","token_type"]' \
	"$(jb '.auth|keys|tojson')" "the auth block has Vault's fields"
is '["default","rotator"] ["default","rotator"]' "$(jb '.auth.policies|tojson') $(jb '.auth.token_policies|tojson')" \
	"policies and token_policies: sorted, with default"
is '{"role":"harbor-rotator","service_account_name":"berth","service_account_namespace":"ci","service_account_secret_name":"","service_account_uid":"0718cef5-f5cd-11ee-986b-080027284afe"}' \
	"$(jb '.auth.metadata|tojson')" "metadata: role, service account name, namespace, secret name, uid"
is '3600 true service true' "$(jb '"\(.auth.lease_duration) \(.auth.renewable) \(.auth.token_type) \(.auth.orphan)"')" \
	"lease_duration is the role TTL; renewable service orphan token"
like '^[0-9a-f-]{36}$' "$(jb .auth.entity_id)" "entity_id is set"
is '0 null kubernetes' "$(jb .lease_duration) $(jb '.data|tojson') $(jb .mount_type)" "top-level lease_duration 0, data null"
TOKEN=$(jb .auth.client_token)
vreq POST /v1/secret/data/harbor/robot -d '{"data":{"v":"1"}}'
is 200 "$STATUS" "the login token may write where the role's policies allow"
vreq POST /v1/secret/data/elsewhere -d '{"data":{"v":"1"}}'
is 403 "$STATUS" "and not elsewhere"
vreq GET /v1/auth/token/lookup-self
is 'auth/kubernetes/login kubernetes-ci-berth' "$(jb .data.path) $(jb .data.display_name)" "lookup-self: path and display_name of a Kubernetes login"
TOKEN=$ROOT

noauth POST /v1/auth/kubernetes/login -d '{"jwt":"jwt-berth-ci"}'
is '400 missing role' "$STATUS $(errs)" "no role: 400 missing role"
noauth POST /v1/auth/kubernetes/login -d '{"role":"harbor-rotator"}'
is '400 missing jwt' "$STATUS $(errs)" "no jwt: 400 missing jwt"
noauth POST /v1/auth/kubernetes/login -d '{"role":"nope","jwt":"jwt-berth-ci"}'
is '400 invalid role name "nope"' "$STATUS $(errs)" "unknown role: 400 invalid role name \"nope\""
noauth POST /v1/auth/kubernetes/login -d '{"role":"harbor-rotator","jwt":"forged"}'
is '403 permission denied' "$STATUS $(errs)" "an unknown JWT: 403 permission denied"
noauth POST /v1/auth/kubernetes/login -d '{"role":"harbor-rotator","jwt":"jwt-other-ci"}'
is '403 service account name not authorized' "$STATUS $(errs)" "another service account: 403 service account name not authorized"
noauth POST /v1/auth/kubernetes/login -d '{"role":"harbor-rotator","jwt":"jwt-berth-prod"}'
is '403 namespace not authorized' "$STATUS $(errs)" "another namespace: 403 namespace not authorized"
noauth GET /v1/auth/kubernetes/login
is 405 "$STATUS" "GET on login: 405"

ctl kubernetes/roles '{"role":"any","bound_service_account_names":["*"],"bound_service_account_namespaces":["c*"],"policies":[]}'
noauth POST /v1/auth/kubernetes/login -d '{"role":"any","jwt":"jwt-other-ci"}'
is '200 ["default"]' "$STATUS $(jb '.auth.policies|tojson')" "globs: * for names, c* for namespaces"

# a second mount, and a short TTL that forces a new login
ctl kubernetes/roles '{"mount":"k8s-prod","role":"short","bound_service_account_names":["berth"],"bound_service_account_namespaces":["prod"],"policies":[{"path_prefix":"secret/","capabilities":["read"]}],"ttl_s":1,"max_ttl_s":1}'
ctl kubernetes/jwts '{"mount":"k8s-prod","jwt":"jwt-prod","service_account":"berth","namespace":"prod"}'
noauth POST /v1/auth/kubernetes/login -d '{"role":"short","jwt":"jwt-prod"}'
is 400 "$STATUS" "roles belong to their mount"
noauth POST /v1/auth/k8s-prod/login -d '{"role":"short","jwt":"jwt-prod"}'
is '200 1' "$STATUS $(jb .auth.lease_duration)" "login on auth/k8s-prod: TTL 1s"
TOKEN=$(jb .auth.client_token)
vreq GET /v1/secret/metadata/x
is 404 "$STATUS" "the short-lived token works"
sleep 1.2
vreq GET /v1/secret/metadata/x
is 403 "$STATUS" "after 1s it has expired"
like 'invalid token' "$(errs)" "with invalid token in the error"
noauth POST /v1/auth/k8s-prod/login -d '{"role":"short","jwt":"jwt-prod"}'
TOKEN=$(jb .auth.client_token)
vreq GET /v1/secret/metadata/x
is 404 "$STATUS" "a new login gives a working token"

tap_done
