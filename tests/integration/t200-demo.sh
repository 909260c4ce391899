#!/usr/bin/env bash
# make demo's steps, as a test: scripts/demo.sh runs end to end, pushes with
# the Secret berth published, verifies, re-applies with no change, and leaves
# no process behind - also when it is stopped half-way.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/registry.sh
missing=$(registry_tools_missing)
if [ -n "$missing" ]; then
	echo "1..0 # SKIP missing: $missing"
	exit 0
fi
build=$(realpath --relative-to="$PWD" "$BERTH_BUILD_DIR")
out=$TEST_TMP/demo.out
scripts/demo.sh "$build" >"$out" 2>&1
rc=$?
is 0 "$rc" "scripts/demo.sh exits 0" || diag "$(tail -30 "$out")"
like 'created \(id [0-9]+\), secret set \(new robot\), Secret tekton-workflows/tekton-harbor-auth created' "$(cat "$out")" \
	"apply creates the robot, its secret and the Tekton Secret"
like 'manifest digest from the registry: sha256:[0-9a-f]{64}' "$(cat "$out")" "the pipeline's push lands in the registry"
like 'Verify: 2 ok, 0 failed' "$(cat "$out")" "verify passes for the robot and its Secret"
like 'Apply: 0 changed, 1 unchanged, 0 failed' "$(cat "$out")" "the second apply changes nothing"
like 'discovered https://localhost:[0-9]+ from ingress harbor/harbor-ingress' "$(cat "$out")" "Harbor is discovered from the Ingress, as the seed does"
secs=$(sed -n 's/.*Done in \([0-9]*\)s.*/\1/p' "$out")
[ -n "$secs" ] && [ "$secs" -lt 120 ] && tap_ok "the demo takes under two minutes (${secs}s)" || tap_fail "the demo takes under two minutes"
dirs=$(sed -n 's#^ *scratch *\(/[^ ]*\) .*#\1#p' "$out")
sleep 0.3
if [ -n "$dirs" ] && pgrep -af "$dirs" >/dev/null; then tap_fail "no process of the demo is left"; else tap_ok "no process of the demo is left"; fi
[ -n "$dirs" ] && [ ! -e "$dirs" ] && tap_ok "the demo's temporary directory is gone" || tap_fail "the demo's temporary directory is gone"

# Stopped half-way: everything it started goes too.
scripts/demo.sh "$build" >"$out" 2>&1 &
pid=$!
for i in $(seq 1 200); do grep -q '== 2\.' "$out" && break; sleep 0.02; done
kill -TERM "$pid"
wait "$pid"
rc=$?
[ "$rc" -ne 0 ] && tap_ok "a demo stopped with SIGTERM exits non-zero ($rc)" || tap_fail "a demo stopped with SIGTERM exits non-zero"
sleep 0.3
d=$(sed -n 's#^ *scratch *\(/[^ ]*\) .*#\1#p' "$out")
[ -n "$d" ] && tap_ok "the stopped demo had started its world ($d)" || tap_fail "the stopped demo had started its world"
is '' "$(pgrep -af -- "$d" | grep -v pgrep)" "a stopped demo leaves neither berth-sim nor the registry behind"
[ ! -e "$d" ] && tap_ok "a stopped demo removes its scratch directory" || tap_fail "a stopped demo removes its scratch directory"
tap_done
