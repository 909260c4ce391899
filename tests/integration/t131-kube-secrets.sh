#!/usr/bin/env bash
# t131-kube-secrets.sh - dockerconfigjson Secrets in a named namespace and in
# every namespace a selector matches: type, .dockerconfigjson (auths keyed by
# the registry, auth = base64(login:secret), username/password), berth's
# labels and annotations, Tekton's annotation; a second apply reads with one
# labelled list per namespace and writes nothing; a published Secret, decoded
# into a config.json, pushes to a real registry with skopeo.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
source tests/lib/kube.sh
source tests/lib/registry.sh
sim_start
PUSH=1
[ -n "$(registry_tools_missing)" ] && PUSH=
[ -n "$PUSH" ] && registry_start
REG=$(registry_key)

kube_ns tekton-workflows
kube_ns ci-a '{"ci":"tekton"}'
kube_ns ci-b '{"ci":"tekton","team":"b"}'
kube_ns other '{"ci":"jenkins"}'

CFG=$TEST_TMP/berth.yaml
write_config "$CFG" <<YAML
$(kube_yaml)
robots:
  - name: tekton
    description: Robot account for tekton pipelines
    permissions:
      - kind: project
        namespace: "*"
        access:
          - {resource: repository, action: push}
          - {resource: repository, action: pull}
    targets:
      secrets:
        - {namespace: tekton-workflows, name: tekton-harbor-auth, tektonAnnotation: true}
        - {namespaceSelector: {matchLabels: {ci: tekton}}, name: harbor-push}
YAML

run_berth apply -f "$CFG"
is 0 "$RC" "apply exits 0" || show_berth
like 'Secret tekton-workflows/tekton-harbor-auth created' "$OUT" "apply reports the named Secret"
like 'Secret ci-a/harbor-push created' "$OUT" "apply reports the Secret in the first selected namespace"
like 'Secret ci-b/harbor-push created' "$OUT" "apply reports the Secret in the second selected namespace"

LOGIN='robot$tekton'
SECRET=$(stored_field harbor/tekton-robot-account secret)
S=$(kube_secret tekton-workflows tekton-harbor-auth)
is kubernetes.io/dockerconfigjson "$(jq -r .type <<<"$S")" "the Secret's type is kubernetes.io/dockerconfigjson"
is '[".dockerconfigjson"]' "$(jq -c '.data | keys' <<<"$S")" "its only data key is .dockerconfigjson"
CJ=$(kube_dockercfg tekton-workflows tekton-harbor-auth)
is "[\"$REG\"]" "$(jq -c '.auths | keys' <<<"$CJ")" "auths is keyed by the registry host ($REG) and nothing else"
is '[]' "$(jq -c 'del(.auths) | keys' <<<"$CJ")" "the config holds auths only (no credsStore/credHelpers)"
if [ "$(jq -r --arg r "$REG" '.auths[$r].auth' <<<"$CJ" | base64 -d)" == "$LOGIN:$SECRET" ]; then
	tap_ok "auth is base64 of login:secret, with the stored secret"
else
	tap_fail "auth is base64 of login:secret, with the stored secret"
fi
is "$LOGIN" "$(jq -r --arg r "$REG" '.auths[$r].username' <<<"$CJ")" "username is the robot's login"
if [ "$(jq -r --arg r "$REG" '.auths[$r].password' <<<"$CJ")" == "$SECRET" ]; then
	tap_ok "password is the stored secret"
else
	tap_fail "password is the stored secret"
fi
is '{"app.kubernetes.io/managed-by":"berth","berth.dev/owner":"berth","berth.dev/robot":"tekton"}' \
	"$(jq -cS .metadata.labels <<<"$S")" "labels: managed-by berth, owner, robot"
is "$(printf '%s' "$CJ" | sha256sum | cut -d' ' -f1)" "$(jq -r '.metadata.annotations["berth.dev/content-sha256"]' <<<"$S")" \
	"annotation berth.dev/content-sha256 is the SHA-256 of .dockerconfigjson"
is "$LOGIN" "$(jq -r '.metadata.annotations["berth.dev/robot-login"]' <<<"$S")" "annotation berth.dev/robot-login names the robot's login"
is "https://$REG" "$(jq -r '.metadata.annotations["tekton.dev/docker-0"]' <<<"$S")" "tektonAnnotation: tekton.dev/docker-0 is https://<registry>"

for ns in ci-a ci-b; do
	S2=$(kube_secret $ns harbor-push)
	is kubernetes.io/dockerconfigjson "$(jq -r .type <<<"$S2")" "$ns/harbor-push (selected namespace) is a dockerconfigjson Secret"
	if [ "$(kube_dockercfg $ns harbor-push)" == "$CJ" ]; then
		tap_ok "$ns/harbor-push carries the same config.json"
	else
		tap_fail "$ns/harbor-push carries the same config.json"
	fi
	is null "$(jq -r '.metadata.annotations["tekton.dev/docker-0"]' <<<"$S2")" "$ns/harbor-push has no Tekton annotation (not asked for)"
done
kube_api GET /api/v1/namespaces/other/secrets/harbor-push
is 404 "$STATUS" "no Secret in a namespace the selector does not match"
kube_api GET /api/v1/namespaces/default/secrets/harbor-push
is 404 "$STATUS" "no Secret in the default namespace"

printf '%s\t%s\t%s\n' "$(jq -r --arg r "$REG" '.auths[$r].username' <<<"$CJ")" \
	"$(jq -r --arg r "$REG" '.auths[$r].password' <<<"$CJ")" published >"$TEST_TMP/creds.tsv"
is '' "$(check_creds "$TEST_TMP/creds.tsv")" "the token service accepts the published credential"
rm -f "$TEST_TMP/creds.tsv"

# A second apply: nothing to write; reads are one labelled list per namespace.
sim_reset kube
sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$RC" "a second apply exits 0" || show_berth
like 'Apply: 0 changed, 1 unchanged, 0 failed' "$OUT" "a second apply changes nothing"
is 0 "$(kube_writes)" "a second apply sends no write to Kubernetes"
is 0 "$(writes harbor)" "a second apply sends no write to Harbor"
SEL='labelSelector=app.kubernetes.io%2Fmanaged-by%3Dberth%2Cberth.dev%2Fowner%3Dberth%2Cberth.dev%2Frobot'
is "GET /api/v1/namespaces/ci-a/secrets?$SEL&limit=500
GET /api/v1/namespaces/ci-b/secrets?$SEL&limit=500
GET /api/v1/namespaces/tekton-workflows/secrets?$SEL&limit=500" \
	"$(kube_log_paths GET | grep '/secrets' | sort)" "Secrets are read with one labelled list per namespace, nothing else"
is 1 "$(kube_log_paths GET | grep -c '^GET /api/v1/namespaces?labelSelector=ci%3Dtekton')" "the selector is resolved with one namespace list"
is 4 "$(requests kube)" "the whole Kubernetes read is 4 requests"

# A namespace labelled later is picked up by the next apply.
kube_api PATCH /api/v1/namespaces/other -H 'Content-Type: application/merge-patch+json' --data-binary '{"metadata":{"labels":{"ci":"tekton"}}}'
is 200 "$STATUS" "namespace 'other' is relabelled ci=tekton"
sim_reset kube
run_berth apply -f "$CFG"
is 0 "$RC" "apply after labelling another namespace exits 0" || show_berth
like 'Secret other/harbor-push created' "$OUT" "the newly matching namespace gets its Secret"
is 1 "$(kube_writes)" "exactly one write: the new Secret"

# The published Secret, decoded into a file, pushes to a real registry.
if [ -n "$PUSH" ]; then
	AUTH=$TEST_TMP/auth/config.json
	mkdir -p "$(dirname "$AUTH")" && chmod 700 "$(dirname "$AUTH")"
	(umask 077 && kube_dockercfg ci-b harbor-push >"$AUTH")
	check "umoci builds a one-layer OCI image" make_image "$TEST_TMP/image"
	if push_image "$AUTH" library/berth-kube:v1; then
		tap_ok "skopeo pushes to the real registry with the Secret's .dockerconfigjson as authfile"
	else
		tap_fail "skopeo pushes to the real registry with the Secret's .dockerconfigjson as authfile"
		diag "$(tail -5 "$TEST_TMP/push.log" | grep -v -i 'password')"
	fi
	like '^sha256:[0-9a-f]{64}$' "$(registry_manifest_digest library/berth-kube v1)" "the registry serves the pushed manifest"
else
	tap_skip "push with the published Secret (needs $(registry_tools_missing))"
fi
if grep -rqF -- "$SECRET" "$OUT_FILE" "$ERR_FILE"; then tap_fail "the secret appears in berth's output"; else tap_ok "the secret appears nowhere in berth's output"; fi
tap_done
