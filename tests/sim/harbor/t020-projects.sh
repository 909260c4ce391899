#!/usr/bin/env bash
# t020-projects.sh - projects: list, HEAD, create, get; visibility by caller;
# go-swagger's binding (content type, metadata strings).
. "$BERTH_SOURCE_DIR/tests/lib/tap.sh"
. "$BERTH_SOURCE_DIR/tests/lib/sim.sh"
. "$BERTH_SOURCE_DIR/tests/sim/harbor/lib.sh"

admin GET /projects
is "200 1 library" "$STATUS $(header X-Total-Count) $(jq -r '.[0].name' <<<"$BODY")" \
	"the sim starts with project library (X-Total-Count 1)"
schema_each Project "GET /projects items match Project"
is "1 true [1]" "$(jq -c '.[0] | [.project_id, .metadata.public, .current_user_role_ids] | "\(.[0]) \(.[1]) \(.[2])"' -r <<<"$BODY")" \
	"library is id 1, public, and admin is its project admin"
has_body_nl "success bodies end with a newline (go-swagger's encoder)"

admin POST /projects --data-binary '{"project_name":"team-a","metadata":{"public":"false"}}'
is "201 /api/v2.0/projects/2" "$STATUS $(header Location)" "create: 201 with Location /api/v2.0/projects/<id>"
is "" "$BODY" "create: empty body"
admin POST /projects -H 'X-Resource-Name-In-Location: true' --data-binary '{"project_name":"team-b"}'
is "201 /api/v2.0/projects/team-b" "$STATUS $(header Location)" "X-Resource-Name-In-Location puts the name in Location"
admin GET /projects/team-b
is '"false"' "$(jq -c .metadata.public <<<"$BODY")" "metadata.public defaults to \"false\""
admin POST /projects --data-binary '{"project_name":"team-a"}'
error_is 409 CONFLICT "The project named team-a already exists" "duplicate project: 409"
admin POST /projects --data-binary '{"project_name":"Team_C"}'
error_is 400 BAD_REQUEST "project name is not in lower case or contains illegal characters" "project name regex"
admin POST /projects --data-binary '{"project_name":"team-c","metadata":{"public":true}}'
is "422 UNPROCESSABLE_ENTITY" "$STATUS $(jq -r '.errors[0].code' <<<"$BODY")" \
	"metadata values are strings: a JSON boolean is 422"
like '^validation failure list:' "$(jq -r '.errors[0].message' <<<"$BODY")" "422 messages are go-swagger validation lists"
admin POST /projects --data-binary '{"project_name":"team-c","metadata":{"public":"yes"}}'
error_is 400 BAD_REQUEST "metadata.public should only be 'true' or 'false', but got: 'yes'" "metadata.public must be true or false"
api POST /projects -u "admin:$ADMIN_PASS" --data-binary '{"project_name":"team-c"}'
error_is 422 UNPROCESSABLE_ENTITY 'validation failure list:
unsupported media type "application/x-www-form-urlencoded", only [application/json] are allowed' \
	"a body without Content-Type: application/json is refused"
admin POST /projects
error_is 422 UNPROCESSABLE_ENTITY 'validation failure list:
project in body is required' "a missing body is 422"
api POST /projects "${JSON_CT[@]}" --data-binary '{"project_name":"team-c"}'
error_is 401 UNAUTHORIZED unauthorized "anonymous create: 401"

admin HEAD "/projects?project_name=team-a"
is 200 "$STATUS" "HEAD ?project_name= an existing project: 200"
admin HEAD "/projects?project_name=nosuch"
is 404 "$STATUS" "HEAD for a missing project: 404"
api HEAD "/projects?project_name=team-a"
is 401 "$STATUS" "HEAD anonymous: 401"

admin GET /projects/2
is "200 team-a" "$STATUS $(jq -r .name <<<"$BODY")" "GET /projects/{id}"
schema Project "GET /projects/{name_or_id} matches Project"
admin GET /projects/team-a
is "200 2" "$STATUS $(jq -r .project_id <<<"$BODY")" "GET /projects/{name}"
admin POST /projects --data-binary '{"project_name":"42"}'
admin GET /projects/42
error_is 404 NOT_FOUND "project 42 not found" "a numeric name is taken as an id"
admin GET /projects/42 -H 'X-Is-Resource-Name: true'
is "200 42" "$STATUS $(jq -r .name <<<"$BODY")" "X-Is-Resource-Name: true makes it a name"
admin GET /projects/nosuch
error_is 404 NOT_FOUND "project nosuch not found" "admin gets 404 for an unknown project"

ctl POST /users '{"username":"dev","password":"Dev12345","projects":{"team-a":"developer"}}'
is 201 "$STATUS" "control endpoint: create a developer of team-a"
ctl POST /users '{"username":"outsider","password":"Out12345"}'
as_user dev:Dev12345 GET /projects
is "library team-a" "$(jq -r '[.[].name] | join(" ")' <<<"$BODY")" "a member sees public projects and its own"
is "[2]" "$(jq -c '.[] | select(.name == "team-a") | .current_user_role_ids' <<<"$BODY")" \
	"current_user_role_ids carries the developer role (2)"
as_user outsider:Out12345 GET /projects/team-a
error_is 403 FORBIDDEN forbidden "a non-member cannot read a private project"
as_user outsider:Out12345 GET /projects/nosuch
error_is 403 FORBIDDEN forbidden "an unknown project is project 0: non-admins get 403, not 404"
api GET /projects
is "library" "$(jq -r '[.[].name] | join(" ")' <<<"$BODY")" "anonymous callers see public projects only"
is null "$(jq -c '.[0].current_user_role_ids' <<<"$BODY")" "current_user_role_ids is null for non-members"
api GET /projects -u "admin:wrong"
is "200 library" "$STATUS $(jq -r '[.[].name] | join(" ")' <<<"$BODY")" \
	"wrong credentials list projects as anonymous (200)"
api GET "/projects?public=false"
is "200 [] 0" "$STATUS $BODY $(header X-Total-Count)" "anonymous public=false: an empty list"

for i in 1 2 3 4 5 6 7 8 9 10 11; do admin POST /projects --data-binary "{\"project_name\":\"p$i\"}"; done
admin GET "/projects?page=2&page_size=5"
is "5 15" "$(jq length <<<"$BODY") $(header X-Total-Count)" "projects page 2 of 5 (X-Total-Count 15)"
is '</api/v2.0/projects?page=1&page_size=5>; rel="prev" , </api/v2.0/projects?page=3&page_size=5>; rel="next"' \
	"$(header Link)" "projects Link: prev and next joined by \" , \""
admin GET "/projects?name=p1"
is "p1 p10 p11" "$(jq -r '[.[].name] | join(" ")' <<<"$BODY")" "name= is a fuzzy match"
admin GET "/projects?page_size=101"
error_is 422 UNPROCESSABLE_ENTITY 'validation failure list:
page_size in query should be less than or equal to 100' "projects page_size above 100: 422"

tap_done
