#!/usr/bin/env bash
# t006 - PATCH: merge patch (RFC 7386, null deletes, conditional on a
# resourceVersion in the patch), strategic merge patch, JSON patch (RFC
# 6902), 415 for other content types, no resourceVersion bump on no-op.
. "$BERTH_SOURCE_DIR/tests/lib/tap.sh"
. "$BERTH_SOURCE_DIR/tests/lib/sim.sh"
. "$BERTH_SOURCE_DIR/tests/sim/kube/lib.sh"
kstart
S=/api/v1/namespaces/default/secrets
MP='Content-Type: application/merge-patch+json'
SMP='Content-Type: application/strategic-merge-patch+json'
JP='Content-Type: application/json-patch+json'
kp() { local ct=$1 p=$2 d=$3; shift 3; k PATCH "$p" -H "$ct" --data-binary "$d" "$@"; }

kj POST $S '{"metadata":{"name":"p","labels":{"a":"1","b":"2"},"finalizers":["x.io/one"]},"data":{"k1":"MQ==","k2":"Mg=="}}'
RV0=$(jb .metadata.resourceVersion)

# ---- merge patch ------------------------------------------------------------------------
kp "$MP" $S/p '{"metadata":{"labels":{"b":null,"c":"3"}},"data":{"k2":null,"k3":"Mw=="}}'
is 200 "$STATUS" "merge patch: 200"
schema_ok io.k8s.api.core.v1.Secret "patched Secret matches the schema"
is '{"a":"1","c":"3"}' "$(jb -c .metadata.labels)" "merge patch: null deletes a label, new label added"
is 'k1,k3' "$(jb -c '.data | keys | join(",")')" "merge patch: null deletes a data key, new key added"
RV1=$(jb .metadata.resourceVersion)
check "merge patch moved resourceVersion" test "$RV1" -gt "$RV0"
kp "$MP" $S/p '{"metadata":{"labels":{"a":"1"}}}'
is "$RV1" "$(jb .metadata.resourceVersion)" "no-op merge patch: resourceVersion unchanged"
kp "$MP" $S/p "{\"metadata\":{\"resourceVersion\":\"$RV0\",\"labels\":{\"d\":\"4\"}}}"
is 409 "$STATUS" "merge patch with a stale resourceVersion: 409"
same_json '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on secrets \"p\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"p","kind":"secrets"},"code":409}' \
	"conditional patch conflict: exact Status"
kp "$MP" $S/p "{\"metadata\":{\"resourceVersion\":\"$RV1\",\"labels\":{\"d\":\"4\"}}}"
is 200 "$STATUS" "merge patch with the current resourceVersion: 200"
is 4 "$(jb .metadata.labels.d)" "conditional patch applied"
kp "$MP" $S/p '{"stringData":{"k4":"four"}}'
check "stringData in a patch lands in data" test "$(jb .data.k4 | base64 -d)" = four
is 'null' "$(jb .stringData)" "stringData not returned after a patch"
kp "$MP" $S/p '{"metadata":{"finalizers":["x.io/two"]}}'
is '["x.io/two"]' "$(jb -c .metadata.finalizers)" "merge patch replaces lists whole"

# ---- strategic merge patch ------------------------------------------------------------------
kp "$SMP" $S/p '{"metadata":{"labels":{"e":"5"},"finalizers":["x.io/three"]}}'
is 200 "$STATUS" "strategic merge patch: 200"
is 5 "$(jb .metadata.labels.e)" "strategic merge patch merges maps"
is '["x.io/two","x.io/three"]' "$(jb -c .metadata.finalizers)" "strategic merge patch merges finalizers (patchStrategy merge)"
kp "$SMP" $S/p '{"metadata":{"$deleteFromPrimitiveList/finalizers":["x.io/two"],"$setElementOrder/finalizers":["x.io/three"]}}'
is '["x.io/three"]' "$(jb -c .metadata.finalizers)" "\$deleteFromPrimitiveList removes a finalizer, directives not stored"
kp "$SMP" $S/p '{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"a","uid":"u-1"}]}}'
kp "$SMP" $S/p '{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"b","uid":"u-2"},{"uid":"u-1","name":"a2"}]}}'
is 'u-1:a2,u-2:b' "$(jb -c '[.metadata.ownerReferences[] | .uid + ":" + .name] | join(",")')" "ownerReferences merge by uid"
kp "$SMP" $S/p '{"metadata":{"finalizers":null}}'
is 'null' "$(jb .metadata.finalizers)" "null deletes in a strategic merge patch"

# ---- JSON patch --------------------------------------------------------------------------------
kp "$JP" $S/p '[{"op":"replace","path":"/data/k1","value":"b25l"},{"op":"add","path":"/metadata/labels/berth.dev~1owner","value":"me"},{"op":"remove","path":"/metadata/labels/e"}]'
is 200 "$STATUS" "JSON patch: 200"
check "JSON patch replace" test "$(jb .data.k1)" = b25l
is me "$(jb '.metadata.labels["berth.dev/owner"]')" "JSON patch add with ~1 escaping"
is 'null' "$(jb .metadata.labels.e)" "JSON patch remove"
RVJ=$(jb .metadata.resourceVersion)
kp "$JP" $S/p '[{"op":"test","path":"/metadata/labels/a","value":"nope"},{"op":"add","path":"/metadata/labels/z","value":"1"}]'
is 422 "$STATUS" "JSON patch failing test op: 422"
same_json '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server rejected our request due to an error in our request","reason":"Invalid","details":{},"code":422}' \
	"JSON patch failure: generic Invalid Status"
k GET $S/p
is "$RVJ" "$(jb .metadata.resourceVersion)" "a failed JSON patch changes nothing"
kp "$JP" $S/p '[{"op":"remove","path":"/data/nope"}]'
is 422 "$STATUS" "JSON patch removing a missing key: 422"
kp "$JP" $S/p "[{\"op\":\"test\",\"path\":\"/metadata/resourceVersion\",\"value\":\"$RVJ\"},{\"op\":\"move\",\"from\":\"/data/k3\",\"path\":\"/data/k5\"},{\"op\":\"copy\",\"from\":\"/data/k1\",\"path\":\"/data/k6\"}]"
is 'k1,k4,k5,k6' "$(jb -c '.data | keys | join(",")')" "JSON patch test, move and copy"
kp "$JP" $S/p '[{"op":"replace","path":"/metadata/resourceVersion","value":"1"},{"op":"add","path":"/data/k7","value":"Nw=="}]'
is 409 "$STATUS" "JSON patch setting a stale resourceVersion: 409"
kp "$JP" $S/p '{"op":"add"}'
is 400 "$STATUS" "JSON patch that is not an array: 400"

# ---- errors ----------------------------------------------------------------------------------------
kp 'Content-Type: application/apply-patch+yaml' "$S/p?fieldManager=berth" 'apiVersion: v1'
is 415 "$STATUS" "server-side apply is not simulated: 415"
is UnsupportedMediaType "$(jb .reason)" "415 reason UnsupportedMediaType"
schema_ok "$STATUS_SCHEMA" "415 is a valid Status"
kp 'Content-Type: application/json' $S/p '{}'
is 415 "$STATUS" "PATCH with application/json: 415"
is 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json' \
	"$(jb .message)" "415 lists the accepted patch types"
kp "$MP" $S/missing '{"metadata":{"labels":{"a":"b"}}}'
is 404 "$STATUS" "patch of a missing secret: 404 (patch never creates)"
is 'secrets "missing" not found' "$(jb .message)" "patch 404 message"
kp "$MP" $S/p '{"metadata":{"name":"renamed"}}'
is 400 "$STATUS" "patch changing the name: 400"
kp "$MP" $S/p '{"type":"kubernetes.io/tls"}'
is 422 "$STATUS" "patch changing the type: 422"
kp "$MP" $S/p '{"data":{"bad key":"eA=="}}'
is 422 "$STATUS" "patch result is validated (data key)"
kp "$MP" $S/p '[1]'
is 400 "$STATUS" "merge patch that is not an object: 400"
kp "$MP" $S/p '{not json'
is 400 "$STATUS" "patch that is not JSON: 400"

tap_done
