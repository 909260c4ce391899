#!/usr/bin/env bash
# t010: tokens: missing, invalid, expired and revoked tokens; Bearer; lookup-self,
# renew-self (renewable, capped by the max TTL), revoke-self.
. "$BERTH_SOURCE_DIR/tests/sim/vault/vault.sh"

noauth GET /v1/secret/metadata/x
is '403 {"errors":["permission denied"]}' "$STATUS $BODY" "no token: 403 permission denied (Vault's empty-token error)"
TOKEN=hvs.bogus vreq GET /v1/secret/metadata/x
is 403 "$STATUS" "an unknown token: 403"
is 1 "$(jb '.errors|length')" "one error string (go-multierror joins them)"
like 'permission denied' "$(errs)" "it contains 'permission denied'"
like 'invalid token' "$(errs)" "and 'invalid token'"
is '"2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"' "$(jb '.errors[0]|tojson')" \
	"the exact text is go-multierror's two-error form"
req vault GET /v1/secret/metadata/x -H "Authorization: Bearer $ROOT"
is 404 "$STATUS" "Authorization: Bearer works as X-Vault-Token"

# lookup-self
vreq GET /v1/auth/token/lookup-self
is '200 0 null ["root"] token' "$STATUS $(jb .data.ttl) $(jb '.data.expire_time|tojson') $(jb '.data.policies|tojson') $(jb .mount_type)" \
	"root lookup-self: ttl 0, expire_time null, policies [root]"
T=$(mktoken '{"ttl_s":2,"policies":[{"path_prefix":"secret/","capabilities":["read","list"]}],"meta":{"who":"t010"}}')
TOKEN=$T vreq GET /v1/auth/token/lookup-self
is 200 "$STATUS" "lookup-self with a child token: 200"
is '["accessor","creation_time","creation_ttl","display_name","entity_id","expire_time","explicit_max_ttl","id","issue_time","meta","num_uses","orphan","path","policies","renewable","ttl","type"]' \
	"$(jb '.data|keys|tojson')" "lookup-self data has Vault's fields"
like '^[12]$' "$(jb .data.ttl)" "ttl is the remaining seconds"
is '2 true service ["default"] t010' "$(jb '"\(.data.creation_ttl) \(.data.renewable) \(.data.type) \(.data.policies|tojson) \(.data.meta.who)"')" \
	"creation_ttl, renewable, type, policies include default, meta"
like '^[0-9]{4}-.*Z$' "$(jb .data.expire_time)" "expire_time is a time"
TOKEN=$T vreq GET /v1/secret/metadata/x
is 404 "$STATUS" "the live token works"
sleep 2.2
TOKEN=$T vreq GET /v1/secret/metadata/x
is 403 "$STATUS" "after its TTL the token is refused with 403"
like 'permission denied' "$(errs)" "expired: 'permission denied'"
like 'invalid token' "$(errs)" "expired: 'invalid token'"
TOKEN=$T vreq GET /v1/auth/token/lookup-self
is 403 "$STATUS" "an expired token cannot even look itself up"

# renew-self
T=$(mktoken '{"ttl_s":60,"max_ttl_s":3600}')
TOKEN=$T vreq POST /v1/auth/token/renew-self -d '{"increment":"2m"}'
is '200 120 true' "$STATUS $(jb .auth.lease_duration) $(jb .auth.renewable)" "renew-self with an increment: lease_duration 120"
is "$T" "$(jb .auth.client_token)" "renew-self returns the same client_token"
is '0 null token' "$(jb .lease_duration) $(jb '.data|tojson') $(jb .mount_type)" "top-level lease_duration 0, data null"
TOKEN=$T vreq PUT /v1/auth/token/renew-self
is '200 60' "$STATUS $(jb .auth.lease_duration)" "renew-self without an increment uses the token's TTL"
TOKEN=$T vreq GET /v1/auth/token/lookup-self
is 3600 "$(jb .data.explicit_max_ttl)" "explicit_max_ttl shows the cap"
T=$(mktoken '{"ttl_s":1,"max_ttl_s":2}')
TOKEN=$T vreq POST /v1/auth/token/renew-self -d '{"increment":60}'
is 200 "$STATUS" "renew-self past the max TTL: 200"
like '^[0-2]$' "$(jb .auth.lease_duration)" "the lease is capped at what the max TTL leaves"
like 'TTL of "1m0s" exceeded the effective max_ttl of "[0-9]+s"; TTL value is capped accordingly' "$(jb '.warnings[0]')" \
	"with Vault's capping warning"
sleep 2.1
TOKEN=$T vreq POST /v1/auth/token/renew-self -d '{"increment":60}'
is 403 "$STATUS" "past the max TTL the token is gone: the client must log in again"
like 'invalid token' "$(errs)" "and the error says invalid token"
T=$(mktoken '{"renewable":false}')
TOKEN=$T vreq POST /v1/auth/token/renew-self
is '400 lease is not renewable' "$STATUS $(errs)" "a non-renewable token: 400 lease is not renewable"
vreq POST /v1/auth/token/renew-self
is 400 "$STATUS" "the root token has no lease to renew: 400"

# revoke-self and revocation by the control endpoint
T=$(mktoken '{}')
TOKEN=$T vreq POST /v1/auth/token/revoke-self
is '204 ' "$STATUS $BODY" "revoke-self: 204"
TOKEN=$T vreq GET /v1/auth/token/lookup-self
is 403 "$STATUS" "a revoked token is refused"
like 'invalid token' "$(errs)" "revoked: invalid token"
T=$(mktoken '{}')
ctl tokens/revoke "{\"token\":\"$T\"}"
TOKEN=$T vreq GET /v1/auth/token/lookup-self
is 403 "$STATUS" "a token revoked by the control endpoint is refused"
vreq GET /v1/auth/token/renew-self
is 405 "$STATUS" "GET renew-self: 405"

# policy refusal is permission denied alone
T=$(mktoken '{"policies":[{"path_prefix":"kv/","capabilities":["read"]}]}')
TOKEN=$T vreq GET /v1/secret/data/x
is 403 "$STATUS" "a valid token without a policy for the path: 403"
like 'permission denied' "$(errs)" "it says permission denied"
is 0 "$(errs | grep -c 'invalid token')" "but not invalid token"

tap_done
