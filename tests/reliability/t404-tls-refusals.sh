#!/usr/bin/env bash
# TLS is never waived silently. Harbor and Vault (and the Kubernetes API
# through a kubeconfig) each refuse, with exit 1, a message naming the
# service and the certificate problem, and not one HTTP request sent:
#   - a server whose CA berth does not trust;
#   - a certificate that expired (berth-sim --server-cert expired);
#   - a certificate for another host name (berth-sim --server-cert wrong-name).
# Plain http:// to a host that is not loopback is refused (exit 64) unless
# the service allows it by name (allowPlainHTTP), which then works.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh

# One sim per certificate; the default one is trusted through caFile.
start_sim() { # start_sim NAME [berth-sim args]: starts it; sets D (its dir)
	local name=$1 i
	shift
	D=$TEST_TMP/$name
	mkdir -p "$D"
	"$SIM_BIN" --dir "$D" "$@" 2>"$D.log" &
	at_exit "kill -TERM $! 2>/dev/null; wait $! 2>/dev/null"
	for i in $(seq 1 200); do [ -s "$D/ready.json" ] && return 0; sleep 0.05; done
	echo "Bail out! berth-sim $* did not start"
	exit 1
}
r() { jq -r "$1" "$D/ready.json"; }
requests_at() { # requests_at DIR SERVICE: the sim's request log length (the test itself skips verification)
	curl -sSk "$(jq -r ".$2.url" "$1/ready.json")/_sim/requests" | jq length
}
config() { # config FILE CAFILE-LINE: Harbor and a Vault store of sim $D
	cat >"$1" <<YAML
harbor:
  url: $(r .harbor.url)
$2
  password: {env: HARBOR_PASSWORD}
store:
  vault:
    address: $(r .vault.url)
${2//  caFile/    caFile}
    auth: {token: {env: VAULT_TOKEN}}
robots:
  - name: ci
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: pull}]}]
YAML
}
apply() { # apply FILE [HARBOR-SIM-DIR [VAULT-SIM-DIR]]: berth apply, credentials of those sims (default $D)
	local hd=${2:-$D} vd=${3:-${2:-$D}}
	HARBOR_PASSWORD=$(jq -r .harbor.password "$hd/ready.json") VAULT_TOKEN=$(jq -r .vault.root_token "$vd/ready.json") \
		"$BERTH_BIN" apply -f "$1" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	RC=$?
	ERR=$(cat "$TEST_TMP/err")
}
# A config whose Harbor is sim OK (trusted) and whose Vault is sim $D.
vault_only() {
	sed -n '1,/^store:/p' "$OK_CFG" | sed '$d' >"$1"
	cat >>"$1" <<YAML
store:
  vault:
    address: $(r .vault.url)
$2
    auth: {token: {env: VAULT_TOKEN}}
robots:
  - name: ci
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: pull}]}]
YAML
}

start_sim ok
OKD=$D
OK_CFG=$TEST_TMP/ok.yaml
config "$OK_CFG" "  caFile: $(r .ca_file)"
apply "$OK_CFG"
is 0 "$RC" "with the sim's CA trusted, apply works (the harness is sound)" || diag "$ERR"

check_refused() { # check_refused LABEL SERVICE PATTERN DIR
	local label=$1 svc=$2 pat=$3 dir=$4
	is 1 "$RC" "$label: exit 1" || diag "$ERR"
	like "^berth: .*$svc: .*($pat)" "$(tail -1 "$TEST_TMP/err")" "$label: the message names $svc and the certificate problem"
	is 0 "$(requests_at "$dir" "$svc")" "$label: no HTTP request reached $svc"
}

# ---- an untrusted CA: a second sim has its own CA; berth is given the first one's ----
start_sim other
config "$TEST_TMP/untrusted.yaml" "  caFile: $OKD/ca.pem"
apply "$TEST_TMP/untrusted.yaml"
check_refused "Harbor signed by an untrusted CA" harbor 'certificate|SSL' "$D"
OTHERD=$D
D=$OTHERD
vault_only "$TEST_TMP/untrusted-vault.yaml" "    caFile: $OKD/ca.pem"
D=$OKD
sed -i "s#address: .*#address: $(jq -r .vault.url "$OTHERD/ready.json")#" "$TEST_TMP/untrusted-vault.yaml"
apply "$TEST_TMP/untrusted-vault.yaml" "$OKD" "$OTHERD"
check_refused "Vault signed by an untrusted CA" vault 'certificate|SSL' "$OTHERD"

# ---- an expired certificate (signed by a CA berth trusts) ----
start_sim expired --server-cert expired
EXPD=$D
like 'notAfter' "$(openssl x509 -in "$D/server.crt" -noout -enddate)" "(the expired sim serves a certificate ending $(openssl x509 -in "$D/server.crt" -noout -enddate | cut -d= -f2))"
openssl x509 -in "$D/server.crt" -noout -checkend 0 >/dev/null && tap_fail "the certificate has expired" || tap_ok "the certificate has expired"
config "$TEST_TMP/expired.yaml" "  caFile: $D/ca.pem"
apply "$TEST_TMP/expired.yaml"
check_refused "Harbor with an expired certificate" harbor 'expired' "$D"
D=$EXPD
vault_only "$TEST_TMP/expired-vault.yaml" "    caFile: $D/ca.pem"
sed -i "s#^  caFile: .*#  caFile: $OKD/ca.pem#" "$TEST_TMP/expired-vault.yaml"
apply "$TEST_TMP/expired-vault.yaml" "$OKD" "$EXPD"
check_refused "Vault with an expired certificate" vault 'expired' "$EXPD"

# ---- a certificate for another host name ----
start_sim wrongname --server-cert wrong-name
WND=$D
like 'wrong.example.com' "$(openssl x509 -in "$D/server.crt" -noout -ext subjectAltName)" "(the sim's certificate names wrong.example.com only)"
config "$TEST_TMP/wrongname.yaml" "  caFile: $D/ca.pem"
apply "$TEST_TMP/wrongname.yaml"
check_refused "Harbor with a certificate for another name" harbor 'name|host' "$D"
vault_only "$TEST_TMP/wrongname-vault.yaml" "    caFile: $D/ca.pem"
sed -i "s#^  caFile: .*#  caFile: $OKD/ca.pem#" "$TEST_TMP/wrongname-vault.yaml"
apply "$TEST_TMP/wrongname-vault.yaml" "$OKD" "$WND"
check_refused "Vault with a certificate for another name" vault 'name|host' "$WND"

# ---- the Kubernetes API through a kubeconfig whose CA is not the server's ----
D=$OKD
KC=$TEST_TMP/kubeconfig
sed "s#certificate-authority-data: .*#certificate-authority-data: $(base64 -w0 "$OTHERD/ca.pem")#" "$(r .kube.kubeconfig)" >"$KC"
sed -n '1,/^store:/p' "$OK_CFG" | sed '$d' >"$TEST_TMP/kube.yaml"
cat >>"$TEST_TMP/kube.yaml" <<YAML
kubernetes:
  kubeconfig: $KC
robots:
  - name: ci
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: pull}]}]
    targets: {secrets: [{namespace: default, name: harbor-ci}]}
YAML
curl -sS --cacert "$OKD/ca.pem" -X POST "$(r .kube.url)/_sim/reset" >/dev/null
apply "$TEST_TMP/kube.yaml"
is 1 "$RC" "a Kubernetes API whose certificate the kubeconfig's CA did not sign: exit 1" || diag "$ERR"
like 'kube: .*(certificate|SSL)' "$(cat "$TEST_TMP/out" "$TEST_TMP/err")" "the message names kube and the certificate"
is 0 "$(requests_at "$OKD" kube)" "no HTTP request reached the Kubernetes API"

# ---- plain http ----
start_sim plain --plain-http
PD=$D
port=$(r .harbor.url | sed 's#.*:##')
vport=$(r .vault.url | sed 's#.*:##')
pcfg() { # pcfg FILE HOST [allow]: Harbor and Vault over plain http at HOST
	cat >"$1" <<YAML
harbor:
  url: http://$2:$port
  password: {env: HARBOR_PASSWORD}
${3:+  allowPlainHTTP: true}
store:
  vault:
    address: http://$2:$vport
${3:+    allowPlainHTTP: true}
    auth: {token: {env: VAULT_TOKEN}}
robots:
  - name: ci
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: pull}]}]
YAML
}
plain_apply() {
	HARBOR_PASSWORD=$(r .harbor.password) VAULT_TOKEN=$(r .vault.root_token) \
		"$BERTH_BIN" apply -f "$1" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	RC=$?
	ERR=$(cat "$TEST_TMP/err")
}
requests_plain() { curl -sS "$(jq -r ".$1.url" "$PD/ready.json")/_sim/requests" | jq length; }
# berth's config asks for allowPlainHTTP even for loopback; the HTTP layer
# below it refuses non-loopback hosts on its own (discovered URLs, token realms).
pcfg "$TEST_TMP/plain-loopback.yaml" 127.0.0.1
plain_apply "$TEST_TMP/plain-loopback.yaml"
is 64 "$RC" "plain http, even to loopback, needs allowPlainHTTP (exit 64)" || diag "$ERR"
pcfg "$TEST_TMP/plain-loopback.yaml" 127.0.0.1 allow
plain_apply "$TEST_TMP/plain-loopback.yaml"
is 0 "$RC" "allowed by name, plain http to loopback works" || diag "$ERR"
# [::ffff:127.0.0.1] is not a loopback name to berth, yet reaches this machine only.
pcfg "$TEST_TMP/plain-remote.yaml" '[::ffff:127.0.0.1]'
before_h=$(requests_plain harbor) before_v=$(requests_plain vault)
plain_apply "$TEST_TMP/plain-remote.yaml"
is 64 "$RC" "plain http to a host that is not loopback: exit 64" || diag "$ERR"
like "harbor.url.*allowPlainHTTP" "$ERR" "the message names harbor.url and allowPlainHTTP"
is "$before_h $before_v" "$(requests_plain harbor) $(requests_plain vault)" "nothing was sent"
sed -i '/^  allowPlainHTTP/d' "$TEST_TMP/plain-remote.yaml"
printf '%s\n' '/^  url:/a\' '  allowPlainHTTP: true' >"$TEST_TMP/sed.x"
sed -i -f "$TEST_TMP/sed.x" "$TEST_TMP/plain-remote.yaml"
plain_apply "$TEST_TMP/plain-remote.yaml"
is 64 "$RC" "allowed for Harbor only, Vault is still refused (exit 64)" || diag "$ERR"
like "store.vault.address.*allowPlainHTTP" "$ERR" "the message names store.vault.address"
pcfg "$TEST_TMP/plain-allowed.yaml" '[::ffff:127.0.0.1]' allow
plain_apply "$TEST_TMP/plain-allowed.yaml"
is 0 "$RC" "allowed by name for both, it works" || diag "$ERR"
[ "$(requests_plain harbor)" -gt "$before_h" ] && tap_ok "... and Harbor was reached over plain http" || tap_fail "Harbor reached over plain http"
tap_done
