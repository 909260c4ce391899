#!/usr/bin/env bash
# t138-kube-render.sh - berth render ROBOT --format dockerconfigjson|secret|
# externalsecret|tekton: each output parses and carries what it must; the
# Secret is the one apply publishes; the ExternalSecret's template, evaluated
# over the Vault entry the way External Secrets Operator reads it, yields the
# same config.json; secrets are printed only when stdout is not a terminal
# or with --reveal; render never talks to Harbor.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
source tests/lib/kube.sh
sim_start
kube_ns ci
REG=$(registry_key)
VAULT=$(ready .vault.url)
export VAULT_TOKEN
VAULT_TOKEN=$(ready .vault.root_token)
CFG=$TEST_TMP/berth.yaml
write_config "$CFG" "store:
  vault:
    address: $VAULT
    caFile: $CA_FILE
    mount: secret
    kvVersion: 2
    auth: {token: {env: VAULT_TOKEN}}" <<YAML
$(kube_yaml)
robots:
  - name: tekton
    permissions:
      - kind: project
        namespace: "*"
        access: [{resource: repository, action: push}, {resource: repository, action: pull}]
    targets:
      secrets:
        - {namespace: ci, name: tekton-harbor-auth, tektonAnnotation: true}
YAML
run_berth apply -f "$CFG"
is 0 "$RC" "apply with the Vault store exits 0" || show_berth
req vault GET /v1/secret/data/harbor/tekton-robot-account -H "X-Vault-Token: $VAULT_TOKEN"
ENTRY=$(jq -c .data.data <<<"$BODY")
SECRET=$(jq -r .secret <<<"$ENTRY")
LOGIN='robot$tekton'

sim_reset harbor
run_berth render -f "$CFG" tekton --format dockerconfigjson
is 0 "$RC" "render --format dockerconfigjson exits 0 (stdout is a file)" || show_berth
CJ=$OUT
check "its output is a JSON object" jq -ne 'input | type == "object"' <<<"$CJ"
is "[\"$REG\"]" "$(jq -c '.auths | keys' <<<"$CJ")" "auths is keyed by the registry"
if [ "$(jq -r --arg r "$REG" '.auths[$r].auth' <<<"$CJ" | base64 -d)" == "$LOGIN:$SECRET" ]; then
	tap_ok "auth is base64 of login:secret from the Vault entry"
else
	tap_fail "auth is base64 of login:secret from the Vault entry"
fi
if [ "$CJ" == "$(kube_dockercfg ci tekton-harbor-auth)" ]; then
	tap_ok "it is byte for byte the .dockerconfigjson apply published"
else
	tap_fail "it is byte for byte the .dockerconfigjson apply published"
fi

run_berth render -f "$CFG" tekton --format secret
is 0 "$RC" "render --format secret exits 0" || show_berth
R=$OUT
P=$(kube_secret ci tekton-harbor-auth)
is 'v1 Secret kubernetes.io/dockerconfigjson ci tekton-harbor-auth' "$(jq -r '[.apiVersion, .kind, .type, .metadata.namespace, .metadata.name] | join(" ")' <<<"$R")" \
	"a v1 Secret of type kubernetes.io/dockerconfigjson, named like the robot's target"
is "$(jq -c .data <<<"$P" | digest)" "$(jq -c .data <<<"$R" | digest)" "its data is the published Secret's"
is "$(jq -cS .metadata.labels <<<"$P")" "$(jq -cS .metadata.labels <<<"$R")" "its labels are the published Secret's"
is "$(jq -cS .metadata.annotations <<<"$P")" "$(jq -cS .metadata.annotations <<<"$R")" "its annotations (hash, login, Tekton) are the published Secret's"
is null "$(jq -r '.metadata.resourceVersion // .metadata.uid // null' <<<"$R")" "no server-set fields (resourceVersion, uid)"

run_berth render -f "$CFG" tekton --format tekton
is 0 "$RC" "render --format tekton exits 0" || show_berth
is '{"name":"dockerconfig","secret":{"items":[{"key":".dockerconfigjson","path":"config.json"}],"secretName":"tekton-harbor-auth"}}' \
	"$(jq -cS . <<<"$OUT")" "a workspace binding: dockerconfig from the Secret's .dockerconfigjson as config.json"

run_berth render -f "$CFG" tekton --format externalsecret
is 0 "$RC" "render --format externalsecret exits 0" || show_berth
ES=$OUT
if grep -qF -- "$SECRET" <<<"$ES"; then tap_fail "the externalsecret output holds the secret"; else tap_ok "the externalsecret output holds no secret"; fi
STORE=$(jq -c '.items[] | select(.kind == "ClusterSecretStore")' <<<"$ES")
EXT=$(jq -c '.items[] | select(.kind == "ExternalSecret")' <<<"$ES")
is 'external-secrets.io/v1 external-secrets.io/v1' "$(jq -r '[.items[].apiVersion] | join(" ")' <<<"$ES")" "both objects are external-secrets.io/v1 (v1beta1 is no longer served)"
is "$VAULT secret v2" "$(jq -r '.spec.provider.vault | "\(.server) \(.path) \(.version)"' <<<"$STORE")" "the ClusterSecretStore reads berth's Vault, mount secret, KV v2"
is "$(jq -r .metadata.name <<<"$STORE")" "$(jq -r .spec.secretStoreRef.name <<<"$EXT")" "the ExternalSecret refers to that store"
is ClusterSecretStore "$(jq -r .spec.secretStoreRef.kind <<<"$EXT")" "by kind ClusterSecretStore"
is 'ci tekton-harbor-auth kubernetes.io/dockerconfigjson v2' "$(jq -r '[.metadata.namespace, .spec.target.name, .spec.target.template.type, .spec.target.template.engineVersion] | join(" ")' <<<"$EXT")" \
	"it makes the robot's Secret, type kubernetes.io/dockerconfigjson, template engine v2"

# Read Vault as ESO does (path + /data/ + key, property of data.data), then evaluate the
# template with a small Go-template evaluator that knows .field, printf, b64enc and toJson
# and fails on anything else.
ESO_CTX='{}'
while IFS=$'\t' read -r skey key prop; do
	req vault GET "/v1/$(jq -r .spec.provider.vault.path <<<"$STORE")/data/${key#/}" -H "X-Vault-Token: $VAULT_TOKEN"
	ESO_CTX=$(jq -c --arg k "$skey" --arg p "$prop" --argjson d "$(jq -c .data.data <<<"$BODY")" '.[$k] = $d[$p]' <<<"$ESO_CTX")
done < <(jq -r '.spec.data[] | [.secretKey, .remoteRef.key, .remoteRef.property] | @tsv' <<<"$EXT")
GOTMPL='
def evalexpr($ctx):
  (split("|") | map(gsub("^\\s+|\\s+$"; ""))) as $stages
  | reduce $stages[] as $s (null;
      if ($s | test("^printf ")) then
        ($s | capture("^printf\\s+(`(?<f>[^`]*)`|\"(?<g>[^\"]*)\")\\s+(?<args>.*)$")) as $p
        | ($p.args | split(" ") | map(select(. != ""))
           | map(if test("^\\.[A-Za-z_][A-Za-z0-9_]*$") then ($ctx[.[1:]] // error("no key " + .))
                 else error("unsupported printf argument " + .) end)) as $a
        | reduce $a[] as $x (($p.f // $p.g); sub("%s"; $x))
      elif ($s | test("^\\.[A-Za-z_][A-Za-z0-9_]*$")) then ($ctx[$s[1:]] // error("no key " + $s))
      elif $s == "b64enc" then @base64
      elif $s == "toJson" then tojson
      else error("unsupported template action: " + $s) end);
def gotmpl($ctx): gsub("\\{\\{-?\\s*(?<e>.*?)\\s*-?\\}\\}"; .e | evalexpr($ctx));'
TEMPLATE=$(jq -r '.spec.target.template.data[".dockerconfigjson"]' <<<"$EXT")
ESO_CJ=$(jq -rn --arg t "$TEMPLATE" --argjson ctx "$ESO_CTX" "$GOTMPL"' $t | gotmpl($ctx)')
check "the evaluated template is a JSON object" jq -ne 'input | type == "object"' <<<"$ESO_CJ"
is "$LOGIN" "$(jq -r --arg r "$REG" '.auths[$r].username' <<<"$ESO_CJ")" "the evaluated template names the robot's login under the registry"
is "$(jq -cS . <<<"$CJ" | digest)" "$(jq -cS . <<<"$ESO_CJ" | digest)" "the template over the Vault entry yields the config.json berth renders (auth, username, password)"

# Secrets only when stdout is not a terminal, or with --reveal.
PTY_OUT=$TEST_TMP/pty.out
in_pty() {
	script -qec "env HARBOR_PASSWORD='$(harbor_admin_password)' VAULT_TOKEN='$VAULT_TOKEN' '$BERTH_BIN' $*" /dev/null >"$PTY_OUT" 2>&1
	RC=$?
}
in_pty render -f "$CFG" tekton --format dockerconfigjson
is 64 "$RC" "dockerconfigjson to a terminal: refused, exit 64"
like 'refusing to print a secret to a terminal; pipe the output or pass --reveal' "$(cat "$PTY_OUT")" "the refusal says how to get the output"
if grep -qF -- "$SECRET" "$PTY_OUT"; then tap_fail "the terminal got the secret"; else tap_ok "the terminal did not get the secret"; fi
in_pty render -f "$CFG" tekton --format secret
is 64 "$RC" "secret to a terminal: refused, exit 64"
in_pty render -f "$CFG" tekton --format dockerconfigjson --reveal
is 0 "$RC" "dockerconfigjson with --reveal to a terminal: exit 0"
if grep -qF -- "$(jq -r --arg r "$REG" '.auths[$r].auth' <<<"$CJ")" "$PTY_OUT"; then tap_ok "--reveal prints it"; else tap_fail "--reveal prints it"; fi
in_pty render -f "$CFG" tekton --format tekton
is 0 "$RC" "tekton to a terminal is fine (no secret in it)"
in_pty render -f "$CFG" tekton --format externalsecret
is 0 "$RC" "externalsecret to a terminal is fine (no secret in it)"
rm -f "$PTY_OUT"

is 0 "$(requests harbor)" "render never talked to Harbor"
run_berth render -f "$CFG" nope --format tekton
is 64 "$RC" "an unknown robot: exit 64"
run_berth render -f "$CFG" tekton --format yaml
is 64 "$RC" "an unknown format: exit 64"
write_config "$TEST_TMP/file.yaml" <<YAML
robots:
  - name: tekton
    permissions: [{kind: project, namespace: "*", access: [{resource: repository, action: pull}]}]
YAML
run_berth render -f "$TEST_TMP/file.yaml" tekton --format externalsecret
is 64 "$RC" "externalsecret without a Vault store: exit 64"
like 'externalsecret reads berth.s Vault entry' "$ERR" "and says why"
tap_done
