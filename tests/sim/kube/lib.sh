# tests/sim/kube/lib.sh - helpers for the Kubernetes simulator's tests. Source it
# after tests/lib/tap.sh and tests/lib/sim.sh.
#
#   kstart                      start berth-sim; sets TOKEN (the admin token)
#   kreq METHOD PATH [args]     request without credentials (sets STATUS, BODY, HEADERS)
#   k METHOD PATH [curl args]   request as the admin
#   kj METHOD PATH JSON [args]  the same with a JSON body (Content-Type application/json)
#   kas TOKEN METHOD PATH [...] request with another bearer token
#   jb FILTER                   jq -r FILTER over BODY
#   schema_ok NAME DESC         TAP line: BODY is valid against io.k8s... schema NAME
#   same_json EXPECTED DESC     TAP line: BODY equals EXPECTED as JSON (key order ignored)
#   ctl PATH JSON               POST to /_sim/kube/PATH; prints the response body
#   user_token USER RULES_JSON  create a token for USER with rules; prints the token
K8S_SPEC=$SPECS_DIR/kubernetes-core-v1-openapi.json

kstart() {
	sim_start "$@"
	TOKEN=$(ready .kube.token)
	KURL=$(ready .kube.url)
}

# kreq METHOD PATH [curl args]: req kube ... without a jq per call (the URL is known)
kreq() {
	local m=$1 p=$2 out
	shift 2
	HEADERS=$TEST_TMP/last.headers
	out=$(curl -sS --cacert "$CA_FILE" -X "$m" -D "$HEADERS" -o "$TEST_TMP/last.body" \
		-w '%{http_code}' "$@" "$KURL$p") || out=000
	STATUS=$out
	BODY=$(cat "$TEST_TMP/last.body" 2>/dev/null)
}

k() {
	local m=$1 p=$2
	shift 2
	kreq "$m" "$p" -H "Authorization: Bearer $TOKEN" "$@"
}

kj() {
	local m=$1 p=$2 d=$3
	shift 3
	k "$m" "$p" -H 'Content-Type: application/json' --data-binary "$d" "$@"
}

kas() {
	local t=$1 m=$2 p=$3
	shift 3
	kreq "$m" "$p" -H "Authorization: Bearer $t" "$@"
}

jb() { printf '%s' "$BODY" | jq -r "$@"; }

schema_ok() {
	local out
	if out=$(printf '%s' "$BODY" | "$SCHEMACHECK" "$K8S_SPEC" "$1" 2>&1); then
		tap_ok "$2"
	else
		tap_fail "$2"
		diag "$out"
	fi
}

same_json() {
	if [ "$(printf '%s' "$BODY" | jq -cS .)" == "$(printf '%s' "$1" | jq -cS .)" ]; then
		tap_ok "$2"
	else
		tap_fail "$2"
		diag "expected: $(printf '%s' "$1" | jq -cS .)" "     got: $BODY"
	fi
}

ctl() {
	curl -sS --cacert "$CA_FILE" -X POST -H 'Content-Type: application/json' \
		--data-binary "$2" "$KURL/_sim/kube/$1"
}

user_token() {
	ctl tokens "{\"user\":\"$1\",\"rules\":$2}" | jq -r .token
}

# STATUS_SCHEMA: the OpenAPI name of Status
STATUS_SCHEMA=io.k8s.apimachinery.pkg.apis.meta.v1.Status
