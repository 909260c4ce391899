#!/usr/bin/env bash
# t127: the seed's ExternalSecret, applied by hand to what berth stored in Vault.
# ESO reads secret/harbor/tekton-robot-account (KV v2, no property: the whole
# data.data as JSON into .data) and renders
#   {"auths": {"<registry>": {"auth": "{{ printf "%s:%s" (.data | fromYaml).name (.data | fromYaml).secret | b64enc }}"}}}
# The test evaluates that one expression over the entry read from Vault's API
# and pushes an image with skopeo to a real registry that trusts the simulated
# Harbor's token service - before and after berth rotates the secret. berth's
# own rendered ExternalSecret is checked the same way.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
source tests/lib/registry.sh

missing=$(registry_tools_missing)
command -v python3 >/dev/null 2>&1 && python3 -c 'import yaml' 2>/dev/null || missing="$missing python3-yaml"
if [ -n "$missing" ]; then
	echo "1..0 # SKIP needs $missing"
	exit 0
fi

sim_start
registry_start
source tests/lib/vault-store.sh
export VAULT_TOKEN=$VAULT_ROOT
CFG=$TEST_TMP/berth.yaml
write_config "$CFG" "$(vault_store_yaml '{token: {env: VAULT_TOKEN}}' 'mount: secret')" <<'YAML'
robots:
  - name: tekton
    description: Robot account for tekton pipelines
    duration: -1
    permissions:
      - kind: project
        namespace: "*"
        access:
          - {resource: repository, action: push}
          - {resource: repository, action: pull}
    storePath: harbor/tekton-robot-account
YAML

# eso_data: what ESO puts in .data - the entry's data.data as JSON text.
eso_data() {
	vault_api GET /v1/secret/data/harbor/tekton-robot-account
	[ "$STATUS" = 200 ] || return 1
	printf '%s' "$BODY" | jq -c '.data.data'
}

# render_template DATA FILE: the template's expression, printf "%s:%s" (.data |
# fromYaml).name (.data | fromYaml).secret | b64enc, and the config.json around it
# keyed by the registry host.
render_template() {
	local auth
	auth=$(printf '%s' "$1" | python3 -c '
import base64, sys, yaml
d = yaml.safe_load(sys.stdin.read())
sys.stdout.write(base64.b64encode(("%s:%s" % (d["name"], d["secret"])).encode()).decode())') || return 1
	jq -n --arg host "$REGISTRY_HOST" --arg auth "$auth" '{auths: {($host): {auth: $auth}}}' >"$2"
	chmod 600 "$2"
}

check "umoci builds a one-layer OCI image" make_image "$TEST_TMP/image"
run_berth apply -f "$CFG"
is 0 "$RC" "apply with the Vault store exits 0" || show_berth
data=$(eso_data)
is "$REGISTRY_HOST" "$(printf '%s' "$data" | jq -r .registry)" "the entry's registry is the registry's host (harbor.registry)"
check "the template renders a config.json from the stored entry" render_template "$data" "$TEST_TMP/config-1.json"
if push_image "$TEST_TMP/config-1.json" library/berth-vault:v1; then
	tap_ok "skopeo pushes library/berth-vault:v1 with the rendered config.json"
else
	tap_fail "skopeo pushes library/berth-vault:v1 with the rendered config.json"
	diag "$(tail -5 "$TEST_TMP/push.log")"
fi
like '^sha256:[0-9a-f]{64}$' "$(registry_manifest_digest library/berth-vault v1)" "the registry serves the pushed image"

run_berth rotate -f "$CFG" --now
is 0 "$RC" "berth rotate --now exits 0" || show_berth
data2=$(eso_data)
check "no secret or token in berth rotate's output" no_leak "$(printf '%s' "$data" | jq -r .secret)" \
	"$(printf '%s' "$data2" | jq -r .secret)" "$VAULT_ROOT"
[ "$(printf '%s' "$data" | jq -r .secret)" != "$(printf '%s' "$data2" | jq -r .secret)" ] &&
	tap_ok "the rotation stored a new secret" || tap_fail "the rotation stored a new secret"
is '["name","registry","secret"]' "$(printf '%s' "$data2" | jq -c keys)" "the entry keeps the seed's layout after rotation"
check "the same template renders the rotated credential" render_template "$data2" "$TEST_TMP/config-2.json"
if push_image "$TEST_TMP/config-2.json" library/berth-vault:v2; then
	tap_ok "the rotated credential pushes library/berth-vault:v2"
else
	tap_fail "the rotated credential pushes library/berth-vault:v2"
	diag "$(tail -5 "$TEST_TMP/push.log")"
fi
if push_image "$TEST_TMP/config-1.json" library/berth-vault:old; then
	tap_fail "the config.json rendered before the rotation no longer pushes"
else
	tap_ok "the config.json rendered before the rotation no longer pushes"
fi
# berth's own ExternalSecret (berth render --format externalsecret): its template
# over the properties it names (name, secret of the same entry) pushes as well.
run_berth render -f "$CFG" tekton --format externalsecret
is 0 "$RC" "berth render --format externalsecret exits 0" || show_berth
es=$(printf '%s' "$OUT" | jq -c '.items[] | select(.kind == "ExternalSecret")')
is 'harbor/tekton-robot-account name,harbor/tekton-robot-account secret' \
	"$(printf '%s' "$es" | jq -r '[.spec.data[] | "\(.remoteRef.key) \(.remoteRef.property)"] | join(",")')" \
	"it reads name and secret from berth's entry"
printf '%s' "$es" | jq -r '.spec.target.template.data[".dockerconfigjson"]' >"$TEST_TMP/es-template"
printf '%s' "$data2" | python3 -c '
import base64, json, sys
d = json.loads(sys.stdin.read())
t = open(sys.argv[1]).read()
auth = base64.b64encode(("%s:%s" % (d["name"], d["secret"])).encode()).decode()
t = t.replace("{{ printf `%s:%s` .name .secret | b64enc }}", auth)
t = t.replace("{{ .name }}", d["name"]).replace("{{ .secret }}", d["secret"])
if "{{" in t:
    sys.exit("unevaluated template expression left")
json.loads(t)
open(sys.argv[2], "w").write(t)' "$TEST_TMP/es-template" "$TEST_TMP/config-3.json"
is 0 "$?" "its template evaluates to JSON with the stored entry"
chmod 600 "$TEST_TMP/config-3.json" 2>/dev/null
is "$REGISTRY_HOST" "$(jq -r '.auths | keys[0]' "$TEST_TMP/config-3.json")" "keyed by the registry host"
if push_image "$TEST_TMP/config-3.json" library/berth-vault:v3; then
	tap_ok "the config.json from berth's ExternalSecret pushes library/berth-vault:v3"
else
	tap_fail "the config.json from berth's ExternalSecret pushes library/berth-vault:v3"
	diag "$(tail -5 "$TEST_TMP/push.log")"
fi
check "no secret or token in berth render's output" no_leak "$(printf '%s' "$data" | jq -r .secret)" \
	"$(printf '%s' "$data2" | jq -r .secret)" "$VAULT_ROOT"
tap_done
