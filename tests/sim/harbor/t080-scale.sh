#!/usr/bin/env bash
# t080-scale.sh - 10,000 robots listed page by page: every page in name order,
# no robot lost or repeated, the total right. (Correctness only: speed is
# measured by make bench, never asserted here.)
. "$BERTH_SOURCE_DIR/tests/lib/tap.sh"
. "$BERTH_SOURCE_DIR/tests/lib/sim.sh"
. "$BERTH_SOURCE_DIR/tests/sim/harbor/lib.sh"

bulk_robots r 1 10000 system '*' pull
is 10000 "$BULK_OK" "10,000 system robots created"

# one curl process fetches the 100 pages of 100
cfg=$TEST_TMP/pages.cfg
for p in $(seq 1 100); do
	[ "$p" = 1 ] || echo next
	printf 'url = "%s/api/v2.0/robots?page=%d&page_size=100"\nuser = "admin:%s"\ncacert = "%s"\n' \
		"$HARBOR_URL" "$p" "$ADMIN_PASS" "$CA_FILE"
	printf 'output = "%s/page.%03d"\n' "$TEST_TMP" "$p"
done >"$cfg"
curl -sS -K "$cfg"
cat "$TEST_TMP"/page.* | jq -r '.[].name' >"$TEST_TMP/names"
is 10000 "$(wc -l <"$TEST_TMP/names")" "100 pages of 100 hold 10,000 robots"
is 10000 "$(LC_ALL=C sort -u "$TEST_TMP/names" | wc -l)" "no robot appears twice"
check "the pages come in name order" env LC_ALL=C sort -c "$TEST_TMP/names"
admin GET "/robots?page=100&page_size=100"
is '10000 robot$r09901 </api/v2.0/robots?page=99&page_size=100>; rel="prev"' \
	"$(header X-Total-Count) $(jq -r '.[0].name' <<<"$BODY") $(header Link)" "the last page: total, first name, prev link only"
admin GET "/robots?q=name%3Dr05000"
is "1 robot\$r05000" "$(header X-Total-Count) $(jq -r '.[0].name' <<<"$BODY")" "an exact name lookup among 10,000"

tap_done
