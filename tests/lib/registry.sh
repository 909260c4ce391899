# tests/lib/registry.sh - a real registry (Debian's docker-registry, distribution
# 2.8) whose auth.token points at berth-sim's Harbor token service, plus helpers
# to build and push a tiny OCI image. Source it after sim.sh, once sim_start ran.
#
#   registry_start               start it on an ephemeral loopback port, TLS with the
#                                sim's server certificate; exports REGISTRY_HOST
#                                (127.0.0.1:PORT), REGISTRY_CERT_DIR (holds ca.crt);
#                                stopped on exit
#   make_image DIR               a one-layer OCI image layout at DIR, tag "latest"
#                                (umoci, rootless; the layer holds hello.txt)
#   push_image AUTHFILE REPO:TAG push DIR made by make_image ($IMAGE_DIR) to
#                                docker://$REGISTRY_HOST/REPO:TAG with skopeo and
#                                the given config.json; the skopeo output goes to
#                                $TEST_TMP/push.log; returns skopeo's status
#   registry_manifest_digest REPO TAG
#                                the manifest digest the registry serves (pulls a
#                                token from the sim as admin)
#   registry_tools_missing       prints the missing programs, if any
REGISTRY_PID=
REGISTRY_HOST=
REGISTRY_CERT_DIR=
IMAGE_DIR=

registry_tools_missing() {
	local t missing=
	for t in docker-registry skopeo umoci jq curl ss; do
		command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
	done
	printf '%s' "${missing# }"
}

_registry_stop() {
	if [ -n "$REGISTRY_PID" ] && kill -0 "$REGISTRY_PID" 2>/dev/null; then
		kill -TERM "$REGISTRY_PID" 2>/dev/null
		wait "$REGISTRY_PID" 2>/dev/null
	fi
	REGISTRY_PID=
}

registry_start() {
	local dir=$TEST_TMP/registry try port i
	: "${SIM_DIR:?registry_start needs sim_start first}"
	mkdir -p "$dir/data" "$dir/certs"
	cp "$(ready .ca_file)" "$dir/certs/ca.crt"
	REGISTRY_CERT_DIR=$dir/certs
	at_exit _registry_stop
	for try in $(seq 1 20); do
		port=$((20000 + RANDOM % 40000))
		ss -ltnH "sport = :$port" 2>/dev/null | grep -q . && continue
		cat >"$dir/config.yml" <<-EOF
		version: 0.1
		log:
		  level: info
		  formatter: text
		storage:
		  filesystem:
		    rootdirectory: $dir/data
		  delete:
		    enabled: true
		http:
		  addr: 127.0.0.1:$port
		  tls:
		    certificate: $(ready .cert_file)
		    key: $(ready .key_file)
		auth:
		  token:
		    realm: $(ready .harbor.token_realm)
		    service: $(ready .harbor.token_service)
		    issuer: $(ready .harbor.token_issuer)
		    rootcertbundle: $(ready .harbor.token_cert_file)
		EOF
		docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
		REGISTRY_PID=$!
		for i in $(seq 1 100); do
			if grep -q "listening on 127.0.0.1:$port" "$dir/registry.log" 2>/dev/null; then
				REGISTRY_HOST=127.0.0.1:$port
				export REGISTRY_HOST REGISTRY_CERT_DIR
				return 0
			fi
			kill -0 "$REGISTRY_PID" 2>/dev/null || break
			sleep 0.05
		done
		_registry_stop
		grep -q "address already in use" "$dir/registry.log" || break
	done
	echo "Bail out! docker-registry did not start: $(tail -3 "$dir/registry.log" 2>/dev/null)"
	exit 1
}

make_image() {
	local dir=$1 bundle=$TEST_TMP/bundle.$$
	umoci init --layout "$dir" >/dev/null &&
		umoci new --image "$dir:latest" >/dev/null &&
		umoci unpack --rootless --image "$dir:latest" "$bundle" >/dev/null &&
		printf 'hello from berth tests\n' >"$bundle/rootfs/hello.txt" &&
		umoci repack --image "$dir:latest" "$bundle" >/dev/null || return 1
	rm -rf "$bundle"
	IMAGE_DIR=$dir
}

push_image() {
	local authfile=$1 ref=$2
	: "${IMAGE_DIR:?push_image needs make_image first}"
	skopeo --insecure-policy copy --authfile "$authfile" --dest-cert-dir "$REGISTRY_CERT_DIR" \
		"oci:$IMAGE_DIR:latest" "docker://$REGISTRY_HOST/$ref" >"$TEST_TMP/push.log" 2>&1
}

registry_manifest_digest() {
	local repo=$1 tag=$2 token
	token=$(curl -sS --cacert "$REGISTRY_CERT_DIR/ca.crt" -u "admin:$(ready .harbor.password)" \
		"$(ready .harbor.token_realm)?service=$(ready .harbor.token_service)&scope=repository:$repo:pull" |
		jq -r .token) || return 1
	curl -sS --cacert "$REGISTRY_CERT_DIR/ca.crt" -I \
		-H "Authorization: Bearer $token" \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		-H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		"https://$REGISTRY_HOST/v2/$repo/manifests/$tag" |
		grep -i '^docker-content-digest:' | sed 's/^[^:]*: *//' | tr -d '\r'
}
