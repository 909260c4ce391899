#!/usr/bin/env bash
# t014: X-Vault-Namespace: CE refusal, scoping of mounts, the path form,
# unknown namespaces, policies with namespace paths, logins in a namespace.
. "$BERTH_SOURCE_DIR/tests/sim/vault/vault.sh"

vreq GET /v1/secret/metadata/x -H 'X-Vault-Namespace: team-a'
is '403 namespaces feature not enabled' "$STATUS $(errs)" "no namespaces defined (Vault CE): 403 namespaces feature not enabled"
vreq GET /v1/secret/metadata/x -H 'X-Vault-Namespace:'
is 404 "$STATUS" "an empty header is the root namespace"

ctl namespaces '{"path":"team-a"}'
ctl mounts '{"path":"secret","version":2,"vault_namespace":"team-a"}'
vreq POST /v1/secret/data/app -H 'X-Vault-Namespace: team-a' -d '{"data":{"v":"ns"}}'
is '200 1' "$STATUS $(jb .data.version)" "write in team-a through the header"
vreq GET /v1/secret/data/app
is 404 "$STATUS" "the root namespace's secret/ does not see it"
vreq GET /v1/team-a/secret/data/app
is '200 ns' "$STATUS $(jb .data.data.v)" "the path form /v1/team-a/secret/... reads it"
vreq GET /v1/secret/data/app -H 'X-Vault-Namespace: /team-a/'
is 200 "$STATUS" "slashes around the header value are ignored"
vreq GET /v1/kv/x -H 'X-Vault-Namespace: team-a'
is '404 no handler for route "kv/x". route entry not found.' "$STATUS $(errs)" "the root's kv/ mount is not in team-a"
vreq GET /v1/secret/data/app -H 'X-Vault-Namespace: team-b'
is '403 permission denied' "$STATUS $(errs)" "an undefined namespace: 403 permission denied"
vreq GET /v1/sys/internal/ui/mounts/secret/app -H 'X-Vault-Namespace: team-a'
is '200 secret/ "2"' "$STATUS $(jb .data.path) $(jb '.data.options.version|tojson')" "mount preflight inside the namespace"

TOKEN=$(mktoken '{"policies":[{"path_prefix":"team-a/secret/data/","capabilities":["read"]}]}')
vreq GET /v1/secret/data/app -H 'X-Vault-Namespace: team-a'
is 200 "$STATUS" "a policy on team-a/secret/data/ allows reads in team-a"
vreq GET /v1/secret/data/app
is 403 "$STATUS" "but not in the root namespace"
TOKEN=$ROOT

ctl kubernetes/roles '{"vault_namespace":"team-a","role":"r","bound_service_account_names":["berth"],"bound_service_account_namespaces":["ci"],"policies":[]}'
ctl kubernetes/jwts '{"vault_namespace":"team-a","jwt":"j-a","service_account":"berth","namespace":"ci"}'
noauth POST /v1/auth/kubernetes/login -H 'X-Vault-Namespace: team-a' -d '{"role":"r","jwt":"j-a"}'
is 200 "$STATUS" "Kubernetes login in team-a"
noauth POST /v1/auth/kubernetes/login -d '{"role":"r","jwt":"j-a"}'
is 400 "$STATUS" "the role is not in the root namespace's mount"

tap_done
