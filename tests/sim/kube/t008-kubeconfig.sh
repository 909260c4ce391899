#!/usr/bin/env bash
# t008 - DIR/kubeconfig: mode 0600, cluster sim with the CA, token user and
# client-certificate user, both contexts work with curl (and kubectl when
# installed); certificates from another CA are refused.
. "$BERTH_SOURCE_DIR/tests/lib/tap.sh"
. "$BERTH_SOURCE_DIR/tests/lib/sim.sh"
. "$BERTH_SOURCE_DIR/tests/sim/kube/lib.sh"
kstart
KC=$(ready .kube.kubeconfig)
kcval() { sed -n "s/^ *$1: //p" "$KC" | head -1; }

check "ready.json names the kubeconfig, which exists" test -s "$KC"
is "$SIM_DIR/kubeconfig" "$KC" "kubeconfig is DIR/kubeconfig"
is 600 "$(stat -c %a "$KC")" "kubeconfig has mode 0600"
is sim "$(kcval current-context)" "current-context is sim"
is "$KURL" "$(kcval server)" "cluster server is the kube URL"
kcval certificate-authority-data | base64 -d >"$TEST_TMP/kc-ca.pem"
check "certificate-authority-data is base64 of the CA PEM" cmp -s "$TEST_TMP/kc-ca.pem" "$CA_FILE"
check "kubeconfig token is the admin token" test "$(kcval token)" = "$TOKEN"
check "context sim uses user sim-admin, namespace default" \
	grep -qzP -- '- name: sim\n  context:\n    cluster: sim\n    user: sim-admin\n    namespace: default\n' "$KC"
check "context sim-cert uses user sim-admin-cert" \
	grep -qzP -- '- name: sim-cert\n  context:\n    cluster: sim\n    user: sim-admin-cert\n' "$KC"

# the token context, with nothing but what the kubeconfig holds
code=$(curl -sS -o "$TEST_TMP/out" -w '%{http_code}' --cacert <(kcval certificate-authority-data | base64 -d) \
	-H "Authorization: Bearer $(kcval token)" "$(kcval server)/api/v1/namespaces/default/secrets")
is 200 "$code" "curl with the decoded CA and the kubeconfig token: 200"
is SecretList "$(jq -r .kind "$TEST_TMP/out")" "and a SecretList comes back"

# the client-certificate context
kcval client-certificate-data | base64 -d >"$TEST_TMP/c.crt"
kcval client-key-data | base64 -d >"$TEST_TMP/c.key"
chmod 600 "$TEST_TMP/c.key"
like 'CN ?= ?sim-admin' "$(openssl x509 -in "$TEST_TMP/c.crt" -noout -subject)" "client certificate CN is sim-admin"
like 'O ?= ?system:masters' "$(openssl x509 -in "$TEST_TMP/c.crt" -noout -subject)" "client certificate O is system:masters"
check "client certificate is not signed by the server CA" sh -c "! openssl verify -CAfile '$CA_FILE' '$TEST_TMP/c.crt'"
kreq POST /api/v1/namespaces/default/secrets --cert "$TEST_TMP/c.crt" --key "$TEST_TMP/c.key" \
	-H 'Content-Type: application/json' --data-binary '{"metadata":{"name":"by-cert"},"data":{"a":"YQ=="}}'
is 201 "$STATUS" "client certificate authenticates (and is admin): 201"
kreq GET /api/v1/namespaces --cert "$TEST_TMP/c.crt" --key "$TEST_TMP/c.key" -H 'Authorization: Bearer wrong'
is 200 "$STATUS" "a valid certificate wins over a bad token (x509 authenticates first)"
kreq GET /api/v1/namespaces --cert "$SIM_DIR/server.crt" --key "$SIM_DIR/server.key"
is 401 "$STATUS" "certificate from another CA: 401"
kreq GET /api/v1/namespaces --cert "$SIM_DIR/server.crt" --key "$SIM_DIR/server.key" -H "Authorization: Bearer $TOKEN"
is 200 "$STATUS" "an untrusted certificate falls through to a good token"

# kubectl (client-go) against the simulator
if command -v kubectl >/dev/null 2>&1; then
	export KUBECONFIG=$KC
	out=$(kubectl get secret by-cert -o json 2>"$TEST_TMP/kubectl.err")
	is by-cert "$(printf '%s' "$out" | jq -r .metadata.name)" "kubectl get secret (token context)"
	out=$(kubectl --context sim-cert get namespace default -o json 2>>"$TEST_TMP/kubectl.err")
	is Active "$(printf '%s' "$out" | jq -r .status.phase)" "kubectl get namespace (certificate context)"
	kubectl create secret docker-registry pull --docker-server=harbor.example.com \
		--docker-username='robot$ci+pusher' --docker-password=notreal >/dev/null 2>>"$TEST_TMP/kubectl.err"
	k GET /api/v1/namespaces/default/secrets/pull
	is kubernetes.io/dockerconfigjson "$(jb .type)" "kubectl create secret docker-registry makes a dockerconfigjson Secret"
	kubectl label secret pull app.kubernetes.io/managed-by=berth >/dev/null 2>>"$TEST_TMP/kubectl.err"
	out=$(kubectl get secrets -l app.kubernetes.io/managed-by=berth -o name 2>>"$TEST_TMP/kubectl.err")
	is secret/pull "$out" "kubectl label (strategic merge patch) and get -l"
	out=$(kubectl get secret missing 2>&1)
	like 'Error from server \(NotFound\): secrets "missing" not found' "$out" "kubectl reads the NotFound Status"
	[ "$TAP_FAILED" -eq 0 ] || diag "$(cat "$TEST_TMP/kubectl.err")"
else
	for d in "kubectl get secret" "kubectl get namespace" "kubectl create secret" "kubectl label" "kubectl NotFound"; do
		tap_skip "$d: kubectl not installed"
	done
fi

tap_done
