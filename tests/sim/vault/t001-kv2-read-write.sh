#!/usr/bin/env bash
# t001: KV v2 write and read: the envelope, flat write metadata, data.data on read,
# PUT == POST, ?version=N, 400s for a missing data map and malformed JSON.
. "$BERTH_SOURCE_DIR/tests/sim/vault/vault.sh"

vreq POST /v1/secret/data/harbor/ci/pusher -d '{"data":{"username":"robot$ci+pusher","password":"pw-one"}}'
is 200 "$STATUS" "write returns 200"
is application/json "$(header Content-Type)" "responses are application/json"
is '["auth","data","lease_duration","lease_id","mount_type","renewable","request_id","warnings","wrap_info"]' \
	"$(jb '[keys[]]|tojson')" "the envelope has Vault's nine fields"
like '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' "$(jb .request_id)" "request_id is a UUID"
is '"",false,0,null,null,null,"kv"' "$(jb '[.lease_id,.renewable,.lease_duration,.wrap_info,.warnings,.auth,.mount_type]|map(tojson)|join(",")')" \
	"lease_id, renewable, lease_duration, wrap_info, warnings, auth, mount_type"
is '["created_time","custom_metadata","deletion_time","destroyed","version"]' "$(jb '.data|keys|tojson')" \
	"write response data is the flat version metadata (no data.data)"
is '1,"",false,null' "$(jb '[.data.version,.data.deletion_time,.data.destroyed,.data.custom_metadata]|map(tojson)|join(",")')" \
	"first write: version 1, deletion_time \"\", not destroyed, custom_metadata null"
like '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\.[0-9]+)?Z$' "$(jb .data.created_time)" "created_time is RFC 3339 UTC"

vreq GET /v1/secret/data/harbor/ci/pusher
is 200 "$STATUS" "read returns 200"
is_secret pw-one "$(jb .data.data.password)" "read: the value is under data.data"
is '["created_time","custom_metadata","deletion_time","destroyed","version"]' "$(jb '.data.metadata|keys|tojson')" \
	"read: data.metadata has the five version keys"

vreq PUT /v1/secret/data/harbor/ci/pusher -d '{"data":{"username":"robot$ci+pusher","password":"pw-two"}}'
is "200 2" "$STATUS $(jb .data.version)" "PUT is a write like POST (version 2)"

vreq GET '/v1/secret/data/harbor/ci/pusher?version=1'
is_secret pw-one "$(jb .data.data.password)" "?version=1 reads the older version"
is 1 "$(jb .data.metadata.version)" "?version=1 metadata says version 1"
vreq GET '/v1/secret/data/harbor/ci/pusher?version=0'
is 2 "$(jb .data.metadata.version)" "?version=0 means the latest"
vreq GET '/v1/secret/data/harbor/ci/pusher?version=9'
is '404 {"errors":[]}' "$STATUS $BODY" "a version that does not exist: 404 {\"errors\":[]}"

vreq POST /v1/secret/data/harbor/ci/other -d '{"options":{}}'
is '400 no data provided' "$STATUS $(errs)" "write without a data map: 400 no data provided"
vreq POST /v1/secret/data/harbor/ci/other -d '{"data":null}'
is '400 no data provided' "$STATUS $(errs)" "data: null is no data either"
vreq POST /v1/secret/data/harbor/ci/other -d '{"data":{'
is '400 error parsing JSON' "$STATUS $(errs)" "malformed JSON: 400 error parsing JSON"
vreq POST /v1/secret/data/harbor/ci/other -d '{"data":{"k":"v"},"unknown":1}'
is 200 "$STATUS" "unknown top-level keys are ignored"
vreq POST /v1/secret/data/harbor/ci/ -d '{"data":{"k":"v"}}'
is "400 cannot write to a path ending in '/'" "$STATUS $(errs)" "a write to a path ending in / is refused"

tap_done
