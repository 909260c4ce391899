#!/usr/bin/env bash
# Link paging: a Harbor (or a proxy before it) that sends no X-Total-Count
# but a Link header is read by following rel="next" one page at a time.
# 260 robots made with the header on are all found with it off (a second
# apply writes nothing); a next link to another server is refused; one to
# the configured server as an absolute URL is followed.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
HURL=$(ready .harbor.url)

# 102 projects (library, team-a, p001..p100): the project list has two pages,
# so it has a Link header too. One curl process for all.
k=$TEST_TMP/projects.curlrc
{
	printf 'url = "%s/_sim/harbor/projects"\ncacert = "%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\ndata = "{\\"name\\":\\"team-a\\"}"\n' "$HURL" "$CA_FILE"
	for i in $(seq -w 1 100); do
		printf 'next\nurl = "%s/_sim/harbor/projects"\ncacert = "%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\ndata = "{\\"name\\":\\"p%s\\"}"\n' "$HURL" "$CA_FILE" "$i"
	done
} >"$k"
is 101 "$(curl -sS -K "$k" | grep -c '^201$')" "101 projects added (102 with library)"

# 140 system robots (two pages) and 120 robots of team-a (two pages, with q in the links).
CFG=$TEST_TMP/berth.yaml
{
	echo "robots:"
	for i in $(seq 1 140); do
		printf '  - name: sys-%03d\n    permissions:\n      - {kind: project, namespace: team-a, access: [{resource: repository, action: pull}]}\n' "$i"
	done
	for i in $(seq 1 120); do
		printf '  - name: ci-%03d\n    level: project\n    project: team-a\n    storePath: harbor/team-a/ci-%03d\n    permissions:\n      - access: [{resource: repository, action: pull}]\n' "$i" "$i"
	done
} | write_config "$CFG"

run_berth apply -f "$CFG"
is 0 "$RC" "apply of 260 robots with X-Total-Count exits 0" || show_berth
like 'Apply: 260 changed, 0 unchanged, 0 failed' "$OUT" "all 260 robots were created"

# From here on the sim sends no X-Total-Count (a test-only switch).
req harbor POST /_sim/harbor/paging --data-binary '{"total_count":false}'
is 200 "$STATUS" "the sim's paging control turns X-Total-Count off"
harbor_api GET '/api/v2.0/robots?page_size=100'
is "no-header 100 1" "$(grep -qi '^X-Total-Count:' "$HEADERS" && echo header || echo no-header) $(jq length <<<"$BODY") $(header Link | grep -c 'rel="next"')" \
	"the robot list now has a Link header but no X-Total-Count"

sim_reset harbor
BERTH_LOG=warn,harbor:debug run_berth plan -f "$CFG" --detailed-exitcode
is 0 "$RC" "plan without X-Total-Count finds every robot: nothing to do" || show_berth
like '^No changes' "$OUT" "plan says there is nothing to do"
like 'list system robots: no X-Total-Count header: following the Link header' "$ERR" \
	"berth logs at debug level that it fell back to Link paging"
robots_q() { sim_requests harbor | jq -r '.[] | select(.path == "/api/v2.0/robots") | .query'; }
is 2 "$(robots_q | grep -vc 'Level')" "system robots: pages 1 and 2 read (page 2 has no next link)" || diag "$(robots_q)"
is 2 "$(robots_q | grep -c 'Level')" "team-a's robots: pages 1 and 2 read, the filter kept" || diag "$(robots_q)"
is 2 "$(sim_requests harbor | jq '[.[] | select(.path == "/api/v2.0/projects")] | length')" \
	"the project list: both pages read"
is 1 "$(sim_requests harbor | jq '[.[] | select(.path == "/api/v2.0/robots" and (.query | test("page=2&page_size=100&q=Level")))] | length')" \
	"page 2 of team-a's robots was read through Harbor's own link (q unescaped)"

sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$RC" "a second apply without X-Total-Count exits 0" || show_berth
like 'Apply: 0 changed, 260 unchanged, 0 failed' "$OUT" "it finds all 260 robots"
is 0 "$(writes harbor)" "it sends no write: no duplicate is created"
req harbor POST /_sim/harbor/paging --data-binary '{"total_count":true}'
harbor_api GET '/api/v2.0/robots?page_size=1'
is 140 "$(header X-Total-Count)" "Harbor still holds exactly 140 system robots"
req harbor POST /_sim/harbor/paging --data-binary '{"total_count":false}'

# Absolute links: to the configured server they are followed, to another one refused.
req harbor POST /_sim/harbor/paging --data-binary "$(jq -cn --arg o "$HURL" '{link_origin: $o}')"
sim_reset harbor
run_berth plan -f "$CFG" --detailed-exitcode
is 0 "$RC" "next links as absolute URLs of the configured server are followed" || show_berth
is 8 "$(requests harbor)" "the same 8 requests: user, prefix, 2 project pages, 2 + 2 robot pages" ||
	diag "$(sim_requests harbor | jq -c '.[] | [.method,.path,.query]')"

req harbor POST /_sim/harbor/paging --data-binary '{"link_origin":"https://harbor.other.example:8443"}'
sim_reset harbor
run_berth plan -f "$CFG"
is 1 "$RC" "a next link to another server fails the run (exit 1)"
like "harbor: list projects: the Link header's next page is on https://harbor.other.example:8443, not on the configured https://127.0.0.1:[0-9]+; refusing to follow a link to another server" \
	"$ERR" "with a message that names both servers" || show_berth
is 0 "$(sim_requests harbor | jq '[.[] | select(.path == "/api/v2.0/projects" and (.query | test("page=2")))] | length')" \
	"the refused page is not asked of the configured server either"

req harbor POST /_sim/harbor/paging --data-binary '{"link_origin":null}'
run_berth plan -f "$CFG" --detailed-exitcode
is 0 "$RC" "back to path-only links: plan finds every robot again"
tap_done
