/*
 * cmd_run.c - berth run: the controller loop. Cycles of plan, apply (with
 * rotation) and verify at an interval with jitter; failed cycles retried
 * with backoff, never fatal; SIGTERM finishes the cycle in progress and
 * exits 0; SIGHUP reloads the config before the next cycle (a bad new
 * config is reported and the old one kept). Optional leader election on a
 * Lease, and /healthz, /readyz, /metrics.
 *
 * Signals are blocked in every thread and taken with sigtimedwait() by the
 * main thread between cycles, so a signal never interrupts a cycle.
 */
#include "compat.h"
#include "cli.h"
#include "common.h"
#include "codec.h"
#include "config.h"
#include "controller.h"
#include "err.h"
#include "kube.h"
#include "log.h"
#include "secretref.h"
#include "util.h"

#include <pthread.h>
#include <signal.h>

static const char *config_file;
static const char *interval_arg;
static const char *listen_arg;
static bool leader_elect;
static const char *lease_ns;
static const char *lease_name;
static const char *identity;
static long concurrency = 8;
static bool once;
static const char *lease_duration_arg;

static const struct cli_opt opts[] = {
	{ "file", 'f', CLI_OPT_STRING, &config_file, "FILE", "the berth.yaml to read (default $BERTH_CONFIG, ./berth.yaml)" },
	{ "interval", 0, CLI_OPT_STRING, &interval_arg, "DURATION", "time between cycles (default 5m), with +-10% jitter" },
	{ "listen", 0, CLI_OPT_STRING, &listen_arg, "ADDR", "serve /healthz, /readyz, /metrics on IPv4 HOST:PORT (default 127.0.0.1:9102; 'off' disables)" },
	{ "leader-elect", 0, CLI_OPT_FLAG, &leader_elect, NULL, "act only while holding a coordination.k8s.io Lease" },
	{ "lease-namespace", 0, CLI_OPT_STRING, &lease_ns, "NS", "namespace of the Lease (default: the pod's, or the kubeconfig context's)" },
	{ "lease-name", 0, CLI_OPT_STRING, &lease_name, "NAME", "name of the Lease (default berth)" },
	{ "identity", 0, CLI_OPT_STRING, &identity, "ID", "this replica's identity (default hostname-pid)" },
	{ "lease-duration", 0, CLI_OPT_STRING, &lease_duration_arg, "DURATION", "how long a silent leader keeps the Lease (default 15s)" },
	{ "concurrency", 'j', CLI_OPT_INT, &concurrency, "N", "robots worked on in parallel (default 8)" },
	{ "once", 0, CLI_OPT_FLAG, &once, NULL, "run one cycle and exit (0 when it succeeded)" },
	{ NULL },
};

struct lease_loop {
	struct berth_leader *leader;
	struct berth_metrics *metrics;
	int64_t period_ms;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	bool is_leader;
};

static void *lease_thread(void *arg)
{
	struct lease_loop *ll = arg;

	pthread_mutex_lock(&ll->lock);
	while (!ll->stop) {
		struct berth_err err = BERTH_ERR_INIT;
		bool leader = false;
		struct timespec until;
		int64_t ms;

		pthread_mutex_unlock(&ll->lock);
		if (berth_leader_try(ll->leader, &leader, &err)) {
			berth_log_warn("run", "leader election: %s", err.msg);
			leader = false;
		}
		pthread_mutex_lock(&ll->lock);
		if (ll->is_leader != leader)
			berth_log_info("run", "%s", leader ? "this replica is now the leader" : "not the leader");
		ll->is_leader = leader;
		berth_metrics_set_leader(ll->metrics, leader);
		clock_gettime(CLOCK_REALTIME, &until);
		ms = ll->period_ms;
		until.tv_sec += ms / 1000;
		until.tv_nsec += (ms % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		if (!ll->stop)
			pthread_cond_timedwait(&ll->cond, &ll->lock, &until);
	}
	pthread_mutex_unlock(&ll->lock);
	return NULL;
}

/* Wait up to ms for a signal; returns the signal or 0 on timeout. */
static int wait_signal(const sigset_t *set, int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
	int sig;

	if (ms <= 0)
		ts.tv_sec = ts.tv_nsec = 0;
	do
		sig = sigtimedwait(set, NULL, &ts);
	while (sig < 0 && errno == EINTR);
	return sig < 0 ? 0 : sig;
}

static int64_t jittered(int64_t ms)
{
	uint32_t r = 0;

	berth_random_bytes(&r, sizeof(r));
	/* +-10% */
	return ms - ms / 10 + (int64_t)(r % (uint32_t)(ms / 5 + 1));
}

static int cmd_run(int argc, char **argv)
{
	struct berth_config *cfg = NULL;
	struct berth_metrics *metrics = NULL;
	struct berth_kube *kube = NULL;
	struct lease_loop ll = { .period_ms = 5000 };
	pthread_t lease_tid;
	bool lease_running = false, stop = false;
	struct berth_err err = BERTH_ERR_INIT;
	int64_t interval_s = 300, backoff_ms = 0, lease_s = 15;
	sigset_t set;
	int first, ret;

	ret = cli_parse(&cmd_run_def, argc, argv, &first);
	if (ret)
		return ret < 0 ? CLI_OK : ret;
	if (first < argc)
		return cli_usage_error("run: unexpected argument '%s'", argv[first]);
	if (interval_arg && (berth_parse_duration(interval_arg, &interval_s) || interval_s < 1))
		return cli_usage_error("run: --interval must be a duration such as 5m or 30s, not '%s'", interval_arg);
	if ((ret = cli_check_concurrency("run", concurrency)))
		return ret;
	if (lease_duration_arg && (berth_parse_duration(lease_duration_arg, &lease_s) || lease_s < 2))
		return cli_usage_error("run: --lease-duration must be a duration of 2s or more, not '%s'",
				       lease_duration_arg);

	/* Before any thread exists: the signals we wait for stay blocked everywhere. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	ret = cli_load_config(config_file, &cfg);
	if (ret)
		return ret;
	if (!listen_arg)
		listen_arg = "127.0.0.1:9102";
	if (strcmp(listen_arg, "off") && berth_metrics_start(&metrics, listen_arg, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	if (metrics)
		berth_log_info("run", "serving /healthz, /readyz and /metrics on port %u", berth_metrics_port(metrics));
	berth_metrics_set_ready(metrics, true);
	if (leader_elect) {
		struct berth_leader_opts lo = { .ns = lease_ns, .name = lease_name, .identity = identity, .lease_s = lease_s };

		if (berth_kube_new(&kube, &cfg->kube, &err) || berth_leader_new(&ll.leader, kube, &lo, &err)) {
			ret = cli_fail(&err);
			goto out;
		}
		ll.metrics = metrics;
		ll.period_ms = lo.lease_s * 1000 / 3;
		pthread_mutex_init(&ll.lock, NULL);
		pthread_cond_init(&ll.cond, NULL);
		if (pthread_create(&lease_tid, NULL, lease_thread, &ll))
			BERTH_BUG("pthread_create failed");
		lease_running = true;
	} else {
		berth_metrics_set_leader(metrics, true);
	}

	while (!stop) {
		struct berth_cycle_result res;
		int64_t wait_ms;
		bool leader = true;
		int sig;

		if (lease_running) {
			pthread_mutex_lock(&ll.lock);
			leader = ll.is_leader;
			pthread_mutex_unlock(&ll.lock);
		}
		if (!leader) {
			wait_ms = 1000;
		} else {
			ret = berth_cycle_run(cfg, (int)concurrency, metrics, &res, &err);
			berth_metrics_cycle(metrics, &res);
			if (ret) {
				backoff_ms = backoff_ms ? backoff_ms * 2 : 10000;
				if (backoff_ms > interval_s * 1000)
					backoff_ms = interval_s * 1000;
				berth_log_error("run", "cycle failed after %.1fs: %s (next try in %" PRId64 "s)",
						res.seconds, res.error ? res.error : err.msg, backoff_ms / 1000);
				wait_ms = backoff_ms;
			} else {
				backoff_ms = 0;
				wait_ms = jittered(interval_s * 1000);
				berth_log_info("run", "cycle ok in %.1fs: %zu robot%s changed; next in %" PRId64 "s",
					       res.seconds, res.changed, res.changed == 1 ? "" : "s", wait_ms / 1000);
			}
			berth_cycle_result_release(&res);
			if (once) {
				ret = ret ? CLI_FAIL : CLI_OK;
				break;
			}
		}
		/* Wait for the next cycle; signals arrive here, never inside a cycle. */
		for (int64_t deadline = berth_mono_ms() + wait_ms; !stop;) {
			int64_t left = deadline - berth_mono_ms();

			if (left <= 0)
				break;
			sig = wait_signal(&set, left);
			if (!sig)
				break;
			if (sig == SIGHUP) {
				struct berth_config *next = NULL;
				struct berth_err e2 = BERTH_ERR_INIT;

				if (berth_config_load(&next, cli_config_path(config_file), &e2)) {
					berth_log_error("run", "SIGHUP: the new config is not usable, keeping the old "
							       "one: %s", e2.msg);
				} else {
					berth_secret_ref_claim_env(next);
					berth_config_free(cfg);
					cfg = next;
					berth_metrics_reset_robots(metrics);
					berth_log_info("run", "SIGHUP: config reloaded; it applies from the next cycle");
				}
				continue;
			}
			berth_log_info("run", "signal %d: stopping", sig);
			stop = true;
		}
		ret = CLI_OK;
	}
out:
	if (lease_running) {
		struct berth_err e2 = BERTH_ERR_INIT;

		pthread_mutex_lock(&ll.lock);
		ll.stop = true;
		pthread_cond_signal(&ll.cond);
		pthread_mutex_unlock(&ll.lock);
		pthread_join(lease_tid, NULL);
		if (berth_leader_release(ll.leader, &e2))
			berth_log_warn("run", "releasing the Lease: %s", e2.msg);
		pthread_mutex_destroy(&ll.lock);
		pthread_cond_destroy(&ll.cond);
	}
	berth_leader_free(ll.leader);
	berth_kube_free(kube);
	berth_metrics_stop(metrics);
	berth_config_free(cfg);
	return ret;
}

const struct cli_command cmd_run_def = {
	.name = "run",
	.run = cmd_run,
	.synopsis = "berth run [-f FILE] [--interval 5m] [--listen 127.0.0.1:9102|off] [--leader-elect] [--once]",
	.summary = "Run as a controller: plan, apply, rotate and verify in a loop",
	.description =
		"Each cycle reads the actual state, checks every stored secret with Harbor's token\n"
		"service (a refused one is healed in the same cycle), plans - with rotation and\n"
		"expiry renewal - applies, and verifies what it wrote. Cycles repeat at --interval\n"
		"with +-10% jitter; a failed cycle is logged and retried with exponential backoff\n"
		"(10s, 20s, ... up to the interval), never fatal.\n\n"
		"Signals: SIGTERM or SIGINT finishes the cycle in progress and exits 0 (releasing\n"
		"the Lease); SIGHUP reloads the config before the next cycle, and a bad new config\n"
		"is reported and the old one kept.\n\n"
		"With --leader-elect, replicas share a coordination.k8s.io/v1 Lease (default\n"
		"berth in the pod's namespace): only the holder acts; the others wait and take\n"
		"over when it stops renewing for the lease duration (15s).\n\n"
		"HTTP: /healthz (alive), /readyz (config loaded), /metrics (Prometheus text: per\n"
		"robot expiry, last rotation, last verify; cycles and their duration; API requests\n"
		"by service and status class; leadership).\n\n"
		"Exit status: 0 after SIGTERM or SIGINT, and with --once when the cycle succeeded;\n"
		"1 when the --once cycle failed or --listen cannot be bound; 64 for a bad config\n"
		"or command line.\n",
	.opts = opts,
};
