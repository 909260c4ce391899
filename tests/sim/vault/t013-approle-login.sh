#!/usr/bin/env bash
# t013: AppRole login: role_id and secret_id, every error is a 400, bind_secret_id off.
. "$BERTH_SOURCE_DIR/tests/sim/vault/vault.sh"

ctl approle/roles '{"role_name":"berth","role_id":"rid-1","secret_id":"sid-1","policies":[{"path_prefix":"kv/","capabilities":["read"]}],"ttl_s":600}'
noauth POST /v1/auth/approle/login -d '{"role_id":"rid-1","secret_id":"sid-1"}'
is 200 "$STATUS" "login with role_id and secret_id: 200"
is '{"role_name":"berth"} 600 ["default"] approle' "$(jb '.auth.metadata|tojson') $(jb .auth.lease_duration) $(jb '.auth.policies|tojson') $(jb .mount_type)" \
	"auth.metadata.role_name, lease_duration, policies"
TOKEN=$(jb .auth.client_token)
vreq GET /v1/kv/x
is 404 "$STATUS" "the AppRole token reads kv/"
TOKEN=$ROOT

noauth POST /v1/auth/approle/login -d '{"secret_id":"sid-1"}'
is '400 missing role_id' "$STATUS $(errs)" "no role_id: 400 missing role_id"
noauth POST /v1/auth/approle/login -d '{"role_id":"rid-1"}'
is '400 missing secret_id' "$STATUS $(errs)" "no secret_id: 400 missing secret_id"
noauth POST /v1/auth/approle/login -d '{"role_id":"nope","secret_id":"sid-1"}'
is '400 invalid role or secret ID' "$STATUS $(errs)" "unknown role_id: 400 invalid role or secret ID"
noauth POST /v1/auth/approle/login -d '{"role_id":"rid-1","secret_id":"wrong"}'
is '400 invalid role or secret ID' "$STATUS $(errs)" "wrong secret_id: 400 invalid role or secret ID"

ctl approle/roles '{"role_name":"open","role_id":"rid-2","policies":[]}'
noauth POST /v1/auth/approle/login -d '{"role_id":"rid-2"}'
is '200 2764800' "$STATUS $(jb .auth.lease_duration)" "bind_secret_id off: role_id alone; default TTL 768h"

ctl approle/roles '{"mount":"ci-approle","role_name":"ci","role_id":"rid-3","secret_id":"sid-3","policies":[]}'
noauth POST /v1/auth/ci-approle/login -d '{"role_id":"rid-3","secret_id":"sid-3"}'
is 200 "$STATUS" "a second AppRole mount"
noauth POST /v1/auth/userpass/login -d '{}'
is '403 permission denied' "$STATUS $(errs)" "login on a path with no auth mount needs a token like any other path"

tap_done
