#!/usr/bin/env bash
# t005: KV v2 PATCH (content type rules, merge patch, 404s) and LIST (both
# forms, folders, 404 on empty).
. "$BERTH_SOURCE_DIR/tests/sim/vault/vault.sh"

MP='Content-Type: application/merge-patch+json'
kv2_put p/a '{"user":"robot","password":"pw-1","nested":{"x":"1","y":"2"}}'

vreq PATCH /v1/secret/data/p/a -d '{"data":{"password":"pw-2"}}'
is '415 PATCH requires Content-Type of application/merge-patch+json, provided application/x-www-form-urlencoded' \
	"$STATUS $(errs)" "PATCH with a form content type: 415 naming it"
vreq PATCH /v1/secret/data/p/a -H 'Content-Type: application/json' -d '{"data":{"password":"pw-2"}}'
is '415 PATCH requires Content-Type of application/merge-patch+json, provided application/json' \
	"$STATUS $(errs)" "PATCH with application/json: 415"
vreq PATCH /v1/secret/data/p/a -H 'Content-Type:' -d '{"data":{"password":"pw-2"}}'
is '400 mime: no media type' "$STATUS $(errs)" "PATCH without a content type: 400 mime: no media type"
noauth PATCH /v1/secret/data/p/a -H 'Content-Type: text/plain' -d '{}'
is 415 "$STATUS" "the content type is checked before the token"

vreq PATCH /v1/secret/data/p/a -H 'Content-Type: application/merge-patch+json; charset=utf-8' \
	-d '{"data":{"password":"pw-2","user":null,"nested":{"y":null,"z":"3"}}}'
is '200 2' "$STATUS $(jb .data.version)" "PATCH (parameters allowed): 200, flat metadata, a new version"
vreq GET /v1/secret/data/p/a
is_secret pw-2 "$(jb .data.data.password)" "PATCH replaced the value"
is '["nested","password"]' "$(jb '.data.data|keys|tojson')" "null removed a key, others kept"
is '{"x":"1","z":"3"}' "$(jb '.data.data.nested|tojson')" "nested maps merge"
vreq PATCH /v1/secret/data/p/missing -H "$MP" -d '{"data":{"a":"b"}}'
is '404 ' "$STATUS $BODY" "PATCH on a missing key: 404 with no body"
vreq PATCH /v1/secret/data/p/a -H "$MP" -d '{"options":{}}'
is '400 no data provided' "$STATUS $(errs)" "PATCH without data: 400 no data provided"
vreq DELETE /v1/secret/data/p/a
vreq PATCH /v1/secret/data/p/a -H "$MP" -d '{"data":{"a":"b"}}'
is '404 2' "$STATUS $(jb .data.version)" "PATCH on a deleted latest version: 404 with its metadata"

# LIST
for k in team/b team/a team/sub/c other; do kv2_put "$k" '{"v":"1"}'; done
vreq LIST /v1/secret/metadata/team
is '200 ["a","b","sub/"]' "$STATUS $(jb '.data.keys|tojson')" "LIST: sorted keys, folders end in /"
vreq GET '/v1/secret/metadata/team/?list=true'
is '200 ["a","b","sub/"]' "$STATUS $(jb '.data.keys|tojson')" "GET ?list=true is the same"
vreq LIST /v1/secret/metadata/
is '["other","p/","team/"]' "$(jb '.data.keys|tojson')" "LIST at the top of the mount"
vreq LIST /v1/secret/metadata/nothing/here
is '404 {"errors":[]}' "$STATUS $BODY" "LIST of an empty prefix: 404 {\"errors\":[]}"
vreq GET '/v1/secret/metadata/team?list=maybe'
is 400 "$STATUS" "?list= that is not a boolean: 400"
vreq DELETE /v1/secret/data/team/a
vreq LIST /v1/secret/metadata/team
is '["a","b","sub/"]' "$(jb '.data.keys|tojson')" "soft-deleted keys are still listed"
vreq DELETE /v1/secret/metadata/team/sub/c
vreq LIST /v1/secret/metadata/team
is '["a","b"]' "$(jb '.data.keys|tojson')" "a folder disappears with its last key"
vreq LIST /v1/secret/metadata/team/sub
is 404 "$STATUS" "LIST of the emptied folder: 404"
vreq POST /v1/secret/metadata/team/m -d '{"max_versions":3}'
vreq LIST /v1/secret/metadata/team
is '["a","b","m"]' "$(jb '.data.keys|tojson')" "a key with metadata only is listed"

tap_done
