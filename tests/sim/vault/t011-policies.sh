#!/usr/bin/env bash
# t011: policies per token: capabilities per path prefix, create vs update by
# existence, list, patch, delete, deny, named policies, KV v1.
. "$BERTH_SOURCE_DIR/tests/sim/vault/vault.sh"

DENIED='"1 error occurred:\n\t* permission denied\n\n"'
kv2_put harbor/existing '{"v":"1"}'

TOKEN=$(mktoken '{"policies":[{"path_prefix":"secret/data/harbor/","capabilities":["read"]}]}')
vreq GET /v1/secret/data/harbor/existing
is 200 "$STATUS" "read capability: read allowed"
vreq POST /v1/secret/data/harbor/existing -d '{"data":{"v":"2"}}'
is 403 "$STATUS" "read-only: a write to an existing key is refused"
is "$DENIED" "$(jb '.errors[0]|tojson')" "the refusal is Vault's multierror 'permission denied'"
vreq GET /v1/secret/data/other/x
is 403 "$STATUS" "outside the prefix: refused"

TOKEN=$(mktoken '{"policies":[{"path_prefix":"secret/data/harbor/","capabilities":["create"]}]}')
vreq POST /v1/secret/data/harbor/new1 -d '{"data":{"v":"1"}}'
is 200 "$STATUS" "create capability: writing a new key is allowed"
vreq POST /v1/secret/data/harbor/existing -d '{"data":{"v":"2"}}'
is 403 "$STATUS" "create capability: writing an existing key (update) is refused"

TOKEN=$(mktoken '{"policies":[{"path_prefix":"secret/data/harbor/","capabilities":["update"]}]}')
vreq POST /v1/secret/data/harbor/new2 -d '{"data":{"v":"1"}}'
is 403 "$STATUS" "update capability: a new key (create) is refused"
vreq POST /v1/secret/data/harbor/existing -d '{"data":{"v":"2"}}'
is 200 "$STATUS" "update capability: an existing key is allowed"
TOKEN=$ROOT vreq POST /v1/secret/metadata/harbor/meta-only -d '{"max_versions":4}'
vreq POST /v1/secret/data/harbor/meta-only -d '{"data":{"v":"1"}}'
is 200 "$STATUS" "a key with metadata only exists: its first write is an update"

TOKEN=$(mktoken '{"policies":[{"path_prefix":"secret/data/harbor/","capabilities":["read","create","update"]}]}')
vreq PATCH /v1/secret/data/harbor/existing -H 'Content-Type: application/merge-patch+json' -d '{"data":{"v":"3"}}'
is 403 "$STATUS" "PATCH needs the patch capability"
vreq DELETE /v1/secret/data/harbor/existing
is 403 "$STATUS" "DELETE needs the delete capability"
vreq LIST /v1/secret/metadata/harbor
is 403 "$STATUS" "LIST needs list on metadata/"
TOKEN=$(mktoken '{"policies":[{"path_prefix":"secret/data/harbor/","capabilities":["patch","delete"]},{"path_prefix":"secret/metadata/harbor/","capabilities":["list"]}]}')
vreq PATCH /v1/secret/data/harbor/existing -H 'Content-Type: application/merge-patch+json' -d '{"data":{"v":"3"}}'
is 200 "$STATUS" "patch capability: PATCH allowed"
vreq LIST /v1/secret/metadata/harbor
is 200 "$STATUS" "list capability on metadata/harbor/: LIST allowed"
vreq DELETE /v1/secret/data/harbor/existing
is 204 "$STATUS" "delete capability: DELETE allowed"

TOKEN=$(mktoken '{"policies":[{"path_prefix":"secret/data/*","capabilities":["read"]},{"path_prefix":"secret/data/harbor/private/","capabilities":["deny"]}]}')
TOKEN=$ROOT kv2_put harbor/private/k '{"v":"1"}'
vreq GET /v1/secret/data/harbor/new1
is 200 "$STATUS" "a trailing * in path_prefix is a glob"
vreq GET /v1/secret/data/harbor/private/k
is 403 "$STATUS" "the more specific deny wins"

ctl policies '{"name":"harbor-writer","rules":[{"path_prefix":"secret/data/harbor/","capabilities":["create","update","read"]}]}'
TOKEN=$(mktoken '{"policies":["harbor-writer"]}')
vreq POST /v1/secret/data/harbor/by-name -d '{"data":{"v":"1"}}'
is 200 "$STATUS" "a named policy grants its rules"
vreq GET /v1/auth/token/lookup-self
is '["default","harbor-writer"]' "$(jb '.data.policies|tojson')" "lookup-self lists default and the named policy"
ctl policies '{"name":"harbor-writer","rules":[{"path_prefix":"secret/data/harbor/","capabilities":["read"]}]}'
vreq POST /v1/secret/data/harbor/by-name -d '{"data":{"v":"2"}}'
is 403 "$STATUS" "changing a named policy takes effect at once"

TOKEN=$(mktoken '{"policies":[{"path_prefix":"kv/app/","capabilities":["create"]}]}')
vreq POST /v1/kv/app/one -d '{"v":"1"}'
is 204 "$STATUS" "KV v1: create allows a new key"
vreq POST /v1/kv/app/one -d '{"v":"2"}'
is 403 "$STATUS" "KV v1: rewriting it needs update"

vreq GET /v1/sys/mounts
is 403 "$STATUS" "sys/ paths need a policy too"
TOKEN=$ROOT vreq GET /v1/sys/mounts
is '404 "1 error occurred:\n\t* unsupported path\n\n"' "$STATUS $(jb '.errors[0]|tojson')" "an unimplemented sys path with the root token: 404 unsupported path"

tap_done
