#!/usr/bin/env bash
# t010-registry-push.sh - the credential chain against a real registry: a robot
# made through the simulated Harbor API pushes an image (built with umoci) to
# Debian's docker-registry, which trusts berth-sim's token service; a wrong
# secret and a pull-only robot are refused.
. "$BERTH_SOURCE_DIR/tests/lib/tap.sh"
. "$BERTH_SOURCE_DIR/tests/lib/sim.sh"
. "$BERTH_SOURCE_DIR/tests/lib/registry.sh"

missing=$(registry_tools_missing)
if [ -n "$missing" ]; then
	echo "1..0 # SKIP needs $missing"
	exit 0
fi

sim_start
registry_start
ADMIN=(-u "admin:$(ready .harbor.password)" -H 'Content-Type: application/json')

# create_robot NAME ACTIONS... : a project robot on library; sets ROBOT_NAME, ROBOT_SECRET
create_robot() {
	local name=$1 body
	shift
	body=$(jq -n --arg n "$name" '{name:$n, duration:-1, level:"project",
		permissions:[{kind:"project", namespace:"library",
			access:[$ARGS.positional[] | {resource:"repository", action:.}]}]}' --args "$@")
	req harbor POST /api/v2.0/robots "${ADMIN[@]}" --data-binary "$body"
	ROBOT_NAME=$(jq -r .name <<<"$BODY")
	ROBOT_SECRET=$(jq -r .secret <<<"$BODY")
}

# write_authfile FILE USER SECRET : a docker config.json built with jq
write_authfile() {
	jq -n --arg host "$REGISTRY_HOST" --arg auth "$(printf '%s:%s' "$2" "$3" | base64 -w0)" \
		'{auths: {($host): {auth: $auth}}}' >"$1"
	chmod 600 "$1"
}

check "umoci builds a one-layer OCI image" make_image "$TEST_TMP/image"

create_robot pusher push pull
is 201 "$STATUS" "admin creates a push+pull robot on library"
is 'robot$library+pusher' "$ROBOT_NAME" "the robot's login name carries the prefix and project"
write_authfile "$TEST_TMP/push.json" "$ROBOT_NAME" "$ROBOT_SECRET"
if push_image "$TEST_TMP/push.json" library/app:v1; then
	tap_ok "the robot pushes library/app:v1 through the registry's token auth"
else
	tap_fail "the robot pushes library/app:v1 through the registry's token auth"
	diag "$(tail -5 "$TEST_TMP/push.log")"
fi
digest=$(registry_manifest_digest library/app v1)
like '^sha256:[0-9a-f]{64}$' "$digest" "the registry serves the pushed manifest"
diag "pushed manifest digest: $digest"

# the sim logged the token requests the registry's challenge sent skopeo to
tokens=$(sim_requests harbor | jq '[.[] | select(.path == "/service/token" and .status == 200)] | length')
like '^[1-9]' "$tokens" "skopeo fetched its bearer token from the simulated Harbor"

write_authfile "$TEST_TMP/wrong.json" "$ROBOT_NAME" "Wrong0Secret0Value0123456789abcd"
if push_image "$TEST_TMP/wrong.json" library/app:wrong; then
	tap_fail "a wrong secret cannot push (its anonymous token grants pull only)"
else
	tap_ok "a wrong secret cannot push (its anonymous token grants pull only)"
fi

create_robot puller pull
is 201 "$STATUS" "admin creates a pull-only robot"
write_authfile "$TEST_TMP/pull.json" "$ROBOT_NAME" "$ROBOT_SECRET"
if push_image "$TEST_TMP/pull.json" library/app:pullonly; then
	tap_fail "a pull-only robot cannot push"
else
	tap_ok "a pull-only robot cannot push"
fi
like 'denied|unauthorized|authentication required' "$(tr 'A-Z' 'a-z' <"$TEST_TMP/push.log")" \
	"the registry's refusal is an authorization error"

tap_done
