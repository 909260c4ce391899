#!/usr/bin/env bash
# t007: KV version detection through sys/internal/ui/mounts: options.version as
# a string, path with a trailing slash, the 403 preflight message, 400 path not
# set, mounts added by the control endpoint, unmounted paths.
. "$BERTH_SOURCE_DIR/tests/sim/vault/vault.sh"

PREFLIGHT='preflight capability check returned 403, please ensure client'"'"'s policies grant access to path'

vreq GET /v1/sys/internal/ui/mounts/secret/harbor/ci
is 200 "$STATUS" "ui/mounts for a path under secret/: 200"
is '"2"' "$(jb '.data.options.version|tojson')" "options.version is the string \"2\""
is 'secret/ kv' "$(jb '"\(.data.path) \(.data.type)"')" "data.path ends with a slash; type kv"
is 'system' "$(jb .mount_type)" "mount_type is system"
vreq GET /v1/sys/internal/ui/mounts/kv/harbor
is '200 "1" kv/' "$STATUS $(jb '.data.options.version|tojson') $(jb .data.path)" "the v1 mount: options.version \"1\", path kv/"
vreq GET /v1/sys/internal/ui/mounts/secret
is '200 secret/' "$STATUS $(jb .data.path)" "the mount path itself matches"

vreq GET /v1/sys/internal/ui/mounts/nope/foo
is "403 $PREFLIGHT \"nope/foo/\"" "$STATUS $(errs)" "an unknown mount: 403 preflight, path sanitised with a trailing /"
noauth GET /v1/sys/internal/ui/mounts/nope/foo
is 403 "$STATUS" "unknown mount without a token: the same 403 (nothing to enumerate)"
vreq GET /v1/sys/internal/ui/mounts/
is '400 path not set' "$STATUS $(errs)" "an empty path: 400 path not set"

noauth GET /v1/sys/internal/ui/mounts/secret/x
is '403 permission denied' "$STATUS $(errs)" "a known mount without a token: 403 permission denied"
TOKEN=$(mktoken '{"policies":[{"path_prefix":"kv/","capabilities":["read"]}]}')
vreq GET /v1/sys/internal/ui/mounts/secret/x
is "403 $PREFLIGHT \"secret/x/\"" "$STATUS $(errs)" "a token with no access under the mount: 403 preflight"
TOKEN=$(mktoken '{"policies":[{"path_prefix":"secret/data/harbor/","capabilities":["read"]}]}')
vreq GET /v1/sys/internal/ui/mounts/secret/harbor/x
is '200 "2"' "$STATUS $(jb '.data.options.version|tojson')" "access somewhere under the mount is enough"
TOKEN=$ROOT

ctl mounts '{"path":"team-kv","version":2}'
ctl mounts '{"path":"legacy/kv","version":1}'
vreq GET /v1/sys/internal/ui/mounts/team-kv/app
is '200 "2" team-kv/' "$STATUS $(jb '.data.options.version|tojson') $(jb .data.path)" "a control-added v2 mount is detected"
vreq GET /v1/sys/internal/ui/mounts/legacy/kv/app
is '200 "1" legacy/kv/' "$STATUS $(jb '.data.options.version|tojson') $(jb .data.path)" "a nested v1 mount is detected (longest prefix)"
vreq POST /v1/team-kv/data/app -d '{"data":{"k":"v"}}'
is '200 1' "$STATUS $(jb .data.version)" "the new v2 mount serves data/"
vreq POST /v1/legacy/kv/app -d '{"k":"v"}'
is 204 "$STATUS" "the new v1 mount serves writes"
vreq GET /v1/sys/mounts-all/secret
is '200 "2"' "$STATUS $(jb '.data.options.version|tojson')" "sys/mounts-all/<path> answers the same way"

vreq GET /v1/nope/x
is '404 no handler for route "nope/x". route entry not found.' "$STATUS $(errs)" "an unmounted path with a root token: 404 no handler"
TOKEN=$(mktoken '{"policies":[{"path_prefix":"secret/","capabilities":["read"]}]}')
vreq GET /v1/nope/x
is 403 "$STATUS" "an unmounted path with a limited token: 403 first"

tap_done
