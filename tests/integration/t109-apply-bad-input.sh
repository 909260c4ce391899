#!/usr/bin/env bash
# Bad input gets a clear message and a non-zero exit, and changes nothing.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
CFG=$TEST_TMP/berth.yaml

write_config "$CFG" <<'YAML'
robots:
  - name: ci
    level: project
    project: nosuch
    permissions: [{access: [{resource: repository, action: pull}]}]
YAML
run_berth apply -f "$CFG"
is 1 "$RC" "a project robot in a missing project: exit 1"
like "project 'nosuch' does not exist in Harbor" "$OUT" "the message names the missing project"
is 0 "$(writes harbor)" "nothing was written"

write_config "$CFG" <<'YAML'
robots:
  - name: ci
    permissions: [{kind: project, namespace: ghost, access: [{resource: repository, action: pull}]}]
YAML
run_berth apply -f "$CFG"
is 1 "$RC" "a permission on a missing project: exit 1"
like "permission on project 'ghost', which does not exist" "$OUT" "the message says which project"

write_config "$CFG" <<'YAML'
robots:
  - name: ci
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: fly}]}]
YAML
run_berth apply -f "$CFG"
is 64 "$RC" "an unknown resource/action pair is a config error (exit 64)"
like ':[0-9]+:[0-9]+: .*repository:fly' "$ERR" "the message has file:line:column and the pair"
is 0 "$(writes harbor)" "nothing was written"

write_config "$CFG" <<'YAML'
robots:
  - name: ci
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: pull}]}]
YAML
HARBOR_PASSWORD= "$BERTH_BIN" apply -f "$CFG" >/dev/null 2>"$TEST_TMP/e"
is 64 "$?" "a missing password source: exit 64"
like "harbor.password.*HARBOR_PASSWORD" "$(cat "$TEST_TMP/e")" "the message names the password source"

run_berth apply -f "$CFG"
is 0 "$RC" "with good input the same config applies" || show_berth

# A principal without the rights: a plain user.
curl -sS --cacert "$CA_FILE" -X POST --data '{"username":"dev","password":"Dev12345","sysadmin":false,"projects":{"library":"developer"}}' \
	"$(ready .harbor.url)/_sim/harbor/users" >/dev/null
write_config "$CFG.dev" <<'YAML'
robots:
  - name: ci2
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: pull}]}]
YAML
sed -i 's/^harbor:$/harbor:\n  username: dev/' "$CFG.dev"
sim_reset harbor
HARBOR_PASSWORD=Dev12345 "$BERTH_BIN" apply -f "$CFG.dev" >"$TEST_TMP/o" 2>"$TEST_TMP/e"
is 1 "$?" "a principal without the rights: exit 1"
like 'harbor: (create robot|list system robots).*HTTP 403' "$(cat "$TEST_TMP/o" "$TEST_TMP/e")" "the message names the refused call and the status"

# Wrong password.
HARBOR_PASSWORD=wrong "$BERTH_BIN" apply -f "$CFG" >/dev/null 2>"$TEST_TMP/e"
is 1 "$?" "refused credentials: exit 1"
like "credentials for 'admin' were refused" "$(cat "$TEST_TMP/e")" "the message says the credentials were refused"

# An untrusted Harbor: no caFile, the sim's CA is not in the system store.
grep -v caFile "$CFG" >"$CFG.noca"
run_berth apply -f "$CFG.noca"
is 1 "$RC" "an untrusted certificate: exit 1"
like 'harbor: .*(certificate|SSL)' "$ERR" "the message is about the certificate"

# An unreachable Harbor.
sed "s#url: https://127.0.0.1:[0-9]*#url: https://127.0.0.1:1#" "$CFG" >"$CFG.down"
run_berth apply -f "$CFG.down"
is 1 "$RC" "an unreachable Harbor: exit 1"
like 'harbor: .*(onnect|refused)' "$ERR" "the message says the connection failed"

# Plain http to a non-loopback host is refused unless allowed by name.
sed "s#url: https://127.0.0.1:[0-9]*#url: http://harbor.example.com#" "$CFG" >"$CFG.http"
run_berth apply -f "$CFG.http"
is 64 "$RC" "plain http to a non-loopback host: exit 64"
like 'allowPlainHTTP' "$ERR" "the message says how to allow it"
tap_done
