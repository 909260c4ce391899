#!/usr/bin/env bash
# t134-kube-prune.sh - Secrets berth published that the config no longer
# names: reported as orphans without --prune, deleted with it (in namespaces
# still named and in namespaces no target names any more); Secrets of other
# owners and Secrets berth did not create are never touched.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
source tests/lib/kube.sh
sim_start
for ns in ci-a ci-b keep; do kube_ns $ns; done
kube_seed '[{"apiVersion":"v1","kind":"Secret","metadata":{"name":"not-ours","namespace":"ci-a"},"type":"Opaque","data":{"x":"eA=="}},
 {"apiVersion":"v1","kind":"Secret","metadata":{"name":"other-owner","namespace":"ci-b",
  "labels":{"app.kubernetes.io/managed-by":"berth","berth.dev/owner":"someone-else","berth.dev/robot":"tekton"}},
  "type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"e30="}}]'

PERMS='    permissions:
      - kind: project
        namespace: "*"
        access: [{resource: repository, action: pull}]'
CFG=$TEST_TMP/berth.yaml
write_config "$CFG" <<YAML
$(kube_yaml)
robots:
  - name: tekton
$PERMS
    targets:
      secrets:
        - {namespace: ci-a, name: harbor-push}
        - {namespace: ci-a, name: extra}
        - {namespace: ci-b, name: harbor-push}
  - name: puller
$PERMS
    targets:
      secrets:
        - {namespace: keep, name: pull}
YAML
run_berth apply -f "$CFG"
is 0 "$RC" "apply of two robots and four Secrets exits 0" || show_berth

# v2: tekton drops ci-a/extra and ci-b (no target names ci-b any more)
write_config "$CFG" <<YAML
$(kube_yaml)
robots:
  - name: tekton
$PERMS
    targets:
      secrets:
        - {namespace: ci-a, name: harbor-push}
  - name: puller
$PERMS
    targets:
      secrets:
        - {namespace: keep, name: pull}
YAML
sim_reset kube
run_berth apply -f "$CFG"
is 0 "$RC" "without --prune, apply exits 0" || show_berth
like 'Secret ci-a/extra: orphan.*--prune' "$OUT" "apply reports the Secret no robot publishes to as an orphan"
is 0 "$(kube_writes)" "and deletes nothing"
run_berth plan -f "$CFG"
like 'Secret ci-a/extra: orphan' "$OUT" "plan reports it too"
run_berth plan -f "$CFG" --prune --detailed-exitcode
is 2 "$RC" "plan --prune: changes pending"
like 'Secret ci-a/extra: delete' "$OUT" "plan --prune deletes the orphan in a namespace still named"
like 'Secret ci-b/harbor-push: delete' "$OUT" "plan --prune finds the orphan in a namespace no target names any more"
if printf '%s' "$OUT" | grep -q 'not-ours\|other-owner\|keep/pull\|ci-a/harbor-push: delete'; then
	tap_fail "plan --prune touches nothing else"; diag "$OUT"
else
	tap_ok "plan --prune touches nothing else (foreign Secret, other owner, named targets)"
fi

sim_reset kube
run_berth apply -f "$CFG" --prune
is 0 "$RC" "apply --prune exits 0" || show_berth
like 'Secret ci-a/extra: deleted' "$OUT" "apply --prune reports the deletion in ci-a"
like 'Secret ci-b/harbor-push: deleted' "$OUT" "and in ci-b"
is "DELETE /api/v1/namespaces/ci-a/secrets/extra
DELETE /api/v1/namespaces/ci-b/secrets/harbor-push" "$(kube_log_paths | grep -v '^GET' | sort)" "the only writes are the two DELETEs"
is 1 "$(kube_log_paths GET | grep -c '^GET /api/v1/secrets?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dberth%2Cberth.dev%2Fowner%3Dberth%2Cberth.dev%2Frobot&')" \
	"with --prune berth's Secrets are read with one cluster-wide labelled list"
is gone "$(kube_gone ci-a extra)" "ci-a/extra is gone"
is gone "$(kube_gone ci-b harbor-push)" "ci-b/harbor-push is gone"
is Opaque "$(kube_secret ci-a not-ours | jq -r .type)" "a Secret berth did not create is kept"
is someone-else "$(kube_secret ci-b other-owner | jq -r '.metadata.labels["berth.dev/owner"]')" "another owner's Secret is kept"
is berth "$(kube_secret keep pull | jq -r '.metadata.labels["app.kubernetes.io/managed-by"]')" "a Secret still named is kept"
is berth "$(kube_secret ci-a harbor-push | jq -r '.metadata.labels["app.kubernetes.io/managed-by"]')" "the robot's remaining Secret is kept"

sim_reset kube
sim_reset harbor
run_berth apply -f "$CFG" --prune
is 0 "$RC" "a second apply --prune exits 0"
is 0 "$(kube_writes)" "and writes nothing to Kubernetes"
is 0 "$(writes harbor)" "nor to Harbor"

# A robot removed from the config: with --prune its robot, store entry and Secrets go.
write_config "$CFG" <<YAML
$(kube_yaml)
robots:
  - name: tekton
$PERMS
    targets:
      secrets:
        - {namespace: ci-a, name: harbor-push}
YAML
run_berth apply -f "$CFG"
like 'robot robot\$puller: orphan' "$OUT" "without --prune the removed robot is reported as an orphan"
run_berth plan -f "$CFG" --prune
like 'Secret keep/pull: delete' "$OUT" "plan --prune shows that its Secret (in a namespace no target names) goes with it"
is berth "$(kube_secret keep pull | jq -r '.metadata.labels["app.kubernetes.io/managed-by"]')" "and kept"
run_berth apply -f "$CFG" --prune
is 0 "$RC" "apply --prune after removing a robot exits 0" || show_berth
like 'robot robot\$puller .*deleted \(id [0-9]+\)' "$OUT" "the robot is deleted"
like 'Secret keep/pull: deleted' "$OUT" "its Secret is deleted"
is gone "$(kube_gone keep pull)" "keep/pull is gone"
is '' "$(stored_field harbor/puller-robot-account name)" "its store entry is gone"

# Without the right to list Secrets cluster-wide, --prune still works in the named namespaces.
TOKEN=$(kube_token ns-only '[{"verbs":["get","list","create","update","delete"],"resources":["secrets"],"namespaces":["ci-a","ci-b","keep"]},
 {"verbs":["list"],"resources":["namespaces"]}]')
KC=$TEST_TMP/kubeconfig
sed "s/token: .*/token: $TOKEN/" "$(ready .kube.kubeconfig)" >"$KC"
write_config "$CFG" <<YAML
kubernetes: {kubeconfig: $KC}
robots:
  - name: tekton
$PERMS
    targets:
      secrets:
        - {namespace: ci-a, name: harbor-push}
        - {namespace: ci-b, name: tmp}
YAML
run_berth apply -f "$CFG"
is 0 "$RC" "a namespace-scoped user publishes ci-b/tmp" || show_berth
sed -i '/ci-b, name: tmp/d' "$CFG"
sed -i 's/namespace: ci-a, name: harbor-push}/namespace: ci-a, name: harbor-push}\n        - {namespace: ci-b, name: other}/' "$CFG"
run_berth apply -f "$CFG" --prune
is 0 "$RC" "apply --prune without a cluster-wide list right exits 0" || show_berth
like 'cannot list Secrets in all namespaces' "$ERR" "berth warns that orphans in other namespaces cannot be seen"
like 'Secret ci-b/tmp: deleted' "$OUT" "the orphan in a named namespace is still pruned"
tap_done
