#!/usr/bin/env bash
# t139-kube-deploy.sh - the deploy/ manifests: each object parses (as berth
# reads YAML) and has its required fields; the RBAC names each verb with a
# reason and grants no wildcard; the ConfigMap's berth.yaml loads; the
# CronJob runs it as the service account. Then the proof: the CronJob's own
# command line, with the RBAC rules turned into the simulator's rules for
# the service account's token, runs in-cluster against berth-sim and
# publishes the Secret the Tekton PipelineRun mounts as Kaniko's config.json.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
source tests/lib/kube.sh
: "${YAML2JSON:=$BERTH_BUILD_DIR/tests/yaml2json}"
D=deploy
ALL=$TEST_TMP/all.json
if "$YAML2JSON" $D/*.yaml $D/tekton/*.yaml >"$ALL"; then
	tap_ok "every file under deploy/ parses as YAML berth accepts"
else
	tap_fail "every file under deploy/ parses as YAML berth accepts"
fi
objs() { jq -c --arg k "$1" '[.[] | select(.doc.kind == $k) | .doc]' "$ALL"; }
one() { jq -c --arg k "$1" --arg n "$2" '[.[] | select(.doc.kind == $k and .doc.metadata.name == $n) | .doc][0]' "$ALL"; }

# Every object: apiVersion, kind, metadata.name (generateName for a PipelineRun), and a
# namespace exactly when the kind is namespaced.
BAD=$(jq -r '.[] | .file as $f | .doc | select(.kind != "Kustomization")
	| select((.apiVersion | type) != "string" or (.kind | type) != "string"
		or (((.metadata.name // "") == "") and (.kind != "PipelineRun" or (.metadata.generateName // "") == ""))
		or ((.kind | IN("Namespace", "ClusterRole", "ClusterRoleBinding")) == ((.metadata.namespace // "") != "")))
	| "\($f): \(.kind) \(.metadata.name)"' "$ALL")
is '' "$BAD" "every object has apiVersion, kind, metadata.name and a namespace exactly when namespaced"
is 'batch/v1 CronJob
kustomize.config.k8s.io/v1beta1 Kustomization
rbac.authorization.k8s.io/v1 ClusterRole
rbac.authorization.k8s.io/v1 ClusterRoleBinding
rbac.authorization.k8s.io/v1 Role
rbac.authorization.k8s.io/v1 RoleBinding
tekton.dev/v1 Pipeline
tekton.dev/v1 PipelineRun
tekton.dev/v1 Task
v1 ConfigMap
v1 Namespace
v1 ServiceAccount' "$(jq -r '[.[].doc | "\(.apiVersion) \(.kind)"] | unique[]' "$ALL")" \
	"the kinds, each at its served version (batch/v1, rbac v1, tekton.dev/v1)"
for f in namespace serviceaccount rbac configmap cronjob; do
	check "kustomization.yaml lists $f.yaml" jq -e --arg f "$f.yaml" '[.[] | select(.file | endswith("deploy/kustomization.yaml")) | .doc.resources[]] | index($f) != null' "$ALL"
done
check "deploy/tekton/kustomization.yaml lists the Task and the Pipeline" jq -e '[.[] | select(.file | endswith("tekton/kustomization.yaml")) | .doc.resources[]] == ["kaniko-task.yaml", "pipeline.yaml"]' "$ALL"
is berth "$(one Namespace berth | jq -r .metadata.name)" "Namespace berth"
is true "$(one ServiceAccount berth | jq -r '.metadata.namespace == "berth" and .automountServiceAccountToken')" "ServiceAccount berth in berth, token mounted"

# RBAC: no wildcard, no verb berth never sends, every verb line commented, bindings to berth's SA.
ROLES=$(jq -c '[.[].doc | select(.kind == "Role" or .kind == "ClusterRole")]' "$ALL")
is '' "$(jq -r '.[] | .metadata.name as $n | .rules[] | select([.verbs[], .resources[], .apiGroups[]] | index("*")) | $n' <<<"$ROLES")" "no rule uses a wildcard"
is '' "$(jq -r '.[] | .rules[].verbs[] | select(IN("get","list","create","update","delete") | not)' <<<"$ROLES")" "only get, list, create, update and delete (no watch, patch, deletecollection)"
UNCOMMENTED=$(awk '/^    verbs:/ {v=1; next} v && /^      - / {if ($0 !~ /#/) print FILENAME": "$0; next} {v=0}' $D/rbac.yaml)
is '' "$UNCOMMENTED" "every verb in rbac.yaml carries a comment saying why"
rule() { jq -c --arg n "$1" --arg r "$2" '[.[] | select(.metadata.name == $n) | .rules[] | select(.resources | index($r)) | {verbs, resourceNames}]' <<<"$ROLES"; }
is '[{"verbs":["get","list","create","update","delete"],"resourceNames":null}]' "$(rule berth-targets secrets)" "ClusterRole berth-targets: Secrets get, list, create, update, delete"
is '[{"verbs":["list"],"resourceNames":null},{"verbs":["get"],"resourceNames":["berth"]}]' "$(rule berth-namespaces namespaces)" "ClusterRole berth-namespaces: list namespaces, get the store's"
is '[{"verbs":["get"],"resourceNames":["harbor-ingress"]}]' "$(rule berth-discovery ingresses)" "Role berth-discovery: get the Harbor Ingress, by name"
is '[{"verbs":["get"],"resourceNames":["harbor-secrets"]}]' "$(rule berth-discovery secrets)" "Role berth-discovery: get the Harbor Secret, by name"
is '[{"verbs":["create"],"resourceNames":null},{"verbs":["get","update"],"resourceNames":["berth"]}]' "$(rule berth-leader leases)" "Role berth-leader: the Lease for leader election"
is harbor "$(one Role berth-discovery | jq -r .metadata.namespace)" "the discovery Role lives in namespace harbor"
BINDINGS=$(jq -c '[.[].doc | select(.kind == "RoleBinding" or .kind == "ClusterRoleBinding")]' "$ALL")
is 4 "$(jq length <<<"$BINDINGS")" "four bindings"
is '' "$(jq -r '.[] | select(.subjects != [{"kind":"ServiceAccount","name":"berth","namespace":"berth"}]) | .metadata.name' <<<"$BINDINGS")" \
	"each binding's only subject is the berth ServiceAccount"
is '' "$(jq -r --argjson roles "$ROLES" '.[] | . as $b | select([$roles[] | select(.kind == $b.roleRef.kind and .metadata.name == $b.roleRef.name
	and ((.metadata.namespace // "") == ($b.metadata.namespace // "") or .kind == "ClusterRole"))] | length != 1) | .metadata.name' <<<"$BINDINGS")" \
	"each binding refers to a role of that kind in its namespace"

# ConfigMap and CronJob.
CM=$(one ConfigMap berth-config)
jq -r '.data["berth.yaml"]' <<<"$CM" >"$TEST_TMP/berth.yaml"
OUTCFG=$("$YAML2JSON" --berth-config "$TEST_TMP/berth.yaml" 2>&1)
is 0 "$?" "the ConfigMap's berth.yaml loads" || diag "$OUTCFG"
CJ=$(one CronJob berth)
POD=$(jq -c .spec.jobTemplate.spec.template.spec <<<"$CJ")
C=$(jq -c '.containers[0]' <<<"$POD")
like '^(\S+\s+){4}\S+$' "$(jq -r .spec.schedule <<<"$CJ")" "the CronJob has a five-field schedule"
is Forbid "$(jq -r .spec.concurrencyPolicy <<<"$CJ")" "concurrencyPolicy Forbid: never two applies at once"
is berth "$(jq -r .serviceAccountName <<<"$POD")" "the pod runs as ServiceAccount berth"
is Never "$(jq -r .restartPolicy <<<"$POD")" "restartPolicy Never"
is '["/usr/bin/berth","apply","-f","/etc/berth/berth.yaml","--log-format","json"]' "$(jq -c '.command + .args' <<<"$C")" "the command is berth apply -f /etc/berth/berth.yaml"
MOUNT=$(jq -r '.volumeMounts[] | select(.mountPath == "/etc/berth") | .name' <<<"$C")
is config "$MOUNT" "/etc/berth is a volume mount"
is 'berth-config berth.yaml' "$(jq -r --arg v "$MOUNT" '.volumes[] | select(.name == $v) | "\(.configMap.name) \(.configMap.items[0].path)"' <<<"$POD")" \
	"that volume is the ConfigMap, with berth.yaml as its file"
is '{"drop":["ALL"],"escalate":false,"nonroot":true,"rofs":true}' \
	"$(jq -cS --argjson c "$C" '{nonroot: .securityContext.runAsNonRoot, rofs: $c.securityContext.readOnlyRootFilesystem,
		escalate: $c.securityContext.allowPrivilegeEscalation, drop: $c.securityContext.capabilities.drop}' <<<"$POD")" \
	"non-root, read-only root filesystem, no privilege escalation, no capabilities"

# Tekton: the kaniko Task mounts dockerconfig at /kaniko/.docker, the Pipeline hands harbor-auth to
# it, the PipelineRun binds harbor-auth to berth's Secret with .dockerconfigjson as config.json.
TASK=$(one Task kaniko)
is '/kaniko/.docker true' "$(jq -r '.spec.workspaces[] | select(.name == "dockerconfig") | "\(.mountPath) \(.optional)"' <<<"$TASK")" "Task kaniko: workspace dockerconfig at /kaniko/.docker (optional)"
like 'kaniko-project/executor' "$(jq -r '.spec.steps[0].image' <<<"$TASK")" "Task kaniko runs the kaniko executor"
PIPE=$(one Pipeline build-and-push)
is 'kaniko harbor-auth' "$(jq -r '.spec.tasks[] | select(.taskRef.name == "kaniko") | "\(.taskRef.name) \(.workspaces[] | select(.name == "dockerconfig") | .workspace)"' <<<"$PIPE")" \
	"Pipeline: the kaniko task's dockerconfig is the pipeline's harbor-auth"
check "Pipeline declares workspace harbor-auth" jq -ne 'input | .spec.workspaces | map(.name) | index("harbor-auth") != null' <<<"$PIPE"
PR=$(objs PipelineRun | jq -c '.[0]')
is build-and-push "$(jq -r .spec.pipelineRef.name <<<"$PR")" "PipelineRun runs the Pipeline"
WS=$(jq -c '.spec.workspaces[] | select(.name == "harbor-auth") | .secret' <<<"$PR")
is '{"items":[{"key":".dockerconfigjson","path":"config.json"}],"secretName":"tekton-harbor-auth"}' "$(jq -cS . <<<"$WS")" \
	"PipelineRun: harbor-auth is the Secret, key .dockerconfigjson as config.json"
PRNS=$(jq -r .metadata.namespace <<<"$PR")
check "the Secret it mounts is a target of the ConfigMap's berth.yaml, in the PipelineRun's namespace" \
	grep -q "{namespace: $PRNS, name: $(jq -r .secretName <<<"$WS")}" "$TEST_TMP/berth.yaml"

# The proof: the CronJob's command, in-cluster, with the RBAC as the token's rules.
sim_start
HPORT=$(ready .harbor.url | sed 's|.*:||')
for ns in berth harbor tekton-workflows; do kube_ns $ns; done
kube_ns team-x '{"ci":"tekton"}'
kube_seed "$(jq -n '{apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: {name: "harbor-ingress", namespace: "harbor"},
	spec: {tls: [{hosts: ["localhost"], secretName: "harbor-tls"}], rules: [{host: "localhost", http: {paths: [{path: "/", pathType: "Prefix",
	backend: {service: {name: "harbor-core", port: {number: 80}}}}]}}]}}')"
kube_seed "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"harbor-secrets\",\"namespace\":\"harbor\"},\"type\":\"Opaque\",
	\"data\":{\"HARBOR_ADMIN_PASSWORD\":\"$(printf '%s' "$(harbor_admin_password)" | base64 -w0)\"}}"
# Role/ClusterRole rules -> the sim's rules, scoped by how they are bound.
RULES=$(jq -c --argjson roles "$ROLES" '[.[] | . as $b | $roles[] | select(.kind == $b.roleRef.kind and .metadata.name == $b.roleRef.name)
	| .rules[] | {verbs, resources, apiGroups} + (if .resourceNames then {resourceNames} else {} end)
	+ (if $b.kind == "RoleBinding" then {namespaces: [$b.metadata.namespace]} else {} end)]' <<<"$BINDINGS")
TOKEN=$(kube_token system:serviceaccount:berth:berth "$RULES")
SA=$TEST_TMP/sa
mkdir -p "$SA" "$TEST_TMP/etc"
cp "$CA_FILE" "$SA/ca.crt"
printf '%s' "$TOKEN" >"$SA/token"
printf 'berth\n' >"$SA/namespace"
# The sim's Harbor is on another port and has its own CA: the two lines a test must add.
sed -e "s|ingress: {namespace: harbor, name: harbor-ingress}|ingress: {namespace: harbor, name: harbor-ingress, port: $HPORT}\n  caFile: $CA_FILE|" \
	"$TEST_TMP/berth.yaml" >"$TEST_TMP/etc/berth.yaml"
mapfile -t CMD < <(jq -r --arg bin "$BERTH_BIN" --arg etc "$TEST_TMP/etc/" '(.command + .args)[] | sub("^/usr/bin/berth$"; $bin) | sub("^/etc/berth/"; $etc)' <<<"$C")
# make check's valgrind stage runs berth through a stand-in that needs these.
VG_ENV=()
[ -n "${BERTH_VALGRIND_DIR:-}" ] && VG_ENV=(BERTH_VALGRIND_DIR="$BERTH_VALGRIND_DIR" BERTH_BUILD_DIR="$BERTH_BUILD_DIR")
pod() {
	OUT_FILE=$TEST_TMP/berth.out
	ERR_FILE=$TEST_TMP/berth.err
	env -i PATH="$PATH" HOME="$TEST_TMP" KUBERNETES_SERVICE_HOST=127.0.0.1 \
		KUBERNETES_SERVICE_PORT="$(ready .kube.url | sed 's|.*:||')" BERTH_SA_DIR="$SA" "${VG_ENV[@]}" \
		$(jq -r '.env[] | "\(.name)=\(.value)"' <<<"$C") "$@" >"$OUT_FILE" 2>"$ERR_FILE"
	RC=$?
	OUT=$(cat "$OUT_FILE")
	ERR=$(cat "$ERR_FILE")
}
pod "${CMD[@]}"
is 0 "$RC" "the CronJob's command runs in-cluster with exactly the RBAC of deploy/ (exit 0)" || show_berth
is 0 "$(sim_requests kube | jq '[.[] | select(.status == 403)] | length')" "no request was forbidden"
is kubernetes.io/dockerconfigjson "$(kube_secret tekton-workflows tekton-harbor-auth | jq -r .type)" "the PipelineRun's Secret was published"
check "it has the key the workspace maps to config.json" jq -ne 'input | .data[".dockerconfigjson"] | length > 0' <<<"$(kube_secret tekton-workflows tekton-harbor-auth)"
is kubernetes.io/dockerconfigjson "$(kube_secret team-x harbor-push | jq -r .type)" "the selector's namespace got its Secret"
kube_api GET '/api/v1/namespaces/berth/secrets?labelSelector=!berth.dev%2Frobot'
is 1 "$(jq '.items | length' <<<"$BODY")" "the credential is kept in the store namespace berth"
pod "${CMD[@]}" --prune
is 0 "$RC" "with --prune too (cluster-wide list of berth's Secrets)" || show_berth
like '"msg":"[^"]*requests: harbor=[0-9]+ kube=[0-9]+' "$ERR" "logs are JSON lines, as the CronJob asks"
pod "$BERTH_BIN" run -f "$TEST_TMP/etc/berth.yaml" --once --leader-elect --listen off
is 0 "$RC" "berth run --leader-elect (the coming Deployment) works with the Lease grant" || show_berth
kube_api GET /apis/coordination.k8s.io/v1/namespaces/berth/leases/berth
is 200 "$STATUS" "the Lease is in namespace berth"
is 0 "$(sim_requests kube | jq '[.[] | select(.status == 403)] | length')" "still nothing forbidden"

# Least privilege is real: without the discovery Role, discovery is refused.
TOKEN2=$(kube_token no-discovery "$(jq -c '[.[] | select((.namespaces // []) != ["harbor"])]' <<<"$RULES")")
printf '%s' "$TOKEN2" >"$SA/token"
pod "${CMD[@]}"
is 1 "$RC" "without the harbor Role berth cannot read the Ingress (exit 1)"
like 'ingresses.networking.k8s.io "harbor-ingress" is forbidden' "$ERR" "and says so"
# The controller variant: deploy/controller.
CTL=$TEST_TMP/controller.json
if "$YAML2JSON" $D/controller/*.yaml >"$CTL"; then tap_ok "deploy/controller parses"; else tap_fail "deploy/controller parses"; fi
DEP=$(jq -c '[.[].doc | select(.kind == "Deployment")][0]' "$CTL")
is 'apps/v1 berth berth' "$(jq -r '"\(.apiVersion) \(.metadata.name) \(.metadata.namespace)"' <<<"$DEP")" "Deployment berth/berth at apps/v1"
is 2 "$(jq .spec.replicas <<<"$DEP")" "two replicas"
is true "$(jq '.spec.selector.matchLabels as $m | .spec.template.metadata.labels | contains($m)' <<<"$DEP")" "the selector matches the pod labels"
C=$(jq -c '.spec.template.spec.containers[0]' <<<"$DEP")
is berth "$(jq -r .spec.template.spec.serviceAccountName <<<"$DEP")" "it runs as the berth ServiceAccount"
is 'run -f /etc/berth/berth.yaml' "$(jq -r '.args[0:3] | join(" ")' <<<"$C")" "it runs berth run with the ConfigMap's berth.yaml"
check "it elects a leader" jq -e '.args | index("--leader-elect")' <<<"$C"
is '$(POD_NAME)' "$(jq -r '.args[(.args | index("--identity")) + 1]' <<<"$C")" "each replica's identity is its pod name"
is 'metadata.namespace' "$(jq -r '.env[] | select(.name == "POD_NAMESPACE") | .valueFrom.fieldRef.fieldPath' <<<"$C")" "POD_NAMESPACE from the downward API (the Lease's namespace)"
is '0.0.0.0:9102' "$(jq -r '.args[(.args | index("--listen")) + 1]' <<<"$C")" "it serves its endpoints on 9102"
is '/healthz metrics' "$(jq -r '.livenessProbe.httpGet | "\(.path) \(.port)"' <<<"$C")" "liveness probe on /healthz"
is '/readyz metrics' "$(jq -r '.readinessProbe.httpGet | "\(.path) \(.port)"' <<<"$C")" "readiness probe on /readyz"
is 9102 "$(jq -r '.ports[] | select(.name == "metrics") | .containerPort' <<<"$C")" "port metrics is 9102"
is '/etc/berth berth-config' "$(jq -r '(.volumeMounts[] | select(.name == "config") | .mountPath) + " " + ([$d.spec.template.spec.volumes[] | select(.name == "config") | .configMap.name][0])' --argjson d "$DEP" <<<"$C")" "the config comes from ConfigMap berth-config"
K=$(jq -c '[.[] | select(.file | endswith("controller/kustomization.yaml")) | .doc][0]' "$CTL")
is '[".."," deployment.yaml"]' "$(jq -c '[.resources[0], " " + .resources[1]]' <<<"$K")" "controller/kustomization.yaml builds on deploy/ and adds the Deployment"
like 'patch: delete' "$(jq -r '.patches[0].patch' <<<"$K")" "and drops the CronJob"
is CronJob "$(jq -r '.patches[0].target.kind' <<<"$K")" "(the patch targets the CronJob)"
# The Lease the Deployment uses is granted: get, create, update on leases in berth.
is '["create","get","update"]' "$(jq -c '[.[] | select(.metadata.name == "berth-leader") | .rules[] | select(.resources | index("leases")) | .verbs[]] | sort' <<<"$ROLES")" "rbac.yaml grants the leader Lease: get, create, update"
tap_done
