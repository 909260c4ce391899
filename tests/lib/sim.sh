# tests/lib/sim.sh - start berth-sim for a test script and talk to it. Source it
# after tap.sh. Needs BERTH_BUILD_DIR (set by meson test).
#
#   sim_start [berth-sim args]   start it in a fresh temp dir; stopped on exit
#   ready KEY                    a value from ready.json (jq path, e.g. .harbor.url)
#   req SERVICE METHOD PATH [curl args]
#                                request to service (harbor|vault|kube) of the sim;
#                                sets STATUS, BODY (text) and HEADERS (file path)
#   sim_requests SERVICE         the request log (JSON array) of a service
#   sim_reset SERVICE            clear the log and pending faults
#   sim_fault SERVICE JSON       add a fault
: "${BERTH_BUILD_DIR:?run under meson test, or set BERTH_BUILD_DIR}"
SIM_BIN=${SIM_BIN:-$BERTH_BUILD_DIR/berth-sim}
BERTH_BIN=${BERTH_BIN:-$BERTH_BUILD_DIR/berth}
TEST_TMP=$(mktemp -d /tmp/berth-test.XXXXXX)
SIM_PID=
_cleanup_hooks=()

at_exit() { _cleanup_hooks+=("$*"); }

_run_cleanup() {
	local h
	for h in "${_cleanup_hooks[@]}"; do eval "$h" || true; done
	if [ -n "$SIM_PID" ] && kill -0 "$SIM_PID" 2>/dev/null; then
		kill -TERM "$SIM_PID" 2>/dev/null
		wait "$SIM_PID" 2>/dev/null
	fi
	rm -rf "$TEST_TMP"
}
trap _run_cleanup EXIT

sim_start() {
	SIM_DIR=$TEST_TMP/sim
	mkdir -p "$SIM_DIR"
	"$SIM_BIN" --dir "$SIM_DIR" "$@" 2>"$TEST_TMP/sim.log" &
	SIM_PID=$!
	local i
	for i in $(seq 1 200); do
		[ -s "$SIM_DIR/ready.json" ] && break
		if ! kill -0 "$SIM_PID" 2>/dev/null; then
			echo "Bail out! berth-sim exited: $(cat "$TEST_TMP/sim.log")"
			exit 1
		fi
		sleep 0.05
	done
	[ -s "$SIM_DIR/ready.json" ] || { echo "Bail out! berth-sim not ready"; exit 1; }
	CA_FILE=$(ready .ca_file)
}

ready() { jq -r "$1" "$SIM_DIR/ready.json"; }

_svc_url() { jq -r ".$1.url" "$SIM_DIR/ready.json"; }

req() {
	local svc=$1 method=$2 path=$3
	shift 3
	HEADERS=$TEST_TMP/last.headers
	local out
	out=$(curl -sS --cacert "$CA_FILE" -X "$method" -D "$HEADERS" -o "$TEST_TMP/last.body" \
		-w '%{http_code}' "$@" "$(_svc_url "$svc")$path") || out=000
	STATUS=$out
	BODY=$(cat "$TEST_TMP/last.body" 2>/dev/null)
}

# header NAME: a header of the last response (case-insensitive), without CR
header() { grep -i "^$1:" "$HEADERS" | head -1 | sed 's/^[^:]*: *//' | tr -d '\r'; }

sim_requests() { curl -sS --cacert "$CA_FILE" "$(_svc_url "$1")/_sim/requests"; }
sim_reset() { curl -sS --cacert "$CA_FILE" -X POST "$(_svc_url "$1")/_sim/reset" >/dev/null; }
sim_fault() { curl -sS --cacert "$CA_FILE" -X POST --data-binary "$2" "$(_svc_url "$1")/_sim/faults" >/dev/null; }
