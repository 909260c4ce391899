#!/usr/bin/env bash
# t007 - networking.k8s.io/v1 Ingress (get/create/list, status reset on
# create, group in messages) and coordination.k8s.io/v1 Lease (create, PUT
# with resourceVersion conflicts, create on update, MicroTime kept).
. "$BERTH_SOURCE_DIR/tests/lib/tap.sh"
. "$BERTH_SOURCE_DIR/tests/lib/sim.sh"
. "$BERTH_SOURCE_DIR/tests/sim/kube/lib.sh"
kstart
kj POST /api/v1/namespaces '{"metadata":{"name":"harbor"}}'
I=/apis/networking.k8s.io/v1/namespaces/harbor/ingresses
L=/apis/coordination.k8s.io/v1/namespaces/harbor/leases

ING='{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"harbor","labels":{"app":"harbor"}},
 "spec":{"ingressClassName":"nginx","tls":[{"hosts":["harbor.example.com"],"secretName":"harbor-tls"}],
  "rules":[{"host":"harbor.example.com","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"harbor-core","port":{"number":80}}}}]}}]},
 "status":{"loadBalancer":{"ingress":[{"ip":"10.9.9.9"}]}}}'
kj POST $I "$ING"
is 201 "$STATUS" "create ingress: 201"
is Ingress "$(jb .kind)" "kind Ingress"
is networking.k8s.io/v1 "$(jb .apiVersion)" "apiVersion networking.k8s.io/v1"
check "required metadata set (name, namespace, uid, resourceVersion, creationTimestamp)" \
	test "$(jb '[.metadata | .name, .namespace, .uid, .resourceVersion, .creationTimestamp] | map(select(. != null and . != "")) | length')" = 5
is harbor.example.com "$(jb '.spec.rules[0].host')" "spec.rules[0].host kept"
is harbor.example.com "$(jb '.spec.tls[0].hosts[0]')" "spec.tls[0].hosts kept"
is 80 "$(jb '.spec.rules[0].http.paths[0].backend.service.port.number')" "backend service port kept"
is '{"loadBalancer":{}}' "$(jb -c .status)" "status is reset on create (status subresource)"
k GET $I/harbor
is 200 "$STATUS" "get ingress: 200"
is nginx "$(jb .spec.ingressClassName)" "get returns the spec"
k GET $I
is IngressList "$(jb .kind)" "list: kind IngressList"
is networking.k8s.io/v1 "$(jb .apiVersion)" "list: apiVersion networking.k8s.io/v1"
is 0 "$(jb '[.items[] | select(has("kind"))] | length')" "list items carry no kind"
is 1 "$(jb '.items | length')" "list has the ingress"

ctl objects "$(printf '%s' "$ING" | jq -c '.metadata.name = "seeded" | .metadata.namespace = "harbor"')" >/dev/null
k GET $I/seeded
is 10.9.9.9 "$(jb '.status.loadBalancer.ingress[0].ip')" "an ingress seeded by /_sim/kube/objects keeps its status"
kj PUT $I/seeded "$(jb -c '.status = {} | .metadata.labels.x = "y"')"
is 10.9.9.9 "$(jb '.status.loadBalancer.ingress[0].ip')" "PUT keeps the stored status"

k GET $I/nope
is 404 "$STATUS" "missing ingress: 404"
same_json '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"ingresses.networking.k8s.io \"nope\" not found","reason":"NotFound","details":{"name":"nope","group":"networking.k8s.io","kind":"ingresses"},"code":404}' \
	"ingress NotFound: group in message and details"
kj POST $I "$ING"
is 'ingresses.networking.k8s.io "harbor" already exists' "$(jb .message)" "ingress AlreadyExists message"
kj POST $I '{"metadata":{"name":"bad"},"spec":{}}'
is 422 "$STATUS" "ingress without rules or defaultBackend: 422"
same_json '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Ingress.networking.k8s.io \"bad\" is invalid: spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified","reason":"Invalid","details":{"name":"bad","group":"networking.k8s.io","kind":"Ingress","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified","field":"spec"}]},"code":422}' \
	"ingress Invalid: Kind.group in message, group in details"
kj POST $I '{"metadata":{"name":"nopt"},"spec":{"rules":[{"host":"a.example.com","http":{"paths":[{"path":"/","backend":{"service":{"name":"s","port":{"number":80}}}}]}}]}}'
is 'spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified' "$(jb '.message | sub("^[^:]*: "; "")')" "pathType is required"
kj POST $I '{"metadata":{"name":"wild"},"spec":{"rules":[{"host":"*.example.com","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"s","port":{"name":"http"}}}}]}}]}}'
is 201 "$STATUS" "wildcard host allowed"

# ---- Lease ----------------------------------------------------------------------------------
LEASE='{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"berth"},"spec":{"holderIdentity":"pod-a","leaseDurationSeconds":15,"acquireTime":"2026-01-05T10:00:00.000000Z","renewTime":"2026-01-05T10:00:10.123456Z","leaseTransitions":0}}'
kj POST $L "$LEASE"
is 201 "$STATUS" "create lease: 201"
is Lease "$(jb .kind)" "kind Lease"
is coordination.k8s.io/v1 "$(jb .apiVersion)" "apiVersion coordination.k8s.io/v1"
is 2026-01-05T10:00:10.123456Z "$(jb .spec.renewTime)" "MicroTime kept as given"
is 15 "$(jb .spec.leaseDurationSeconds)" "leaseDurationSeconds kept"
RV=$(jb .metadata.resourceVersion)
kj POST $L "$LEASE"
is 409 "$STATUS" "lease already exists: 409 (lost the race to create)"
is 'leases.coordination.k8s.io "berth" already exists' "$(jb .message)" "lease AlreadyExists message"

# two candidates read the same resourceVersion; the first renew wins, the second conflicts
A=$(printf '%s' "$LEASE" | jq -c --arg rv "$RV" '.metadata.resourceVersion = $rv | .spec.renewTime = "2026-01-05T10:00:12.000001Z"')
B=$(printf '%s' "$LEASE" | jq -c --arg rv "$RV" '.metadata.resourceVersion = $rv | .spec.holderIdentity = "pod-b" | .spec.leaseTransitions = 1')
kj PUT $L/berth "$A"
is 200 "$STATUS" "PUT with the current resourceVersion: 200"
is 2026-01-05T10:00:12.000001Z "$(jb .spec.renewTime)" "renewTime updated"
RV2=$(jb .metadata.resourceVersion)
check "resourceVersion moved" test "$RV2" -gt "$RV"
kj PUT $L/berth "$B"
is 409 "$STATUS" "PUT with the old resourceVersion: 409"
same_json '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on leases.coordination.k8s.io \"berth\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"berth","group":"coordination.k8s.io","kind":"leases"},"code":409}' \
	"lease Conflict: group in message and details"
k GET $L/berth
is pod-a "$(jb .spec.holderIdentity)" "the losing write changed nothing"
kj PUT $L/berth "$(printf '%s' "$LEASE" | jq -c '.spec.holderIdentity = "pod-c"')"
is 422 "$STATUS" "PUT of a lease without resourceVersion: 422 (no unconditional update)"
same_json '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"leases.coordination.k8s.io \"berth\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update","reason":"Invalid","details":{"name":"berth","group":"coordination.k8s.io","kind":"leases","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: 0x0: must be specified for an update","field":"metadata.resourceVersion"}]},"code":422}' \
	"lease update without resourceVersion: exact Status"
kj PUT $L/fresh "$(printf '%s' "$LEASE" | jq -c '.metadata.name = "fresh"')"
is 201 "$STATUS" "PUT to a missing lease creates it (create on update)"
FRESH_UID=$(jb .metadata.uid)
k GET $L/gone
is 'leases.coordination.k8s.io "gone" not found' "$(jb .message)" "missing lease: NotFound with group"
kj POST $L '{"metadata":{"name":"zero"},"spec":{"leaseDurationSeconds":0}}'
is 'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0' "$(jb '.message | sub("^[^:]*: "; "")')" "leaseDurationSeconds must be positive"
k GET $L
is LeaseList "$(jb .kind)" "list: kind LeaseList"
is 'berth,fresh' "$(jb -c '[.items[].metadata.name] | join(",")')" "list: both leases"
k DELETE $L/fresh
same_json "$(jq -cn --arg uid "$FRESH_UID" '{kind:"Status",apiVersion:"v1",metadata:{},status:"Success",details:{name:"fresh",group:"coordination.k8s.io",kind:"leases",uid:$uid}}')" \
	"delete lease: Status Success with group"

tap_done
