#!/usr/bin/env bash
# Bad input at the front door: every malformed config of tests/data/config/bad
# (the unit suite's table, each with its "# expect: L:C: text" line) goes
# through `berth apply` with its Harbor and Vault pointed at berth-sim and
# every credential present, so that berth could write if it went on. Each
# must exit 64 with exactly one line on stderr, "berth: FILE:L:C: ..." with
# the expected position and text, print nothing on stdout, and leave every
# API without a single request. A good config through the same harness does
# write (the harness would see a write).
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
STATS=${RELIABILITY_STATS:-}
dir=tests/data/config/bad
work=$TEST_TMP/bad
mkdir -p "$work"
harbor=$(ready .harbor.url) vault=$(ready .vault.url)

run() { # run FILE: berth apply with a clean environment and every credential
	env -i PATH="$PATH" HOME="$TEST_TMP" HARBOR_PASSWORD="$(harbor_admin_password)" \
		VAULT_TOKEN="$(ready .vault.root_token)" KUBECONFIG="$(ready .kube.kubeconfig)" \
		"$BERTH_BIN" apply -f "$1" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
}

all_requests() {
	local s n=0
	for s in harbor vault kube; do n=$((n + $(requests "$s"))); done
	echo "$n"
}

n=0
for f in "$dir"/*.yaml; do
	name=$(basename "$f")
	expect=$(head -1 "$f")
	where=${expect#\# expect: }
	want=${where#*: }
	want=${want//https:\/\/harbor.example.com/$harbor}
	where=${where%%: *}
	# Same lines, same columns before each URL: only the hosts change.
	sed -e "s#https://harbor.example.com#$harbor#g" -e "s#https://vault.example.com:8200#$vault#g" "$f" >"$work/$name"
	for s in harbor vault kube; do sim_reset "$s"; done
	run "$work/$name"
	rc=$?
	n=$((n + 1))
	errs=$(cat "$TEST_TMP/err")
	if [ "$rc" -eq 64 ] && [ "$(wc -l <"$TEST_TMP/err")" -eq 1 ] && [ ! -s "$TEST_TMP/out" ] &&
		[[ $errs == "berth: $work/$name:$where: "* ]] && [[ $errs == *"$want"* ]]; then
		tap_ok "$name: exit 64, one line at $where"
	else
		tap_fail "$name: exit 64, one line 'berth: FILE:$where: ...$want...'"
		diag "exit $rc" "stderr: $errs" "stdout: $(head -c 300 "$TEST_TMP/out")"
	fi
	is 0 "$(all_requests)" "$name: no API saw a request"
done
[ "$n" -ge 40 ] && tap_ok "$n malformed configs tried (at least 40)" || tap_fail "only $n malformed configs"

# The harness sees writes when the config is good.
write_config "$work/good.yaml" <<'YAML'
robots:
  - name: ci
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: pull}]}]
YAML
for s in harbor vault kube; do sim_reset "$s"; done
run "$work/good.yaml"
is 0 "$?" "a good config through the same harness applies"
[ "$(writes harbor)" -gt 0 ] && tap_ok "... and Harbor saw its writes" || tap_fail "... and Harbor saw its writes"
[ -n "$STATS" ] && printf 'bad-inputs\t%s\n' "$n" >>"$STATS"
tap_done
