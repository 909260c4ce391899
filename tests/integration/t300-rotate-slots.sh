#!/usr/bin/env bash
# Rotation with slots: 2 - a credential a consumer read before a rotation
# still pushes after it, the new one pushes too, and the slot published
# before is refreshed only once the overlap has passed.
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
CONF=$TEST_TMP/kaniko/config.json
write_config "$CFG" <<YAML
robots:
  - name: tekton
    duration: 30
    rotate: {every: 168h, beforeExpiry: 72h, slots: 2, overlap: 6h}
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: push}, {resource: repository, action: pull}]}]
    targets:
      files: [{path: $CONF}]
YAML
run_berth apply -f "$CFG"
is 0 "$RC" "apply with two slots exits 0" || show_berth
is 1 "$(harbor_robot 'robot$tekton-a' | jq 'select(. != null) | 1')" "slot robot tekton-a exists"
is 1 "$(harbor_robot 'robot$tekton-b' | jq 'select(. != null) | 1')" "slot robot tekton-b exists"
is a "$(stored_field harbor/tekton-robot-account berth_slot)" "slot a is published"
is 'robot$tekton-a' "$(stored_field harbor/tekton-robot-account name)" "the entry's name/secret (what ESO reads) is slot a's"
is 'robot$tekton-a' "$(jq -r --arg r "$REGISTRY_HOST" '.auths[$r].username' "$CONF")" "config.json carries slot a"
cp "$CONF" "$TEST_TMP/read-before.json"
push_image "$TEST_TMP/read-before.json" library/app:1 && tap_ok "the published credential pushes" || tap_fail "the published credential pushes"

run_berth rotate -f "$CFG" --now
is 0 "$RC" "rotate --now exits 0" || show_berth
like 'slot b.*secret set \(rotation requested\).*slot b published' "$OUT" "rotation refreshed slot b and published it"
is b "$(stored_field harbor/tekton-robot-account berth_slot)" "slot b is now published"
is 'robot$tekton-b' "$(jq -r --arg r "$REGISTRY_HOST" '.auths[$r].username' "$CONF")" "config.json now carries slot b"
push_image "$TEST_TMP/read-before.json" library/app:2 && tap_ok "the credential read before the rotation still pushes" || tap_fail "the credential read before the rotation still pushes"
push_image "$CONF" library/app:3 && tap_ok "the new credential pushes" || tap_fail "the new credential pushes"
cp "$CONF" "$TEST_TMP/read-second.json"

run_berth rotate -f "$CFG" --now
is 0 "$RC" "a second rotate --now at once exits 0" || show_berth
like 'rotation waits until' "$OUT" "within the overlap, rotation waits (slot a was published until just now)"
is b "$(stored_field harbor/tekton-robot-account berth_slot)" "nothing was switched"
push_image "$TEST_TMP/read-before.json" library/app:4 && tap_ok "the credential read before both rotations still pushes" || tap_fail "the credential read before both rotations still pushes"

# Seven hours later (berth's clock), the overlap has passed.
export BERTH_FAKE_NOW=$(( $(date +%s) + 7 * 3600 ))
run_berth rotate -f "$CFG" --now
is 0 "$RC" "rotate --now after the overlap exits 0" || show_berth
like 'slot a.*secret set \(rotation requested\).*slot a published' "$OUT" "slot a is refreshed and published"
is 'robot$tekton-a' "$(jq -r --arg r "$REGISTRY_HOST" '.auths[$r].username' "$CONF")" "config.json carries the new slot a"
push_image "$TEST_TMP/read-second.json" library/app:5 && tap_ok "the credential read before this rotation (slot b) still pushes" || tap_fail "the credential read before this rotation still pushes"
if push_image "$TEST_TMP/read-before.json" library/app:6; then tap_fail "the first credential was retired"; else tap_ok "the first credential, unpublished for more than the overlap, was retired"; fi
push_image "$CONF" library/app:7 && tap_ok "the newest credential pushes" || tap_fail "the newest credential pushes"
bad=$(find "$STORE_DIR" -name '*.json' -exec jq -r '"\(.slot_a_name)\t\(.slot_a_secret)\ta", "\(.slot_b_name)\t\(.slot_b_secret)\tb"' {} \; >"$TEST_TMP/slots.tsv"; check_creds "$TEST_TMP/slots.tsv")
is '' "$bad" "both slots' stored secrets are accepted (nothing lost)"
unset BERTH_FAKE_NOW
sim_reset harbor
BERTH_FAKE_NOW=$(( $(date +%s) + 7 * 3600 )) run_berth apply -f "$CFG"
is 0 "$(writes harbor)" "apply after the rotation writes nothing"
tap_done
