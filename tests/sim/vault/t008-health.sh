#!/usr/bin/env bash
# t008: sys/health codes and query overrides, GET body, HEAD, seal-status.
. "$BERTH_SOURCE_DIR/tests/sim/vault/vault.sh"

health() { noauth GET "/v1/sys/health$1"; }

health ''
is 200 "$STATUS" "active: 200"
is 'true false false false' "$(jb '"\(.initialized) \(.sealed) \(.standby) \(.performance_standby)"')" "body: initialized, unsealed, active"
is 'disabled disabled' "$(jb '"\(.replication_performance_mode) \(.replication_dr_mode)"')" "replication modes"
like '^[0-9]+$' "$(jb .server_time_utc)" "server_time_utc is a number"
like '^vault-cluster-' "$(jb .cluster_name)" "cluster_name present when unsealed"
noauth HEAD /v1/sys/health -I
is "200 application/json" "$STATUS $(header Content-Type)" "HEAD: the code and content type (curl -I reads no body)"
health '?activecode=204'
is 204 "$STATUS" "activecode overrides 200"
health '?activecode=abc'
is '400 {"errors":[]}' "$STATUS $BODY" "a code that is not a number: 400"
noauth POST /v1/sys/health
is 405 "$STATUS" "POST: 405"

ctl standby '{"standby":true}'
health ''
is '429 true' "$STATUS $(jb .standby)" "standby: 429"
health '?standbyok=true'
is 200 "$STATUS" "standbyok=true: the active code"
health '?standbyok=true&activecode=299'
is 299 "$STATUS" "standbyok with activecode"
health '?standbycode=299'
is 299 "$STATUS" "standbycode overrides 429"
health '?standbyok=maybe'
is 400 "$STATUS" "standbyok that is not a boolean: 400"
noauth HEAD /v1/sys/health -I
is 429 "$STATUS" "HEAD on a standby: 429"
vreq GET /v1/secret/metadata/x
is 404 "$STATUS" "a standby still answers API requests (forwarded to the active node)"
ctl state '{"performance_standby":true}'
health ''
is '473 true' "$STATUS $(jb .performance_standby)" "performance standby: 473"
health '?perfstandbyok=true'
is 200 "$STATUS" "perfstandbyok=true: the active code"
health '?performancestandbycode=299'
is 299 "$STATUS" "performancestandbycode overrides 473"
ctl standby '{"standby":false}'

ctl seal '{}'
health ''
is '503 true' "$STATUS $(jb .sealed)" "sealed: 503 with sealed true"
is null "$(jb '.cluster_name|tojson')" "no cluster_name while sealed"
health '?sealedcode=299'
is 299 "$STATUS" "sealedcode overrides 503"
noauth GET /v1/sys/seal-status
is '200 true shamir' "$STATUS $(jb .sealed) $(jb .type)" "seal-status answers while sealed"
ctl unseal '{}'
noauth GET /v1/sys/seal-status
is '200 false' "$STATUS $(jb .sealed)" "seal-status after unseal"

ctl state '{"initialized":false}'
health ''
is '501 false' "$STATUS $(jb .initialized)" "not initialised: 501"
health '?uninitcode=299'
is 299 "$STATUS" "uninitcode overrides 501"
health '?sealedcode=299'
is 501 "$STATUS" "uninitialised wins over sealed"
ctl state '{"initialized":true}'
health ''
is 200 "$STATUS" "back to active"

tap_done
