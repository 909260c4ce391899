#!/usr/bin/env bash
# t003 - Secret create/get/update/delete: 201 and AlreadyExists, stringData
# write-only, resourceVersion only moving on change, PUT without RV
# overwrites, stale RV conflicts, PUT to a missing name is 404, DELETE
# answers Status Success, preconditions, finalizers, dryRun, decoding.
. "$BERTH_SOURCE_DIR/tests/lib/tap.sh"
. "$BERTH_SOURCE_DIR/tests/lib/sim.sh"
. "$BERTH_SOURCE_DIR/tests/sim/kube/lib.sh"
kstart
S=/api/v1/namespaces/default/secrets
b64() { printf '%s' "$1" | base64 -w0; }
DCJ=$(b64 '{"auths":{"harbor.example.com":{"auth":"cm9ib3Q6czNjcjN0"}}}')

# ---- create --------------------------------------------------------------------
kj POST $S "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"pull\",\"labels\":{\"app.kubernetes.io/managed-by\":\"berth\"}},\"type\":\"kubernetes.io/dockerconfigjson\",\"data\":{\".dockerconfigjson\":\"$DCJ\"}}"
is 201 "$STATUS" "create: 201"
schema_ok io.k8s.api.core.v1.Secret "created Secret matches the schema"
is Secret "$(jb .kind)" "kind Secret"
is v1 "$(jb .apiVersion)" "apiVersion v1"
is default "$(jb .metadata.namespace)" "namespace set from the path"
like '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' "$(jb .metadata.uid)" "uid is a UUID"
like '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "$(jb .metadata.creationTimestamp)" "creationTimestamp is RFC 3339"
like '^[0-9]+$' "$(jb .metadata.resourceVersion)" "resourceVersion is an integer string"
is kubernetes.io/dockerconfigjson "$(jb .type)" "type kept"
check "data kept as sent" test "$(jb '.data[".dockerconfigjson"]')" = "$DCJ"
UID1=$(jb .metadata.uid)
RV1=$(jb .metadata.resourceVersion)

k GET $S/pull
is 200 "$STATUS" "get: 200"
schema_ok io.k8s.api.core.v1.Secret "got Secret matches the schema"
is "$RV1" "$(jb .metadata.resourceVersion)" "get returns the same resourceVersion"
is 'null' "$(jb .metadata.managedFields)" "managedFields omitted"

kj POST $S '{"metadata":{"name":"pull"},"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"e30="}}'
is 409 "$STATUS" "create existing: 409"
same_json '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"secrets \"pull\" already exists","reason":"AlreadyExists","details":{"name":"pull","kind":"secrets"},"code":409}' \
	"AlreadyExists: exact Status, details.kind secrets"
schema_ok "$STATUS_SCHEMA" "409 is a valid Status"

kj POST $S '{"metadata":{"name":"with-rv","resourceVersion":"5"}}'
is 500 "$STATUS" "create with metadata.resourceVersion: 500"
same_json '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"resourceVersion should not be set on objects to be created","code":500}' \
	"create with resourceVersion: storage error, reason Unknown (omitted)"
kj POST $S '{"metadata":{"name":"pull","resourceVersion":"5"}}'
is 500 "$STATUS" "resourceVersion is checked before existence (500, not 409)"
kj POST $S '{"metadata":{"name":"other-ns","namespace":"kube-system"}}'
is 400 "$STATUS" "namespace in the body differs from the path: 400"
is 'the namespace of the provided object does not match the namespace sent on the request' "$(jb .message)" "namespace mismatch message"

kj POST $S '{"metadata":{"name":"sd"},"data":{"a":"YQ==","b":"Yg=="},"stringData":{"b":"from-string","c":"plain"}}'
is 201 "$STATUS" "create with stringData: 201"
is 'null' "$(jb .stringData)" "stringData is not returned"
check "stringData merged into data" test "$(jb '.data.c' | base64 -d)" = plain
check "stringData overrides data for the same key" test "$(jb '.data.b' | base64 -d)" = from-string
check "other data keys kept" test "$(jb '.data.a' | base64 -d)" = a
is Opaque "$(jb .type)" "type defaults to Opaque"
k GET $S/sd
is 'null' "$(jb .stringData)" "stringData is never returned by get"

kj POST $S '{"metadata":{"generateName":"robot-"},"data":{"k":"dg=="}}'
is 201 "$STATUS" "create with generateName: 201"
like '^robot-[bcdfghjklmnpqrstvwxz2456789]{5}$' "$(jb .metadata.name)" "name generated from generateName"
is robot- "$(jb .metadata.generateName)" "generateName kept"

# ---- update -------------------------------------------------------------------------
kj PUT $S/missing '{"metadata":{"name":"missing"},"data":{"a":"YQ=="}}'
is 404 "$STATUS" "PUT to a missing secret: 404 (no create on update)"
same_json '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"secrets \"missing\" not found","reason":"NotFound","details":{"name":"missing","kind":"secrets"},"code":404}' \
	"NotFound: exact Status, details.kind secrets"
schema_ok "$STATUS_SCHEMA" "404 is a valid Status"

kj PUT $S/sd '{"metadata":{"name":"sd"},"data":{"a":"QQ=="}}'
is 200 "$STATUS" "PUT without resourceVersion: 200 (unconditional)"
check "PUT without resourceVersion overwrote data" test "$(jb -c '.data')" = '{"a":"QQ=="}'
RV2=$(jb .metadata.resourceVersion)
check "resourceVersion moved on change" test "$RV2" -gt "$RV1"
is "$(k GET $S/sd; jb .metadata.uid)" "$(jb .metadata.uid)" "uid kept across updates"

kj PUT $S/sd "{\"metadata\":{\"name\":\"sd\",\"resourceVersion\":\"$RV2\"},\"data\":{\"a\":\"QQ==\"}}"
is 200 "$STATUS" "PUT with the current resourceVersion and no change: 200"
is "$RV2" "$(jb .metadata.resourceVersion)" "no change: resourceVersion stays"
kj PUT $S/sd "{\"metadata\":{\"name\":\"sd\",\"resourceVersion\":\"$RV2\"},\"data\":{\"a\":\"Qg==\"}}"
is 200 "$STATUS" "PUT with the current resourceVersion: 200"
RV3=$(jb .metadata.resourceVersion)
check "resourceVersion moved again" test "$RV3" -gt "$RV2"
kj PUT $S/sd "{\"metadata\":{\"name\":\"sd\",\"resourceVersion\":\"$RV2\"},\"data\":{\"a\":\"Qw==\"}}"
is 409 "$STATUS" "PUT with a stale resourceVersion: 409"
same_json '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on secrets \"sd\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"sd","kind":"secrets"},"code":409}' \
	"Conflict: exact OptimisticLock message, details.kind secrets"
schema_ok "$STATUS_SCHEMA" "Conflict is a valid Status"
k GET $S/sd
check "a conflicting PUT changes nothing" test "$(jb -c .data)" = '{"a":"Qg=="}'
kj PUT $S/sd '{"metadata":{"name":"other"},"data":{}}'
is 400 "$STATUS" "PUT with another name in the body: 400"
is 'the name of the object (other) does not match the name on the URL (sd)' "$(jb .message)" "name mismatch message"
kj PUT $S/sd '{"metadata":{"name":"sd","uid":"0b5d2c1e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"},"data":{"a":"Qg=="}}'
is 422 "$STATUS" "PUT changing uid: 422"
is metadata.uid "$(jb '.details.causes[0].field')" "uid is immutable"

# ---- delete -------------------------------------------------------------------------
k DELETE $S/pull -H 'Content-Type: application/json' --data-binary '{"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"resourceVersion":"1"}}'
is 409 "$STATUS" "DELETE with a stale resourceVersion precondition: 409"
is "Operation cannot be fulfilled on secrets \"pull\": Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: $RV1" \
	"$(jb .message)" "precondition message"
k DELETE $S/pull -H 'Content-Type: application/json' --data-binary '{"preconditions":{"uid":"0b5d2c1e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"}}'
is 409 "$STATUS" "DELETE with a wrong uid precondition: 409"
k DELETE $S/pull -H 'Content-Type: application/json' --data-binary "{\"preconditions\":{\"resourceVersion\":\"$RV1\",\"uid\":\"$UID1\"}}"
is 200 "$STATUS" "DELETE: 200"
same_json "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Success\",\"details\":{\"name\":\"pull\",\"kind\":\"secrets\",\"uid\":\"$UID1\"}}" \
	"DELETE: Status Success with details.kind secrets and the uid, no code"
schema_ok "$STATUS_SCHEMA" "Status Success is a valid Status"
k GET $S/pull
is 404 "$STATUS" "deleted secret: 404"
k DELETE $S/pull
is 404 "$STATUS" "DELETE of a missing secret: 404"
is 'secrets "pull" not found' "$(jb .message)" "DELETE 404 message"

kj POST $S '{"metadata":{"name":"fin","finalizers":["berth.dev/hold"]},"data":{"a":"YQ=="}}'
k DELETE $S/fin
is 200 "$STATUS" "DELETE of a secret with finalizers: 200"
is Secret "$(jb .kind)" "answers with the object"
like 'T' "$(jb .metadata.deletionTimestamp)" "deletionTimestamp set"
k GET $S/fin
is 200 "$STATUS" "still there while finalizers remain"
k PATCH $S/fin -H 'Content-Type: application/merge-patch+json' --data-binary '{"metadata":{"finalizers":null}}'
is 200 "$STATUS" "removing the finalizers: 200"
k GET $S/fin
is 404 "$STATUS" "then it is gone"

# ---- dryRun, decoding, unknown fields ------------------------------------------------
kj POST "$S?dryRun=All" '{"metadata":{"name":"dry"},"data":{"a":"YQ=="}}'
is 201 "$STATUS" "dryRun create: 201"
k GET $S/dry
is 404 "$STATUS" "dryRun stored nothing"

kj POST $S '{"metadata":{"name":"b64"},"data":{"a":"not base64!"}}'
is 400 "$STATUS" "bad base64 in data: 400"
is 'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3' "$(jb .message)" "bad base64: decode error message"
is BadRequest "$(jb .reason)" "bad base64: reason BadRequest"
kj POST $S '{"metadata":{"name":"nopad"},"data":{"a":"YQ"}}'
is 400 "$STATUS" "base64 without padding is refused (Go StdEncoding)"
kj POST $S '{"metadata":{"name":"num"},"data":{"a":1}}'
is 400 "$STATUS" "data value of the wrong type: 400"
kj POST $S '{"metadata":{"name":"broken"'
is 400 "$STATUS" "malformed JSON: 400"
kj POST $S '{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm"}}'
is 400 "$STATUS" "body of another kind: 400"

kj POST $S '{"metadata":{"name":"extra","colour":"red"},"data":{"a":"YQ=="},"spec":{}}'
is 201 "$STATUS" "unknown fields are dropped (fieldValidation Warn): 201"
check "unknown top-level field warned" grep -qF 'Warning: 299 - "unknown field \"spec\""' "$HEADERS"
check "unknown metadata field warned" grep -qF 'Warning: 299 - "unknown field \"metadata.colour\""' "$HEADERS"
is 'null' "$(jb .spec)" "unknown field not stored"
kj POST "$S?fieldValidation=Strict" '{"metadata":{"name":"strict"},"spec":{}}'
is 400 "$STATUS" "fieldValidation=Strict: unknown field is a 400"
is 'strict decoding error: unknown field "spec"' "$(jb .message)" "strict decoding message"

tap_done
