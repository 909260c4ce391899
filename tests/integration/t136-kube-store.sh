#!/usr/bin/env bash
# t136-kube-store.sh - the kubernetes store: each robot's credential in an
# Opaque Secret of berth's own (the seed's name/secret layout), written with
# compare-and-set on resourceVersion (a concurrent writer is detected before
# Harbor hears of a new secret), idempotent, and never mistaken for a
# published target by --prune.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
source tests/lib/kube.sh
sim_start
kube_ns berth
STORE='store:
  kubernetes: {namespace: berth}'
CFG=$TEST_TMP/berth.yaml
write_config "$CFG" "$STORE" <<YAML
$(kube_yaml)
robots:
  - name: tekton
    permissions:
      - kind: project
        namespace: "*"
        access: [{resource: repository, action: push}, {resource: repository, action: pull}]
    targets:
      secrets:
        - {namespace: berth, name: harbor-push}
YAML

run_berth apply -f "$CFG"
is 0 "$RC" "apply with the kubernetes store exits 0" || show_berth
kube_api GET '/api/v1/namespaces/berth/secrets?labelSelector=!berth.dev%2Frobot'
ENTRIES=$BODY
is 1 "$(jq '.items | length' <<<"$ENTRIES")" "one store Secret in namespace berth"
E=$(jq -c '.items[0]' <<<"$ENTRIES")
like '^berth-harbor-tekton-robot-account-[0-9a-f]{8}$' "$(jq -r .metadata.name <<<"$E")" "named after the store path, with a hash suffix"
is Opaque "$(jq -r .type <<<"$E")" "of type Opaque"
is '{"app.kubernetes.io/managed-by":"berth","berth.dev/owner":"berth"}' "$(jq -cS .metadata.labels <<<"$E")" "labelled as berth's, with the owner"
is harbor/tekton-robot-account "$(jq -r '.metadata.annotations["berth.dev/store-path"]' <<<"$E")" "annotated with the store path"
NAME=$(jq -r .metadata.name <<<"$E")
field() { kube_secret berth "$NAME" | jq -r --arg k "$1" '.data[$k] // empty' | base64 -d; }
is 'robot$tekton' "$(field name)" "data.name is the robot's login (the seed's layout)"
is 0 "$(field pending_secret | wc -c)" "no pending secret is left"
is berth "$(field berth_owner)" "the entry records its owner"
printf '%s\t%s\t%s\n' "$(field name)" "$(field secret)" store >"$TEST_TMP/creds.tsv"
is '' "$(check_creds "$TEST_TMP/creds.tsv")" "the token service accepts the stored secret"
rm -f "$TEST_TMP/creds.tsv"
if [ "$(kube_dockercfg berth harbor-push | jq -r --arg r "$(registry_key)" '.auths[$r].password')" == "$(field secret)" ]; then
	tap_ok "the published Secret carries the stored secret"
else
	tap_fail "the published Secret carries the stored secret"
fi

sim_reset kube
sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$RC" "a second apply exits 0"
is 0 "$(kube_writes)" "a second apply sends no write to Kubernetes"
is 0 "$(writes harbor)" "nor to Harbor"
is 1 "$(kube_log_paths GET | grep -c "^GET /api/v1/namespaces/berth/secrets/$NAME$")" "the entry is read with one GET by name"

# --prune never takes a store entry for an orphaned target, even in the same namespace.
sim_reset kube
run_berth apply -f "$CFG" --prune
is 0 "$RC" "apply --prune exits 0" || show_berth
is 0 "$(kube_writes)" "apply --prune deletes nothing: the store Secret is not a target"
is 'robot$tekton' "$(field name)" "the store entry is still there"

# Compare-and-set: another writer changes the entry between berth's read and its write.
OLD_SECRET=$(field secret)
RV=$(kube_secret berth "$NAME" | jq -r .metadata.resourceVersion)
sim_reset kube
sim_reset harbor
sim_fault kube "{\"path\":\"/api/v1/namespaces/berth/secrets/$NAME\",\"method\":\"PUT\",\"delay_ms\":1500}"
(cd "$TEST_TMP" && HARBOR_PASSWORD=$(harbor_admin_password) "$BERTH_BIN" rotate -f "$CFG" tekton --now >berth.out 2>berth.err; echo $? >berth.rc) &
BG=$!
for _ in $(seq 1 200); do
	[ "$(kube_log_paths GET | grep -c "/secrets/$NAME$")" -ge 1 ] && break
	sleep 0.02
done
kube_ctl touch "{\"resource\":\"secrets\",\"namespace\":\"berth\",\"name\":\"$NAME\"}" >/dev/null
wait $BG
RC=$(cat "$TEST_TMP/berth.rc")
OUT=$(cat "$TEST_TMP/berth.out")
ERR=$(cat "$TEST_TMP/berth.err")
is 1 "$RC" "a rotation whose store write conflicts exits 1"
like 'another writer changed the entry' "$OUT$ERR" "the conflict is reported as another writer"
is "PUT 409" "$(sim_requests kube | jq -r '.[] | select(.method == "PUT") | "\(.method) \(.status)"')" "the store write was a PUT with the read resourceVersion, answered 409"
is 0 "$(requests harbor PATCH)" "Harbor was not told of a secret the store does not hold (nothing lost)"
if [ "$(field secret)" == "$OLD_SECRET" ]; then tap_ok "the stored secret is unchanged"; else tap_fail "the stored secret is unchanged"; fi
printf '%s\t%s\t%s\n' 'robot$tekton' "$OLD_SECRET" store >"$TEST_TMP/creds.tsv"
is '' "$(check_creds "$TEST_TMP/creds.tsv")" "and Harbor still accepts it"
rm -f "$TEST_TMP/creds.tsv"
run_berth rotate -f "$CFG" tekton --now
is 0 "$RC" "the next rotation succeeds" || show_berth
if [ "$(field secret)" != "$OLD_SECRET" ]; then tap_ok "the entry holds a new secret"; else tap_fail "the entry holds a new secret"; fi
check "its resourceVersion moved" test "$(kube_secret berth "$NAME" | jq -r .metadata.resourceVersion)" != "$RV"
if [ "$(kube_dockercfg berth harbor-push | jq -r --arg r "$(registry_key)" '.auths[$r].password')" == "$(field secret)" ]; then
	tap_ok "the rotated secret was published"
else
	tap_fail "the rotated secret was published"
fi

# Compare-and-set on create: an entry that appears between the read and the write.
cat >>"$CFG" <<YAML
  - name: second
    permissions:
      - kind: project
        namespace: "*"
        access: [{resource: repository, action: pull}]
YAML
sim_fault kube '{"path":"/api/v1/namespaces/berth/secrets","method":"POST","status":409,"body":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"secrets \"x\" already exists","reason":"AlreadyExists","details":{"name":"x","kind":"secrets"},"code":409}}'
run_berth apply -f "$CFG"
is 1 "$RC" "a store entry created by someone else meanwhile: exit 1"
like 'robot second.*another writer changed the entry' "$OUT$ERR" "reported as a conflict for that robot"
run_berth apply -f "$CFG"
is 0 "$RC" "the next apply converges" || show_berth
kube_api GET '/api/v1/namespaces/berth/secrets?labelSelector=!berth.dev%2Frobot'
is 2 "$(jq '.items | length' <<<"$BODY")" "two store Secrets now"
if grep -rqF -- "$(field secret)" "$OUT_FILE" "$ERR_FILE"; then tap_fail "the secret appears in berth's output"; else tap_ok "the secret appears nowhere in berth's output"; fi

# A store namespace that does not exist is reported before anything is changed in Harbor.
sed -i 's/namespace: berth}/namespace: nowhere}/' "$CFG"
sed -i 's/- name: second/- name: third/' "$CFG"
sim_reset harbor
run_berth apply -f "$CFG"
is 64 "$RC" "a missing store namespace: exit 64"
like "store not usable, nothing was changed: store.kubernetes: namespace 'nowhere' does not exist" "$ERR" "the error names the namespace"
is 0 "$(writes harbor)" "and Harbor got no write"
tap_done
