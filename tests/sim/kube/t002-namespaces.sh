#!/usr/bin/env bash
# t002 - namespaces: seeded ones, create, labels and labelSelector (berth's
# namespaceSelector.matchLabels), AlreadyExists, DNS-1123 label names, delete.
. "$BERTH_SOURCE_DIR/tests/lib/tap.sh"
. "$BERTH_SOURCE_DIR/tests/lib/sim.sh"
. "$BERTH_SOURCE_DIR/tests/sim/kube/lib.sh"
kstart

k GET /api/v1/namespaces
is 200 "$STATUS" "list namespaces: 200"
schema_ok io.k8s.api.core.v1.NamespaceList "NamespaceList matches the schema"
is NamespaceList "$(jb .kind)" "kind NamespaceList"
is v1 "$(jb .apiVersion)" "apiVersion v1"
check "default and kube-system are seeded" test "$(jb '[.items[].metadata.name] | map(select(. == "default" or . == "kube-system")) | length')" = 2
is 0 "$(jb '[.items[] | select(has("kind") or has("apiVersion"))] | length')" "list items carry no kind/apiVersion"
like '^[0-9]+$' "$(jb .metadata.resourceVersion)" "list metadata.resourceVersion is an integer string"

k GET /api/v1/namespaces/default
is 200 "$STATUS" "get default: 200"
schema_ok io.k8s.api.core.v1.Namespace "Namespace matches the schema"
is Namespace "$(jb .kind)" "kind Namespace"
is default "$(jb '.metadata.labels["kubernetes.io/metadata.name"]')" "label kubernetes.io/metadata.name is set"
is Active "$(jb .status.phase)" "status.phase Active"

kj POST /api/v1/namespaces '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a","labels":{"berth.dev/target":"yes"}}}'
is 201 "$STATUS" "create namespace: 201"
schema_ok io.k8s.api.core.v1.Namespace "created Namespace matches the schema"
is yes "$(jb '.metadata.labels["berth.dev/target"]')" "labels kept"
is team-a "$(jb '.metadata.labels["kubernetes.io/metadata.name"]')" "metadata.name label added"
is '["kubernetes"]' "$(jb -c .spec.finalizers)" "spec.finalizers defaulted"
kj POST /api/v1/namespaces '{"metadata":{"name":"team-b","labels":{"berth.dev/target":"no"}}}'
kj POST /api/v1/namespaces '{"metadata":{"name":"team-c"}}'

kj POST /api/v1/namespaces '{"metadata":{"name":"team-a"}}'
is 409 "$STATUS" "create existing namespace: 409"
same_json '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespaces \"team-a\" already exists","reason":"AlreadyExists","details":{"name":"team-a","kind":"namespaces"},"code":409}' \
	"AlreadyExists: details.kind namespaces"

k GET '/api/v1/namespaces?labelSelector=berth.dev%2Ftarget%3Dyes'
is '["team-a"]' "$(jb -c '[.items[].metadata.name]')" "labelSelector key=value picks matching namespaces"
k GET '/api/v1/namespaces?labelSelector=berth.dev%2Ftarget'
is '["team-a","team-b"]' "$(jb -c '[.items[].metadata.name]')" "labelSelector exists"
k GET '/api/v1/namespaces?labelSelector=kubernetes.io%2Fmetadata.name%20in%20(default%2Cteam-c)'
is '["default","team-c"]' "$(jb -c '[.items[].metadata.name]')" "labelSelector in () over metadata.name labels, sorted by name"
k GET '/api/v1/namespaces?fieldSelector=metadata.name%3Dteam-b'
is '["team-b"]' "$(jb -c '[.items[].metadata.name]')" "fieldSelector metadata.name"

kj POST /api/v1/namespaces '{"metadata":{"name":"Team_A"}}'
is 422 "$STATUS" "invalid namespace name: 422"
schema_ok "$STATUS_SCHEMA" "422 is a valid Status"
is 'Namespace "Team_A" is invalid: metadata.name: Invalid value: "Team_A": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '"'-'"', and must start and end with an alphanumeric character (e.g. '"'my-name'"',  or '"'123-abc'"', regex used for validation is '"'[a-z0-9]([-a-z0-9]*[a-z0-9])?'"')' \
	"$(jb .message)" "namespace names are DNS-1123 labels (exact message)"
is Namespace "$(jb .details.kind)" "Invalid: details.kind is the Kind"
is FieldValueInvalid "$(jb '.details.causes[0].reason')" "causes use reason"
kj POST /api/v1/namespaces '{"metadata":{"name":"a.b"}}'
is 422 "$STATUS" "dots are not allowed in namespace names"

k GET /api/v1/namespaces/nope
is 404 "$STATUS" "get missing namespace: 404"
is 'namespaces "nope" not found' "$(jb .message)" "NotFound message"
kj POST /api/v1/namespaces/nope/secrets '{"metadata":{"name":"s"}}'
is 404 "$STATUS" "create a secret in a missing namespace: 404"
same_json '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespaces \"nope\" not found","reason":"NotFound","details":{"name":"nope","kind":"namespaces"},"code":404}' \
	"the 404 names the namespace"
k GET /api/v1/namespaces/nope/secrets
is 200 "$STATUS" "list secrets of a missing namespace: 200"
is '[]' "$(jb -c .items)" "an empty list has items [] (not null)"

k PATCH /api/v1/namespaces/team-c -H 'Content-Type: application/merge-patch+json' --data-binary '{"metadata":{"labels":{"berth.dev/target":"yes"}}}'
is 200 "$STATUS" "patch namespace labels: 200"
is yes "$(jb '.metadata.labels["berth.dev/target"]')" "label added by patch"
is team-c "$(jb '.metadata.labels["kubernetes.io/metadata.name"]')" "metadata.name label kept"
k GET '/api/v1/namespaces?labelSelector=berth.dev%2Ftarget%3Dyes'
is '["team-a","team-c"]' "$(jb -c '[.items[].metadata.name]')" "selector sees the new label"

kj POST /api/v1/namespaces/team-a/secrets '{"metadata":{"name":"s1"}}'
k DELETE /api/v1/namespaces/team-a
is 200 "$STATUS" "delete namespace: 200"
is Namespace "$(jb .kind)" "delete answers with the Namespace"
is Terminating "$(jb .status.phase)" "phase Terminating"
k GET /api/v1/namespaces/team-a
is 404 "$STATUS" "deleted namespace is gone"
k GET /api/v1/namespaces/team-a/secrets/s1
is 404 "$STATUS" "its secrets are gone too"

tap_done
