#!/usr/bin/env bash
# t001 - authentication (401), authorization (403 with the apiserver's exact
# messages), unknown paths (404), wrong methods (405), media types (415).
. "$BERTH_SOURCE_DIR/tests/lib/tap.sh"
. "$BERTH_SOURCE_DIR/tests/lib/sim.sh"
. "$BERTH_SOURCE_DIR/tests/sim/kube/lib.sh"
kstart

UNAUTH='{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}'

kreq GET /api/v1/namespaces/default/secrets
is 401 "$STATUS" "no credentials: 401"
same_json "$UNAUTH" "no credentials: Status Unauthorized, no details"
schema_ok "$STATUS_SCHEMA" "401 body is a valid Status"
kas not-a-token GET /api/v1/namespaces/default/secrets
is 401 "$STATUS" "unknown bearer token: 401"
same_json "$UNAUTH" "unknown bearer token: Status Unauthorized"
kreq GET /api/v1/namespaces/default/secrets -u "admin:$TOKEN"
is 401 "$STATUS" "basic credentials are not accepted: 401"
kreq GET /version
is 401 "$STATUS" "anonymous requests are refused everywhere (anonymous auth off)"

k GET /api/v1/namespaces/default/secrets
is 200 "$STATUS" "admin token: 200"
is "application/json" "$(header Content-Type)" "responses are application/json"
like '^[0-9a-f-]{36}$' "$(header Audit-Id)" "responses carry an Audit-Id"
is '\n' "$(tail -c1 "$TEST_TMP/last.body" | od -An -c | tr -d ' ')" "JSON bodies end with a newline (Go's json.Encoder)"
k GET /version
is 200 "$STATUS" "GET /version: 200"
like '^v1\.[0-9]+' "$(jb .gitVersion)" "/version has a gitVersion"

kj POST /api/v1/namespaces '{"metadata":{"name":"ci"}}'
is 201 "$STATUS" "namespace ci created"

# ---- 403 -------------------------------------------------------------------
ALICE=$(user_token alice '[{"verbs":["get","list"],"resources":["secrets"],"namespaces":["ci"]}]')
like '^[A-Za-z0-9]{20,}$' "$ALICE" "control endpoint makes up a token"

kas "$ALICE" GET /api/v1/namespaces/ci/secrets/x
is 404 "$STATUS" "allowed verb passes authorization (404 for a missing secret)"
kas "$ALICE" GET /api/v1/namespaces/ci/secrets
is 200 "$STATUS" "allowed list: 200"

kas "$ALICE" PUT /api/v1/namespaces/ci/secrets/x -H 'Content-Type: application/json' --data-binary '{"metadata":{"name":"x"}}'
is 403 "$STATUS" "update without the verb: 403"
same_json '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"secrets \"x\" is forbidden: User \"alice\" cannot update resource \"secrets\" in API group \"\" in the namespace \"ci\"","reason":"Forbidden","details":{"name":"x","kind":"secrets"},"code":403}' \
	"403 on a named secret: exact message, details.kind secrets"
schema_ok "$STATUS_SCHEMA" "403 body is a valid Status"

kas "$ALICE" GET /api/v1/namespaces/default/secrets
is 403 "$STATUS" "list in another namespace: 403"
is 'secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" in the namespace "default"' \
	"$(jb .message)" "403 on a list: no name in the message"
is 'null' "$(jb .details.name)" "403 on a list: no details.name"

kas "$ALICE" POST /api/v1/namespaces/ci/secrets -H 'Content-Type: application/json' --data-binary '{"metadata":{"name":"y"}}'
is 'secrets is forbidden: User "alice" cannot create resource "secrets" in API group "" in the namespace "ci"' \
	"$(jb .message)" "403 on create: verb create, no name"
kas "$ALICE" PATCH /api/v1/namespaces/ci/secrets/x -H 'Content-Type: application/merge-patch+json' --data-binary '{}'
is 'secrets "x" is forbidden: User "alice" cannot patch resource "secrets" in API group "" in the namespace "ci"' \
	"$(jb .message)" "403 on PATCH: verb patch"
kas "$ALICE" DELETE /api/v1/namespaces/ci/secrets/x
is 'secrets "x" is forbidden: User "alice" cannot delete resource "secrets" in API group "" in the namespace "ci"' \
	"$(jb .message)" "403 on DELETE: verb delete"
kas "$ALICE" DELETE /api/v1/namespaces/ci/secrets
is 'secrets is forbidden: User "alice" cannot deletecollection resource "secrets" in API group "" in the namespace "ci"' \
	"$(jb .message)" "403 on DELETE of a collection: verb deletecollection"
kas "$ALICE" GET /api/v1/namespaces
is 'namespaces is forbidden: User "alice" cannot list resource "namespaces" in API group "" at the cluster scope' \
	"$(jb .message)" "403 at the cluster scope"
kas "$ALICE" GET /api/v1/namespaces/ci
is 'namespaces "ci" is forbidden: User "alice" cannot get resource "namespaces" in API group "" in the namespace "ci"' \
	"$(jb .message)" "403 on a namespace names it as the namespace"
kas "$ALICE" GET /apis/networking.k8s.io/v1/namespaces/ci/ingresses/web
is 403 "$STATUS" "ingress without a rule: 403"
same_json '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"ingresses.networking.k8s.io \"web\" is forbidden: User \"alice\" cannot get resource \"ingresses\" in API group \"networking.k8s.io\" in the namespace \"ci\"","reason":"Forbidden","details":{"name":"web","group":"networking.k8s.io","kind":"ingresses"},"code":403}' \
	"403 for a non-core group: group in message and details"

BOB=$(user_token bob '[{"verbs":["*"],"resources":["secrets"]}]')
kas "$BOB" DELETE /api/v1/namespaces/default/secrets/nope
is 404 "$STATUS" "wildcard verbs and no namespaces: allowed in every namespace"
kas "$BOB" GET /api/v1/secrets
is 200 "$STATUS" "rule without namespaces also covers the cluster scope"
CAROL=$(user_token carol '[{"verbs":["get"],"resources":["secrets"],"namespaces":["ci"],"resourceNames":["only"]}]')
kas "$CAROL" GET /api/v1/namespaces/ci/secrets/only
is 404 "$STATUS" "resourceNames: the named object is allowed"
kas "$CAROL" GET /api/v1/namespaces/ci/secrets/other
is 403 "$STATUS" "resourceNames: other names are forbidden"
DAVE=$(ctl tokens '{"user":"dave","groups":["system:masters"]}' | jq -r .token)
kas "$DAVE" GET /apis/coordination.k8s.io/v1/namespaces/ci/leases
is 200 "$STATUS" "group system:masters may do everything"
OPS=$(ctl tokens '{"token":"ops-token-1","user":"ops","rules":[{"verbs":["list"],"resources":["secrets"]}]}' | jq -r .token)
is ops-token-1 "$OPS" "control endpoint keeps a given token"
kas ops-token-1 GET /api/v1/namespaces/ci/secrets
is 200 "$STATUS" "given token authenticates"

# ---- expiry and revocation ---------------------------------------------------
ctl tokens/expire '{"token":"ops-token-1"}' >/dev/null
kas ops-token-1 GET /api/v1/namespaces/ci/secrets
is 401 "$STATUS" "expired token: 401"
same_json "$UNAUTH" "expired token: Status Unauthorized"
ctl tokens/revoke "{\"token\":\"$BOB\"}" >/dev/null
kas "$BOB" GET /api/v1/secrets
is 401 "$STATUS" "revoked token: 401"
SHORT=$(ctl tokens '{"user":"short","ttl_seconds":1,"rules":[{"verbs":["list"],"resources":["secrets"]}]}' | jq -r .token)
kas "$SHORT" GET /api/v1/secrets
is 200 "$STATUS" "token with a TTL works before it runs out"
sleep 1.2
kas "$SHORT" GET /api/v1/secrets
is 401 "$STATUS" "token with a TTL: 401 once it ran out"

# ---- 404, 405, 415, 501 ---------------------------------------------------
NOTFOUND='{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}'
k GET /api/v1/namespaces/ci/configmaps
is 404 "$STATUS" "unserved resource: 404"
same_json "$NOTFOUND" "unserved resource: generic NotFound Status with empty details"
schema_ok "$STATUS_SCHEMA" "generic 404 is a valid Status"
k GET /apis/apps/v1/namespaces/ci/deployments
same_json "$NOTFOUND" "unserved group: generic NotFound"
k GET /nope
is 404 "$STATUS" "unknown path: 404"
same_json "$NOTFOUND" "unknown path: generic NotFound"
k GET /api/v1/namespaces/ci/secrets/x/status
is 404 "$STATUS" "subresources are not served: 404"

kj PUT /api/v1/namespaces/ci/secrets '{}'
is 405 "$STATUS" "PUT on a collection: 405"
same_json '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server does not allow this method on the requested resource","reason":"MethodNotAllowed","details":{},"code":405}' \
	"405: Status MethodNotAllowed"
k POST /api/v1/namespaces/ci/secrets/x -H 'Content-Type: application/json' --data-binary '{}'
is 405 "$STATUS" "POST on an object: 405"
k DELETE /api/v1/namespaces
is 405 "$STATUS" "DELETE of the namespace collection: 405"
k GET /api/v1/namespaces/ci/namespaces
is 404 "$STATUS" "a cluster-scoped resource under a namespace: 404"

k POST /api/v1/namespaces/ci/secrets --data-binary '{"metadata":{"name":"form"}}'
is 415 "$STATUS" "create with a form content type (curl's default): 415"
is UnsupportedMediaType "$(jb .reason)" "415: reason UnsupportedMediaType"
k GET '/api/v1/namespaces/ci/secrets?watch=1'
is 501 "$STATUS" "watch is not simulated: 501, loudly"

tap_done
