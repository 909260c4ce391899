/*
 * controller.h - the pieces of 'berth run': one reconcile cycle (plan,
 * apply with rotation, verify), leader election on a coordination.k8s.io
 * Lease, and the /healthz, /readyz and Prometheus /metrics endpoint. The
 * loop itself, with its signals, lives in cli/cmd_run.c.
 */
#ifndef BERTH_CONTROLLER_H
#define BERTH_CONTROLLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct berth_config;
struct berth_err;
struct berth_kube;
struct berth_metrics;

/* What one cycle did, for logs and metrics. */
struct berth_cycle_result {
	bool ok;
	double seconds;
	size_t changed, failed, verify_failed;
	char *error;                /* first failure, NULL when ok */
};

/*
 * Run one cycle against cfg: read state (checking every stored secret with
 * the token service), plan with rotation, apply, verify. Records per-robot
 * expiry, rotation and verify results and request counts in m (may be
 * NULL). Returns 0 when the cycle succeeded. Network I/O.
 */
int berth_cycle_run(const struct berth_config *cfg, int concurrency, struct berth_metrics *m,
		    struct berth_cycle_result *out, struct berth_err *err);
void berth_cycle_result_release(struct berth_cycle_result *r);

/* ---- metrics -------------------------------------------------------------- */

/*
 * Start serving /healthz, /readyz and /metrics on listen ("127.0.0.1:9102",
 * ":9102" for all addresses). Returns 0 or BERTH_ECONFIG/BERTH_EIO.
 */
int berth_metrics_start(struct berth_metrics **out, const char *listen, struct berth_err *err);
void berth_metrics_stop(struct berth_metrics *m);
/* The port actually bound (useful with port 0). */
unsigned berth_metrics_port(const struct berth_metrics *m);
void berth_metrics_set_ready(struct berth_metrics *m, bool ready);
void berth_metrics_set_leader(struct berth_metrics *m, bool leader);
void berth_metrics_cycle(struct berth_metrics *m, const struct berth_cycle_result *r);
/* Forget per-robot series (after a config reload). */
void berth_metrics_reset_robots(struct berth_metrics *m);
void berth_metrics_robot(struct berth_metrics *m, const char *robot, const char *login, int64_t expires_at,
			 time_t rotated_at, int verify_ok);
void berth_metrics_requests(struct berth_metrics *m, const char *service, const uint64_t by_class[6]);
/* The text /metrics serves (caller frees). */
char *berth_metrics_render(struct berth_metrics *m);

/* ---- leader election -------------------------------------------------------- */

struct berth_leader;

struct berth_leader_opts {
	const char *ns;          /* Lease namespace */
	const char *name;        /* Lease name */
	const char *identity;    /* this replica (default: hostname + pid) */
	int64_t lease_s;         /* leaseDurationSeconds, default 15 */
};

int berth_leader_new(struct berth_leader **out, struct berth_kube *kube, const struct berth_leader_opts *o,
		     struct berth_err *err);
void berth_leader_free(struct berth_leader *l);
/*
 * One step of the client-go algorithm: create the Lease if missing, renew
 * it when held, take it over when its holder stopped renewing for a lease
 * duration (judged by when this replica last saw it change, not by the
 * holder's clock). *leader tells the outcome. Network I/O.
 */
int berth_leader_try(struct berth_leader *l, bool *leader, struct berth_err *err);
/* Give the Lease up (holder cleared) so that another replica takes over at once. */
int berth_leader_release(struct berth_leader *l, struct berth_err *err);
const char *berth_leader_identity(const struct berth_leader *l);

#endif
