#!/usr/bin/env bash
# bench/run.sh - berth's benchmark (make bench): berth apply against
# berth-sim over TLS, Vault store (KV v2, token auth), every robot published
# as a dockerconfigjson Secret in 3 namespaces. For each size N, cold (nothing
# exists), warm (nothing to do) and 10 % drift (permissions changed out of
# band), with the simulator as fast as it goes and with --latency 5, at the
# default concurrency (8) and at --concurrency 1 as the baseline. Measures
# wall, CPU and peak RSS of berth (/usr/bin/time), requests per service (the
# simulators' request logs), the simulator's CPU and its capacity, and the
# instruction count of a warm run of 1,000 robots (callgrind). Writes
# bench/results.md and prints it.
#
# Environment (defaults in brackets):
#   BENCH_SIZES            robot counts                       [100 1000 10000]
#   BENCH_LATENCIES        --latency values of the simulator  [0 5]
#   BENCH_COLD_BASELINE    LATENCY:N pairs whose cold run is also measured at
#                          --concurrency 1 (serial cold runs are long)
#                                                     [0:100 5:100 5:1000]
#   BENCH_SERIAL_BASELINE  LATENCY:N pairs whose warm and drift runs are also
#                          measured at --concurrency 1 (10,000 serial Vault reads
#                          at 5 ms alone take a minute)
#                                       [0:100 0:1000 0:10000 5:100 5:1000]
#   BENCH_CALLGRIND        1: count instructions of a warm 1,000 run    [1]
#   BENCH_OUT              the results file                   [bench/results.md]
#   BENCH_BUILD            the release build directory        [build-bench]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BENCH_BUILD:-$ROOT/build-bench}
OUT=${BENCH_OUT:-$ROOT/bench/results.md}
SIZES=${BENCH_SIZES:-100 1000 10000}
LATENCIES=${BENCH_LATENCIES:-0 5}
COLD_BASELINE=${BENCH_COLD_BASELINE:-0:100 5:100 5:1000}
SERIAL_BASELINE=${BENCH_SERIAL_BASELINE:-0:100 0:1000 0:10000 5:100 5:1000}
CALLGRIND=${BENCH_CALLGRIND:-1}
NS_LIST="bench-a bench-b bench-c"
WORK=$(mktemp -d /tmp/berth-bench.XXXXXX)
ROWS=$WORK/rows.tsv
SIM_PID=
T_START=$(date +%s)

cleanup() {
	if [ -n "$SIM_PID" ] && kill -0 "$SIM_PID" 2>/dev/null; then
		kill -TERM "$SIM_PID" 2>/dev/null || true
		wait "$SIM_PID" 2>/dev/null || true
	fi
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf '[bench %4ds] %s\n' $(($(date +%s) - T_START)) "$*" >&2; }
die() { say "FAILED: $*"; exit 1; }

# ---- build ------------------------------------------------------------------

build() {
	if [ ! -f "$BUILD/build.ninja" ]; then
		(cd "$ROOT" && CC=${CC:-gcc} meson setup "$BUILD" --buildtype=release -Dtests=disabled >/dev/null)
	fi
	ninja -C "$BUILD" berth berth-sim >/dev/null
	# The load client is not part of berth; it only measures the simulator.
	cc -std=c17 -O2 -Wall -Wextra -Werror "$ROOT/bench/loadgen.c" -o "$BUILD/bench-loadgen" \
		$(pkg-config --cflags --libs libcurl) -lpthread
	BERTH=$BUILD/berth
	SIM=$BUILD/berth-sim
	LOADGEN=$BUILD/bench-loadgen
}

# ---- the simulator ------------------------------------------------------------

sim_start() {
	local lat=$1
	SIM_DIR=$(mktemp -d "$WORK/sim.XXXX")
	"$SIM" --dir "$SIM_DIR" --latency "$lat" 2>"$SIM_DIR/sim.log" &
	SIM_PID=$!
	for _ in $(seq 1 200); do
		[ -s "$SIM_DIR/ready.json" ] && break
		kill -0 "$SIM_PID" 2>/dev/null || die "berth-sim exited: $(cat "$SIM_DIR/sim.log")"
		sleep 0.05
	done
	[ -s "$SIM_DIR/ready.json" ] || die "berth-sim not ready"
	CA=$(jq -r .ca_file "$SIM_DIR/ready.json")
	HARBOR=$(jq -r .harbor.url "$SIM_DIR/ready.json")
	VAULT=$(jq -r .vault.url "$SIM_DIR/ready.json")
	KUBE=$(jq -r .kube.url "$SIM_DIR/ready.json")
	KUBE_TOKEN=$(jq -r .kube.token "$SIM_DIR/ready.json")
	HARBOR_PASSWORD=$(jq -r .harbor.password "$SIM_DIR/ready.json")
	VAULT_TOKEN=$(jq -r .vault.root_token "$SIM_DIR/ready.json")
	export HARBOR_PASSWORD VAULT_TOKEN
	for ns in $NS_LIST; do
		curl -sS --fail --cacert "$CA" -H "Authorization: Bearer $KUBE_TOKEN" \
			-H 'Content-Type: application/json' -o /dev/null \
			--data "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$ns\"}}" \
			"$KUBE/api/v1/namespaces"
	done
}

sim_stop() {
	kill -TERM "$SIM_PID" 2>/dev/null || true
	wait "$SIM_PID" 2>/dev/null || true
	SIM_PID=
	rm -rf "$SIM_DIR"
}

# CPU seconds (user+sys) the simulator has used so far.
sim_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$SIM_PID/stat"
}

# Clear the request logs (and pending faults) of the three APIs.
sim_reset() {
	local u
	for u in "$HARBOR" "$VAULT" "$KUBE"; do
		curl -sS --fail --cacert "$CA" -X POST -o /dev/null "$u/_sim/reset"
	done
}

# Requests in one API's log: "total writes".
sim_count() {
	curl -sS --fail --cacert "$CA" "$1/_sim/requests" |
		jq -r '"\(length) \([.[] | select(.method != "GET" and .method != "HEAD")] | length)"'
}

# ---- the config -----------------------------------------------------------------

# berth.yaml with N system robots, each with a pull permission on library and
# a Secret in each namespace.
write_config() {
	local n=$1 file=$2
	{
		cat <<EOF
harbor:
  url: $HARBOR
  caFile: $CA
  password: {env: HARBOR_PASSWORD}
store:
  vault:
    address: $VAULT
    caFile: $CA
    mount: secret
    auth:
      token: {env: VAULT_TOKEN}
kubernetes:
  kubeconfig: $SIM_DIR/kubeconfig
robots:
EOF
		awk -v n="$n" 'BEGIN {
			for (i = 1; i <= n; i++) {
				printf "  - name: bench-%05d\n", i
				printf "    permissions:\n"
				printf "      - {kind: project, namespace: library, access: [{resource: repository, action: pull}]}\n"
				printf "    targets:\n      secrets:\n"
				printf "        - {namespace: bench-a, name: harbor-%05d}\n", i
				printf "        - {namespace: bench-b, name: harbor-%05d}\n", i
				printf "        - {namespace: bench-c, name: harbor-%05d}\n", i
			}
		}'
	} >"$file"
}

# ---- drift ---------------------------------------------------------------------

# Change the permissions of every tenth robot (bench-xxxx0) out of band, with
# Harbor's own API: the list pages and the PUTs each go through one curl
# process (config-file batching, keep-alive, 8 in parallel).
make_drift() {
	local n=$1 d=$WORK/drift pages i
	rm -rf "$d" && mkdir -p "$d"
	pages=$(((n + 99) / 100))
	for i in $(seq 1 "$pages"); do
		printf 'url = "%s/api/v2.0/robots?page=%d&page_size=100"\noutput = "%s/page-%05d.json"\n' \
			"$HARBOR" "$i" "$d" "$i"
	done >"$d/list.curlrc"
	curl -sS --no-progress-meter --fail --parallel --parallel-max 8 --cacert "$CA" \
		-u "admin:$HARBOR_PASSWORD" -K "$d/list.curlrc" || die "drift: cannot list the robots"
	# One PUT per drifted robot: the robot as listed, plus an artifact:read permission.
	jq -r -s --arg base "$HARBOR" --arg ca "$CA" --arg user "admin:$HARBOR_PASSWORD" '
		[.[][] | select(.name | test("^robot\\$bench-[0-9]{4}0$")) |
		(.permissions[0].access += [{"resource": "artifact", "action": "read"}]) |
		"url = \("\($base)/api/v2.0/robots/\(.id)" | @json)\nrequest = \"PUT\"\n" +
		"data = \(tojson | @json)\nheader = \"Content-Type: application/json\"\n" +
		"user = \($user | @json)\ncacert = \($ca | @json)\noutput = \"/dev/null\"\n" +
		"write-out = \"%{http_code}\\\\n\"\nsilent"] | join("\nnext\n")' "$d"/page-*.json >"$d/put.curlrc"
	curl --no-progress-meter --parallel --parallel-max 8 -K "$d/put.curlrc" >"$d/put.codes" ||
		die "drift: the PUTs failed"
	[ "$(grep -c '^200$' "$d/put.codes")" -eq $((n / 10)) ] ||
		die "drift: $(grep -c '^200$' "$d/put.codes") of $((n / 10)) PUTs succeeded"
}

# ---- minimum requests ------------------------------------------------------------

# "harbor vault kube" a scenario needs at the least; see bench/README.md for
# the derivation. Harbor: whoami + prefix + one project page + the robot
# pages of the robots that exist (at least one page). Vault: token lookup +
# mount detection + one read per robot, + the health check before the first
# write, + 3 writes per new robot (owner mark in metadata, pending secret,
# active secret). Kubernetes: one labelled list per namespace + one create
# per Secret.
min_requests() {
	local scenario=$1 n=$2 ns=3 pages
	case $scenario in
	cold)
		echo "$((3 + 1 + 2 * n)) $((2 + n + 1 + 3 * n)) $((ns + ns * n))" ;;
	warm)
		pages=$(((n + 99) / 100))
		echo "$((3 + pages)) $((2 + n)) $ns" ;;
	drift)
		pages=$(((n + 99) / 100))
		echo "$((3 + pages + n / 10)) $((2 + n + 1)) $ns" ;;
	esac
}

# ---- one measured run ------------------------------------------------------------

# run_berth SCENARIO N CONCURRENCY LATENCY: one berth apply, checked and measured.
run_berth() {
	local scenario=$1 n=$2 conc=$3 lat=$4 want changed cpu0 cpu1 wall user sys rss
	local h hw v vw k kw mh mv mk
	local out=$WORK/out.txt err=$WORK/err.txt tf=$WORK/time.txt
	sim_reset
	cpu0=$(sim_cpu)
	if ! /usr/bin/time -f '%e %U %S %M' -o "$tf" "$BERTH" apply -f "$CFG" --concurrency "$conc" \
		>"$out" 2>"$err"; then
		tail -5 "$out" "$err" >&2
		die "berth apply ($scenario, N=$n, -j $conc, latency $lat) failed"
	fi
	cpu1=$(sim_cpu)
	case $scenario in
	cold) want=$n ;;
	warm) want=0 ;;
	drift) want=$((n / 10)) ;;
	esac
	changed=$(sed -n 's/^Apply: \([0-9]*\) changed.*/\1/p' "$out")
	[ "$changed" = "$want" ] || die "$scenario N=$n: $changed robots changed, expected $want"
	read -r wall user sys rss <"$tf"
	read -r h hw < <(sim_count "$HARBOR")
	read -r v vw < <(sim_count "$VAULT")
	read -r k kw < <(sim_count "$KUBE")
	read -r mh mv mk < <(min_requests "$scenario" "$n")
	# lat n scenario conc wall user sys rss harbor vault kube writes min_h min_v min_k sim_cpu
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
		"$lat" "$n" "$scenario" "$conc" "$wall" "$user" "$sys" "$rss" "$h" "$v" "$k" \
		"$((hw + vw + kw))" "$mh" "$mv" "$mk" \
		"$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f", b - a }')" >>"$ROWS"
	say "$(printf '%-5s N=%-5s -j%s lat=%s: %6ss wall, %5ss cpu, %6s KiB, requests %s/%s/%s (min %s/%s/%s)' \
		"$scenario" "$n" "$conc" "$lat" "$wall" \
		"$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')" "$rss" "$h" "$v" "$k" \
		"$mh" "$mv" "$mk")"
}

# ---- the simulator's capacity ---------------------------------------------------------

capacity() {
	local lat=$1 n=$2 auth
	auth="Authorization: Basic $(printf 'admin:%s' "$HARBOR_PASSWORD" | base64 -w0)"
	sim_reset
	{
		printf '%s\ttrivial GET (Vault sys/health)\t' "$lat"
		"$LOADGEN" -c 8 -n "$([ "$lat" = 0 ] && echo 8000 || echo 1600)" --cacert "$CA" "$VAULT/v1/sys/health"
		printf '%s\tVault KV v2 read of one entry\t' "$lat"
		"$LOADGEN" -c 8 -n "$([ "$lat" = 0 ] && echo 4000 || echo 800)" --cacert "$CA" \
			-H "X-Vault-Token: $VAULT_TOKEN" "$VAULT/v1/secret/data/harbor/bench-00001-robot-account"
		printf '%s\tHarbor robot list page (100 of %s robots)\t' "$lat" "$n"
		"$LOADGEN" -c 8 -n 400 --cacert "$CA" -H "$auth" \
			"$HARBOR/api/v2.0/robots?page=$(((n + 199) / 200))&page_size=100"
		printf '%s\tKubernetes labelled Secret list (500 of %s)\t' "$lat" "$n"
		"$LOADGEN" -c 8 -n 80 --cacert "$CA" -H "Authorization: Bearer $KUBE_TOKEN" \
			"$KUBE/api/v1/namespaces/bench-a/secrets?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dberth&limit=500"
	} >>"$WORK/capacity.tsv" || die "load client failed"
	sim_reset
}

# ---- instruction counts ----------------------------------------------------------------

count_instructions() {
	local cg=$WORK/callgrind.out
	sim_reset
	valgrind --tool=callgrind --callgrind-out-file="$cg" "$BERTH" apply -f "$CFG" \
		>"$WORK/cg.stdout" 2>"$WORK/cg.stderr" || die "berth under callgrind failed"
	grep -q '^Apply: 0 changed' "$WORK/cg.stdout" || die "the callgrind run was not warm"
	# (awk reads to the end: an early exit would kill the writer with SIGPIPE under pipefail)
	CG_TOTAL=$(callgrind_annotate "$cg" 2>/dev/null |
		awk '/PROGRAM TOTALS/ && !t { gsub(",", "", $1); t = $1 } END { print t }')
	# Inclusive cost of berth's own functions, below the entry points.
	callgrind_annotate --inclusive=yes "$cg" 2>/dev/null |
		grep -F "[$BERTH]" |
		grep -Ev ':(main|cmd_apply|cli_main|worker|run_one|berth_exec_run|_start) |\(below main\)' |
		awk 'n < 5 { print; n++ }' | sed -E 's/^ *([0-9,]+) \( *([0-9.]+)%\) +\?\?\?:([^ ]+) .*/\1\t\2\t\3/' >"$WORK/cg.top"
}

# ---- the matrix --------------------------------------------------------------------------

build
: >"$ROWS"
: >"$WORK/capacity.tsv"
CG_TOTAL=
for lat in $LATENCIES; do
	for n in $SIZES; do
		say "latency ${lat} ms, $n robots"
		sim_start "$lat"
		CFG=$WORK/berth-$n.yaml
		write_config "$n" "$CFG"
		run_berth cold "$n" 8 "$lat"
		run_berth warm "$n" 8 "$lat"
		make_drift "$n"
		run_berth drift "$n" 8 "$lat"
		# The baseline for warm and drift on the same (converged) state.
		case " $SERIAL_BASELINE " in
		*" $lat:$n "*)
			run_berth warm "$n" 1 "$lat"
			make_drift "$n"
			run_berth drift "$n" 1 "$lat"
			;;
		esac
		if [ "$lat" = 0 ] && [ "$n" = 1000 ] && [ "$CALLGRIND" = 1 ]; then
			say "callgrind: warm run of 1000 robots"
			count_instructions
		fi
		if [ "$n" = "$(echo "$SIZES" | tr ' ' '\n' | sort -n | tail -1)" ]; then
			say "the simulator's capacity at latency $lat ms"
			capacity "$lat" "$n"
		fi
		sim_stop
		case " $COLD_BASELINE " in
		*" $lat:$n "*)
			sim_start "$lat"
			CFG=$WORK/berth-$n.yaml
			write_config "$n" "$CFG"
			run_berth cold "$n" 1 "$lat"
			sim_stop
			;;
		esac
	done
done
T_TOTAL=$(($(date +%s) - T_START))

# ---- the report -------------------------------------------------------------------------

"$ROOT/bench/report.sh" "$ROWS" "$WORK/capacity.tsv" "$WORK/cg.top" "${CG_TOTAL:-}" "$T_TOTAL" >"$OUT"
cat "$OUT"
say "wrote $OUT in ${T_TOTAL}s"
