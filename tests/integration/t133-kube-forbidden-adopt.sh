#!/usr/bin/env bash
# t133-kube-forbidden-adopt.sh - a namespace berth may not write to is
# reported (exit 1, the namespace and the verb named) while the other targets
# are written; a Secret berth did not create is never overwritten without
# adopt: true on that target, and with it is taken over (labels added,
# others' labels kept).
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
source tests/lib/kube.sh
sim_start
for ns in team-a team-b locked dark apps; do kube_ns $ns; done

# berth's own user: Secrets everywhere but 'locked' (read-only) and 'dark' (nothing).
TOKEN=$(kube_token berth '[
 {"verbs":["get","list","create","update","delete"],"resources":["secrets"],"namespaces":["team-a","team-b","apps"]},
 {"verbs":["get","list"],"resources":["secrets"],"namespaces":["locked"]},
 {"verbs":["list"],"resources":["namespaces"]}]')
KC=$TEST_TMP/kubeconfig
sed "s/token: .*/token: $TOKEN/" "$(ready .kube.kubeconfig)" >"$KC"
chmod 600 "$KC"

CFG=$TEST_TMP/berth.yaml
write_config "$CFG" <<YAML
kubernetes: {kubeconfig: $KC}
robots:
  - name: tekton
    permissions:
      - kind: project
        namespace: "*"
        access: [{resource: repository, action: push}, {resource: repository, action: pull}]
    targets:
      secrets:
        - {namespace: team-a, name: harbor-push}
        - {namespace: locked, name: harbor-push}
        - {namespace: dark, name: harbor-push}
        - {namespace: team-b, name: harbor-push}
YAML

run_berth apply -f "$CFG"
is 1 "$RC" "a namespace berth may not write to: apply exits 1"
like 'Secret locked/harbor-push.*cannot create resource "secrets" in API group "" in the namespace "locked"' "$OUT$ERR" \
	"the read-only namespace is reported with the verb (create) and the namespace"
like 'Secret dark/harbor-push.*cannot (list|create) resource "secrets" in API group "" in the namespace "dark"' "$OUT$ERR" \
	"the namespace with no rights at all is reported too, with its verb"
for ns in team-a team-b; do
	is kubernetes.io/dockerconfigjson "$(kube_secret $ns harbor-push | jq -r .type)" "$ns/harbor-push was written all the same"
done
is gone "$(kube_gone locked harbor-push)" "nothing was written in 'locked'"
like 'robot\$tekton' "$(stored_field harbor/tekton-robot-account name)" "the robot and its store entry were made"
if grep -qF -- "$(stored_field harbor/tekton-robot-account secret)" "$OUT_FILE" "$ERR_FILE"; then
	tap_fail "the secret appears in berth's output"
else
	tap_ok "the secret appears nowhere in berth's output"
fi

sim_reset kube
sim_reset harbor
run_berth apply -f "$CFG"
is 1 "$RC" "a second apply still reports the forbidden namespaces"
is 0 "$(writes harbor)" "it sends no write to Harbor"
is "POST /api/v1/namespaces/dark/secrets
POST /api/v1/namespaces/locked/secrets" "$(kube_log_paths | grep -v '^GET' | sort)" "its only writes are the refused creates; team-a and team-b are left alone"

# Ownership: a Secret berth did not create (kubectl create secret docker-registry ...).
FOREIGN_CJ=$(printf '{"auths":{"registry.example.com":{"auth":"%s"}}}' "$(printf 'me:pw' | base64 -w0)")
kube_seed "$(jq -n --arg d "$(printf '%s' "$FOREIGN_CJ" | base64 -w0)" '{apiVersion: "v1", kind: "Secret",
	metadata: {name: "harbor-pull", namespace: "apps", labels: {team: "apps"}, annotations: {"owner.example.com/ticket": "OPS-1"},
		ownerReferences: [{apiVersion: "apps/v1", kind: "Deployment", name: "app", uid: "9b1c3e5a-7d2f-4e6a-8c0b-1a2b3c4d5e6f"}]},
	type: "kubernetes.io/dockerconfigjson", data: {".dockerconfigjson": $d}}')"
kube_seed '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"opaque","namespace":"apps"},"type":"Opaque","data":{"token":"eA=="}}'
FOREIGN_RV=$(kube_secret apps harbor-pull | jq -r .metadata.resourceVersion)

# adopt_config FILE ADOPT
adopt_config() {
	write_config "$1" <<-YAML
	$(kube_yaml)
	robots:
	  - name: puller
	    permissions:
	      - kind: project
	        namespace: "*"
	        access: [{resource: repository, action: pull}]
	    targets:
	      secrets:
	        - {namespace: apps, name: harbor-pull, adopt: $2}
	        - {namespace: apps, name: puller-own}
	YAML
}
adopt_config "$CFG" false
run_berth apply -f "$CFG"
is 1 "$RC" "a Secret berth did not create, without adopt: apply exits 1"
like 'Secret apps/harbor-pull exists and is not managed by berth; set adopt: true' "$OUT$ERR" "the error names the Secret and says how to take it over"
is "$FOREIGN_RV" "$(kube_secret apps harbor-pull | jq -r .metadata.resourceVersion)" "the foreign Secret was not written"
if [ "$(kube_dockercfg apps harbor-pull)" == "$FOREIGN_CJ" ]; then tap_ok "its content is untouched"; else tap_fail "its content is untouched"; fi
is berth "$(kube_secret apps puller-own | jq -r '.metadata.labels["app.kubernetes.io/managed-by"]')" "the robot's other target was written"
sim_reset kube
run_berth apply -f "$CFG"
is 1 "$RC" "a second apply without adopt still refuses"
is "$FOREIGN_RV" "$(kube_secret apps harbor-pull | jq -r .metadata.resourceVersion)" "and still does not write the foreign Secret"
is 0 "$(requests kube PUT)" "no PUT was sent"

adopt_config "$CFG" true
run_berth apply -f "$CFG"
is 0 "$RC" "with adopt: true the Secret is taken over: exit 0" || show_berth
like 'Secret apps/harbor-pull updated' "$OUT" "apply reports the take-over"
S=$(kube_secret apps harbor-pull)
is '{"app.kubernetes.io/managed-by":"berth","berth.dev/owner":"berth","berth.dev/robot":"puller","team":"apps"}' \
	"$(jq -cS .metadata.labels <<<"$S")" "berth's labels were added, the owner's label kept"
is OPS-1 "$(jq -r '.metadata.annotations["owner.example.com/ticket"]' <<<"$S")" "the owner's annotation kept"
is app "$(jq -r '.metadata.ownerReferences[0].name' <<<"$S")" "its owner reference kept"
is 'robot$puller' "$(kube_dockercfg apps harbor-pull | jq -r --arg r "$(registry_key)" '.auths[$r].username')" "it now carries the robot's credential"
is '["'"$(registry_key)"'"]' "$(kube_dockercfg apps harbor-pull | jq -c '.auths | keys')" "and only the robot's registry"
sim_reset kube
run_berth apply -f "$CFG"
is 0 "$RC" "after the take-over, apply exits 0"
is 0 "$(kube_writes)" "and writes nothing: the adopted Secret is berth's now"

# An adopted Secret of another type cannot become a dockerconfigjson in place.
cat >>"$CFG" <<YAML
        - {namespace: apps, name: opaque, adopt: true}
YAML
sim_reset kube
run_berth apply -f "$CFG"
is 1 "$RC" "adopting an Opaque Secret: exit 1"
like "Secret apps/opaque has type Opaque, and a Secret's type cannot change; delete it" "$OUT$ERR" "the error says the Secret's type is in the way and what to do"
is 0 "$(requests kube PUT)" "no doomed PUT was sent"
is Opaque "$(kube_secret apps opaque | jq -r .type)" "the Opaque Secret is left as it was"
tap_done
