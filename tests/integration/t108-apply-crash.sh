#!/usr/bin/env bash
# apply killed with SIGKILL at each Harbor write of a cold run, then run again:
# every robot exists exactly once, every stored secret is accepted by the
# token service, nothing was deleted, and a further apply writes nothing.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
CFG=$TEST_TMP/berth.yaml
url=$(ready .harbor.url)

for k in 1 2 3 4; do
	write_config "$CFG" <<YAML
robots:
  - name: k$k-a
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: push}]}]
  - name: k$k-b
    level: project
    project: library
    permissions: [{access: [{resource: repository, action: push}]}]
YAML
	sim_reset harbor
	# Hold Harbor's k-th robot write for 1.5 s; berth is killed while it waits.
	sim_fault harbor "{\"method\":\"POST|PATCH|PUT\",\"path\":\"/api/v2.0/robots\",\"skip\":$((k - 1)),\"count\":1,\"delay_ms\":1500,\"action\":\"delay\"}"
	HARBOR_PASSWORD=$(harbor_admin_password) "$BERTH_BIN" apply -f "$CFG" --concurrency 1 >/dev/null 2>&1 &
	pid=$!
	n=0
	while [ "$(writes harbor)" -lt $((k - 1)) ] && [ $n -lt 200 ]; do sleep 0.02; n=$((n + 1)); done
	sleep 0.8
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	sleep 1.3 # the held request completes in Harbor after berth died
	what=$(sim_requests harbor | jq -r "[.[] | select(.method != \"GET\")][$((k - 1))] | \"\(.method) \(.path)\"")
	like '^(POST|PATCH|PUT) ' "$what" "berth was killed while Harbor held write $k ($what)"

	run_berth apply -f "$CFG"
	is 0 "$RC" "kill at write $k ($what): the next apply exits 0" || show_berth
	cnt=$(curl -sS --cacert "$CA_FILE" -u "admin:$(harbor_admin_password)" "$url/api/v2.0/robots?page_size=100" |
		jq --arg n "robot\$k$k-a" '[.[] | select(.name == $n)] | length')
	is 1 "$cnt" "kill at write $k: the system robot exists exactly once"
	bad=$(check_store_accepted "$STORE_DIR")
	is '' "$bad" "kill at write $k: every stored secret is accepted by the token service"
	is 0 "$(requests harbor DELETE)" "kill at write $k: no robot was deleted"
	sim_reset harbor
	run_berth apply -f "$CFG"
	is 0 "$(writes harbor)" "kill at write $k: a further apply writes nothing"
done
tap_done
