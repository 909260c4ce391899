#!/usr/bin/env bash
# t030-robot-create.sh - POST /robots: validation order, the permission
# catalogue, authorization, 409 duplicates, and create ignoring secret/disable.
. "$BERTH_SOURCE_DIR/tests/lib/tap.sh"
. "$BERTH_SOURCE_DIR/tests/lib/sim.sh"
. "$BERTH_SOURCE_DIR/tests/sim/harbor/lib.sh"

ok_body=$(robot_body ci project library pull push)

# validation runs before authorization: anonymous + a bad body is 400, not 401
api POST /robots "${JSON_CT[@]}" --data-binary "$(robot_body Bad_Name project library pull)"
error_is 400 BAD_REQUEST "robot name is not in lower case or contains illegal characters" \
	"anonymous with a bad name: 400 (validation before auth)"
api POST /robots "${JSON_CT[@]}" --data-binary "$ok_body"
error_is 401 UNAUTHORIZED unauthorized "anonymous with a valid body: 401"
api POST /robots -u "admin:wrong" "${JSON_CT[@]}" --data-binary "$ok_body"
error_is 401 UNAUTHORIZED unauthorized "wrong credentials are anonymous: 401"

for bad in 'a..b' '-ab' 'ab-' 'a+b' 'robot$x' 'a b' ''; do
	admin POST /robots --data-binary "$(jq -c --arg n "$bad" '.name = $n' <<<"$ok_body")"
	[ "$STATUS" = 400 ] || { tap_fail "name '$bad' refused"; continue; }
done
tap_ok "names outside ^[a-z0-9]+(?:[._-][a-z0-9]+)*\$ are refused (7 cases)"

admin POST /robots --data-binary "$(jq -c '.duration = 0' <<<"$ok_body")"
error_is 400 BAD_REQUEST "bad request error duration input: 0, duration must be either -1(Never) or a positive integer" \
	"duration 0: 400"
admin POST /robots --data-binary "$(jq -c 'del(.duration)' <<<"$ok_body")"
error_is 400 BAD_REQUEST "bad request error duration input: 0, duration must be either -1(Never) or a positive integer" \
	"an omitted duration is 0: 400"
admin POST /robots --data-binary "$(jq -c '.duration = -2' <<<"$ok_body")"
is 400 "$STATUS" "duration -2: 400"
admin POST /robots --data-binary "$(jq -c '.level = "global"' <<<"$ok_body")"
error_is 400 BAD_REQUEST "bad request error level input: global" "unknown level: 400"
admin POST /robots --data-binary "$(jq -c '.permissions = []' <<<"$ok_body")"
error_is 400 BAD_REQUEST "bad request empty permission" "empty permissions: 400"
admin POST /robots --data-binary "$(jq -c '.permissions = [null]' <<<"$ok_body")"
error_is 400 BAD_REQUEST "bad request empty permission" "a null permission entry: 400"
admin POST /robots --data-binary "$(jq -c '.permissions[0].access = []' <<<"$ok_body")"
error_is 400 BAD_REQUEST "bad request empty access" "empty access: 400"
admin POST /robots --data-binary "$(jq -c '.permissions += .permissions' <<<"$ok_body")"
error_is 400 BAD_REQUEST "bad request permission" "a project robot needs exactly one permission entry"
admin POST /robots --data-binary "$(robot_body ci project library '*')"
error_is 400 BAD_REQUEST "bad request permission: repository:*" "the catalogue has no wildcards"
admin POST /robots --data-binary "$(jq -c '.permissions[0].access = [{"resource":"configuration","action":"read"}]' <<<"$ok_body")"
error_is 400 BAD_REQUEST "bad request permission: configuration:read" "configuration is not grantable"
admin POST /robots --data-binary "$(jq -c '.permissions[0].access = [{"resource":"robot","action":"update"}]' <<<"$ok_body")"
error_is 400 BAD_REQUEST "bad request permission: robot:update" "robot:update is not grantable (2.12+)"
admin POST /robots --data-binary "$(jq -c '.permissions[0].kind = "team"' <<<"$ok_body")"
error_is 400 BAD_REQUEST "bad request permission level: team" "unknown permission kind"
admin POST /robots --data-binary '{"name":"ci","duration":"30"}'
is "422 UNPROCESSABLE_ENTITY" "$STATUS $(jq -r '.errors[0].code' <<<"$BODY")" "a string duration is a binding error (422)"
admin POST /robots
error_is 422 UNPROCESSABLE_ENTITY 'validation failure list:
robot in body is required' "a missing body: 422"

admin POST /robots --data-binary "$(robot_body ci project nosuch pull)"
error_is 404 NOT_FOUND "project nosuch not found" "admin, unknown project: 404 after the access check"

ctl POST /users '{"username":"jdoe","password":"Jdoe1234","projects":{"library":"developer"}}'
ctl POST /users '{"username":"padmin","password":"Padmin123","projects":{"library":"projectAdmin"}}'
as_user jdoe:Jdoe1234 POST /robots --data-binary "$(robot_body sys system '*' pull)"
error_is 403 FORBIDDEN jdoe "system robot by a non-admin: 403, message = username"
as_user jdoe:Jdoe1234 POST /robots --data-binary "$ok_body"
error_is 403 FORBIDDEN forbidden "a developer cannot create project robots"
as_user jdoe:Jdoe1234 POST /robots --data-binary "$(robot_body ci project nosuch pull)"
error_is 403 FORBIDDEN forbidden "a non-admin gets 403 for an unknown project (project 0)"

# create ignores "secret" and "disable"
admin POST /robots --data-binary "$(jq -c '.secret = "Chosen0Secret123" | .disable = true' <<<"$ok_body")"
is "201 /api/v2.0/robots/1" "$STATUS $(header Location)" "create: 201 with Location /api/v2.0/robots/<id>"
schema RobotCreated "the create response matches RobotCreated"
is 'robot$library+ci -1' "$(jq -r '.name + " " + (.expires_at|tostring)' <<<"$BODY")" \
	"the returned name is prefix + project + '+' + name"
secret=$(jq -r .secret <<<"$BODY")
if [[ ${#secret} -eq 32 && $secret =~ ^[A-Za-z0-9]+$ && $secret =~ [a-z] && $secret =~ [A-Z] && $secret =~ [0-9] ]]; then
	tap_ok "the generated secret is 32 alphanumerics with upper, lower and digit"
else
	tap_fail "the generated secret is 32 alphanumerics with upper, lower and digit"
fi
[ "$secret" != Chosen0Secret123 ] && tap_ok "the secret in the body is ignored" || tap_fail "the secret in the body is ignored"
admin GET /robots/1
is false "$(jq .disable <<<"$BODY")" "disable:true in the body is ignored"
token -u 'robot$library+ci:Chosen0Secret123' "service=harbor-registry&scope=repository:library/x:push"
is null "$(claims | jq .sub)" "the ignored secret does not log in"
token -u "robot\$library+ci:$secret" "service=harbor-registry&scope=repository:library/x:push"
is '"robot$library+ci"' "$(claims | jq .sub)" "the returned secret logs in"

admin POST /robots --data-binary "$ok_body"
error_is 409 CONFLICT "robot account 1:library+ci already exists" "duplicate: 409 with project_id:dbname"
admin POST /robots --data-binary "$(robot_body ci system '*' pull)"
is "201 robot\$ci" "$STATUS $(jq -r .name <<<"$BODY")" "a system robot 'ci' coexists with 'library+ci'"
admin POST /robots --data-binary "$(robot_body ci system '*' pull)"
error_is 409 CONFLICT "robot account 0:ci already exists" "system duplicate: 409 with project id 0"

as_user padmin:Padmin123 POST /robots --data-binary "$(robot_body byadmin project library pull)"
is 201 "$STATUS" "a project admin creates project robots"
admin GET "/robots/$(jq -r .id <<<"$BODY")"
is "local 3" "$(jq -r '.creator_type + " " + (.creator_ref|tostring)' <<<"$BODY")" \
	"creator_type local, creator_ref = the user's id (padmin is user 3)"
schema Robot "GET /robots/{id} matches Robot"

# a system robot with robot:create may create robots within its own permissions
sysbot=$(jq -cn '{name:"maker", duration:-1, level:"system", permissions:[
	{kind:"system", namespace:"/", access:[{resource:"robot", action:"create"}]},
	{kind:"project", namespace:"*", access:[{resource:"repository", action:"pull"}]}]}')
admin POST /robots --data-binary "$sysbot"
maker_secret=$(jq -r .secret <<<"$BODY")
as_user "robot\$maker:$maker_secret" POST /robots --data-binary "$(robot_body child system library pull)"
is 201 "$STATUS" "a robot with system robot:create creates a narrower robot"
is robot "$(admin GET "/robots/$(jq -r .id <<<"$BODY")"; jq -r .creator_type <<<"$BODY")" "creator_type robot"
as_user "robot\$maker:$maker_secret" POST /robots --data-binary "$(robot_body child2 system library push)"
error_is 403 DENIED "permission scope is invalid. It must be equal to or more restrictive than the creator robot's permissions: robot\$maker" \
	"a robot cannot grant more than it holds: 403 DENIED"

tap_done
