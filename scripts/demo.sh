#!/usr/bin/env bash
# scripts/demo.sh BUILD - the seed's whole chain, end to end, on loopback:
# simulated Harbor, Vault and Kubernetes (berth-sim), a real registry
# (docker-registry) trusting the simulated Harbor's tokens, berth with
# examples/seed.yaml, and the pipeline's push played by umoci and skopeo.
# Prints each step; stops everything it started, also on Ctrl-C or failure.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
export BERTH_BUILD_DIR=$PWD/$BUILD
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/registry.sh
trap 'echo; echo "demo: interrupted; stopping what it started"; exit 130' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '   %s\n' "$*"; }
kube() {
	local method=$1 path=$2
	shift 2
	curl -sS --fail-with-body --cacert "$CA_FILE" -H "Authorization: Bearer $(ready .kube.token)" \
		-H 'Content-Type: application/json' -X "$method" "$(ready .kube.url)$path" "$@"
}
vault_ctl() { curl -sS --fail-with-body --cacert "$CA_FILE" -X POST --data "$2" "$(ready .vault.url)/_sim/vault/$1" >/dev/null; }
berth() { "$BERTH_BIN" "$@"; }
t0=$(date +%s)

step "0. Start the world: simulated Harbor, Vault and Kubernetes API (TLS, loopback), and a real registry"
missing=$(registry_tools_missing)
[ -z "$missing" ] || { echo "demo: missing programs: $missing (run 'make deps')"; exit 1; }
sim_start
registry_start
say "scratch         $TEST_TMP (removed at the end)"
say "Harbor API      $(ready .harbor.url)   (token service: $(ready .harbor.token_realm))"
say "Vault           $(ready .vault.url)"
say "Kubernetes API  $(ready .kube.url)"
say "registry        https://$REGISTRY_HOST   (docker-registry 2.8, auth.token -> the simulated Harbor)"

step "1. Seed the cluster the way the seed's cluster looks"
kube POST /api/v1/namespaces --data '{"metadata":{"name":"harbor"}}' >/dev/null
kube POST /api/v1/namespaces --data '{"metadata":{"name":"tekton-workflows"}}' >/dev/null
kube POST /api/v1/namespaces --data '{"metadata":{"name":"berth"}}' >/dev/null
kube POST /apis/networking.k8s.io/v1/namespaces/harbor/ingresses --data '{
  "metadata": {"name": "harbor-ingress", "namespace": "harbor"},
  "spec": {"tls": [{"hosts": ["localhost"], "secretName": "harbor-tls"}],
           "rules": [{"host": "localhost", "http": {"paths": [{"path": "/", "pathType": "Prefix",
             "backend": {"service": {"name": "harbor-core", "port": {"number": 80}}}}]}}]}}' >/dev/null
say "Ingress harbor/harbor-ingress (host localhost, TLS)"
pw_b64=$(printf '%s' "$(ready .harbor.password)" | base64 -w0)
kube POST /api/v1/namespaces/harbor/secrets --data "{\"metadata\":{\"name\":\"harbor-secrets\",\"namespace\":\"harbor\"},
  \"type\":\"Opaque\",\"data\":{\"HARBOR_ADMIN_PASSWORD\":\"$pw_b64\"}}" >/dev/null
unset pw_b64
say "Secret harbor/harbor-secrets holding HARBOR_ADMIN_PASSWORD"
say "namespace tekton-workflows for the pipeline"
jwt="demo.$(head -c 24 /dev/urandom | base64 -w0 | tr '+/' '-_').sig"
vault_ctl kubernetes/roles '{"role":"berth","bound_service_account_names":["berth"],"bound_service_account_namespaces":["berth"],
  "policies":[{"path_prefix":"secret/data/harbor/","capabilities":["create","read","update"]},
              {"path_prefix":"secret/metadata/harbor/","capabilities":["create","read","update"]},
              {"path_prefix":"sys/internal/ui/mounts/","capabilities":["read"]}],"ttl_s":3600}'
vault_ctl kubernetes/jwts "{\"jwt\":\"$jwt\",\"service_account\":\"berth\",\"namespace\":\"berth\"}"
mkdir -p "$TEST_TMP/serviceaccount" && printf '%s' "$jwt" >"$TEST_TMP/serviceaccount/token" && chmod 600 "$TEST_TMP/serviceaccount/token"
unset jwt
say "Vault: Kubernetes auth role 'berth' for service account berth/berth, policy on secret/harbor/*"

# Point the committed example at this loopback world (empty in a real cluster).
export KUBECONFIG=$(ready .kube.kubeconfig) VAULT_ADDR=$(ready .vault.url) VAULT_CACERT=$CA_FILE
export HARBOR_CACERT=$CA_FILE HARBOR_REGISTRY=$REGISTRY_HOST
export HARBOR_INGRESS_PORT=$(ready .harbor.url | sed 's/.*://') BERTH_SA_TOKEN=$TEST_TMP/serviceaccount/token

step "2. berth plan, then berth apply, with examples/seed.yaml"
berth plan -f examples/seed.yaml
berth apply -f examples/seed.yaml

step "3. Play the pipeline: mount the Secret as config.json, build an image of berth, push it (Kaniko's step)"
ws=$TEST_TMP/workspace/dockerconfig
mkdir -p "$ws" && chmod 700 "$ws"
kube GET /api/v1/namespaces/tekton-workflows/secrets/tekton-harbor-auth |
	jq -r '.data[".dockerconfigjson"]' | base64 -d >"$ws/config.json"
chmod 600 "$ws/config.json"
say "workspace dockerconfig: items [{key: .dockerconfigjson, path: config.json}] -> $ws/config.json"
say "its registries: $(jq -r '.auths | keys | join(", ")' "$ws/config.json")"
img=$TEST_TMP/berth-image bundle=$TEST_TMP/bundle
umoci init --layout "$img" >/dev/null
umoci new --image "$img:latest" >/dev/null
umoci unpack --rootless --image "$img:latest" "$bundle" >/dev/null
mkdir -p "$bundle/rootfs/usr/local/bin"
cp "$BERTH_BIN" "$bundle/rootfs/usr/local/bin/berth"
umoci repack --image "$img:latest" "$bundle" >/dev/null
umoci config --image "$img:latest" --config.entrypoint /usr/local/bin/berth --config.cmd version >/dev/null
say "built an OCI image of berth itself with umoci"
skopeo --insecure-policy copy --quiet --authfile "$ws/config.json" --dest-cert-dir "$REGISTRY_CERT_DIR" \
	"oci:$img:latest" "docker://$REGISTRY_HOST/library/berth:demo"
say "pushed $REGISTRY_HOST/library/berth:demo with skopeo --authfile config.json"
say "manifest digest from the registry: $(registry_manifest_digest library/berth demo)"

step "4. berth verify, and a second berth apply that changes nothing"
berth verify -f examples/seed.yaml
out=$(berth apply -f examples/seed.yaml)
printf '%s\n' "$out"
printf '%s' "$out" | grep -q 'Apply: 0 changed' || { echo "demo: the second apply changed something"; exit 1; }

step "5. Done in $(( $(date +%s) - t0 ))s; stopping berth-sim and the registry"
