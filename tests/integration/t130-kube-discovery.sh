#!/usr/bin/env bash
# t130-kube-discovery.sh - Harbor found as the seed finds it: the URL from
# Ingress harbor/harbor-ingress (https when it has TLS), the admin password
# from key HARBOR_ADMIN_PASSWORD of Secret harbor/harbor-secrets. apply
# works with only those (plus the CA and the kubeconfig) in the config;
# missing or unusable objects are reported with what was looked for.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
source tests/lib/kube.sh
sim_start
HPORT=$(ready .harbor.url | sed 's|.*:||')
PASS_B64=$(printf '%s' "$(harbor_admin_password)" | base64 -w0)

# ingress NAME HOST TLS_HOSTS_JSON: an Ingress in namespace harbor (TLS_HOSTS_JSON "" = no TLS)
ingress() {
	jq -n --arg n "$1" --arg h "$2" --argjson tls "${3:-null}" '{apiVersion: "networking.k8s.io/v1", kind: "Ingress",
		metadata: {name: $n, namespace: "harbor"},
		spec: ({rules: [{host: $h, http: {paths: [{path: "/", pathType: "Prefix",
			backend: {service: {name: "harbor-core", port: {number: 80}}}}]}}]}
			+ (if $tls == null then {} else {tls: [{hosts: $tls, secretName: "harbor-tls"}]} end))}'
}
kube_ns harbor
kube_seed "$(ingress harbor-ingress localhost '["localhost"]')"
kube_seed "$(ingress harbor-plain harbor.example.com)"
kube_seed "$(ingress harbor-wild localhost '["*.example.com"]')"
kube_seed "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"harbor-secrets\",\"namespace\":\"harbor\"},
	\"type\":\"Opaque\",\"data\":{\"HARBOR_ADMIN_PASSWORD\":\"$PASS_B64\",\"OTHER\":\"eA==\"}}"

# discovery_config FILE INGRESS [KEY]
discovery_config() {
	cat >"$1" <<-YAML
	harbor:
	  urlFrom: {ingress: {namespace: harbor, name: $2, port: $HPORT}}
	  caFile: $CA_FILE
	  password: {secret: {namespace: harbor, name: harbor-secrets, key: ${3:-HARBOR_ADMIN_PASSWORD}}}
	$(kube_yaml)
	store:
	  file: {dir: $STORE_DIR}
	robots:
	  - name: tekton
	    permissions:
	      - kind: project
	        namespace: "*"
	        access: [{resource: repository, action: push}, {resource: repository, action: pull}]
	YAML
}
CFG=$TEST_TMP/berth.yaml
discovery_config "$CFG" harbor-ingress

# run without HARBOR_PASSWORD in the environment: the Secret is the only source
run_disc() {
	OUT_FILE=$TEST_TMP/berth.out
	ERR_FILE=$TEST_TMP/berth.err
	env -u HARBOR_PASSWORD -u HARBOR_URL -u KUBECONFIG BERTH_LOG=info "$BERTH_BIN" "$@" >"$OUT_FILE" 2>"$ERR_FILE"
	RC=$?
	OUT=$(cat "$OUT_FILE")
	ERR=$(cat "$ERR_FILE")
}

run_disc apply -f "$CFG"
is 0 "$RC" "apply with urlFrom.ingress and password from a Secret exits 0" || show_berth
like "discovered https://localhost:$HPORT from ingress harbor/harbor-ingress" "$ERR" "the URL is https://<ingress host>:<port> (the Ingress has TLS)"
is "GET /apis/networking.k8s.io/v1/namespaces/harbor/ingresses/harbor-ingress
GET /api/v1/namespaces/harbor/secrets/harbor-secrets" "$(kube_log_paths)" "Kubernetes was asked for the Ingress and the Secret, once each, and nothing else"
is 'robot$tekton' "$(harbor_robot 'robot$tekton' | jq -r .name)" "the robot was created in the discovered Harbor"
is "localhost:$HPORT" "$(stored_field harbor/tekton-robot-account registry)" "the registry host comes from the discovered URL"
check_store_accepted "$STORE_DIR" >/dev/null && tap_ok "the stored credential works" || tap_fail "the stored credential works"
if grep -qF -- "$(harbor_admin_password)" "$OUT_FILE" "$ERR_FILE"; then
	tap_fail "the admin password appears in berth's output"
else
	tap_ok "the admin password appears nowhere in berth's output"
fi

sim_reset harbor
run_disc apply -f "$CFG"
is 0 "$RC" "a second discovered apply exits 0"
is 0 "$(writes harbor)" "a second discovered apply writes nothing to Harbor"

# The seed's rule: the host is spec.rules[0].host; a wildcard TLS entry still means https.
discovery_config "$CFG" harbor-wild
sim_reset kube
run_disc plan -f "$CFG"
is 0 "$RC" "an Ingress whose TLS names a wildcard host: plan exits 0" || show_berth
like "discovered https://localhost:$HPORT from ingress harbor/harbor-wild" "$ERR" "the rule's host is used, https because the Ingress has TLS"

discovery_config "$CFG" harbor-plain
sim_reset harbor
run_disc plan -f "$CFG"
is 64 "$RC" "an Ingress without TLS: exit 64 (plain http to a remote host is not allowed by default)"
like "discovered http://harbor.example.com:$HPORT" "$ERR" "the URL is http:// when the Ingress has no TLS"
like "refusing plain http:// to 'harbor.example.com'.*allowPlainHTTP" "$ERR" "berth refuses to send the password in clear and says how to allow it"
is 0 "$(requests harbor)" "no request went to Harbor"

discovery_config "$CFG" nope
run_disc plan -f "$CFG"
is 1 "$RC" "a missing Ingress: exit 1"
like 'harbor\.urlFrom: ingress harbor/nope.*404.*ingresses.networking.k8s.io "nope" not found' "$ERR" "the error names the Ingress and quotes the API server"

discovery_config "$CFG" harbor-ingress NOPE
run_disc plan -f "$CFG"
is 1 "$RC" "a missing key in the password Secret: exit 1"
like "harbor\.password.*harbor/harbor-secrets has no key 'NOPE'" "$ERR" "the error names the Secret and the key"
tap_done
