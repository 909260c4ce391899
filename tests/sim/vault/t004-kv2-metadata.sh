#!/usr/bin/env bash
# t004: KV v2 metadata: read shape (versions keyed by strings), write (204),
# custom_metadata, delete_version_after, max_versions pruning, delete/undelete/
# destroy with their error strings, metadata delete.
. "$BERTH_SOURCE_DIR/tests/sim/vault/vault.sh"

for i in 1 2 3; do kv2_put meta/a "{\"n\":\"$i\"}"; done
vreq GET /v1/secret/metadata/meta/a
is 200 "$STATUS" "metadata read: 200"
is '["1","2","3"]' "$(jb '.data.versions|keys|tojson')" "versions are keyed by strings"
is string "$(jb '.data.versions|keys[0]|type')" "a versions key is a JSON string"
is '3 0 0 false null' "$(jb '"\(.data.current_version) \(.data.oldest_version) \(.data.max_versions) \(.data.cas_required) \(.data.custom_metadata)"')" \
	"current_version 3, oldest_version 0, max_versions 0, cas_required false, custom_metadata null"
is '0s' "$(jb .data.delete_version_after)" "delete_version_after is a Go duration, \"0s\" when unset"
is '["created_time","deletion_time","destroyed"]' "$(jb '.data.versions["2"]|keys|tojson')" "each version has created_time, deletion_time, destroyed"
is "$(jb '.data.versions["1"].created_time')" "$(jb .data.created_time)" "created_time is the first version's"
is "$(jb '.data.versions["3"].created_time')" "$(jb .data.updated_time)" "updated_time is the last version's"

vreq POST /v1/secret/metadata/meta/a -d '{"custom_metadata":{"owner":"berth","n":7},"max_versions":5,"delete_version_after":"1h30m"}'
is "204 " "$STATUS $BODY" "metadata write: 204, no body"
vreq GET /v1/secret/metadata/meta/a
is '{"n":"7","owner":"berth"}' "$(jb '.data.custom_metadata|tojson')" "custom_metadata stored, values as strings"
is '5 1h30m0s' "$(jb '"\(.data.max_versions) \(.data.delete_version_after)"')" "max_versions and delete_version_after stored"
kv2_put meta/a '{"n":"4"}'
is '{"n":"7","owner":"berth"}' "$(jb '.data.custom_metadata|tojson')" "write response carries custom_metadata"
like '^[0-9]{4}-' "$(jb .data.deletion_time)" "delete_version_after gives new versions a deletion_time"
vreq GET /v1/secret/data/meta/a
is 200 "$STATUS" "a deletion_time in the future does not hide the version"
vreq POST /v1/secret/metadata/meta/a -d '{}'
is 204 "$STATUS" "metadata write with no fields: 204"
vreq POST /v1/secret/metadata/meta/a -d '{"custom_metadata":{"empty":""}}'
is 400 "$STATUS" "custom_metadata with an empty value: 400"
like 'custom_metadata validation failed: length of value for key "empty" is 0' "$(errs)" "the validation message names the key"

# max_versions pruning
vreq POST /v1/secret/metadata/meta/b -d '{"max_versions":2}'
for i in 1 2 3 4; do kv2_put meta/b "{\"n\":\"$i\"}"; done
vreq GET /v1/secret/metadata/meta/b
is '["3","4"] 3 4' "$(jb '.data.versions|keys|tojson') $(jb .data.oldest_version) $(jb .data.current_version)" \
	"max_versions 2 keeps the last two versions, oldest_version moves"
vreq GET '/v1/secret/data/meta/b?version=1'
is '404 {"errors":[]}' "$STATUS $BODY" "a pruned version is absent"
ctl mounts '{"path":"short","version":2}'
vreq POST /v1/short/config -d '{"max_versions":3}'
for i in 1 2 3 4 5; do TOKEN=$ROOT vreq POST /v1/short/data/k -d "{\"data\":{\"n\":\"$i\"}}"; done
vreq GET /v1/short/metadata/k
is '["3","4","5"]' "$(jb '.data.versions|keys|tojson')" "engine max_versions prunes too"
for i in $(seq 1 11); do TOKEN=$ROOT vreq POST /v1/secret/data/meta/ten -d "{\"data\":{\"n\":\"$i\"}}"; done
vreq GET /v1/secret/metadata/meta/ten
is '10 2 11' "$(jb '"\(.data.versions|length) \(.data.oldest_version) \(.data.current_version)"')" "the default keeps 10 versions"

# delete / undelete / destroy
for i in 1 2; do kv2_put meta/c "{\"n\":\"$i\"}"; done
vreq POST /v1/secret/delete/meta/c -d '{}'
is '400 No version number provided' "$STATUS $(errs)" "delete/ without versions: 400 'No version number provided'"
vreq POST /v1/secret/undelete/meta/c -d '{"versions":[]}'
is '400 No version number provided' "$STATUS $(errs)" "undelete/ without versions: the same capitalised message"
vreq POST /v1/secret/destroy/meta/c -d '{}'
is '400 no version number provided' "$STATUS $(errs)" "destroy/ without versions: 400 'no version number provided' (lower case)"
vreq POST /v1/secret/delete/meta/c -d '{"versions":[1]}'
is 204 "$STATUS" "delete/ versions [1]: 204"
vreq GET /v1/secret/metadata/meta/c
like '^[0-9]{4}-' "$(jb '.data.versions["1"].deletion_time')" "version 1 has a deletion_time"
is '' "$(jb '.data.versions["2"].deletion_time')" "version 2 does not"
vreq GET '/v1/secret/data/meta/c?version=1'
is '404 null' "$STATUS $(jb '.data.data|tojson')" "a deleted older version reads as shape 2"
vreq PUT /v1/secret/undelete/meta/c -d '{"versions":"1"}'
is 204 "$STATUS" "undelete/ with versions as a string: 204"
vreq GET '/v1/secret/data/meta/c?version=1'
is 200 "$STATUS" "undeleted version reads again"
vreq POST /v1/secret/destroy/meta/c -d '{"versions":"1,2"}'
is 204 "$STATUS" "destroy/ versions \"1,2\": 204"
vreq GET /v1/secret/metadata/meta/c
is 'true true' "$(jb '"\(.data.versions["1"].destroyed) \(.data.versions["2"].destroyed)"')" "both versions destroyed"
vreq POST /v1/secret/undelete/meta/c -d '{"versions":[1]}'
vreq GET '/v1/secret/data/meta/c?version=1'
is '404 true' "$STATUS $(jb .data.metadata.destroyed)" "undelete cannot bring back a destroyed version"
vreq GET /v1/secret/delete/meta/c
is 405 "$STATUS" "GET on delete/: 405"
vreq POST /v1/secret/delete/no/such -d '{"versions":[1]}'
is 204 "$STATUS" "delete/ on a missing key: 204"

# metadata PATCH and subkeys
vreq PATCH /v1/secret/metadata/meta/a -H 'Content-Type: application/merge-patch+json' -d '{"custom_metadata":{"n":null,"team":"ci"}}'
is 204 "$STATUS" "metadata PATCH: 204"
vreq GET /v1/secret/metadata/meta/a
is '{"owner":"berth","team":"ci"}' "$(jb '.data.custom_metadata|tojson')" "metadata PATCH merges custom_metadata (null removes)"
vreq PATCH /v1/secret/metadata/meta/none -H 'Content-Type: application/merge-patch+json' -d '{"max_versions":1}'
is '404 ' "$STATUS $BODY" "metadata PATCH on a missing key: 404, no body"
kv2_put meta/d '{"user":"u","auth":{"basic":{"password":"x"},"token":"y"}}'
vreq GET /v1/secret/subkeys/meta/d
is '200 {"auth":{"basic":{"password":null},"token":null},"user":null}' "$STATUS $(jb '.data.subkeys|tojson')" \
	"subkeys: the structure with values replaced by null"
vreq GET '/v1/secret/subkeys/meta/d?depth=1'
is '{"auth":null,"user":null}' "$(jb '.data.subkeys|tojson')" "subkeys ?depth=1 stops at the first level"

# metadata delete removes everything
vreq DELETE /v1/secret/metadata/meta/c
is 204 "$STATUS" "metadata delete: 204"
vreq GET /v1/secret/metadata/meta/c
is '404 {"errors":[]}' "$STATUS $BODY" "metadata read after delete: 404 {\"errors\":[]}"
vreq DELETE /v1/secret/metadata/meta/c
is 204 "$STATUS" "metadata delete of a missing key: 204"

tap_done
