#!/usr/bin/env bash
# t050-robot-update.sh - GET/PUT/PATCH/DELETE /robots/{id}: 404 before 403,
# PUT's full-replace semantics, secret refresh and choice, delete.
. "$BERTH_SOURCE_DIR/tests/lib/tap.sh"
. "$BERTH_SOURCE_DIR/tests/lib/sim.sh"
. "$BERTH_SOURCE_DIR/tests/sim/harbor/lib.sh"

# can_login NAME SECRET: the token service authenticates it (a token with sub)
can_login() {
	token -u "$1:$2" "service=harbor-registry&scope=repository:library/x:pull"
	[ "$(claims | jq -r .sub)" = "$1" ]
}

mkrobot ci project library pull push
id=$RID name=$RNAME sec1=$RSECRET
ctl POST /users '{"username":"jdoe","password":"Jdoe1234"}'

admin GET /robots/999
error_is 404 NOT_FOUND "robot 999 not found" "GET unknown id: 404"
as_user jdoe:Jdoe1234 GET /robots/999
error_is 404 NOT_FOUND "robot 999 not found" "404 comes before the permission check"
as_user jdoe:Jdoe1234 GET "/robots/$id"
error_is 403 FORBIDDEN forbidden "an existing project robot: 403 for a non-member"
admin GET /robots/abc
error_is 422 UNPROCESSABLE_ENTITY 'validation failure list:
robot_id in path must be of type int64: "abc"' "a non-integer id: 422"

# PUT replaces description, disable and permissions; a nil duration keeps the duration
admin GET "/robots/$id"
base=$(jq -c '.description = "first" | .duration = 30' <<<"$BODY")
ctl PATCH "/robots/$id" '{"creation_time":1700000000}'
admin PUT "/robots/$id" --data-binary "$base"
is "200 " "$STATUS $BODY" "PUT: 200 with an empty body"
is "" "$(header Content-Type)" "PUT: no Content-Type"
admin GET "/robots/$id"
is "first 30 $((1700000000 + 30 * 86400))" "$(jq -r '"\(.description) \(.duration) \(.expires_at)"' <<<"$BODY")" \
	"a changed duration recomputes expires_at from creation_time"
admin PUT "/robots/$id" --data-binary "$(jq -c 'del(.description, .duration) | .disable = true' <<<"$base")"
admin GET "/robots/$id"
is "null 30 true" "$(jq -r '"\(.description) \(.duration) \(.disable)"' <<<"$BODY")" \
	"an omitted description is cleared; an omitted (nil) duration keeps 30"
! can_login "$name" "$sec1" && tap_ok "a disabled robot cannot log in" || tap_fail "a disabled robot cannot log in"
admin PUT "/robots/$id" --data-binary "$(jq -c 'del(.disable)' <<<"$base")"
admin GET "/robots/$id"
is false "$(jq .disable <<<"$BODY")" "an omitted disable is false: PUT re-enables the robot"
ctl PATCH "/robots/$id" '{"creation_time":'"$(date +%s)"'}'
admin PUT "/robots/$id" --data-binary "$(jq -c '.duration = -1' <<<"$base")"
can_login "$name" "$sec1" && tap_ok "re-enabled, it logs in again" || tap_fail "re-enabled, it logs in again"
admin PUT "/robots/$id" --data-binary "$(jq -c '.permissions[0].access = [{"resource":"repository","action":"pull"}]' <<<"$base")"
admin GET "/robots/$id"
is '[{"action":"pull","resource":"repository"}]' "$(jq -c '.permissions[0].access' <<<"$BODY")" \
	"permissions are replaced wholesale"
admin PUT "/robots/$id" --data-binary "$(jq -c '.name = "ci"' <<<"$base")"
error_is 400 BAD_REQUEST "cannot update the level or name of robot" "PUT needs the full prefixed name"
admin PUT "/robots/$id" --data-binary "$(jq -c '.level = "system"' <<<"$base")"
error_is 400 BAD_REQUEST "cannot update the level or name of robot" "the level cannot change"
admin POST /projects --data-binary '{"project_name":"other"}'
admin PUT "/robots/$id" --data-binary "$(jq -c '.permissions[0].namespace = "other"' <<<"$base")"
error_is 400 BAD_REQUEST "cannot update the project id of robot" "the project cannot change"
admin PUT "/robots/$id" --data-binary "$(jq -c '.duration = 0' <<<"$base")"
is 400 "$STATUS" "PUT validates like create (duration 0: 400)"
as_user "$name:$sec1" PUT "/robots/$id" --data-binary "$base"
error_is 403 FORBIDDEN forbidden "a robot cannot PUT robots (robot:update is not grantable)"

# PATCH: {} refreshes and returns the new secret; the old one dies at once
admin PATCH "/robots/$id" --data-binary '{}'
sec2=$(jq -r .secret <<<"$BODY")
schema RobotSec "the refresh response matches RobotSec"
[[ ${#sec2} -eq 32 && $sec2 != "$sec1" ]] && tap_ok "PATCH {} returns a new 32-character secret" ||
	tap_fail "PATCH {} returns a new 32-character secret"
! can_login "$name" "$sec1" && tap_ok "the old secret stops working immediately" ||
	tap_fail "the old secret stops working immediately"
can_login "$name" "$sec2" && tap_ok "the new secret works" || tap_fail "the new secret works"
admin PATCH "/robots/$id" --data-binary '{"secret":""}'
sec3=$(jq -r .secret <<<"$BODY")
[[ ${#sec3} -eq 32 ]] && tap_ok 'PATCH {"secret":""} also generates one' || tap_fail 'PATCH {"secret":""} also generates one'
admin PATCH "/robots/$id" --data-binary '{"secret":"Chosen0Secret0Value"}'
is "200 {}" "$STATUS $BODY" "a chosen secret: 200 with {} (not echoed)"
can_login "$name" Chosen0Secret0Value && tap_ok "the chosen secret works" || tap_fail "the chosen secret works"
admin PATCH "/robots/$id" --data-binary '{"secret":"alllowercase123"}'
error_is 400 BAD_REQUEST "the secret must be 8-128, inclusively, characters long with at least 1 uppercase letter, 1 lowercase letter and 1 number" \
	"a chosen secret must meet the rule"
admin PATCH "/robots/$id" --data-binary "{\"secret\":\"Aa1$(printf 'x%.0s' $(seq 1 126))\"}"
is 400 "$STATUS" "a 129-byte secret is too long"
admin PATCH "/robots/$id"
error_is 422 UNPROCESSABLE_ENTITY 'validation failure list:
robotSec in body is required' "PATCH without a body: 422"
api PATCH "/robots/$id" "${JSON_CT[@]}" --data-binary '{}'
error_is 401 UNAUTHORIZED unauthorized "PATCH anonymous: 401"

mkrobot sys system '*' pull
as_user "$RNAME:$RSECRET" PATCH "/robots/$RID" --data-binary '{}'
error_is 403 FORBIDDEN "$RNAME" "a robot cannot refresh a system robot (403, message = its name)"

admin DELETE "/robots/$id"
is "200 " "$STATUS $BODY" "DELETE: 200 with an empty body"
admin GET "/robots/$id"
is 404 "$STATUS" "a deleted robot is gone"
! can_login "$name" Chosen0Secret0Value && tap_ok "a deleted robot cannot log in" || tap_fail "a deleted robot cannot log in"
admin DELETE "/robots/$id"
is 404 "$STATUS" "deleting twice: 404"

tap_done
