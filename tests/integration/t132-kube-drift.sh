#!/usr/bin/env bash
# t132-kube-drift.sh - a Secret edited by hand (data, berth's labels and
# annotations) or deleted is restored by the next apply, with one write and
# labels others added kept; a conflict on update (another writer between
# berth's read and its PUT) is retried from a fresh read and succeeds; a
# conflict that never ends is reported.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
source tests/lib/kube.sh
sim_start
kube_ns tekton-workflows
kube_ns ci
CFG=$TEST_TMP/berth.yaml
write_config "$CFG" <<YAML
$(kube_yaml)
robots:
  - name: tekton
    permissions:
      - kind: project
        namespace: "*"
        access: [{resource: repository, action: push}, {resource: repository, action: pull}]
    targets:
      secrets:
        - {namespace: tekton-workflows, name: tekton-harbor-auth, tektonAnnotation: true}
        - {namespace: ci, name: harbor-push}
YAML
P=/api/v1/namespaces/tekton-workflows/secrets/tekton-harbor-auth

run_berth apply -f "$CFG"
is 0 "$RC" "apply exits 0" || show_berth
ORIG=$(kube_secret tekton-workflows tekton-harbor-auth)
WANT_DATA=$(jq -c .data <<<"$ORIG" | digest)
WANT_META=$(jq -cS '.metadata | {labels, annotations}' <<<"$ORIG")
CI_RV=$(kube_secret ci harbor-push | jq -r .metadata.resourceVersion)

# edit FILTER: apply a jq filter to the Secret and PUT it back (as a person with kubectl edit would)
edit() {
	local cur
	cur=$(kube_secret tekton-workflows tekton-harbor-auth)
	kube_json PUT $P "$(jq -c "$1" <<<"$cur")"
	[ "$STATUS" = 200 ] || diag "edit failed: $STATUS $BODY"
}
EVIL=$(printf '{"auths":{"evil.example.com":{"auth":"%s"}}}' "$(printf 'x:y' | base64 -w0)" | base64 -w0)

# restored DESC: apply, then the Secret holds berth's data, labels and annotations again with one write
restored() {
	sim_reset kube
	run_berth apply -f "$CFG"
	is 0 "$RC" "$1: apply exits 0" || show_berth
	like 'Secret tekton-workflows/tekton-harbor-auth updated' "$OUT" "$1: apply reports the update"
	local now
	now=$(kube_secret tekton-workflows tekton-harbor-auth)
	is "$WANT_DATA" "$(jq -c .data <<<"$now" | digest)" "$1: .dockerconfigjson is restored"
	is "$WANT_META" "$(jq -cS '.metadata | {labels: (.labels | del(.team)), annotations: (.annotations | del(.note))}' <<<"$now")" \
		"$1: berth's labels and annotations are restored"
	is "PUT $P" "$(kube_log_paths | grep -v '^GET')" "$1: one write, a PUT of that Secret"
}

run_berth plan -f "$CFG" --detailed-exitcode
is 0 "$RC" "plan: nothing to do after apply"
run_berth verify -f "$CFG"
is 0 "$RC" "verify: the published Secrets hold the stored credential" || show_berth
edit ".data[\".dockerconfigjson\"] = \"$EVIL\""
run_berth plan -f "$CFG" --detailed-exitcode
is 2 "$RC" "plan --detailed-exitcode: a hand-edited Secret is a pending change"
like 'Secret tekton-workflows/tekton-harbor-auth: update \(content differs\)' "$OUT" "plan says which Secret and why"
run_berth verify -f "$CFG"
is 2 "$RC" "verify: exit 2 for the hand-edited Secret"
like 'tekton-workflows/tekton-harbor-auth' "$OUT$ERR" "verify names it"
restored "data changed by hand"

edit '.metadata.annotations["berth.dev/robot-login"] = "robot$evil" | del(.metadata.annotations["tekton.dev/docker-0"]) | .metadata.labels["berth.dev/robot"] = "evil"'
restored "robot label, login and Tekton annotations changed by hand"

edit '.metadata.annotations["berth.dev/content-sha256"] = "0000"'
restored "content hash annotation changed by hand"

OWNER='[{"apiVersion":"v1","kind":"ConfigMap","name":"owner","uid":"2f6d7a1c-0c1e-4d5b-9a3f-6f1e2d3c4b5a"}]'
edit ".metadata.labels.team = \"platform\" | .metadata.annotations.note = \"hand-made\" | .metadata.ownerReferences = $OWNER | .data[\".dockerconfigjson\"] = \"e30=\""
restored "data changed, with a label, an annotation and an owner reference of someone else's"
NOW=$(kube_secret tekton-workflows tekton-harbor-auth)
is platform "$(jq -r .metadata.labels.team <<<"$NOW")" "a label someone else added is kept"
is hand-made "$(jq -r .metadata.annotations.note <<<"$NOW")" "an annotation someone else added is kept"
is "$OWNER" "$(jq -c .metadata.ownerReferences <<<"$NOW")" "an owner reference someone else added is kept (a PUT would drop it)"
is "$CI_RV" "$(kube_secret ci harbor-push | jq -r .metadata.resourceVersion)" "the other Secret was never written"

kube_api DELETE $P
sim_reset kube
run_berth apply -f "$CFG"
is 0 "$RC" "after the Secret was deleted by hand: apply exits 0" || show_berth
like 'Secret tekton-workflows/tekton-harbor-auth created' "$OUT" "the deleted Secret is created again"
is "$WANT_DATA" "$(kube_secret tekton-workflows tekton-harbor-auth | jq -c .data | digest)" "with the same content"
is "POST /api/v1/namespaces/tekton-workflows/secrets" "$(kube_log_paths | grep -v '^GET')" "one write, a POST"

# Conflict: another writer touches the Secret after berth listed it and before its PUT lands.
edit ".data[\".dockerconfigjson\"] = \"$EVIL\""
sim_reset kube
sim_fault kube "{\"path\":\"$P\",\"method\":\"PUT\",\"delay_ms\":1500}"
(cd "$TEST_TMP" && HARBOR_PASSWORD=$(harbor_admin_password) "$BERTH_BIN" apply -f "$CFG" >berth.out 2>berth.err; echo $? >berth.rc) &
BG=$!
LISTED='select(.method == "GET" and .path == "/api/v1/namespaces/tekton-workflows/secrets")'
for _ in $(seq 1 200); do
	[ "$(sim_requests kube | jq "[.[] | $LISTED] | length")" -ge 1 ] && break
	sleep 0.02
done
TOUCHED=$(kube_ctl touch '{"resource":"secrets","namespace":"tekton-workflows","name":"tekton-harbor-auth"}' | jq -r .resourceVersion)
wait $BG
RC=$(cat "$TEST_TMP/berth.rc")
OUT=$(cat "$TEST_TMP/berth.out")
ERR=$(cat "$TEST_TMP/berth.err")
is 0 "$RC" "a conflict on update: apply still exits 0" || show_berth
is '409 200' "$(sim_requests kube | jq -r --arg p $P '[.[] | select(.method == "PUT" and .path == $p) | .status | tostring] | join(" ")')" \
	"the first PUT conflicted (409), the retry succeeded (200)"
is "PUT $P
GET $P
PUT $P" "$(kube_log_paths | grep -v '/secrets?')" "the retry read the Secret afresh between the two PUTs"
NOW=$(kube_secret tekton-workflows tekton-harbor-auth)
is "$WANT_DATA" "$(jq -c .data <<<"$NOW" | digest)" "after the conflict the Secret holds berth's data"
check "the Secret's resourceVersion moved past the other writer's" test "$(jq -r .metadata.resourceVersion <<<"$NOW")" -gt "$TOUCHED"

# Deleted by someone between berth's list and its PUT (404): berth reads again and creates it.
edit ".data[\".dockerconfigjson\"] = \"$EVIL\""
sim_reset kube
sim_fault kube "{\"path\":\"$P\",\"method\":\"PUT\",\"delay_ms\":1500}"
(cd "$TEST_TMP" && HARBOR_PASSWORD=$(harbor_admin_password) "$BERTH_BIN" apply -f "$CFG" >berth.out 2>berth.err; echo $? >berth.rc) &
BG=$!
for _ in $(seq 1 200); do
	[ "$(sim_requests kube | jq "[.[] | $LISTED] | length")" -ge 1 ] && break
	sleep 0.02
done
kube_api DELETE $P
wait $BG
RC=$(cat "$TEST_TMP/berth.rc")
OUT=$(cat "$TEST_TMP/berth.out")
ERR=$(cat "$TEST_TMP/berth.err")
is 0 "$RC" "a Secret deleted between berth's read and its PUT: apply exits 0" || show_berth
is "PUT 404
GET 404
POST 201" "$(sim_requests kube | jq -r --arg p $P '.[] | select(.path == $p or (.method == "POST" and (.path | endswith("/secrets")))) | select(.method != "DELETE") | "\(.method) \(.status)"')" \
	"the PUT found it gone, a fresh read confirmed it, and berth created it again"
is "$WANT_DATA" "$(kube_secret tekton-workflows tekton-harbor-auth | jq -c .data | digest)" "the re-created Secret holds berth's data"

# A conflict every time: berth gives up after a few fresh reads and says so.
edit ".data[\".dockerconfigjson\"] = \"$EVIL\""
sim_reset kube
CONFLICT='{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on secrets \"tekton-harbor-auth\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"tekton-harbor-auth","kind":"secrets"},"code":409}'
sim_fault kube "{\"path\":\"$P\",\"method\":\"PUT\",\"status\":409,\"count\":20,\"body\":$CONFLICT}"
run_berth apply -f "$CFG"
is 1 "$RC" "a conflict on every attempt: exit 1"
like 'tekton-workflows/tekton-harbor-auth.*409.*the object has been modified' "$ERR" "the error names the Secret and quotes the conflict"
PUTS=$(requests kube PUT)
check "berth retried a bounded number of times ($PUTS PUTs)" test "$PUTS" -ge 2 -a "$PUTS" -le 5
sim_reset kube
run_berth apply -f "$CFG"
is 0 "$RC" "once the other writer stops, the next apply converges"
is "$WANT_DATA" "$(kube_secret tekton-workflows tekton-harbor-auth | jq -c .data | digest)" "and the Secret holds berth's data"
tap_done
