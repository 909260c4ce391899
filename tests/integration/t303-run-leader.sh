#!/usr/bin/env bash
# Two berth run replicas with --leader-elect share a coordination.k8s.io/v1
# Lease: only the holder acts; a replica that stops (SIGTERM) hands over at
# once, one that dies (SIGKILL) is replaced once the lease duration passed.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib/tap.sh
source tests/lib/sim.sh
source tests/lib/berth.sh
sim_start
export KUBECONFIG=$(ready .kube.kubeconfig)
CFG=$TEST_TMP/berth.yaml
write_config "$CFG" <<'YAML'
robots:
  - name: tekton
    permissions: [{kind: project, namespace: library, access: [{resource: repository, action: push}]}]
YAML
lease() {
	curl -sS --cacert "$CA_FILE" -H "Authorization: Bearer $(ready .kube.token)" \
		"$(ready .kube.url)/apis/coordination.k8s.io/v1/namespaces/default/leases/berth" | jq -r "$1"
}
start() {
	: >"$TEST_TMP/$1.log"
	HARBOR_PASSWORD=$(harbor_admin_password) BERTH_LOG=info "$BERTH_BIN" run -f "$CFG" --interval 1s --listen off \
		--leader-elect --identity "$1" --lease-duration 3s >/dev/null 2>"$TEST_TMP/$1.log" &
	eval "pid_$1=$!"
	at_exit "kill -KILL $! 2>/dev/null"
}
cycles() { grep -c 'cycle ok' "$TEST_TMP/$1.log"; }
wait_for() { for i in $(seq 1 "$2"); do eval "$1" && return 0; sleep 0.1; done; return 1; }

start r1
wait_for '[ "$(lease .spec.holderIdentity 2>/dev/null)" = r1 ]' 50
is r1 "$(lease .spec.holderIdentity)" "the first replica takes the Lease"
start r2
sleep 2.5
is r1 "$(lease .spec.holderIdentity)" "the second replica leaves the Lease to the live leader"
[ "$(cycles r1)" -ge 1 ] && tap_ok "the leader runs cycles" || tap_fail "the leader runs cycles"
is 0 "$(cycles r2)" "the other replica only waits"
is 3 "$(lease .spec.leaseDurationSeconds)" "the Lease carries the lease duration"
like '^[0-9-]+T[0-9:]+\.[0-9]{6}Z$' "$(lease .spec.renewTime)" "renewTime is a MicroTime"

kill -TERM "$pid_r1"
wait "$pid_r1"
is 0 "$?" "the leader stops cleanly on SIGTERM"
like 'released the leader Lease' "$(cat "$TEST_TMP/r1.log")" "it releases the Lease"
wait_for '[ "$(lease .spec.holderIdentity)" = r2 ]' 30
is r2 "$(lease .spec.holderIdentity)" "the other replica takes over within 3 s of a release"
wait_for '[ "$(cycles r2)" -ge 1 ]' 30
[ "$(cycles r2)" -ge 1 ] && tap_ok "the new leader runs cycles" || tap_fail "the new leader runs cycles"
t1=$(lease .spec.leaseTransitions)

start r3
sleep 1
kill -KILL "$pid_r2"
wait "$pid_r2" 2>/dev/null
t0=$(date +%s)
wait_for '[ "$(lease .spec.holderIdentity)" = r3 ]' 100
is r3 "$(lease .spec.holderIdentity)" "after the leader died, the waiting replica takes over"
el=$(( $(date +%s) - t0 ))
[ "$el" -ge 2 ] && [ "$el" -le 9 ] && tap_ok "... once the lease duration passed without renewal (${el}s)" || tap_fail "takeover after the lease duration (${el}s)"
[ "$(lease .spec.leaseTransitions)" -gt "$t1" ] && tap_ok "leaseTransitions counts the take-over" || tap_fail "leaseTransitions counts the take-over"
wait_for '[ "$(cycles r3)" -ge 1 ]' 30
[ "$(cycles r3)" -ge 1 ] && tap_ok "the third replica acts as leader" || tap_fail "the third replica acts as leader"
s=$(stored_field harbor/tekton-robot-account secret)
is 'robot$tekton' "$(token_sub 'robot$tekton' "$s" 'repository:library/a:push')" "through the hand-overs the credential stays good"
n=$(curl -sS --cacert "$CA_FILE" -u "admin:$(harbor_admin_password)" "$(ready .harbor.url)/api/v2.0/robots" | jq 'length')
is 1 "$n" "and the robot exists once"
kill -TERM "$pid_r3"
wait "$pid_r3"
tap_done
