#!/usr/bin/env bash
# t009: a sealed Vault answers 503 {"errors":["Vault is sealed"]} on every path
# but sys/health and sys/seal-status, with or without a token.
. "$BERTH_SOURCE_DIR/tests/sim/vault/vault.sh"

kv2_put s/a '{"v":"1"}'
ctl seal '{}'
SEALED='503 {"errors":["Vault is sealed"]}'
vreq GET /v1/secret/data/s/a
is "$SEALED" "$STATUS $BODY" "KV v2 read: 503 Vault is sealed"
vreq POST /v1/secret/data/s/a -d '{"data":{"v":"2"}}'
is "$SEALED" "$STATUS $BODY" "KV v2 write: 503"
vreq LIST /v1/secret/metadata/
is "$SEALED" "$STATUS $BODY" "LIST: 503"
vreq GET /v1/kv/x
is "$SEALED" "$STATUS $BODY" "KV v1 read: 503"
vreq GET /v1/auth/token/lookup-self
is "$SEALED" "$STATUS $BODY" "token lookup-self: 503"
noauth POST /v1/auth/kubernetes/login -d '{"role":"r","jwt":"j"}'
is "$SEALED" "$STATUS $BODY" "Kubernetes login: 503"
noauth POST /v1/auth/approle/login -d '{"role_id":"r"}'
is "$SEALED" "$STATUS $BODY" "AppRole login: 503"
vreq GET /v1/sys/internal/ui/mounts/secret
is "$SEALED" "$STATUS $BODY" "mount preflight: 503"
noauth GET /v1/secret/data/s/a
is "$SEALED" "$STATUS $BODY" "without a token: 503 (sealed is checked before the token)"
req vault GET /v1/secret/data/s/a -H 'X-Vault-Token: bogus'
is "$SEALED" "$STATUS $BODY" "with an invalid token: 503"
vreq GET /v1/nope/x
is "$SEALED" "$STATUS $BODY" "an unmounted path: 503"
noauth GET /v1/sys/health
is 503 "$STATUS" "sys/health still answers (503 with its body)"
noauth GET /v1/sys/seal-status
is 200 "$STATUS" "sys/seal-status still answers 200"
ctl unseal '{}'
vreq GET /v1/secret/data/s/a
is 200 "$STATUS" "unsealed: reads work again"

tap_done
