#!/usr/bin/env bash
# t006: KV v1: 204 writes replacing the whole value, flat reads, lease_duration,
# delete, LIST, errors.
. "$BERTH_SOURCE_DIR/tests/sim/vault/vault.sh"

vreq POST /v1/kv/harbor/robot -d '{"username":"robot$x","password":"pw-1"}'
is '204 ' "$STATUS $BODY" "write: 204, no body"
vreq GET /v1/kv/harbor/robot
is 200 "$STATUS" "read: 200"
is_secret pw-1 "$(jb .data.password)" "the value is flat in data"
is '["password","username"]' "$(jb '.data|keys|tojson')" "data holds exactly the written keys (no data.data)"
is '2764800 "" false "kv"' "$(jb '"\(.lease_duration) \(.lease_id|tojson) \(.renewable) \(.mount_type|tojson)"')" \
	"lease_duration is the default 768h; lease_id empty; not renewable"
vreq PUT /v1/kv/harbor/robot -d '{"password":"pw-2","ttl":"1h"}'
is 204 "$STATUS" "PUT writes too"
vreq GET /v1/kv/harbor/robot
is '["password","ttl"]' "$(jb '.data|keys|tojson')" "a write replaces the whole value"
is 3600 "$(jb .lease_duration)" "a ttl key shows up as lease_duration"
vreq POST /v1/kv/harbor/empty
is '400 missing data fields' "$STATUS $(errs)" "an empty body: 400 missing data fields"
vreq POST /v1/kv/harbor/empty -d '{}'
is '400 missing data fields' "$STATUS $(errs)" "an empty object: 400 missing data fields"
vreq PATCH /v1/kv/harbor/robot -H 'Content-Type: application/merge-patch+json' -d '{"a":"b"}'
is 405 "$STATUS" "KV v1 has no PATCH: 405"
vreq GET /v1/kv/harbor/none
is '404 {"errors":[]}' "$STATUS $BODY" "read of a missing key: 404 {\"errors\":[]}"
vreq POST /v1/kv/harbor/other -d '{"a":"b"}'
vreq POST /v1/kv/harbor/deep/x -d '{"a":"b"}'
vreq LIST /v1/kv/harbor
is '200 ["deep/","other","robot"]' "$STATUS $(jb '.data.keys|tojson')" "LIST: keys and folders"
vreq DELETE /v1/kv/harbor/robot
is '204 ' "$STATUS $BODY" "delete: 204"
vreq GET /v1/kv/harbor/robot
is 404 "$STATUS" "deleted key: 404"
vreq DELETE /v1/kv/harbor/robot
is 204 "$STATUS" "delete of a missing key: 204"
vreq LIST /v1/kv/nothing
is '404 {"errors":[]}' "$STATUS $BODY" "LIST of an empty prefix: 404"
vreq GET /v1/kv/harbor/other/x
is 404 "$STATUS" "v1 has no wrong-path warning: a plain 404"

tap_done
