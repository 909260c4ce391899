#!/usr/bin/env bash
# Every credential berth stores pushes to the real registry (docker-registry
# trusting the simulated Harbor's token service), with skopeo.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/registry.sh
source tests/lib/berth.sh
missing=$(registry_tools_missing)
if [ -n "$missing" ]; then
	echo "1..0 # SKIP missing: $missing"
	exit 0
fi
sim_start
registry_start
make_image "$TEST_TMP/image"
CFG=$TEST_TMP/berth.yaml
write_config "$CFG" <<'YAML'
robots:
  - name: pusher
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: push}, {resource: repository, action: pull}]}]
  - name: ci
    level: project
    project: library
    permissions: [{access: [{resource: repository, action: push}]}]
  - name: reader
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: pull}]}]
YAML
run_berth apply -f "$CFG"
is 0 "$RC" "apply exits 0" || show_berth
for r in pusher ci; do
	f=$STORE_DIR/harbor/$r-robot-account.json
	auth=$TEST_TMP/$r.json
	jq --arg reg "$REGISTRY_HOST" '{auths: {($reg): {auth: ("\(.name):\(.secret)" | @base64)}}}' "$f" >"$auth"
	chmod 600 "$auth"
	if push_image "$auth" "library/berth-$r:v1"; then tap_ok "robot $r's stored credential pushes to the registry"; else tap_fail "robot $r's stored credential pushes"; diag "$(tail -3 "$TEST_TMP/push.log")"; fi
done
auth=$TEST_TMP/reader.json
jq --arg reg "$REGISTRY_HOST" '{auths: {($reg): {auth: ("\(.name):\(.secret)" | @base64)}}}' "$STORE_DIR/harbor/reader-robot-account.json" >"$auth"
if push_image "$auth" "library/berth-reader:v1"; then tap_fail "a pull-only robot cannot push"; else tap_ok "a pull-only robot cannot push (least privilege holds at the registry)"; fi
d=$(registry_manifest_digest library/berth-pusher v1)
like '^sha256:[0-9a-f]{64}$' "$d" "the registry serves the pushed manifest"
diag "pushed library/berth-pusher:v1 $d"
tap_done
