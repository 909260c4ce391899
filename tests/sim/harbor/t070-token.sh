#!/usr/bin/env bash
# t070-token.sh - GET /service/token: service check, 401 without scope,
# anonymous tokens for bad credentials, all granted actions whatever was asked,
# the JWT's header, claims and RS256 signature against token.crt.
. "$BERTH_SOURCE_DIR/tests/lib/tap.sh"
. "$BERTH_SOURCE_DIR/tests/lib/sim.sh"
. "$BERTH_SOURCE_DIR/tests/sim/harbor/lib.sh"

svc=service=harbor-registry
# actions_of SCOPE_NAME: the sorted actions the last token grants on that name
actions_of() { claims | jq -c --arg n "$1" '[.access[] | select(.name == $n) | .actions[]] | sort'; }

token "service=other&scope=repository:library/x:pull"
is "400 Unable to handle service: other" "$STATUS $BODY" "an unknown service: 400 with a text body"
token "scope=repository:library/x:pull"
is "400 Unable to handle service: " "$STATUS $BODY" "no service: 400"
token "$svc"
is "401 " "$STATUS $BODY" "anonymous and no scope: 401 (docker login with bad credentials)"
token -u admin:wrong "$svc"
is 401 "$STATUS" "bad credentials and no scope: 401"
req harbor POST "/service/token?$svc"
is 405 "$STATUS" "POST /service/token: 405"

token -u admin:wrong "$svc&scope=repository:library/x:pull,push"
is 200 "$STATUS" "bad credentials with a scope: 200 (an anonymous token)"
is 'null ["pull"]' "$(claims | jq -c .sub) $(actions_of library/x)" \
	"the anonymous token has no sub and only pull on the public project"
is '""' "$(jq -c .access_token <<<"$BODY")" "access_token is present and empty"
is 1800 "$(jq .expires_in <<<"$BODY")" "expires_in is 1800 (30 minutes)"
like '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "$(jq -r .issued_at <<<"$BODY")" \
	"issued_at is RFC 3339 UTC without fractions"
is "token,access_token,expires_in,issued_at" "$(jq -r 'keys_unsorted | join(",")' <<<"$BODY")" "the response fields"

token -u "admin:$ADMIN_PASS" "$svc&scope=repository:library/app:pull"
is '["delete","pull","push","scanner-pull"]' "$(actions_of library/app)" "admin asks for pull and gets every action"
c=$(claims)
is 'harbor-token-issuer "harbor-registry" admin' "$(jq -r '.iss + " " + (.aud|tojson) + " " + .sub' <<<"$c")" \
	"iss, aud (a single string) and sub"
like '^[A-Za-z0-9]{16}$' "$(jq -r .jti <<<"$c")" "jti is 16 alphanumerics"
is "true 1800" "$(jq -r '"\(.nbf == .iat) \(.exp - .iat)"' <<<"$c")" "nbf = iat, exp = iat + 1800"
kid=$(openssl x509 -in "$(ready .harbor.token_cert_file)" -pubkey -noout | openssl pkey -pubin -outform DER |
	openssl dgst -sha256 -binary | head -c 30 | base32 | tr -d '=' | sed 's/..../&:/g; s/:$//')
is "RS256 JWT $kid" "$(jwt_header | jq -r '.alg + " " + .typ + " " + .kid')" \
	"header: RS256, and kid is the libtrust id of token.crt's key"
tok=$(jq -r .token <<<"$BODY")
printf '%s' "${tok%.*}" >"$TEST_TMP/signed"
_b64url "${tok##*.}" >"$TEST_TMP/sig"
openssl x509 -in "$(ready .harbor.token_cert_file)" -pubkey -noout >"$TEST_TMP/pub.pem"
check "the signature verifies with token.crt (RS256)" \
	openssl dgst -sha256 -verify "$TEST_TMP/pub.pem" -signature "$TEST_TMP/sig" "$TEST_TMP/signed"

admin POST /projects --data-binary '{"project_name":"private1"}'
mkrobot pusher project private1 push
token -u "$RNAME:$RSECRET" "$svc&scope=repository:private1/app:pull"
is '["pull","push"]' "$(actions_of private1/app)" "a project robot with push also gets pull"
is "\"$RNAME\"" "$(claims | jq -c .sub)" "sub is the robot's full name"
admin POST /robots --data-binary "$(robot_body syspush system private1 push)"
token -u "$(jq -r .name <<<"$BODY"):$(jq -r .secret <<<"$BODY")" "$svc&scope=repository:private1/app:pull"
is '["push"]' "$(actions_of private1/app)" "a system robot with push does not get pull (filter applies to project robots)"
mkrobot puller project private1 pull
token -u "$RNAME:$RSECRET" "$svc&scope=repository:private1/app:push"
is '["pull"]' "$(actions_of private1/app)" "a pull robot asking for push gets pull"
token -u "$RNAME:$RSECRET" "$svc&scope=repository:library/app:push"
is '["pull"]' "$(actions_of library/app)" "anyone pulls from a public project"
token -u "$RNAME:$RSECRET" "$svc&scope=repository:nosuch/app:pull"
is "200 []" "$STATUS $(actions_of nosuch/app)" "an unknown project: 200 with no actions"
token "$svc&scope=repository:private1/app:pull"
is '[]' "$(actions_of private1/app)" "anonymous gets nothing on a private project"
token -u "$RNAME:$RSECRET" "$svc&scope=repository:private1/a:pull%20repository:library/b:pull&scope=registry:catalog:*"
is '["private1/a","library/b","catalog"]' "$(claims | jq -c '[.access[].name]')" \
	"several scopes: space-separated and repeated parameters"
is '[]' "$(actions_of catalog)" "registry:catalog:* is empty for non-admins"
token -u "admin:$ADMIN_PASS" "$svc&scope=registry:catalog:*"
is '["*"]' "$(actions_of catalog)" "registry:catalog:* keeps its actions for admins"

ctl PATCH "/robots/$RID" '{"disable":true}'
token -u "$RNAME:$RSECRET" "$svc&scope=repository:private1/app:pull"
is '200 null []' "$STATUS $(claims | jq -c .sub) $(actions_of private1/app)" "a disabled robot gets an anonymous token"
admin PUT /configurations --data-binary '{"token_expiration":45}'
token -u "admin:$ADMIN_PASS" "$svc&scope=repository:library/app:pull"
is 2700 "$(jq .expires_in <<<"$BODY")" "expires_in follows token_expiration"

tap_done
