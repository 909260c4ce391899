#!/usr/bin/env bash
# berth run: cycles at an interval, /healthz /readyz /metrics, a failed cycle
# retried and never fatal, SIGHUP reloading the config (a bad one kept out),
# SIGTERM finishing cleanly with exit 0.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
CFG=$TEST_TMP/berth.yaml
write_config "$CFG" <<'YAML'
robots:
  - name: tekton
    duration: 30
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: push}]}]
YAML
LOG=$TEST_TMP/run.log
: >"$LOG"
HARBOR_PASSWORD=$(harbor_admin_password) BERTH_LOG=info "$BERTH_BIN" run -f "$CFG" --interval 1s --listen 127.0.0.1:0 >"$TEST_TMP/run.out" 2>"$LOG" &
pid=$!
at_exit "kill -KILL $pid 2>/dev/null"
for i in $(seq 1 100); do grep -q 'serving /healthz' "$LOG" && break; sleep 0.05; done
port=$(sed -n 's/.*serving \/healthz, \/readyz and \/metrics on port \([0-9]*\).*/\1/p' "$LOG")
like '^[0-9]+$' "$port" "berth run serves its endpoints on a port it logs"
M=http://127.0.0.1:$port
for i in $(seq 1 100); do grep -q 'cycle ok' "$LOG" && break; sleep 0.05; done
like 'cycle ok in' "$(cat "$LOG")" "the first cycle succeeds"
is 200 "$(curl -s -o /dev/null -w '%{http_code}' "$M/healthz")" "/healthz answers 200"
is 200 "$(curl -s -o /dev/null -w '%{http_code}' "$M/readyz")" "/readyz answers 200"
is 404 "$(curl -s -o /dev/null -w '%{http_code}' "$M/nope")" "other paths answer 404"
m=$(curl -s "$M/metrics")
bad=$(printf '%s\n' "$m" | grep -v '^#' | grep -v '^$' | grep -Ev '^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? -?[0-9.e+]+$' | head -3)
is '' "$bad" "every /metrics sample line parses as Prometheus text"
like 'berth_cycles_total\{outcome="success"\} [1-9]' "$m" "metrics count successful cycles"
exp=$(printf '%s\n' "$m" | sed -n 's/^berth_robot_expiry_timestamp_seconds{robot="tekton",login="robot\$tekton"} \([0-9]*\)$/\1/p')
now=$(date +%s)
[ -n "$exp" ] && [ "$exp" -gt $((now + 29 * 86400)) ] && tap_ok "metrics give the robot's expiry time" || tap_fail "metrics give the robot's expiry time ($exp)"
like 'berth_robot_last_rotation_timestamp_seconds\{robot="tekton",login="robot\$tekton"\} [0-9]+' "$m" "metrics give the last rotation"
like 'berth_robot_verify_ok\{robot="tekton",login="robot\$tekton"\} 1' "$m" "metrics give the last verify result"
like 'berth_api_requests_total\{service="harbor",class="2xx"\} [1-9]' "$m" "metrics count API requests by service and status class"
like 'berth_cycle_duration_seconds [0-9.]+' "$m" "metrics give the cycle duration"
like 'berth_leader 1' "$m" "without leader election this replica acts"
s1=$(stored_field harbor/tekton-robot-account secret)
is 'robot$tekton' "$(token_sub 'robot$tekton' "$s1" 'repository:library/a:push')" "the controller provisioned the robot"

# A failing Harbor: the cycle fails, is logged, and is retried.
sim_fault harbor '{"method":"GET","path":"/api/v2.0/users/current","count":8,"status":503,"body":{"errors":[{"code":"UNKNOWN","message":"internal server error"}]}}'
for i in $(seq 1 200); do grep -q 'cycle failed' "$LOG" && break; sleep 0.05; done
like 'cycle failed after .*HTTP 503' "$(cat "$LOG")" "a failed cycle is logged with the failing call"
n=$(grep -c 'cycle ok' "$LOG")
for i in $(seq 1 200); do [ "$(grep -c 'cycle ok' "$LOG")" -gt "$n" ] && break; sleep 0.05; done
[ "$(grep -c 'cycle ok' "$LOG")" -gt "$n" ] && tap_ok "the controller recovers after the failure" || tap_fail "the controller recovers after the failure"
kill -0 "$pid" 2>/dev/null && tap_ok "a failed cycle is never fatal" || tap_fail "a failed cycle is never fatal"
like 'berth_cycles_total\{outcome="failure"\} [1-9]' "$(curl -s "$M/metrics")" "metrics count failed cycles"

# SIGHUP with a broken config: reported, old one kept.
cp "$CFG" "$CFG.good"
printf 'robots: [\n' >"$CFG"
kill -HUP "$pid"
for i in $(seq 1 100); do grep -q 'SIGHUP: the new config is not usable' "$LOG" && break; sleep 0.05; done
like 'SIGHUP: the new config is not usable, keeping the old one' "$(cat "$LOG")" "a bad new config is reported and the old one kept"
n=$(grep -c 'cycle ok' "$LOG")
for i in $(seq 1 100); do [ "$(grep -c 'cycle ok' "$LOG")" -gt "$n" ] && break; sleep 0.05; done
[ "$(grep -c 'cycle ok' "$LOG")" -gt "$n" ] && tap_ok "cycles go on with the old config" || tap_fail "cycles go on with the old config"

# SIGHUP with a good config that adds a robot: applied from the next cycle.
cp "$CFG.good" "$CFG"
cat >>"$CFG" <<'YAML'
  - name: second
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: pull}]}]
YAML
at=$(wc -l <"$LOG")
kill -HUP "$pid"
# Done when a cycle ended after the reload (the store file alone appears
# while the secret is still pending; under valgrind that is seconds early).
reloaded_cycle() { tail -n +"$((at + 1))" "$LOG" | awk '/config reloaded/ { r = 1 } r && /cycle ok/ { f = 1 } END { exit !f }'; }
for i in $(seq 1 600); do reloaded_cycle && break; sleep 0.05; done
like 'config reloaded' "$(cat "$LOG")" "SIGHUP reloads the config"
s2=$(stored_field harbor/second-robot-account secret)
is 'robot$second' "$(token_sub 'robot$second' "$s2" 'repository:library/a:pull')" "the reloaded config's new robot is provisioned"

kill -TERM "$pid"
wait "$pid"
is 0 "$?" "SIGTERM: berth run exits 0"
like 'signal 15: stopping' "$(cat "$LOG")" "the stop is logged"
tap_done
