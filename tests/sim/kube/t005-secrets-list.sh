#!/usr/bin/env bash
# t005 - Secret lists: typed SecretList without per-item kind, list
# resourceVersion, every labelSelector form, fieldSelector, limit/continue,
# lists across namespaces, and a namespace of 10,000 Secrets.
. "$BERTH_SOURCE_DIR/tests/lib/tap.sh"
. "$BERTH_SOURCE_DIR/tests/lib/sim.sh"
. "$BERTH_SOURCE_DIR/tests/sim/kube/lib.sh"
kstart
S=/api/v1/namespaces/default/secrets

sec() { printf '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"%s","namespace":"%s","labels":%s},"data":{"k":"dg=="}}' "$1" "$2" "$3"; }
SEED="[$(sec s1 default '{"app":"web","tier":"front","berth.dev/managed":"true"}'),
$(sec s2 default '{"app":"web","tier":"back"}'),
$(sec s3 default '{"app":"db"}'),
$(sec s4 default '{}'),
$(sec s5 default '{"app":"cache","n":"5"}'),
$(sec s6 default '{"n":"10"}'),
$(sec a1 kube-system '{"app":"web"}')]"
is 7 "$(ctl objects "$SEED" | jq -r .created)" "seeded secrets through /_sim/kube/objects"

k GET $S
is 200 "$STATUS" "list: 200"
schema_ok io.k8s.api.core.v1.SecretList "SecretList matches the schema"
is SecretList "$(jb .kind)" "kind SecretList"
is v1 "$(jb .apiVersion)" "apiVersion v1"
is 0 "$(jb '[.items[] | select(has("kind") or has("apiVersion"))] | length')" "items carry no kind/apiVersion"
is '["s1","s2","s3","s4","s5","s6"]' "$(jb -c '[.items[].metadata.name]')" "items sorted by name"
LRV=$(jb .metadata.resourceVersion)
check "list resourceVersion is at least every item's" test "$LRV" -ge "$(jb '[.items[].metadata.resourceVersion | tonumber] | max')"
is 'null' "$(jb .metadata.continue)" "no continue without limit"

sel() {
	k GET "$S?labelSelector=$(jq -rn --arg s "$1" '$s|@uri')"
	is "$2" "$(jb -c '[.items[].metadata.name] | join(",")')" "labelSelector '$1'"
}
sel 'app=web' s1,s2
sel 'app==web' s1,s2
sel 'app!=web' s3,s4,s5,s6
sel 'app in (web,db)' s1,s2,s3
sel 'app notin (web,db)' s4,s5,s6
sel 'app' s1,s2,s3,s5
sel '!app' s4,s6
sel 'app=web,tier=back' s2
sel 'app=web,!tier' ''
sel 'berth.dev/managed=true' s1
sel ' app = web , tier in ( front ) ' s1
sel 'n>6' s6
sel 'n<6' s5
sel 'tier notin (front),app' s2,s3,s5
sel '' s1,s2,s3,s4,s5,s6
k GET "$S?labelSelector=app%3Dweb%2Ctier%3Dfront"
is s1 "$(jb -c '[.items[].metadata.name] | join(",")')" "percent-encoded selector (%3D, %2C) decodes"

bad() {
	k GET "$S?labelSelector=$(jq -rn --arg s "$1" '$s|@uri')"
	is "400 BadRequest" "$STATUS $(jb .reason)" "invalid labelSelector '$1': 400 BadRequest"
}
bad 'app in web'
bad '=web'
bad 'app=we b'
bad 'app=-web'
bad 'app in ()x'
bad 'bad key=x'
bad 'app,'
bad 'n>x'
k GET "$S?labelSelector=app%20in%20web"
like '^unable to parse requirement: ' "$(jb .message)" "parse errors say 'unable to parse requirement'"

k GET "$S?fieldSelector=metadata.name%3Ds3"
is s3 "$(jb -c '[.items[].metadata.name] | join(",")')" "fieldSelector metadata.name="
k GET "$S?fieldSelector=type%3DOpaque,metadata.name!%3Ds1&labelSelector=app%3Dweb"
is s2 "$(jb -c '[.items[].metadata.name] | join(",")')" "fieldSelector type= and != with a labelSelector"
k GET "$S?fieldSelector=spec.colour%3Dred"
is 400 "$STATUS" "unknown fieldSelector field: 400"

# ---- limit / continue --------------------------------------------------------------------
k GET "$S?limit=4"
is 's1,s2,s3,s4' "$(jb -c '[.items[].metadata.name] | join(",")')" "limit=4: first page"
is 2 "$(jb .metadata.remainingItemCount)" "remainingItemCount without selectors"
CONT=$(jb .metadata.continue)
like '^[A-Za-z0-9_-]+$' "$CONT" "continue token is base64url"
k GET "$S?limit=4&continue=$CONT"
is 's5,s6' "$(jb -c '[.items[].metadata.name] | join(",")')" "continue: the rest"
is 'null' "$(jb .metadata.continue)" "last page has no continue"
k GET "$S?limit=1&labelSelector=app"
is 's1' "$(jb -c '[.items[].metadata.name] | join(",")')" "limit with a selector"
is 'null' "$(jb .metadata.remainingItemCount)" "no remainingItemCount with a selector"
k GET "$S?limit=1&labelSelector=app&continue=$(jb .metadata.continue)"
is 's2' "$(jb -c '[.items[].metadata.name] | join(",")')" "continue keeps filtering"
k GET "$S?continue=garbage!"
is 400 "$STATUS" "invalid continue token: 400"

k GET /api/v1/secrets
is 200 "$STATUS" "list across namespaces: 200"
is 's1,s2,s3,s4,s5,s6,a1' "$(jb -c '[.items[].metadata.name] | join(",")')" "all namespaces, sorted by namespace then name (etcd key order)"
k GET '/api/v1/secrets?labelSelector=app%3Dweb'
is 'default/s1,default/s2,kube-system/a1' "$(jb -c '[.items[] | .metadata.namespace + "/" + .metadata.name] | join(",")')" "labelSelector across namespaces"

k DELETE "$S?labelSelector=app%20in%20(cache,db)"
is 200 "$STATUS" "DELETE of the collection with a labelSelector: 200"
is 'SecretList s3,s5' "$(jb -r '.kind + " " + ([.items[].metadata.name] | join(","))')" "it answers the deleted items as a SecretList"
k GET $S
is 's1,s2,s4,s6' "$(jb -c '[.items[].metadata.name] | join(",")')" "only the matching secrets were deleted"

# ---- 10,000 secrets in one namespace --------------------------------------------------------
kj POST /api/v1/namespaces '{"metadata":{"name":"bulk"}}'
jq -cn '[range(10000) | {apiVersion:"v1",kind:"Secret",
	metadata:{name:("s-" + (. | tostring)), namespace:"bulk",
		labels:({"app.kubernetes.io/managed-by": (if . % 2 == 0 then "berth" else "other" end),
			 "berth.dev/robot": ("r" + (. | tostring))})},
	type:"kubernetes.io/dockerconfigjson", data:{".dockerconfigjson":"eyJhdXRocyI6e319"}}]' >"$TEST_TMP/bulk.json"
is 10000 "$(curl -sS --cacert "$CA_FILE" -X POST -H 'Content-Type: application/json' --data-binary @"$TEST_TMP/bulk.json" "$KURL/_sim/kube/objects" | jq -r .created)" \
	"10,000 secrets seeded"
k GET "/api/v1/namespaces/bulk/secrets?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dberth"
is 5000 "$(jb '.items | length')" "selector over 10,000 secrets: 5,000 match"
k GET "/api/v1/namespaces/bulk/secrets?labelSelector=berth.dev%2Frobot%3Dr9999"
is s-9999 "$(jb -c '[.items[].metadata.name] | join(",")')" "selector for one robot finds it"
k GET "/api/v1/namespaces/bulk/secrets?limit=500&labelSelector=app.kubernetes.io%2Fmanaged-by%3Dother"
is 500 "$(jb '.items | length')" "paged selector list: a page of 500"

tap_done
