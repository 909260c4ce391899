#!/usr/bin/env bash
# t002: the three shapes of a KV v2 404 (absent, deleted/destroyed, wrong path)
# and the root-of-mount warning.
. "$BERTH_SOURCE_DIR/tests/sim/vault/vault.sh"

INVALID="Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv %s' for this operation."

# 1. absent
vreq GET /v1/secret/data/never/written
is '404 {"errors":[]}' "$STATUS $BODY" "shape 1: a key never written is 404 {\"errors\":[]}"

# 2. soft-deleted
kv2_put app/one '{"password":"pw-a"}'
kv2_put app/one '{"password":"pw-b"}'
vreq DELETE /v1/secret/data/app/one
is "204 " "$STATUS $BODY" "DELETE data/ soft-deletes the latest version: 204, no body"
vreq GET /v1/secret/data/app/one
is 404 "$STATUS" "shape 2: a soft-deleted latest version is a 404"
is '<none>' "$(errs)" "shape 2: no errors array"
is 'null' "$(jb '.data.data|tojson')" "shape 2: data.data is null"
is '2 false' "$(jb '"\(.data.metadata.version) \(.data.metadata.destroyed)"')" "shape 2: data.metadata has version 2, not destroyed"
like '^[0-9]{4}-.*Z$' "$(jb .data.metadata.deletion_time)" "shape 2: deletion_time is set"
is '["auth","data","lease_duration","lease_id","mount_type","renewable","request_id","warnings","wrap_info"]' \
	"$(jb '[keys[]]|tojson')" "shape 2: a full envelope"
vreq GET '/v1/secret/data/app/one?version=1'
is_secret pw-a "$(jb .data.data.password)" "older versions stay readable"
vreq DELETE /v1/secret/data/app/one
is 204 "$STATUS" "DELETE of an already deleted latest version: 204 again"
vreq DELETE /v1/secret/data/not/there
is 204 "$STATUS" "DELETE of a missing key: 204"

# 2b. destroyed
kv2_put app/two '{"password":"pw-c"}'
vreq POST /v1/secret/destroy/app/two -d '{"versions":[1]}'
is 204 "$STATUS" "destroy: 204"
vreq GET /v1/secret/data/app/two
is '404 null true <none>' "$STATUS $(jb '.data.data|tojson') $(jb .data.metadata.destroyed) $(errs)" \
	"shape 2: a destroyed version is 404 with data.data null and destroyed true"

# 3. wrong path on a v2 mount
vreq GET /v1/secret/app/two
is 404 "$STATUS" "shape 3: GET secret/<key> (no data/) is a 404"
is '<none>' "$(errs)" "shape 3: no errors array"
# shellcheck disable=SC2059
is "$(printf "$INVALID" get)" "$(jb '.warnings[0]')" "shape 3: the Invalid path warning names 'vault kv get'"
is 'null 1' "$(jb '.data|tojson') $(jb '.warnings|length')" "shape 3: data null, one warning"
vreq POST /v1/secret/app/two -d '{"password":"x"}'
# shellcheck disable=SC2059
is "404 $(printf "$INVALID" put)" "$STATUS $(jb '.warnings[0]')" "shape 3 for a write names 'vault kv put'"
vreq DELETE /v1/secret/app/two
# shellcheck disable=SC2059
is "404 $(printf "$INVALID" delete)" "$STATUS $(jb '.warnings[0]')" "shape 3 for a delete names 'vault kv delete'"
vreq LIST /v1/secret/app
# shellcheck disable=SC2059
is "404 $(printf "$INVALID" list)" "$STATUS $(jb '.warnings[0]')" "shape 3 for a list names 'vault kv list'"
vreq PATCH /v1/secret/app/two -H 'Content-Type: application/merge-patch+json' -d '{"data":{}}'
# shellcheck disable=SC2059
is "404 $(printf "$INVALID" patch)" "$STATUS $(jb '.warnings[0]')" "shape 3 for a patch names 'vault kv patch'"
vreq GET /v1/secret/data
is "404 Non-listing operations on the root of a K/V v2 mount are not supported." "$STATUS $(jb '.warnings[0]')" \
	"GET secret/data (the root of data/) warns about non-listing operations"

# back to shape 1 once the metadata is gone
vreq DELETE /v1/secret/metadata/app/one
is 204 "$STATUS" "metadata delete: 204"
vreq GET /v1/secret/data/app/one
is '404 {"errors":[]}' "$STATUS $BODY" "after a metadata delete the key is absent again (shape 1)"

tap_done
