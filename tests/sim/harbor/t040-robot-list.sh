#!/usr/bin/env bash
# t040-robot-list.sh - GET /robots: Harbor's q grammar (decoded twice), the
# Level/ProjectID keys, paging (10 by default, 100 at most, 0 = all),
# X-Total-Count, the Link header, sort, and who may list.
. "$BERTH_SOURCE_DIR/tests/lib/tap.sh"
. "$BERTH_SOURCE_DIR/tests/lib/sim.sh"
. "$BERTH_SOURCE_DIR/tests/sim/harbor/lib.sh"

names() { jq -r '[.[].name] | join(" ")' <<<"$BODY"; }

bulk_robots s 1 25 system '*' pull
is 25 "$BULK_OK" "25 system robots created"
for n in p1 p2 p3; do mkrobot "$n" project library pull; done
admin POST /projects --data-binary '{"project_name":"team"}'
mkrobot t1 project team pull push

admin GET /robots
is "200 25 10" "$STATUS $(header X-Total-Count) $(jq length <<<"$BODY")" \
	"no q: system robots only, 10 per page by default, X-Total-Count 25"
is 'robot$s01 robot$s10' "$(jq -r '.[0].name + " " + .[9].name' <<<"$BODY")" "sorted by name"
schema_each Robot "every listed robot matches Robot"
is '</api/v2.0/robots?page=2&page_size=10>; rel="next"' "$(header Link)" "page 1: a next link only"
admin GET "/robots?page=2"
is '</api/v2.0/robots?page=1&page_size=10>; rel="prev" , </api/v2.0/robots?page=3&page_size=10>; rel="next"' \
	"$(header Link)" "page 2: prev and next joined by \" , \""
admin GET "/robots?page=3"
is "5 0" "$(jq length <<<"$BODY") $(header Link | grep -c next)" "the last page has the rest and no next link"
admin GET "/robots?page_size=100"
is "25 " "$(jq length <<<"$BODY") $(header Link)" "page_size=100 is allowed; no Link when all fit"
admin GET "/robots?page_size=101"
error_is 422 UNPROCESSABLE_ENTITY 'validation failure list:
page_size in query should be less than or equal to 100' "page_size=101: 422 with go-swagger's message"
admin GET "/robots?page_size=0"
is "25 25 " "$(jq length <<<"$BODY") $(header X-Total-Count) $(header Link)" "page_size=0 returns everything, no Link"
admin GET "/robots?page_size=abc"
error_is 422 UNPROCESSABLE_ENTITY 'validation failure list:
page_size in query must be of type int64: "abc"' "a non-integer page_size: 422"
admin GET "/robots?page=0&page_size=3"
is 'robot$s01' "$(jq -r '.[0].name' <<<"$BODY")" "page=0 is the first page"

admin GET "/robots?q=Level%3Dproject%2CProjectID%3D1"
is 'robot$library+p1 robot$library+p2 robot$library+p3' "$(names)" "Level=project,ProjectID=1 (encoded once)"
admin GET "/robots?q=Level%253Dproject%252CProjectID%253D1"
is 'robot$library+p1 robot$library+p2 robot$library+p3' "$(names)" "the same q encoded twice (q is decoded twice)"
admin GET "/robots?q=Level%3Dproject%2CProjectID%3D1%2Cname%3Dlibrary%252Bp2"
is "1 robot\$library+p2" "$(header X-Total-Count) $(names)" "a literal + must be sent as %252B"
admin GET "/robots?q=Level%3Dproject%2CProjectID%3D1%2Cname%3Dlibrary%2Bp2"
is "0 []" "$(header X-Total-Count) $BODY" "%2B decodes to + and then to a space: no match"
admin GET "/robots?q=Level%3Dproject%2CProjectID%3D1%2Cname%3Dlibrary+p2"
is "0" "$(header X-Total-Count)" "a raw + is a space: no match"
admin GET "/robots?q=name%3Ds07"
is 'robot$s07' "$(names)" "name= takes the stored name (no prefix)"
admin GET "/robots?q=name%3Drobot%24s07"
is "200 [] 0" "$STATUS $BODY $(header X-Total-Count)" "name=robot\$x finds nothing: the prefix is not stored"
admin GET "/robots?q=level%3Dproject%2CProjectID%3D1"
is 25 "$(header X-Total-Count)" "lower-case level= is ignored: system robots"
admin GET "/robots?q=Level%3Dsystem"
is 25 "$(header X-Total-Count)" "Level=system lists system robots only"
admin GET "/robots?q=Level%3Dproject"
error_is 400 BAD_REQUEST "must with project ID when to query project robots" "Level=project needs ProjectID"
admin GET "/robots?q=Level%3Dproject%2CProjectID%3Dabc"
error_is 400 BAD_REQUEST "ProjectID must be a positive integer" "a non-integer ProjectID: 400"
admin GET "/robots?q=Level%3Dproject%2CProjectID%3D0"
error_is 400 BAD_REQUEST "ProjectID must be a positive integer" "ProjectID=0: 400"
admin GET "/robots?q=Level%3Dbogus"
error_is 400 BAD_REQUEST "bad request error level input" "an unknown Level: 400"
admin GET "/robots?q=Level%3Dproject%2CProjectID%3D99"
is "200 []" "$STATUS $BODY" "admin lists a project that does not exist: []"

admin GET "/robots?q=foo%3Dbar"
is 25 "$(header X-Total-Count)" "unknown q keys are silently ignored"
admin GET "/robots?q=exact%20match(name%3Ds07)"
is "200 25 robot\$s01" "$STATUS $(header X-Total-Count) $(jq -r '.[0].name' <<<"$BODY")" \
	"'exact match(name=x)' is ignored: the unfiltered list, not the robot"
admin GET "/robots?q=name%3D~s1"
is 10 "$(header X-Total-Count)" "name=~s1 is a fuzzy (contains) match"
admin GET "/robots?q=id%3D%5B2~4%5D"
is 'robot$s02 robot$s03 robot$s04' "$(names)" "id=[2~4] is a range"
admin GET "/robots?q=name%3D%7Bs03%20s05%7D"
is 'robot$s03 robot$s05' "$(names)" "name={a b} is an OR list"
admin GET "/robots?q=name%3D(s03%20s05)"
is 25 "$(header X-Total-Count)" "name=(a b), an AND list, is ignored by the generic ORM"
admin GET "/robots?q=expires_at%3D5"
is 25 "$(header X-Total-Count)" "expires_at is not a column: ignored"
admin GET "/robots?q=expiresat%3D5"
is 0 "$(header X-Total-Count)" "expiresat (the column) filters"
admin GET "/robots?q=ExpiresAt%3D-1"
is 25 "$(header X-Total-Count)" "the Go field name ExpiresAt filters too"
admin GET "/robots?q=foo"
error_is 400 BAD_REQUEST 'the query string must contain "=" and the key/value cannot be empty' "a term without =: 400"
admin GET "/robots?q=name%3D~"
error_is 400 BAD_REQUEST "invalid query string value: ~" "a bare ~: 400"

admin GET "/robots?sort=-name&page_size=2"
is 'robot$s25 robot$s24' "$(names)" "sort=-name sorts descending"
admin GET "/robots?sort=bogus&page_size=2"
is 'robot$s01 robot$s02' "$(names)" "unknown sort keys are ignored (name ascending)"
admin GET "/robots?q=name%3D~s&page_size=10&page=2"
is '</api/v2.0/robots?page=1&page_size=10&q=name=~s>; rel="prev" , </api/v2.0/robots?page=3&page_size=10&q=name=~s>; rel="next"' \
	"$(header Link)" "Link keeps q unescaped, keys sorted"

# The test-only paging control (not Harbor's behaviour): no X-Total-Count, absolute links.
ctl GET /paging ''
is '200 {"total_count":true,"link_origin":null}' "$STATUS $(jq -c . <<<"$BODY")" "paging control: off by default"
ctl POST /paging '{"total_count":false}'
admin GET "/robots?page=2"
is "10 no-header" "$(jq length <<<"$BODY") $(grep -qi '^X-Total-Count:' "$HEADERS" && echo header || echo no-header)" \
	"total_count false: the list comes without X-Total-Count"
is '</api/v2.0/robots?page=1&page_size=10>; rel="prev" , </api/v2.0/robots?page=3&page_size=10>; rel="next"' \
	"$(header Link)" "total_count false: the Link header stays as Harbor sends it"
admin GET "/projects?page_size=1"
is "1 no-header 1" "$(jq length <<<"$BODY") $(grep -qi '^X-Total-Count:' "$HEADERS" && echo header || echo no-header) $(header Link | grep -c next)" \
	"total_count false: the project list too"
ctl POST /paging '{"link_origin":"https://other.example:8443"}'
admin GET "/robots?page_size=10"
is '<https://other.example:8443/api/v2.0/robots?page=2&page_size=10>; rel="next"' "$(header Link)" \
	"link_origin goes before each Link target"
ctl POST /paging '{"total_count":"no"}'
is 400 "$STATUS" "paging control: a non-boolean total_count is refused"
ctl POST /paging '{"total_count":true,"link_origin":null}'
admin GET "/robots?page_size=10"
is "25 </api/v2.0/robots?page=2&page_size=10>; rel=\"next\"" "$(header X-Total-Count) $(header Link)" \
	"paging control: back to Harbor's headers"

api GET /robots
error_is 401 UNAUTHORIZED unauthorized "anonymous list: 401"
ctl POST /users '{"username":"jdoe","password":"Jdoe1234","projects":{"library":"guest"}}'
as_user jdoe:Jdoe1234 GET "/robots?q=Level%3Dproject%2CProjectID%3D1"
is "200 3" "$STATUS $(header X-Total-Count)" "a guest of library may list its robots"
as_user jdoe:Jdoe1234 GET "/robots?q=Level%3Dproject%2CProjectID%3D2"
error_is 403 FORBIDDEN forbidden "a non-member may not list another project's robots"
as_user jdoe:Jdoe1234 GET /robots
error_is 403 FORBIDDEN jdoe "a non-admin may not list system robots (message = username)"

tap_done
