#!/usr/bin/env bash
# t004 - Secret validation (422 Invalid, details.kind = Kind, causes with
# "reason"): dockerconfigjson key and JSON object, names, data keys, the 1 MiB
# limit, type immutability, immutable Secrets, labels, other typed secrets.
. "$BERTH_SOURCE_DIR/tests/lib/tap.sh"
. "$BERTH_SOURCE_DIR/tests/lib/sim.sh"
. "$BERTH_SOURCE_DIR/tests/sim/kube/lib.sh"
kstart
S=/api/v1/namespaces/default/secrets
b64() { printf '%s' "$1" | base64 -w0; }

kj POST $S '{"metadata":{"name":"harbor-pull"},"type":"kubernetes.io/dockerconfigjson","data":{"other":"e30="}}'
is 422 "$STATUS" "dockerconfigjson without .dockerconfigjson: 422"
same_json '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Secret \"harbor-pull\" is invalid: data[.dockerconfigjson]: Required value","reason":"Invalid","details":{"name":"harbor-pull","kind":"Secret","causes":[{"reason":"FieldValueRequired","message":"Required value","field":"data[.dockerconfigjson]"}]},"code":422}' \
	"missing key: exact Status (details.kind Secret, cause reason FieldValueRequired)"
schema_ok "$STATUS_SCHEMA" "422 is a valid Status"

kj POST $S "{\"metadata\":{\"name\":\"arr\"},\"type\":\"kubernetes.io/dockerconfigjson\",\"data\":{\".dockerconfigjson\":\"$(b64 '[1,2]')\"}}"
is 422 "$STATUS" "dockerconfigjson that is a JSON array: 422"
same_json '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Secret \"arr\" is invalid: data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": json: cannot unmarshal array into Go value of type map[string]interface {}","reason":"Invalid","details":{"name":"arr","kind":"Secret","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"<secret contents redacted>\": json: cannot unmarshal array into Go value of type map[string]interface {}","field":"data[.dockerconfigjson]"}]},"code":422}' \
	"not an object: FieldValueInvalid, contents redacted"
check "'<' and '>' are escaped as Go escapes them (\u003c, \u003e)" grep -qF '\u003csecret contents redacted\u003e' "$TEST_TMP/last.body"
kj POST $S "{\"metadata\":{\"name\":\"notjson\"},\"type\":\"kubernetes.io/dockerconfigjson\",\"data\":{\".dockerconfigjson\":\"$(b64 'auths: {}')\"}}"
is 422 "$STATUS" "dockerconfigjson that is not JSON: 422"
is "Invalid value: \"<secret contents redacted>\": invalid character 'a' looking for beginning of value" "$(jb '.details.causes[0].message')" "not JSON: Go's syntax error"
kj POST $S '{"metadata":{"name":"sd-bad"},"type":"kubernetes.io/dockerconfigjson","stringData":{".dockerconfigjson":"\"just a string\""}}'
is 422 "$STATUS" "stringData is validated after merging into data"
kj POST $S "{\"metadata\":{\"name\":\"nul\"},\"type\":\"kubernetes.io/dockerconfigjson\",\"data\":{\".dockerconfigjson\":\"$(b64 'null')\"}}"
is 201 "$STATUS" "JSON null passes (json.Unmarshal of null into a map succeeds)"
kj POST $S "{\"metadata\":{\"name\":\"good\"},\"type\":\"kubernetes.io/dockerconfigjson\",\"data\":{\".dockerconfigjson\":\"$(b64 '{"auths":{}}')\"}}"
is 201 "$STATUS" "dockerconfigjson with a JSON object: 201"
kj POST $S '{"metadata":{"name":"cfg"},"type":"kubernetes.io/dockercfg","data":{"x":"e30="}}'
is 'data[.dockercfg]' "$(jb '.details.causes[0].field')" "dockercfg requires .dockercfg"
kj POST $S '{"metadata":{"name":"tls"},"type":"kubernetes.io/tls","data":{"tls.crt":"eA=="}}'
is 'data[tls.key]' "$(jb -c '[.details.causes[].field] | join(",")')" "kubernetes.io/tls requires tls.key"

kj POST $S '{"metadata":{"name":"Bad_Name"}}'
is 422 "$STATUS" "invalid secret name: 422"
is 'Secret "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '"'-'"' or '"'.'"', and must start and end with an alphanumeric character (e.g. '"'example.com'"', regex used for validation is '"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'"')' \
	"$(jb .message)" "invalid name: DNS-1123 subdomain message"
kj POST $S '{"metadata":{"name":"dotted.name.ok"}}'
is 201 "$STATUS" "dots are allowed in secret names (subdomain)"
LONG=$(printf 'a%.0s' $(seq 254))
kj POST $S "{\"metadata\":{\"name\":\"$LONG\"}}"
is 'must be no more than 253 characters' "$(jb '.details.causes[0].message | sub("^Invalid value: \"a+\": "; "")')" "254 characters: too long"
kj POST $S '{"metadata":{}}'
is 'metadata.name: Required value: name or generateName is required' "$(jb '.message | sub("^Secret \"\" is invalid: "; "")')" "no name: Required"

kj POST $S '{"metadata":{"name":"keys"},"data":{"bad key":"eA==","..":"eA==","ok.key_1-x":"eA=="}}'
is 422 "$STATUS" "invalid data keys: 422"
is 'data[..],data[bad key]' "$(jb -c '[.details.causes[].field] | sort | join(",")')" "one cause per bad key"
is "Invalid value: \"..\": must not be '..'" "$(jb '.details.causes[] | select(.field == "data[..]") | .message')" "key '..' message"
like '^Secret "keys" is invalid: \[' "$(jb .message)" "several errors: message lists them in brackets"

BIG=$TEST_TMP/big.json
{ printf '{"metadata":{"name":"big"},"data":{"a":"'; head -c 1048577 /dev/zero | base64 -w0; printf '"}}'; } >"$BIG"
k POST $S -H 'Content-Type: application/json' --data-binary @"$BIG"
is 422 "$STATUS" "data over 1 MiB: 422"
is 'Secret "big" is invalid: data: Too long: must have at most 1048576 bytes' "$(jb .message)" "size limit message"
is FieldValueTooLong "$(jb '.details.causes[0].reason')" "size limit cause FieldValueTooLong"
{ printf '{"metadata":{"name":"max"},"data":{"a":"'; head -c 1048576 /dev/zero | base64 -w0; printf '"}}'; } >"$BIG"
k POST $S -H 'Content-Type: application/json' --data-binary @"$BIG"
is 201 "$STATUS" "exactly 1 MiB: 201"
{ printf '{"metadata":{"name":"huge"},"data":{"a":"'; head -c 2500000 /dev/zero | base64 -w0; printf '"}}'; } >"$BIG"
k POST $S -H 'Content-Type: application/json' --data-binary @"$BIG"
is 413 "$STATUS" "request body over 3 MiB: 413"

# ---- updates ---------------------------------------------------------------------------
kj PUT $S/good "{\"metadata\":{\"name\":\"good\"},\"type\":\"Opaque\",\"data\":{\".dockerconfigjson\":\"$(b64 '{}')\"}}"
is 422 "$STATUS" "changing type on PUT: 422"
same_json '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Secret \"good\" is invalid: type: Invalid value: \"Opaque\": field is immutable","reason":"Invalid","details":{"name":"good","kind":"Secret","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"Opaque\": field is immutable","field":"type"}]},"code":422}' \
	"type immutable: exact Status"
kj PUT $S/good "{\"metadata\":{\"name\":\"good\"},\"data\":{\".dockerconfigjson\":\"$(b64 '{}')\"}}"
is 'type' "$(jb '.details.causes[0].field')" "a PUT without type defaults to Opaque, so it is a type change too"
k PATCH $S/good -H 'Content-Type: application/merge-patch+json' --data-binary '{"type":"Opaque"}'
is 422 "$STATUS" "changing type by PATCH: 422"
kj PUT $S/good "{\"metadata\":{\"name\":\"good\"},\"type\":\"kubernetes.io/dockerconfigjson\",\"data\":{\"x\":\"e30=\"}}"
is 'data[.dockerconfigjson]' "$(jb '.details.causes[0].field')" "updates are validated like creates"

kj POST $S '{"metadata":{"name":"frozen"},"immutable":true,"data":{"a":"YQ=="}}'
is 201 "$STATUS" "create immutable secret: 201"
is true "$(jb .immutable)" "immutable returned"
k PATCH $S/frozen -H 'Content-Type: application/merge-patch+json' --data-binary '{"data":{"a":"Yg=="}}'
is 422 "$STATUS" "data change on an immutable secret: 422"
same_json '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Secret \"frozen\" is invalid: data: Forbidden: field is immutable when `immutable` is set","reason":"Invalid","details":{"name":"frozen","kind":"Secret","causes":[{"reason":"FieldValueForbidden","message":"Forbidden: field is immutable when `immutable` is set","field":"data"}]},"code":422}' \
	"immutable data: exact Status, FieldValueForbidden"
k PATCH $S/frozen -H 'Content-Type: application/merge-patch+json' --data-binary '{"stringData":{"b":"new"}}'
is 422 "$STATUS" "stringData on an immutable secret: 422"
k PATCH $S/frozen -H 'Content-Type: application/merge-patch+json' --data-binary '{"immutable":false}'
is 422 "$STATUS" "unsetting immutable: 422"
is immutable "$(jb '.details.causes[0].field')" "immutable cannot be unset"
k PATCH $S/frozen -H 'Content-Type: application/merge-patch+json' --data-binary '{"metadata":{"labels":{"k":"v"}}}'
is 200 "$STATUS" "metadata of an immutable secret may change"

# ---- metadata -----------------------------------------------------------------------------
kj POST $S '{"metadata":{"name":"lbl","labels":{"ok":"yes","bad value":"x","v":"has space"}}}'
is 422 "$STATUS" "invalid label key and value: 422"
is 'metadata.labels,metadata.labels' "$(jb -c '[.details.causes[].field] | join(",")')" "label errors name metadata.labels"
like 'Invalid value: "bad value": name part must consist of alphanumeric characters' "$(jb .message)" "label key message"
like 'Invalid value: "has space": a valid label must be an empty string or consist of' "$(jb .message)" "label value message"
kj POST $S "{\"metadata\":{\"name\":\"lbl2\",\"labels\":{\"v\":\"$(printf 'x%.0s' $(seq 64))\"}}}"
like 'must be no more than 63 characters' "$(jb .message)" "label values are limited to 63 characters"
kj POST $S '{"metadata":{"name":"own","ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"x"}]}}'
is 'metadata.ownerReferences.uid' "$(jb '.details.causes[0].field')" "ownerReferences need a uid"

tap_done
