#!/usr/bin/env bash
# t010-basics.sh - ping, systeminfo, users/current, the error envelope, routing,
# X-Request-Id, CSRF on cookie sessions, 5xx rewriting, and the core's faults.
. "$BERTH_SOURCE_DIR/tests/lib/tap.sh"
. "$BERTH_SOURCE_DIR/tests/lib/sim.sh"
. "$BERTH_SOURCE_DIR/tests/sim/harbor/lib.sh"

api GET /ping
is "200 Pong" "$STATUS $BODY" "GET /ping answers Pong without auth"
like '^text/plain' "$(header Content-Type)" "ping is text/plain"

api GET /ping -H 'X-Request-Id: berth-test-42'
is berth-test-42 "$(header X-Request-Id)" "X-Request-Id is echoed"
api GET /ping
like '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$' "$(header X-Request-Id)" \
	"a missing X-Request-Id is generated (uuid)"

api GET /systeminfo
is 200 "$STATUS" "anonymous systeminfo is 200"
schema GeneralInfo "anonymous systeminfo matches GeneralInfo"
is "auth_mode,banner_message,oidc_provider_name,primary_auth_mode,self_registration" \
	"$(jq -r 'keys | join(",")' <<<"$BODY")" "anonymous callers get only the public fields"
admin GET /systeminfo
schema GeneralInfo "authenticated systeminfo matches GeneralInfo"
is "true true" "$(jq -r '(has("harbor_version")|tostring) + " " + (has("current_time")|tostring)' <<<"$BODY")" \
	"authenticated callers also get harbor_version and current_time"
api GET /systeminfo -u "admin:wrong-password"
is "200 false" "$STATUS $(jq 'has("harbor_version")' <<<"$BODY")" \
	"wrong credentials on systeminfo: 200 with the anonymous view"

admin GET /users/current
is "200 admin true" "$STATUS $(jq -r '.username + " " + (.sysadmin_flag|tostring)' <<<"$BODY")" \
	"users/current for admin"
schema UserResp "users/current matches UserResp"
api GET /users/current
error_is 401 UNAUTHORIZED unauthorized "users/current anonymous is 401 UNAUTHORIZED"
schema Errors "the error body matches Errors"
has_body_nl "error bodies end with a newline"
like '^application/json; charset=utf-8$' "$(header Content-Type)" "errors are application/json; charset=utf-8"
api GET /users/current -u "admin:wrong-password"
is 401 "$STATUS" "wrong credentials are anonymous, so users/current is 401"

admin GET /nosuch
error_is 404 NOT_FOUND "path /api/v2.0/nosuch was not found" "unknown paths: go-swagger's 404"
admin GET /projects/library/robots
error_is 404 NOT_FOUND "path /api/v2.0/projects/library/robots was not found" \
	"the legacy /projects/{p}/robots API is gone (2.13+)"
admin DELETE /robots
error_is 405 METHOD_NOT_ALLOWED "method DELETE is not allowed, but [GET,POST] are" "405 lists the methods"

# CSRF: a session cookie on a mutating call is refused, even with good basic auth
admin POST /projects -H 'Cookie: sid=abc123' --data-binary '{"project_name":"csrf-test"}'
error_is 403 FORBIDDEN "CSRF token invalid" "a sid cookie on POST: 403 CSRF token invalid"
admin GET /projects -H 'Cookie: sid=abc123'
is 200 "$STATUS" "a sid cookie on GET is fine"
admin HEAD "/projects?project_name=csrf-test"
is 404 "$STATUS" "the refused POST created nothing"

# 5xx bodies are rewritten: a q value PostgreSQL cannot compare with an integer column
admin GET "/robots?q=id%3Dabc"
error_is 500 UNKNOWN "internal server error" "a database error becomes 500 UNKNOWN internal server error"
has_body_nl "the 500 body ends with a newline too"

# the core's fault injection works on the Harbor port (503 once, then normal)
sim_fault harbor '{"path":"/api/v2.0/systeminfo","status":503,"retry_after":2,"body":{"errors":[{"code":"UNKNOWN","message":"internal server error"}]}}'
api GET /systeminfo
is "503 2" "$STATUS $(header Retry-After)" "an injected 503 with Retry-After"
api GET /systeminfo
is 200 "$STATUS" "the fault fired once"
is 1 "$(sim_requests harbor | jq '[.[] | select(.fault == "status")] | length')" \
	"the request log marks the faulted request"

tap_done
