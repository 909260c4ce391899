#!/usr/bin/env bash
# t137-kube-connection.sh - how berth reaches the Kubernetes API: a
# kubeconfig with certificate-authority-data and a token, the sim-cert
# context (client certificate and key data), KUBECONFIG with several files,
# in-cluster (KUBERNETES_SERVICE_HOST/PORT, token, ca.crt, namespace) with a
# token file that changes during a run (picked up on a 401 and on the
# periodic re-read), and exec plugins refused with a clear error.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
source tests/lib/kube.sh
sim_start
kube_ns ci
KC=$(ready .kube.kubeconfig)
KPORT=$(ready .kube.url | sed 's|.*:||')
CFG=$TEST_TMP/berth.yaml
# conn_config KUBERNETES_YAML: one robot publishing ci/harbor-push
conn_config() {
	write_config "$CFG" <<-YAML
	$1
	robots:
	  - name: tekton
	    permissions:
	      - kind: project
	        namespace: "*"
	        access: [{resource: repository, action: pull}]
	    targets:
	      secrets:
	        - {namespace: ci, name: harbor-push}
	YAML
}
# run berth with a controlled environment: no KUBECONFIG, no in-cluster variables, an empty HOME
run_env() {
	OUT_FILE=$TEST_TMP/berth.out
	ERR_FILE=$TEST_TMP/berth.err
	env -u KUBECONFIG -u KUBERNETES_SERVICE_HOST -u KUBERNETES_SERVICE_PORT -u BERTH_SA_DIR \
		HOME="$TEST_TMP/home" HARBOR_PASSWORD="$(harbor_admin_password)" "$@" >"$OUT_FILE" 2>"$ERR_FILE"
	RC=$?
	OUT=$(cat "$OUT_FILE")
	ERR=$(cat "$ERR_FILE")
}
mkdir -p "$TEST_TMP/home"
published() { kube_api DELETE /api/v1/namespaces/ci/secrets/harbor-push >/dev/null; }

check "the sim's kubeconfig has certificate-authority-data, no CA file" \
	sh -c "grep -q 'certificate-authority-data:' '$KC' && ! grep -q 'certificate-authority:' '$KC'"
conn_config "kubernetes: {kubeconfig: $KC, context: sim}"
run_env "$BERTH_BIN" apply -f "$CFG"
is 0 "$RC" "kubeconfig, context sim (CA data + bearer token): apply exits 0" || show_berth
is kubernetes.io/dockerconfigjson "$(kube_secret ci harbor-push | jq -r .type)" "the Secret was published"

published
conn_config "kubernetes: {kubeconfig: $KC, context: sim-cert}"
run_env "$BERTH_BIN" apply -f "$CFG"
is 0 "$RC" "kubeconfig, context sim-cert (client certificate and key data, no token): apply exits 0" || show_berth
is kubernetes.io/dockerconfigjson "$(kube_secret ci harbor-push | jq -r .type)" "the Secret was published with the client certificate"

# A certificate the sim's client CA did not sign is refused (401).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=mallory -days 1 \
	-keyout "$TEST_TMP/bad.key" -out "$TEST_TMP/bad.crt" 2>/dev/null
jq -n --arg c "$(base64 -w0 <"$TEST_TMP/bad.crt")" --arg k "$(base64 -w0 <"$TEST_TMP/bad.key")" \
	--arg server "$(ready .kube.url)" --arg ca "$(base64 -w0 <"$CA_FILE")" \
	'{apiVersion: "v1", kind: "Config", "current-context": "bad",
	  clusters: [{name: "sim", cluster: {server: $server, "certificate-authority-data": $ca}}],
	  users: [{name: "mallory", user: {"client-certificate-data": $c, "client-key-data": $k}}],
	  contexts: [{name: "bad", context: {cluster: "sim", user: "mallory"}}]}' >"$TEST_TMP/bad-kubeconfig"
published
conn_config "kubernetes: {kubeconfig: $TEST_TMP/bad-kubeconfig}"
run_env "$BERTH_BIN" apply -f "$CFG"
is 1 "$RC" "a client certificate from another CA: exit 1"
like 'kube: .*HTTP 401' "$ERR" "reported as the API server's 401"

# KUBECONFIG with several files: a missing one is skipped, the first that names a context wins.
published
conn_config ""
run_env env KUBECONFIG="$TEST_TMP/missing.yaml:$KC" "$BERTH_BIN" apply -f "$CFG"
is 0 "$RC" "KUBECONFIG=missing:sim (no kubernetes: key): apply exits 0" || show_berth
is kubernetes.io/dockerconfigjson "$(kube_secret ci harbor-push | jq -r .type)" "the Secret was published through \$KUBECONFIG"
conn_config "kubernetes: {kubeconfig: $TEST_TMP/missing.yaml}"
run_env "$BERTH_BIN" apply -f "$CFG"
is 64 "$RC" "an explicitly named kubeconfig that does not exist: exit 64"
like "kubeconfig '$TEST_TMP/missing.yaml'" "$ERR" "the error names the file"
conn_config "kubernetes: {kubeconfig: $KC, context: nope}"
run_env "$BERTH_BIN" apply -f "$CFG"
is 64 "$RC" "an unknown context: exit 64"
like "no context named 'nope'" "$ERR" "the error names the context"

# Exec plugins are refused, clearly and before any request.
jq -n --arg server "$(ready .kube.url)" '{apiVersion: "v1", kind: "Config", "current-context": "oidc",
	clusters: [{name: "sim", cluster: {server: $server}}],
	users: [{name: "oidc", user: {exec: {apiVersion: "client.authentication.k8s.io/v1", command: "/bin/false", interactiveMode: "Never"}}}],
	contexts: [{name: "oidc", context: {cluster: "sim", user: "oidc"}}]}' >"$TEST_TMP/exec-kubeconfig"
sim_reset kube
conn_config "kubernetes: {kubeconfig: $TEST_TMP/exec-kubeconfig}"
run_env "$BERTH_BIN" apply -f "$CFG"
is 64 "$RC" "an exec credential plugin: exit 64"
like "user 'oidc' uses an exec credential plugin, which berth does not run; use a context with a token or a client certificate" "$ERR" \
	"the error names the user and says what to use instead"
is 0 "$(requests kube)" "no request was sent"

# In-cluster: the service-account directory, no kubeconfig at all.
SA=$TEST_TMP/sa
mkdir -p "$SA"
cp "$CA_FILE" "$SA/ca.crt"
printf 'berth-system\n' >"$SA/namespace"
kube_ns berth-system
RULES_ALL='[{"verbs":["*"],"resources":["*"],"apiGroups":["*"]}]'
TOK_A=$(kube_token sa-a "$RULES_ALL")
printf '%s' "$TOK_A" >"$SA/token"
in_cluster() { run_env env KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT="$KPORT" BERTH_SA_DIR="$SA" "$@"; }
published
conn_config ""
in_cluster "$BERTH_BIN" apply -f "$CFG"
is 0 "$RC" "in-cluster (host, port, token, ca.crt): apply exits 0" || show_berth
is kubernetes.io/dockerconfigjson "$(kube_secret ci harbor-push | jq -r .type)" "the Secret was published in-cluster"
in_cluster "$BERTH_BIN" run -f "$CFG" --once --leader-elect --listen off
is 0 "$RC" "in-cluster berth run --once --leader-elect exits 0" || show_berth
kube_api GET /apis/coordination.k8s.io/v1/namespaces/berth-system/leases/berth
is 200 "$STATUS" "the leader Lease is in the pod's namespace (from the namespace file)"
rm -f "$SA/ca.crt"
in_cluster "$BERTH_BIN" apply -f "$CFG"
is 1 "$RC" "in-cluster without ca.crt: the sim's certificate is not trusted, exit 1"

# The token file changes during a run and the old token is revoked: the 401 makes berth re-read it.
cp "$CA_FILE" "$SA/ca.crt"
kube_ns late
cat >>"$CFG" <<'YAML'
        - {namespace: late, name: harbor-push}
YAML
TOK_B=$(kube_token sa-b "$RULES_ALL")
sim_reset kube
sim_fault kube '{"path":"/api/v1/namespaces/late/secrets","method":"GET","delay_ms":1500}'
(in_cluster "$BERTH_BIN" apply -f "$CFG"; echo "$RC" >"$TEST_TMP/rc") &
BG=$!
for _ in $(seq 1 200); do [ "$(requests kube)" -ge 1 ] && break; sleep 0.02; done
printf '%s' "$TOK_B" >"$SA/token.new" && mv "$SA/token.new" "$SA/token"
kube_ctl tokens/revoke "{\"token\":\"$TOK_A\"}" >/dev/null
wait $BG
RC=$(cat "$TEST_TMP/rc")
OUT=$(cat "$TEST_TMP/berth.out")
ERR=$(cat "$TEST_TMP/berth.err")
is 0 "$RC" "a token revoked and replaced mid-run: apply exits 0" || show_berth
is 1 "$(sim_requests kube | jq '[.[] | select(.status == 401)] | length')" "exactly one request was refused with 401"
is 0 "$(sim_requests kube | jq '[.[] | select(.status == 401)] as $u | [.[] | select(.status >= 400 and .status != 401)] | length')" "and nothing else failed"
is kubernetes.io/dockerconfigjson "$(kube_secret late harbor-push | jq -r .type)" "the write after it went out with the new token"

# The periodic re-read: a token that still works but lacks rights (403, no 401) is
# replaced in the file; berth picks the new one up on its re-read, not on an error.
kube_ns later
cat >>"$CFG" <<'YAML'
        - {namespace: later, name: harbor-push}
YAML
TOK_RO=$(kube_token sa-ro '[{"verbs":["get","list"],"resources":["*"],"apiGroups":["*"]}]')
TOK_C=$(kube_token sa-c "$RULES_ALL")
# swap_run REREAD_S: apply with a read-only token in the file, replaced by TOK_C while
# the list of 'later' is delayed; sets RC
swap_run() {
	printf '%s' "$TOK_RO" >"$SA/token"
	sim_reset kube
	sim_fault kube '{"path":"/api/v1/namespaces/later/secrets","method":"GET","delay_ms":2500}'
	(in_cluster env BERTH_SA_TOKEN_REREAD_S="$1" "$BERTH_BIN" apply -f "$CFG"; echo "$RC" >"$TEST_TMP/rc") &
	local bg=$! i
	for i in $(seq 1 200); do [ "$(requests kube)" -ge 1 ] && break; sleep 0.02; done
	printf '%s' "$TOK_C" >"$SA/token.new" && mv "$SA/token.new" "$SA/token"
	wait $bg
	RC=$(cat "$TEST_TMP/rc")
	OUT=$(cat "$TEST_TMP/berth.out")
	ERR=$(cat "$TEST_TMP/berth.err")
}
swap_run 3600
is 1 "$RC" "with the one-minute period (BERTH_SA_TOKEN_REREAD_S=3600 is ignored), a run of seconds keeps the read-only token: exit 1"
like 'cannot create resource "secrets"' "$ERR" "and its write was forbidden (403, which is no reason to re-read)"
swap_run 1
is 0 "$RC" "with a one-second period, the token replaced mid-run is picked up: apply exits 0" || show_berth
is 0 "$(sim_requests kube | jq '[.[] | select(.status >= 400)] | length')" "no request failed: the re-read token was used for the writes"
is kubernetes.io/dockerconfigjson "$(kube_secret later harbor-push | jq -r .type)" "the Secret the read-only token could not write was published"
tap_done
