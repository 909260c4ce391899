/*
 * main.c - berth-sim: simulated Harbor, Vault and Kubernetes APIs on
 * loopback over TLS, for berth's tests, demo and benchmark.
 *
 *   berth-sim --dir DIR [--latency MS] [--plain-http] [--server-cert expired|wrong-name]
 *
 * --server-cert serves a certificate that expired yesterday, or one for
 * wrong.example.com only (both still signed by DIR/ca.pem), so that tests
 * can see TLS clients refuse them.
 *
 * Makes a throwaway CA and certificates in DIR, starts each API on an
 * ephemeral port, writes DIR/ready.json once all accept connections, and
 * exits cleanly on SIGTERM or SIGINT.
 */
#include "compat.h"
#include "sim.h"
#include "modules.h"
#include "util.h"
#include "xalloc.h"

#include <getopt.h>
#include <signal.h>

static void usage(FILE *f)
{
	fputs("usage: berth-sim --dir DIR [--latency MS] [--plain-http] [--server-cert expired|wrong-name]\n", f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "latency", required_argument, NULL, 'l' },
		{ "plain-http", no_argument, NULL, 'p' },
		{ "server-cert", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/*
	 * Static: the world and the APIs' state live as long as the process,
	 * and stay reachable after main returns, so a leak checker at exit
	 * reports only what a request lost.
	 */
	static struct sim_world world;
	static struct sim_api *apis[8];
	const char *dir = NULL;
	json_t *ready;
	char *path, *text;
	struct berth_err err = BERTH_ERR_INIT;
	sigset_t set;
	size_t n = 0;
	int c, sig;

	while ((c = getopt_long(argc, argv, "d:l:pc:h", opts, NULL)) != -1) {
		long long v;

		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'l':
			if (berth_parse_long(optarg, 0, 60000, &v)) {
				fprintf(stderr, "berth-sim: --latency: milliseconds 0..60000, not '%s'\n", optarg);
				return 64;
			}
			world.latency_ms = (long)v;
			break;
		case 'p':
			world.plain_http = true;
			break;
		case 'c':
			if (!strcmp(optarg, "expired")) {
				world.server_expired = true;
			} else if (!strcmp(optarg, "wrong-name")) {
				world.server_san = "DNS:wrong.example.com";
			} else {
				fprintf(stderr, "berth-sim: --server-cert: expired or wrong-name, not '%s'\n", optarg);
				return 64;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 64;
		}
	}
	if (!dir || optind != argc) {
		usage(stderr);
		return 64;
	}

	/* Block the signals we wait for before any thread starts. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (sim_world_init(&world, dir))
		return 1;
	ready = json_pack("{s:s, s:s, s:s, s:s}", "ca_file", world.ca_file, "cert_file",
			  "", "key_file", "", "dir", world.dir);
	json_object_set_new(ready, "cert_file", json_sprintf("%s/server.crt", world.dir));
	json_object_set_new(ready, "key_file", json_sprintf("%s/server.key", world.dir));
	json_object_set_new(ready, "pid", json_integer((json_int_t)getpid()));
	for (const struct sim_module *m = sim_modules; m->name; m++) {
		struct sim_api *api = m->create(&world);

		if (!api || sim_api_start(&world, api))
			return 1;
		apis[n++] = api;
		json_object_set_new(ready, m->name, m->describe(api));
	}
	text = json_dumps(ready, JSON_INDENT(2) | JSON_SORT_KEYS);
	path = xasprintf("%s/ready.json", dir);
	if (berth_file_write_atomic(path, text, strlen(text), 0600, &err)) {
		fprintf(stderr, "berth-sim: %s\n", err.msg);
		return 1;
	}
	fprintf(stderr, "berth-sim: ready (%s)\n", path);
	free(text);
	free(path);
	json_decref(ready);

	if (sigwait(&set, &sig))
		return 1;
	fprintf(stderr, "berth-sim: stopping on signal %d\n", sig);
	for (size_t i = 0; i < n; i++)
		sim_api_stop(apis[i]);
	return 0;
}
