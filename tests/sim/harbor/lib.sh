# tests/sim/harbor/lib.sh - helpers for the simulated Harbor's suite. Source it
# after tap.sh and sim.sh; it starts the sim.
#
#   api METHOD PATH [curl args]       request to /api/v2.0PATH (sets STATUS, BODY, HEADERS)
#   admin METHOD PATH [curl args]     the same as admin, with Content-Type: application/json
#   as_user USER:PASS METHOD PATH [args] the same as USER
#   ctl METHOD PATH JSON              a /_sim/harbor control endpoint (sets STATUS, BODY)
#   token [curl args] QUERY           GET /service/token?QUERY (sets STATUS, BODY)
#   robot_body NAME LEVEL NAMESPACE ACTION... : a RobotCreate body (repository actions)
#   mkrobot NAME LEVEL NAMESPACE ACTION...    create it as admin; sets RID, RNAME, RSECRET
#   bulk_robots PREFIX FIRST LAST LEVEL NAMESPACE ACTION...
#                                     create PREFIX<FIRST..LAST> (zero-padded to LAST's width)
#                                     as admin through one curl process; sets BULK_OK (201s)
#   schema NAME "desc"                $BODY is a valid swagger definition NAME
#   schema_each NAME "desc"           every element of the $BODY array is
#   has_body_nl "desc"                the last body ended with "\n"
#   claims                            the JWT claims of the last token response (JSON)
SPEC=$SPECS_DIR/harbor-v2.0-swagger.yaml
sim_start
ADMIN_PASS=$(ready .harbor.password)
HARBOR_URL=$(ready .harbor.url)
# sim.sh looks the URL up with jq on every request; keep Harbor's at hand
_svc_url() {
	if [ "$1" = harbor ]; then printf '%s' "$HARBOR_URL"; else jq -r ".$1.url" "$SIM_DIR/ready.json"; fi
}
JSON_CT=(-H 'Content-Type: application/json')

api() {
	local m=$1 p=$2
	shift 2
	# curl must know a HEAD response has no body
	[ "$m" = HEAD ] && set -- -I "$@"
	req harbor "$m" "/api/v2.0$p" "$@"
}

admin() {
	local m=$1 p=$2
	shift 2
	api "$m" "$p" -u "admin:$ADMIN_PASS" "${JSON_CT[@]}" "$@"
}

as_user() {
	local cred=$1 m=$2 p=$3
	shift 3
	api "$m" "$p" -u "$cred" "${JSON_CT[@]}" "$@"
}

ctl() {
	req harbor "$1" "/_sim/harbor$2" -H 'Content-Type: application/json' --data-binary "$3"
}

token() {
	local q=${*: -1}
	req harbor GET "/service/token?$q" "${@:1:$#-1}"
}

robot_body() {
	local name=$1 level=$2 ns=$3
	shift 3
	local kind=project
	jq -cn --arg n "$name" --arg l "$level" --arg k "$kind" --arg ns "$ns" \
		'{name:$n, duration:-1, level:$l, permissions:[{kind:$k, namespace:$ns,
		  access:[$ARGS.positional[] | {resource:"repository", action:.}]}]}' --args "$@"
}

mkrobot() {
	admin POST /robots --data-binary "$(robot_body "$@")"
	read -r RID RNAME RSECRET < <(jq -r '"\(.id) \(.name) \(.secret)"' <<<"$BODY")
	[ "$STATUS" = 201 ] || diag "mkrobot $1: status $STATUS: $BODY"
}

bulk_robots() {
	local prefix=$1 first=$2 last=$3 level=$4 ns=$5 cfg=$TEST_TMP/bulk.cfg tmpl i sep=
	shift 5
	tmpl=$(robot_body NAME "$level" "$ns" "$@" | sed 's/"/\\"/g')
	{
		for i in $(seq -w "$first" "$last"); do
			printf '%s' "$sep"
			sep=$'next\n'
			printf 'url = "%s/api/v2.0/robots"\nrequest = "POST"\n' "$HARBOR_URL"
			printf 'header = "Content-Type: application/json"\nuser = "admin:%s"\n' "$ADMIN_PASS"
			printf 'cacert = "%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' "$CA_FILE"
			printf 'data-binary = "%s"\n' "${tmpl/NAME/$prefix$i}"
		done
	} >"$cfg"
	BULK_OK=$(curl -sS -K "$cfg" | grep -c '^201$')
	rm -f "$cfg"
}

schema() {
	local out
	if out=$(printf '%s' "$BODY" | "$SCHEMACHECK" "$SPEC" "$1" 2>&1); then
		tap_ok "$2"
	else
		tap_fail "$2"
		diag "$out"
	fi
}

schema_each() {
	local out= item n=0
	while IFS= read -r item; do
		n=$((n + 1))
		out+=$(printf '%s' "$item" | "$SCHEMACHECK" "$SPEC" "$1" 2>&1) || out+=" (item $n)"
	done < <(jq -c '.[]' <<<"$BODY")
	if [ "$n" -gt 0 ] && [ -z "$out" ]; then
		tap_ok "$2"
	else
		tap_fail "$2"
		diag "items: $n" "$out"
	fi
}

has_body_nl() {
	if [ "$(tail -c1 "$TEST_TMP/last.body" | od -An -c | tr -d ' ')" = '\n' ]; then
		tap_ok "$1"
	else
		tap_fail "$1"
	fi
}

_b64url() {
	local s
	s=$(tr '_-' '/+' <<<"$1")
	case $((${#s} % 4)) in 2) s+='==' ;; 3) s+='=' ;; esac
	base64 -d <<<"$s" 2>/dev/null
}

claims() { _b64url "$(jq -r .token <<<"$BODY" | cut -d. -f2)"; }
jwt_header() { _b64url "$(jq -r .token <<<"$BODY" | cut -d. -f1)"; }

# error_is STATUS CODE MESSAGE "desc": the last response is that Harbor error
error_is() {
	local got
	got="$STATUS $(jq -r '.errors[0].code + " " + .errors[0].message' <<<"$BODY" 2>/dev/null)"
	is "$1 $2 $3" "$got" "$4"
}
