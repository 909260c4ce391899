#!/usr/bin/env bash
# t003: KV v2 check-and-set: cas 0 for new keys only, mismatch and required
# errors, cas after soft delete and after metadata delete, engine and key
# cas_required.
. "$BERTH_SOURCE_DIR/tests/sim/vault/vault.sh"

MISMATCH='check-and-set parameter did not match the current version'
REQUIRED='check-and-set parameter required for this call'

vreq POST /v1/secret/data/cas/a -d '{"options":{"cas":0},"data":{"v":"1"}}'
is "200 1" "$STATUS $(jb .data.version)" "cas 0 on a new key succeeds"
vreq POST /v1/secret/data/cas/a -d '{"options":{"cas":0},"data":{"v":"2"}}'
is "400 $MISMATCH" "$STATUS $(errs)" "cas 0 on an existing key: 400 mismatch"
is 1 "$(jb '.errors|length')" "exactly one error string"
vreq POST /v1/secret/data/cas/a -d '{"options":{"cas":1},"data":{"v":"2"}}'
is "200 2" "$STATUS $(jb .data.version)" "cas equal to the current version succeeds"
vreq POST /v1/secret/data/cas/a -d '{"options":{"cas":5},"data":{"v":"3"}}'
is "400 $MISMATCH" "$STATUS $(errs)" "cas ahead of the current version: 400 mismatch"
vreq POST /v1/secret/data/cas/a -d '{"options":{"cas":"2"},"data":{"v":"3"}}'
is "200 3" "$STATUS $(jb .data.version)" "cas as a numeric string is accepted (weak decoding)"
vreq POST /v1/secret/data/cas/a -d '{"options":{"cas":"two"},"data":{"v":"4"}}'
is "400 error parsing check-and-set parameter" "$STATUS $(errs)" "cas that is not a number: 400 error parsing"

# soft delete keeps current_version
vreq DELETE /v1/secret/data/cas/a
vreq POST /v1/secret/data/cas/a -d '{"options":{"cas":0},"data":{"v":"5"}}'
is "400 $MISMATCH" "$STATUS $(errs)" "after a soft delete, cas 0 still fails (metadata remains)"
vreq POST /v1/secret/data/cas/a -d '{"options":{"cas":3},"data":{"v":"5"}}'
is "200 4" "$STATUS $(jb .data.version)" "after a soft delete, cas = last version succeeds"

# destroy keeps it too; metadata delete resets
vreq POST /v1/secret/destroy/cas/a -d '{"versions":[4]}'
vreq POST /v1/secret/data/cas/a -d '{"options":{"cas":0},"data":{"v":"6"}}'
is "400 $MISMATCH" "$STATUS $(errs)" "after a destroy, cas 0 still fails"
vreq DELETE /v1/secret/metadata/cas/a
vreq POST /v1/secret/data/cas/a -d '{"options":{"cas":0},"data":{"v":"7"}}'
is "200 1" "$STATUS $(jb .data.version)" "after a metadata delete, cas 0 works and versions restart at 1"

# key-level cas_required through the API
vreq POST /v1/secret/metadata/cas/b -d '{"cas_required":true}'
is "204" "$STATUS" "metadata write cas_required=true: 204"
vreq POST /v1/secret/data/cas/b -d '{"data":{"v":"1"}}'
is "400 $REQUIRED" "$STATUS $(errs)" "key cas_required: a write without cas is refused"
vreq POST /v1/secret/data/cas/b -d '{"options":{"cas":0},"data":{"v":"1"}}'
is "200 1" "$STATUS $(jb .data.version)" "key cas_required: cas 0 works while current_version is 0"
vreq GET /v1/secret/metadata/cas/b
is true "$(jb .data.cas_required)" "metadata shows cas_required"

# key-level through the control endpoint
ctl cas_required '{"mount":"secret","path":"cas/c","cas_required":true}'
vreq POST /v1/secret/data/cas/c -d '{"data":{"v":"1"}}'
is "400 $REQUIRED" "$STATUS $(errs)" "key cas_required set by the control endpoint"

# engine-wide
vreq POST /v1/secret/data/cas/d -d '{"data":{"v":"1"}}'
is 200 "$STATUS" "no cas needed before the engine requires it"
ctl cas_required '{"mount":"secret","cas_required":true}'
vreq POST /v1/secret/data/cas/d -d '{"data":{"v":"2"}}'
is "400 $REQUIRED" "$STATUS $(errs)" "engine cas_required: a write without cas is refused"
vreq POST /v1/secret/data/cas/e -d '{"data":{"v":"1"}}'
is "400 $REQUIRED" "$STATUS $(errs)" "engine cas_required applies to new keys too"
vreq POST /v1/secret/data/cas/d -d '{"options":{"cas":1},"data":{"v":"2"}}'
is "200 2" "$STATUS $(jb .data.version)" "engine cas_required: a write with the right cas succeeds"
vreq GET /v1/secret/config
is "200 true" "$STATUS $(jb .data.cas_required)" "secret/config shows cas_required"
vreq POST /v1/secret/metadata/cas/d -d '{"cas_required":false}'
is "200" "$STATUS" "key cas_required=false under an engine that requires it: 200 with a warning"
like 'mandated by backend config' "$(jb '.warnings[0]')" "the warning says the engine mandates cas"
vreq POST /v1/secret/config -d '{"cas_required":false}'
is 204 "$STATUS" "secret/config write: 204"
vreq POST /v1/secret/data/cas/d -d '{"data":{"v":"3"}}'
is "200 3" "$STATUS $(jb .data.version)" "engine cas_required off again"

# PATCH honours cas too
vreq PATCH /v1/secret/data/cas/d -H 'Content-Type: application/merge-patch+json' -d '{"options":{"cas":1},"data":{"v":"4"}}'
is "400 $MISMATCH" "$STATUS $(errs)" "PATCH with a stale cas: 400 mismatch"
vreq PATCH /v1/secret/data/cas/d -H 'Content-Type: application/merge-patch+json' -d '{"options":{"cas":3},"data":{"v":"4"}}'
is "200 4" "$STATUS $(jb .data.version)" "PATCH with the current cas succeeds"

tap_done
