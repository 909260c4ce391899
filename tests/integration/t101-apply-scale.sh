#!/usr/bin/env bash
# 250 robots across system and project levels (three pages and more of
# Harbor's list) created in one apply; a second apply writes nothing.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
for p in team-a team-b team-c; do
	curl -sS --cacert "$CA_FILE" -X POST --data "{\"name\":\"$p\"}" "$(ready .harbor.url)/_sim/harbor/projects" >/dev/null
done
CFG=$TEST_TMP/berth.yaml
{
	echo "robots:"
	for i in $(seq 1 160); do
		printf '  - name: sys-%03d\n    permissions:\n      - {kind: project, namespace: team-a, access: [{resource: repository, action: pull}]}\n' "$i"
	done
	for p in team-a team-b team-c; do
		for i in $(seq 1 30); do
			printf '  - name: ci-%s-%03d\n    level: project\n    project: %s\n    storePath: harbor/%s/ci-%03d\n    permissions:\n      - access: [{resource: repository, action: push}, {resource: repository, action: pull}]\n' "$p" "$i" "$p" "$p" "$i"
		done
	done
} | write_config "$CFG"

run_berth apply -f "$CFG"
is 0 "$RC" "apply of 250 robots exits 0" || show_berth
like 'Apply: 250 changed, 0 unchanged, 0 failed' "$OUT" "all 250 robots were created in one apply"
is 250 "$(requests harbor POST)" "one POST per robot, none retried"
harbor_api GET '/api/v2.0/robots?page_size=1'
is 160 "$(header X-Total-Count)" "Harbor holds the 160 system robots"
tid=$(curl -sS --cacert "$CA_FILE" -u "admin:$(harbor_admin_password)" "$(ready .harbor.url)/api/v2.0/projects/team-b" | jq .project_id)
harbor_api GET "/api/v2.0/robots?page_size=1&q=Level%3Dproject%2CProjectID%3D$tid"
is 30 "$(header X-Total-Count)" "team-b holds its 30 project robots"

sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$RC" "a second apply exits 0" || show_berth
is 0 "$(writes harbor)" "a second apply of 250 robots sends no write"
is 1 "$(sim_requests harbor | jq '[.[] | select(.path == "/api/v2.0/robots" and (.query | test("page=2&")) and (.query | test("Level") | not))] | length')" \
	"the system robots were read through their second page"
like 'page_size=100' "$(sim_requests harbor | jq -r '[.[] | select(.path == "/api/v2.0/robots")][0].query')" "robot lists use page_size=100"
is 3 "$(sim_requests harbor | jq '[.[] | select(.path == "/api/v2.0/robots" and (.query | test("Level%3Dproject")))] | length')" \
	"one list per project of the config (30 robots fit one page)"
is 8 "$(requests harbor)" "the warm read is 8 requests: user, prefix, projects, 2 pages of system robots, 3 project lists" || diag "$(sim_requests harbor | jq -c '.[] | [.method,.path,.query]')"

bad=$(check_store_accepted "$STORE_DIR")
is '' "$bad" "every one of the 250 stored secrets is accepted by the token service"
is 250 "$(find "$STORE_DIR" -name '*.json' | wc -l)" "one store entry per robot"
tap_done
