#!/usr/bin/env bash
# t135-kube-files.sh - docker config.json file targets: merged with what the
# file holds (other registries, credHelpers and other keys kept), mode 0600,
# rewritten only when the credential changed; an empty file is filled; a
# malformed file is reported and left byte for byte as it was.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
source tests/lib/kube.sh
sim_start
REG=$(registry_key)
CFG=$TEST_TMP/cfg/berth.yaml
mkdir -p "$TEST_TMP/cfg" "$TEST_TMP/kaniko"
F=$TEST_TMP/kaniko/config.json
REL=$TEST_TMP/cfg/out/config.json
# the_config [EXTRA_FILE_LINES]
the_config() {
	write_config "$CFG" <<-YAML
	robots:
	  - name: tekton
	    permissions:
	      - kind: project
	        namespace: "*"
	        access: [{resource: repository, action: push}, {resource: repository, action: pull}]
	    targets:
	      files:
	        - {path: $F}
	        - {path: ./out/config.json}
	$1
	YAML
}
the_config

# What a user's file already holds: another registry, a stale entry for ours, credHelpers, headers.
OTHER_AUTH=$(printf 'me:other-pw' | base64 -w0)
STALE=$(printf 'robot$old:stale' | base64 -w0)
jq -n --arg r "$REG" --arg o "$OTHER_AUTH" --arg s "$STALE" '{auths: {"registry.example.com": {auth: $o}, ($r): {auth: $s}},
	credHelpers: {"gcr.io": "gcloud"}, HttpHeaders: {"User-Agent": "kaniko"}}' >"$F"
chmod 644 "$F"

run_berth apply -f "$CFG"
is 0 "$RC" "apply with two file targets exits 0" || show_berth
like "file $F written" "$OUT" "apply reports the file it wrote"
is 600 "$(stat -c %a "$F")" "the file has mode 0600 (it was 0644)"
is 600 "$(stat -c %a "$REL")" "a relative path is written beside the config file, mode 0600"
LOGIN='robot$tekton'
SECRET=$(stored_field harbor/tekton-robot-account secret)
if [ "$(jq -r --arg r "$REG" '.auths[$r].auth' "$F" | base64 -d)" == "$LOGIN:$SECRET" ]; then
	tap_ok "auths[registry].auth is base64 of login:secret"
else
	tap_fail "auths[registry].auth is base64 of login:secret"
fi
is "$LOGIN" "$(jq -r --arg r "$REG" '.auths[$r].username' "$F")" "auths[registry].username is the login"
is "$OTHER_AUTH" "$(jq -r '.auths["registry.example.com"].auth' "$F")" "another registry's entry is kept"
is '{"gcr.io":"gcloud"}' "$(jq -c .credHelpers "$F")" "credHelpers is kept"
is '{"User-Agent":"kaniko"}' "$(jq -c .HttpHeaders "$F")" "other keys (HttpHeaders) are kept"
is "[\"$REG\"]" "$(jq -c '.auths | keys' "$REL")" "a new file holds only the registry's entry"
dockercfg_creds "$F" file >"$TEST_TMP/creds.tsv"
is '' "$(check_creds "$TEST_TMP/creds.tsv")" "the token service accepts the file's credential"
rm -f "$TEST_TMP/creds.tsv"

# Not rewritten while the credential is the same, even when the rest of the file changes.
jq '.auths["quay.io"] = {auth: "cXVheTpwdw=="}' "$F" >"$F.tmp" && cat "$F.tmp" >"$F" && rm "$F.tmp"
INODE=$(stat -c %i "$F")
SUM=$(sha256sum <"$F")
RELINODE=$(stat -c %i "$REL")
sim_reset harbor
run_berth apply -f "$CFG"
is 0 "$RC" "a second apply exits 0"
like 'Apply: 0 changed, 1 unchanged' "$OUT" "a second apply changes nothing"
is "$INODE $SUM" "$(stat -c %i "$F") $(sha256sum <"$F")" "the file was not rewritten (same inode, same bytes, hand-added registry kept)"
is "$RELINODE" "$(stat -c %i "$REL")" "the other file was not rewritten"
is 0 "$(writes harbor)" "and Harbor got no write"

# Rewritten when the credential in the file is not the stored one.
jq --arg r "$REG" --arg s "$STALE" '.auths[$r] = {auth: $s}' "$F" >"$F.tmp" && cat "$F.tmp" >"$F" && rm "$F.tmp"
run_berth apply -f "$CFG"
is 0 "$RC" "apply after the file's entry went stale exits 0" || show_berth
like "file $F written" "$OUT" "the stale file is rewritten"
if [ "$(jq -r --arg r "$REG" '.auths[$r].auth' "$F" | base64 -d)" == "$LOGIN:$SECRET" ]; then
	tap_ok "it carries the stored credential again"
else
	tap_fail "it carries the stored credential again"
fi
is cXVheTpwdw== "$(jq -r '.auths["quay.io"].auth' "$F")" "and keeps the registry added by hand"
check "the credential is written nowhere else (no temp files left)" test "$(ls -A "$TEST_TMP/kaniko")" = config.json

# An empty file (touch config.json) is filled in.
: >"$REL"
run_berth apply -f "$CFG"
is 0 "$RC" "an empty existing file: apply exits 0" || show_berth
is "[\"$REG\"]" "$(jq -c '.auths | keys' "$REL" 2>/dev/null)" "the empty file now holds the registry's entry"

# A malformed file is reported and never clobbered.
BAD=$TEST_TMP/bad/config.json
mkdir -p "$(dirname "$BAD")"
printf '{"auths": {"registry.example.com": {"auth": "bWU6cHc="}},\n  oops\n' >"$BAD"
chmod 644 "$BAD"
BADSUM=$(sha256sum <"$BAD")
the_config "        - {path: $BAD}"
run_berth apply -f "$CFG"
is 1 "$RC" "a malformed file: apply exits 1"
like "$BAD.*not valid JSON" "$OUT$ERR" "the error names the file and says it is not valid JSON"
is "$BADSUM" "$(sha256sum <"$BAD")" "the malformed file is byte for byte as it was"
is 644 "$(stat -c %a "$BAD")" "and keeps its mode"
printf '["not", "an", "object"]\n' >"$BAD"
BADSUM=$(sha256sum <"$BAD")
run_berth apply -f "$CFG"
is 1 "$RC" "a file holding a JSON array: apply exits 1"
like "$BAD.*not a JSON object" "$OUT$ERR" "the error says it is not a JSON object"
is "$BADSUM" "$(sha256sum <"$BAD")" "and the file is left as it was"
if grep -rqF -- "$SECRET" "$OUT_FILE" "$ERR_FILE"; then tap_fail "the secret appears in berth's output"; else tap_ok "the secret appears nowhere in berth's output"; fi
tap_done
