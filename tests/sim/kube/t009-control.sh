#!/usr/bin/env bash
# t009 - control endpoints and core features on the Kubernetes API: touch
# (another writer moves the resourceVersion), seeding objects, the
# request log, fault injection, ready.json.
. "$BERTH_SOURCE_DIR/tests/lib/tap.sh"
. "$BERTH_SOURCE_DIR/tests/lib/sim.sh"
. "$BERTH_SOURCE_DIR/tests/sim/kube/lib.sh"
kstart
S=/api/v1/namespaces/default/secrets

like '^https://127\.0\.0\.1:[0-9]+$' "$KURL" "ready.json: kube.url"
like '^[A-Za-z0-9]{40}$' "$TOKEN" "ready.json: kube.token"

kj POST $S '{"metadata":{"name":"t"},"data":{"a":"YQ=="}}'
RV=$(jb .metadata.resourceVersion)
OUT=$(ctl touch '{"resource":"secrets","namespace":"default","name":"t"}')
RV2=$(printf '%s' "$OUT" | jq -r .resourceVersion)
check "touch answers a newer resourceVersion" test "$RV2" -gt "$RV"
k GET $S/t
is "$RV2" "$(jb .metadata.resourceVersion)" "the object carries the touched resourceVersion"
check "touch does not change the content" test "$(jb -c .data)" = '{"a":"YQ=="}'
kj PUT $S/t "{\"metadata\":{\"name\":\"t\",\"resourceVersion\":\"$RV\"},\"data\":{\"a\":\"Yg==\"}}"
is 409 "$STATUS" "a write with the pre-touch resourceVersion conflicts"
is "no such object" "$(ctl touch '{"resource":"secrets","namespace":"default","name":"nope"}' | jq -r .error)" "touch of a missing object: error"

OUT=$(ctl objects '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"Bad_Name","namespace":"default"}}')
is Invalid "$(printf '%s' "$OUT" | jq -r .reason)" "seeding validates: an invalid object answers its Status"
OUT=$(ctl objects '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}')
like 'served kind' "$(printf '%s' "$OUT" | jq -r .error)" "seeding an unserved kind: error"
OUT=$(ctl objects '[{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"seeded","labels":{"team":"a"}}},{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"seeded"},"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"e30="}}]')
is 2 "$(printf '%s' "$OUT" | jq -r .created)" "seeding a namespace and a secret in it"
k GET /api/v1/namespaces/seeded/secrets/s
is 200 "$STATUS" "seeded secret is served"
is 400 "$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$CA_FILE" -X POST -H 'Content-Type: application/json' --data-binary '{"user":""}' "$KURL/_sim/kube/tokens")" \
	"token without a user: 400"

# the request log counts berth's writes; control endpoints are not logged
sim_reset kube
k GET $S/t
kj PUT $S/t '{"metadata":{"name":"t"},"data":{"a":"Yw=="}}'
k PATCH $S/t -H 'Content-Type: application/merge-patch+json' --data-binary '{}'
ctl touch '{"resource":"secrets","namespace":"default","name":"t"}' >/dev/null
LOG=$(sim_requests kube)
is 'GET PUT PATCH' "$(printf '%s' "$LOG" | jq -r '[.[].method] | join(" ")')" "request log has the API calls, not the control calls"
is '/api/v1/namespaces/default/secrets/t' "$(printf '%s' "$LOG" | jq -r '.[1].path')" "request log paths"
is '200 200 200' "$(printf '%s' "$LOG" | jq -r '[.[].status] | map(tostring) | join(" ")')" "request log statuses"

# faults apply to the Kubernetes API like to the others
sim_fault kube '{"path":"/api/v1/namespaces/default/secrets","method":"PUT","status":429,"retry_after":2,"body":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Too many requests, please try again later.","reason":"TooManyRequests","details":{"retryAfterSeconds":2},"code":429}}'
kj PUT $S/t '{"metadata":{"name":"t"},"data":{"a":"YQ=="}}'
is 429 "$STATUS" "fault: 429 on the next PUT"
is 2 "$(header Retry-After)" "fault: Retry-After"
schema_ok "$STATUS_SCHEMA" "429 Status body is valid"
kj PUT $S/t '{"metadata":{"name":"t"},"data":{"a":"YQ=="}}'
is 200 "$STATUS" "the fault fired once"

tap_done
