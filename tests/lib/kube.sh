# tests/lib/kube.sh - the simulated Kubernetes API in berth's integration tests.
# Source after tap.sh, sim.sh and berth.sh, and call sim_start first.
#
#   kube_api METHOD PATH [curl args]  request as the sim's admin; sets STATUS, BODY
#   kube_json METHOD PATH JSON        the same with a JSON body
#   kube_ctl PATH JSON                POST to /_sim/kube/PATH; prints the answer
#   kube_seed JSON                    create objects (one or an array) through the sim
#   kube_ns NAME [LABELS_JSON]        create a namespace
#   kube_token USER RULES_JSON        a bearer token with RBAC-like rules; prints it
#   kube_secret NS NAME               the Secret's JSON (empty when absent)
#   kube_dockercfg NS NAME            its .dockerconfigjson, decoded (never print it)
#   kube_writes                       non-GET requests the sim's kube API logged
#   kube_log_paths [METHOD]           "METHOD path?query" lines of the kube log
#   kube_yaml                         the lines that point berth at the sim's kubeconfig
#   digest                            SHA-256 of stdin: compare secret-bearing values
#                                     without printing them when a check fails
#   kube_gone NS NAME                 "gone" when the Secret does not exist, else "present"
#   dockercfg_creds FILE LABEL        "login<TAB>secret<TAB>LABEL" of FILE's entry for
#                                     $REGISTRY (for check_creds)
KUBE_REGISTRY=

kube_api() {
	local m=$1 p=$2
	shift 2
	req kube "$m" "$p" -H "Authorization: Bearer $(ready .kube.token)" "$@"
}

kube_json() {
	kube_api "$1" "$2" -H 'Content-Type: application/json' --data-binary "$3"
}

kube_ctl() {
	curl -sS --cacert "$CA_FILE" -X POST -H 'Content-Type: application/json' \
		--data-binary "$2" "$(ready .kube.url)/_sim/kube/$1"
}

kube_seed() {
	local out
	out=$(kube_ctl objects "$1")
	[ "$(printf '%s' "$out" | jq -r '.created // empty')" != "" ] || {
		echo "Bail out! seeding failed: $out"
		exit 1
	}
}

kube_ns() {
	kube_seed "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$1\",\"labels\":${2:-{\}}}}"
}

kube_token() {
	kube_ctl tokens "{\"user\":\"$1\",\"rules\":$2}" | jq -r .token
}

kube_secret() {
	kube_api GET "/api/v1/namespaces/$1/secrets/$2"
	[ "$STATUS" = 200 ] && printf '%s' "$BODY"
}

kube_dockercfg() {
	kube_secret "$1" "$2" | jq -r '.data[".dockerconfigjson"] // empty' | base64 -d 2>/dev/null
}

digest() { sha256sum | cut -d' ' -f1; }

kube_gone() {
	kube_api GET "/api/v1/namespaces/$1/secrets/$2"
	if [ "$STATUS" = 404 ]; then echo gone; else echo "present ($STATUS)"; fi
}

kube_writes() {
	sim_requests kube | jq '[.[] | select(.method != "GET" and .method != "HEAD")] | length'
}

kube_log_paths() {
	sim_requests kube | jq -r --arg m "${1:-}" \
		'.[] | select($m == "" or .method == $m) | "\(.method) \(.path)\(if (.query // "") != "" then "?" + .query else "" end)"'
}

kube_yaml() {
	printf 'kubernetes:\n  kubeconfig: %s\n' "$(ready .kube.kubeconfig)"
}

# The registry berth publishes for: harbor.registry, else the URL's host:port.
registry_key() {
	if [ -n "${REGISTRY_HOST:-}" ]; then
		printf '%s' "$REGISTRY_HOST"
	else
		ready .harbor.url | sed 's|^https://||'
	fi
}

dockercfg_creds() {
	jq -r --arg r "$(registry_key)" --arg l "$2" \
		'.auths[$r] | [(.auth | @base64d | split(":")[0]), (.auth | @base64d | split(":")[1:] | join(":")), $l] | @tsv' "$1"
}
