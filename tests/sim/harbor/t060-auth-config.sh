#!/usr/bin/env bash
# t060-auth-config.sh - who is calling: robots by prefixed name, disabled and
# expired robots (and the sim's clock), robot_name_prefix renaming every robot,
# /configurations, /permissions, /users/current for robots.
. "$BERTH_SOURCE_DIR/tests/lib/tap.sh"
. "$BERTH_SOURCE_DIR/tests/lib/sim.sh"
. "$BERTH_SOURCE_DIR/tests/sim/harbor/lib.sh"

admin POST /projects --data-binary '{"project_name":"private1"}'
mkrobot ci project library pull
as_user "$RNAME:$RSECRET" GET /users/current
error_is 412 PRECONDITION "get current user not available for security context: robot" "users/current for a robot: 412"
as_user "$RNAME:$RSECRET" GET /projects
is "library" "$(jq -r '[.[].name] | join(" ")' <<<"$BODY")" "a project robot lists its projects (+public)"
as_user "$RNAME:$RSECRET" GET /systeminfo
is true "$(jq 'has("harbor_version")' <<<"$BODY")" "robots see the protected systeminfo fields"
as_user "$RNAME:$RSECRET" GET /configurations
error_is 403 FORBIDDEN "$RNAME" "robots cannot read /configurations (403, message = robot name)"
as_user "$RNAME:$RSECRET" GET /permissions
error_is 403 FORBIDDEN "forbidden: only admins(system and project) can access permissions" "robots cannot read /permissions"
as_user "$RNAME:wrong" GET /robots/1
error_is 401 UNAUTHORIZED unauthorized "a robot with a wrong secret is anonymous"

# disabled and expired robots are anonymous
ctl PATCH "/robots/$RID" '{"disable":true}'
as_user "$RNAME:$RSECRET" GET "/robots/$RID"
is 401 "$STATUS" "a disabled robot (changed out of band) is anonymous"
ctl PATCH "/robots/$RID" '{"disable":false,"expires_at":1000}'
as_user "$RNAME:$RSECRET" GET "/robots/$RID"
is 401 "$STATUS" "an expired robot is anonymous"
admin POST /robots --data-binary "$(jq -c '.duration = 2' <<<"$(robot_body short project library pull)")"
short_name=$(jq -r .name <<<"$BODY") short_secret=$(jq -r .secret <<<"$BODY") short_id=$(jq -r .id <<<"$BODY")
# /users/current tells a logged-in robot (412) from an anonymous caller (401)
as_user "$short_name:$short_secret" GET /users/current
is 412 "$STATUS" "a 2-day robot logs in today"
ctl POST /clock '{"offset_s":259200}'
as_user "$short_name:$short_secret" GET /users/current
is 401 "$STATUS" "three days later (sim clock) it has expired"
ctl POST /clock '{"offset_s":0}'

# robot_name_prefix: admin only; renames every robot at read time
ctl POST /users '{"username":"jdoe","password":"Jdoe1234","projects":{"library":"projectAdmin"}}'
as_user jdoe:Jdoe1234 GET /configurations
error_is 403 FORBIDDEN jdoe "non-admins cannot read /configurations (message = username)"
api GET /configurations
is 401 "$STATUS" "anonymous /configurations: 401"
admin GET /configurations
is '{"editable":true,"value":"robot$"}' "$(jq -c .robot_name_prefix <<<"$BODY")" "robot_name_prefix is robot\$"
schema ConfigurationsResponse "GET /configurations matches ConfigurationsResponse"
as_user jdoe:Jdoe1234 PUT /configurations --data-binary '{"robot_name_prefix":"bot-"}'
error_is 403 FORBIDDEN jdoe "non-admins cannot change the prefix"
admin PUT /configurations --data-binary '{"robot_name_prefix":""}'
is 400 "$STATUS" "an empty prefix is refused"
admin PUT /configurations --data-binary '{"robot_name_prefix":"bot-"}'
is "200 " "$STATUS $BODY" "admin sets robot_name_prefix"
admin GET "/robots/$short_id"
is "bot-library+short" "$(jq -r .name <<<"$BODY")" "existing robots are renamed at once"
as_user "$short_name:$short_secret" GET /users/current
is 401 "$STATUS" "the old login name stops working"
as_user "bot-library+short:$short_secret" GET /users/current
is 412 "$STATUS" "the new login name works with the same secret"
admin PUT /configurations --data-binary '{"robot_name_prefix":"robot$"}'

# /permissions: the catalogue for admins (both scopes) and project admins (project only)
admin GET /permissions
schema Permissions "GET /permissions matches Permissions"
is "true true" "$(jq -c '[(.system | any(.resource == "robot" and .action == "create")),
	(.project | any(.resource == "repository" and .action == "push"))] | "\(.[0]) \(.[1])"' -r <<<"$BODY")" \
	"admins get system and project lists"
as_user jdoe:Jdoe1234 GET /permissions
is "200 null true" "$STATUS $(jq -c '.system' <<<"$BODY") $(jq '.project | length > 50' <<<"$BODY")" \
	"a project admin gets the project list only (system: null)"
ctl POST /users '{"username":"guest1","password":"Guest1234","projects":{"library":"guest"}}'
as_user guest1:Guest1234 GET /permissions
error_is 403 FORBIDDEN "forbidden: only admins(system and project) can access permissions" "other users: 403"
api GET /permissions
error_is 401 UNAUTHORIZED "" "anonymous: 401 with an empty message (the username)"

tap_done
