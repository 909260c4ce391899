#!/usr/bin/env bash
# Secret hygiene: unique canary secrets (a Harbor admin's password, a Vault
# token, a Kubernetes token, and every robot secret berth generates) never
# show where they must not. Every command runs at the most verbose level
# (--log-level trace, BERTH_TRACE_BODIES=1): plan, apply, verify, rotate,
# render (all four formats), run --once, and the docker credential helper
# (get, list). Checked:
#   - no canary, plain or base64 (as in Basic auth and docker "auth"), in
#     any command's stdout or stderr; the robot secrets are allowed only in
#     the outputs that exist to carry them (render dockerconfigjson and
#     secret, the helper's get), and never next to the admin's or Vault's;
#   - no canary in any file berth wrote other than its targets (every file
#     opened for writing is listed by strace), nor anywhere under the test's
#     HOME, TMPDIR and working directory; files holding secrets are 0600;
#   - no canary in /proc/PID/cmdline or /proc/PID/environ of berth while it
#     runs (held mid-request by a delay): berth wipes the environment
#     variables it reads secrets from.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
STATS=${RELIABILITY_STATS:-}
url=$(ready .harbor.url)
rnd() { head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20; }

# ---- canaries ----
CAN_HARBOR="CanaryHb$(rnd)9"
CAN_VAULT="hvs.CanaryVt$(rnd)"
CAN_KUBE="CanaryKt$(rnd)"
curl -sS --cacert "$CA_FILE" -X POST \
	--data "{\"username\":\"canaryadmin\",\"password\":\"$CAN_HARBOR\",\"sysadmin\":true}" "$url/_sim/harbor/users" >/dev/null
curl -sS --cacert "$CA_FILE" -X POST "$(ready .vault.url)/_sim/vault/tokens" \
	--data "{\"token\":\"$CAN_VAULT\",\"policies\":[{\"path_prefix\":\"\",\"capabilities\":[\"create\",\"read\",\"update\",\"delete\",\"list\",\"sudo\"]}]}" >/dev/null
curl -sS --cacert "$CA_FILE" -X POST "$(ready .kube.url)/_sim/kube/tokens" \
	--data "{\"token\":\"$CAN_KUBE\",\"user\":\"canary\",\"admin\":true}" >/dev/null
KUBECFG=$TEST_TMP/kubeconfig
sed "s/$(ready .kube.token)/$CAN_KUBE/" "$(ready .kube.kubeconfig)" >"$KUBECFG"
chmod 600 "$KUBECFG"
curl -sS --cacert "$CA_FILE" -H "Authorization: Bearer $CAN_KUBE" -H 'Content-Type: application/json' -X POST \
	--data '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ci"}}' "$(ready .kube.url)/api/v1/namespaces" >/dev/null

WORK=$TEST_TMP/work HOMEDIR=$TEST_TMP/home TMPD=$TEST_TMP/tmp OUTD=$TEST_TMP/targets
mkdir -p "$WORK" "$HOMEDIR" "$TMPD" "$OUTD"
CFG=$WORK/berth.yaml
cat >"$CFG" <<YAML
harbor:
  url: $url
  caFile: $CA_FILE
  username: canaryadmin
  password: {env: HARBOR_PASSWORD}
store:
  vault:
    address: $(ready .vault.url)
    caFile: $CA_FILE
    auth: {token: {env: VAULT_TOKEN}}
kubernetes:
  kubeconfig: $KUBECFG
robots:
  - name: tekton
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: push}]}]
    targets:
      secrets: [{namespace: ci, name: harbor-push}]
      files: [{path: $OUTD/kaniko/config.json}]
  - name: slotted
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: pull}]}]
    rotate: {every: 168h, slots: 2, overlap: 1h}
    targets:
      files: [{path: $OUTD/slotted.json}]
  - name: ci
    level: project
    project: library
    permissions: [{access: [{resource: repository, action: pull}]}]
YAML

have_strace=0
command -v strace >/dev/null 2>&1 && have_strace=1
# LeakSanitizer cannot run under ptrace: in a sanitizer build, berth under
# strace runs without it (the other suites run the same commands with it).
lsan_off=()
[ $have_strace -eq 1 ] && lsan_off=(ASAN_OPTIONS=detect_leaks=0)
STEPS=()
# step NAME OUTPUT-CARRIES-ROBOT-SECRETS(0/1) [stdin-file] -- berth args...
step() {
	local name=$1 carries=$2 input=/dev/null
	shift 2
	if [ "$1" != -- ]; then input=$1; shift; fi
	shift
	local d=$TEST_TMP/steps/$name
	mkdir -p "$d"
	local cmd=(env -i PATH="$PATH" HOME="$HOMEDIR" TMPDIR="$TMPD" BERTH_TRACE_BODIES=1 BERTH_LOG=trace
		BERTH_CONFIG="$CFG" HARBOR_PASSWORD="$CAN_HARBOR" VAULT_TOKEN="$CAN_VAULT" "${lsan_off[@]}")
	(
		cd "$WORK" || exit 1
		if [ $have_strace -eq 1 ]; then
			strace -f -qq -e trace=openat,open,creat,rename,renameat,renameat2,link,linkat,mkdir -o "$d/strace" \
				"${cmd[@]}" "$BERTH_BIN" "$@"
		else
			"${cmd[@]}" "$BERTH_BIN" "$@"
		fi
	) <"$input" >"$d/stdout" 2>"$d/stderr"
	echo $? >"$d/rc"
	echo "$carries" >"$d/carries"
	STEPS+=("$name")
}
# The helper is the same binary called docker-credential-berth (bash's exec -a sets argv[0]).
step_helper() { # step_helper NAME ACTION [stdin]
	local name=$1 action=$2 input=${3:-/dev/null} d=$TEST_TMP/steps/$1
	mkdir -p "$d"
	(
		cd "$WORK" || exit 1
		local pre=()
		[ $have_strace -eq 1 ] && pre=(strace -f -qq -e trace=openat,open,creat,rename,renameat,renameat2,link,linkat,mkdir -o "$d/strace")
		"${pre[@]}" env -i PATH="$PATH" HOME="$HOMEDIR" TMPDIR="$TMPD" BERTH_TRACE_BODIES=1 BERTH_LOG=trace \
			BERTH_CONFIG="$CFG" VAULT_TOKEN="$CAN_VAULT" "${lsan_off[@]}" bash -c 'exec -a docker-credential-berth "$0" "$1"' \
			"$BERTH_BIN" "$action"
	) <"$input" >"$d/stdout" 2>"$d/stderr"
	echo $? >"$d/rc"
	echo 1 >"$d/carries"
	STEPS+=("$name")
}

# Robot secrets as berth stored them (all slots, pending too): collected after every step.
ROBOT_SECRETS=$TEST_TMP/robot-secrets
: >"$ROBOT_SECRETS" && chmod 600 "$ROBOT_SECRETS"
collect() {
	local p
	for p in tekton slotted ci; do
		curl -sS --cacert "$CA_FILE" -H "X-Vault-Token: $CAN_VAULT" "$(ready .vault.url)/v1/secret/data/harbor/$p-robot-account" |
			jq -r '.data.data // {} | to_entries[] | select(.key | test("secret")) | .value'
	done >>"$ROBOT_SECRETS"
	sort -u -o "$ROBOT_SECRETS" "$ROBOT_SECRETS"
}

T='--log-level trace'
step apply-cold 0 -- $T apply -f "$CFG"; collect
step plan 0 -- $T plan -f "$CFG"; collect
step apply-warm 0 -- $T apply -f "$CFG" --verify-secrets; collect
step verify 0 -- $T verify -f "$CFG"; collect
step rotate 0 -- $T rotate -f "$CFG" --now tekton slotted; collect
step render-externalsecret 0 -- $T render -f "$CFG" tekton --format externalsecret
step render-tekton 0 -- $T render -f "$CFG" tekton --format tekton
step render-dockerconfigjson 1 -- $T render -f "$CFG" tekton --format dockerconfigjson
step render-secret 1 -- $T render -f "$CFG" tekton --format secret
step run-once 0 -- $T run -f "$CFG" --once --listen off; collect
echo "$(ready .harbor.url | sed 's#https://##')" >"$TEST_TMP/registry.in"
step_helper helper-get get "$TEST_TMP/registry.in"
step_helper helper-list list
collect

is 3 "$(grep -c . "$ROBOT_SECRETS" | awk '{print ($1 >= 3) ? 3 : $1}')" "berth generated robot secrets to look for ($(wc -l <"$ROBOT_SECRETS") seen across the steps)"
for s in "${STEPS[@]}"; do
	is 0 "$(cat "$TEST_TMP/steps/$s/rc")" "$s: exits 0" || diag "$(tail -3 "$TEST_TMP/steps/$s/stderr")"
done

# Patterns: each canary plain and in base64 as it would travel (user:password).
PAT=$TEST_TMP/patterns.admin RPAT=$TEST_TMP/patterns.robots
: >"$PAT" && : >"$RPAT" && chmod 600 "$PAT" "$RPAT"
b64() { printf '%s' "$1" | base64 -w0; }
{
	printf '%s\n' "$CAN_HARBOR" "$CAN_VAULT" "$CAN_KUBE"
	b64 "canaryadmin:$CAN_HARBOR"; echo
	b64 "$CAN_HARBOR"; echo
} >"$PAT"
while IFS= read -r sec; do
	printf '%s\n' "$sec"
	for login in 'robot$tekton' 'robot$slotted-a' 'robot$slotted-b' 'robot$library+ci'; do b64 "$login:$sec"; echo; done
done <"$ROBOT_SECRETS" >"$RPAT"
# The base64 of a value inside a longer base64 text shifts with its offset;
# "auth" values are encoded from their start, so this is what they carry.

leaks() { # leaks FILE PATTERNS: the number of patterns found in FILE
	grep -c -F -f "$2" "$1" 2>/dev/null || true
}
for s in "${STEPS[@]}"; do
	d=$TEST_TMP/steps/$s
	n=$(($(leaks "$d/stdout" "$PAT") + $(leaks "$d/stderr" "$PAT")))
	is 0 "$n" "$s: no admin, Vault or Kubernetes canary in stdout or stderr"
	if [ "$(cat "$d/carries")" = 1 ]; then
		is 0 "$(leaks "$d/stderr" "$RPAT")" "$s: no robot secret in stderr (stdout carries it by design)"
	else
		is 0 "$(($(leaks "$d/stdout" "$RPAT") + $(leaks "$d/stderr" "$RPAT")))" "$s: no robot secret in stdout or stderr"
	fi
done
# The trace was on: the most verbose output was what we searched.
like 'harbor > GET /api/v2.0/' "$(cat "$TEST_TMP/steps/apply-cold/stderr")" "apply's trace shows its requests"
like 'body' "$(cat "$TEST_TMP/steps/apply-cold/stderr")" "apply's trace shows (redacted) bodies"
[ "$(grep -c . "$TEST_TMP/steps/apply-cold/stderr")" -gt 100 ] && tap_ok "apply's trace has $(grep -c . "$TEST_TMP/steps/apply-cold/stderr") lines" || tap_fail "apply's trace is long"

# ---- files ----
# the targets, and the temporary files their atomic writes rename into place
ALLOWED_RE="^($OUTD/kaniko/config\.json(\.tmp\.[A-Za-z0-9]+)?|$OUTD/slotted\.json(\.tmp\.[A-Za-z0-9]+)?|$OUTD/kaniko|/dev/(null|tty|urandom))$"
if [ $have_strace -eq 1 ]; then
	written=$TEST_TMP/written
	for s in "${STEPS[@]}"; do
		# openat(..., "PATH", O_WRONLY|O_CREAT...) and rename targets; failed calls excluded
		grep -hE '(open|openat|creat)\(.*(O_WRONLY|O_RDWR|O_CREAT)' "$TEST_TMP/steps/$s/strace" | grep -v '= -1' |
			sed -E 's/.*"([^"]*)".*/\1/'
		grep -hE 'rename(at2?)?\(' "$TEST_TMP/steps/$s/strace" | grep -v '= -1' | sed -E 's/.*"([^"]*)"[^"]*$/\1/'
	done | sort -u >"$written"
	others=$(grep -vE "$ALLOWED_RE" "$written" | tr '\n' ' ')
	is '' "$others" "berth wrote no file but its targets ($(wc -l <"$written") paths opened for writing)"
	is 0 "$(grep -cE "^$OUTD/" "$written" | awk '{print ($1 > 0) ? 0 : 1}')" "strace saw the target writes (the file list is real)"
	n=0
	while IFS= read -r f; do
		[ -f "$f" ] || continue
		[[ $f =~ $ALLOWED_RE ]] && continue
		n=$((n + $(leaks "$f" "$PAT") + $(leaks "$f" "$RPAT")))
	done <"$written"
	is 0 "$n" "no canary in any other file berth wrote"
else
	tap_skip "strace not installed: files berth opened for writing not listed"
fi
n=0
while IFS= read -r f; do
	n=$((n + $(leaks "$f" "$PAT") + $(leaks "$f" "$RPAT")))
done < <(find "$WORK" "$HOMEDIR" "$TMPD" -type f ! -name berth.yaml)
is 0 "$n" "no canary anywhere under the working directory, HOME and TMPDIR"
is 0 "$(find "$OUTD" -type f | wc -l | awk '{print ($1 == 2) ? 0 : $1}')" "the targets hold exactly the two config.json files (no temp file left)"
for f in "$OUTD/kaniko/config.json" "$OUTD/slotted.json"; do
	is 600 "$(stat -c %a "$f")" "$(basename "$f") holds a secret and is mode 0600"
	is 0 "$(leaks "$f" "$PAT")" "$(basename "$f") holds no admin or Vault canary"
done
is 600 "$(stat -c %a "$KUBECFG")" "(the test's own kubeconfig is 0600 too)"

# ---- /proc/PID/cmdline and environ while berth runs ----
# A request held 1.2 s; berth is read while it waits. The variables stay in
# the process's environment block, their values wiped to NUL bytes.
proc_check() { # proc_check NAME SERVICE METHOD PATH [helper] -- berth args
	local name=$1 svc=$2 method=$3 path=$4 helper=$5 pid i env cmdline
	shift 6
	sim_reset "$svc"
	sim_fault "$svc" "{\"method\":\"$method\",\"path\":\"$path\",\"count\":1,\"action\":\"delay\",\"delay_ms\":1200}"
	(
		cd "$WORK" || exit 1
		if [ "$helper" = helper ]; then
			exec env -i PATH="$PATH" HOME="$HOMEDIR" BERTH_CONFIG="$CFG" VAULT_TOKEN="$CAN_VAULT" \
				bash -c 'exec -a docker-credential-berth "$0" get' "$BERTH_BIN" <"$TEST_TMP/registry.in"
		fi
		exec env -i PATH="$PATH" HOME="$HOMEDIR" HARBOR_PASSWORD="$CAN_HARBOR" VAULT_TOKEN="$CAN_VAULT" \
			"$BERTH_BIN" "$@"
	) >/dev/null 2>&1 &
	pid=$!
	for i in $(seq 1 40); do
		[ "$(requests "$svc")" -ge 1 ] 2>/dev/null && break
		sleep 0.05
	done
	sleep 0.3
	env=$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null)
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)
	kill -0 "$pid" 2>/dev/null && alive=1 || alive=0
	wait "$pid"
	is 1 "$alive" "$name: berth was read while it ran"
	like 'VAULT_TOKEN=' "$env" "$name: its environment block was read"
	is 0 "$(printf '%s\n%s\n' "$env" "$cmdline" | leaks /dev/stdin "$PAT")" "$name: no canary in /proc/PID/environ or cmdline"
	if [ "$helper" != helper ]; then
		is '' "$(printf '%s\n' "$env" | grep -a '^HARBOR_PASSWORD=.' | tr -d '\0')" "$name: HARBOR_PASSWORD's value is wiped"
	fi
	is '' "$(printf '%s\n' "$env" | grep -a '^VAULT_TOKEN=.' | tr -d '\0')" "$name: VAULT_TOKEN's value is wiped"
}
proc_check apply harbor GET /api/v2.0/projects - -- apply -f "$CFG"
proc_check plan harbor GET /api/v2.0/projects - -- plan -f "$CFG"
proc_check verify harbor GET /api/v2.0/projects - -- verify -f "$CFG"
proc_check rotate harbor GET /api/v2.0/projects - -- rotate -f "$CFG"
proc_check run harbor GET /api/v2.0/projects - -- run -f "$CFG" --once --listen off
proc_check render vault GET /v1/secret/data/ - -- render -f "$CFG" tekton --format secret
proc_check credential-helper vault GET /v1/secret/data/ helper -- x

[ -n "$STATS" ] && printf 'canary\t%s\t%s\n' "${#STEPS[@]}" "$(($(wc -l <"$PAT") + $(wc -l <"$RPAT")))" >>"$STATS"
tap_done
