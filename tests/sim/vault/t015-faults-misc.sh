#!/usr/bin/env bash
# t015: faults through the core, the request log, reset, methods and paths
# outside the API.
. "$BERTH_SOURCE_DIR/tests/sim/vault/vault.sh"

kv2_put f/a '{"v":"1"}'
sim_reset vault
sim_fault vault '{"path":"/v1/secret/data/f/","status":429,"retry_after":2,"count":1}'
vreq GET /v1/secret/data/f/a
is '429 2' "$STATUS $(header Retry-After)" "a 429 fault with Retry-After"
vreq GET /v1/secret/data/f/a
is 200 "$STATUS" "the fault fired once"
sim_fault vault '{"path":"/v1/secret/","method":"POST","status":503,"body":{"errors":["Vault is sealed"]}}'
vreq POST /v1/secret/data/f/a -d '{"data":{"v":"2"}}'
is '503 Vault is sealed' "$STATUS $(errs)" "a fault with a body"
vreq LIST /v1/secret/metadata/f
is '[["GET",429],["GET",200],["POST",503],["LIST",200]]' \
	"$(sim_requests vault | jq -c '[.[] | select(.path|startswith("/v1/secret/")) | [.method,.status]]')" \
	"the request log records method and status, LIST included"

ctl reset '{}'
vreq GET /v1/secret/data/f/a
is 404 "$STATUS" "/_sim/vault/reset clears the data, the root token still works"

noauth OPTIONS /v1/secret/data/f/a
is '405 {"errors":[]}' "$STATUS $BODY" "an unsupported method: 405"
noauth HEAD /v1/secret/data/f/a -I
is 405 "$STATUS" "HEAD outside sys/health: 405"
noauth GET /ui/
is 404 "$STATUS" "paths outside /v1/: 404"
req vault POST /_sim/vault/nope -d '{}'
is 404 "$STATUS" "an unknown control endpoint: 404"
req vault POST /_sim/vault/tokens -d '{"policies":[{"path_prefix":"x","capabilities":["fly"]}]}'
is 400 "$STATUS" "a control body with an unknown capability: 400"

tap_done
