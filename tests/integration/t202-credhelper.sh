#!/usr/bin/env bash
# docker-credential-berth: the credential helper protocol answered from
# berth's store, and a skopeo push that uses it - no Secret, no auths entry.
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
YAML
run_berth apply -f "$CFG"
is 0 "$RC" "apply exits 0" || show_berth
BIN=$TEST_TMP/bin
mkdir -p "$BIN"
ln -s "$BERTH_BIN" "$BIN/docker-credential-berth"
export BERTH_CONFIG=$CFG
out=$(printf '%s\n' "$REGISTRY_HOST" | "$BIN/docker-credential-berth" get)
is 0 "$?" "get exits 0"
is "$REGISTRY_HOST" "$(printf '%s' "$out" | jq -r .ServerURL)" "get answers ServerURL as asked"
is 'robot$pusher' "$(printf '%s' "$out" | jq -r .Username)" "get answers the robot's login"
s=$(stored_field harbor/pusher-robot-account secret)
[ "$(printf '%s' "$out" | jq -r .Secret)" = "$s" ] && tap_ok "get answers the stored secret" || tap_fail "get answers the stored secret"
out=$(printf 'https://%s/v2/\n' "$REGISTRY_HOST" | "$BIN/docker-credential-berth" get)
is 'robot$pusher' "$(printf '%s' "$out" | jq -r .Username)" "get accepts a URL with scheme and path"
out=$(printf 'other.example.com\n' | "$BIN/docker-credential-berth" get)
is 1 "$?" "an unknown registry: exit 1"
is 'credentials not found in native keychain' "$out" "an unknown registry: the protocol's not-found text on stdout"
out=$("$BIN/docker-credential-berth" list)
is 'robot$pusher' "$(printf '%s' "$out" | jq -r --arg r "$REGISTRY_HOST" '.[$r]')" "list maps the registry to the login"
out=$(printf '{"ServerURL":"x","Username":"u","Secret":"s"}' | "$BIN/docker-credential-berth" store)
is 1 "$?" "store is refused (exit 1)"
like 'refused' "$out" "store says why"
out=$(printf 'x\n' | "$BIN/docker-credential-berth" erase)
is 1 "$?" "erase is refused (exit 1)"
like '^docker-credential-berth \(berth\) ' "$("$BIN/docker-credential-berth" version)" "version answers"
is 1 "$(printf 'x\n' | BERTH_CONFIG= "$BIN/docker-credential-berth" get >/dev/null 2>&1; echo $?)" "without BERTH_CONFIG: exit 1"

auth=$TEST_TMP/helper-config.json
jq -n --arg r "$REGISTRY_HOST" '{credHelpers: {($r): "berth"}}' >"$auth"
if PATH=$BIN:$PATH push_image "$auth" library/via-helper:1; then tap_ok "skopeo pushes through the credential helper"; else tap_fail "skopeo pushes through the credential helper"; diag "$(tail -3 "$TEST_TMP/push.log")"; fi
like '^sha256:' "$(registry_manifest_digest library/via-helper 1)" "the registry has the image"
if grep -qF -- "$s" "$TEST_TMP/push.log"; then tap_fail "the secret stays out of skopeo's output"; else tap_ok "the secret stays out of skopeo's output"; fi
tap_done
