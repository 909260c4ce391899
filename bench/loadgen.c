/*
 * loadgen.c - a tiny HTTP load client for the benchmark: C threads, each
 * with one libcurl handle and so one keep-alive connection, send GETs to
 * one URL as fast as the server answers, and report requests per second.
 * It measures what berth-sim can serve, so that the benchmark can tell
 * when the simulator, not berth, is the bottleneck.
 *
 *   bench-loadgen -c CONNS -n REQUESTS --cacert FILE [-H 'Name: value']... URL
 *
 * Prints one line: "requests=N errors=E seconds=S rps=R connections=C".
 * Built by bench/run.sh; never part of berth.
 */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct shared {
	const char *url;
	const char *cacert;
	struct curl_slist *headers;
	long per_thread;
};

struct worker {
	pthread_t tid;
	const struct shared *sh;
	long done;
	long errors;
	long connects;
};

static size_t sink(char *data, size_t size, size_t nmemb, void *userp)
{
	(void)data;
	(void)userp;
	return size * nmemb;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	CURL *c = curl_easy_init();

	if (!c) {
		w->errors = w->sh->per_thread;
		return NULL;
	}
	curl_easy_setopt(c, CURLOPT_URL, w->sh->url);
	curl_easy_setopt(c, CURLOPT_CAINFO, w->sh->cacert);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, w->sh->headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	for (long i = 0; i < w->sh->per_thread; i++) {
		long status = 0, n = 0;

		if (curl_easy_perform(c) != CURLE_OK) {
			w->errors++;
			continue;
		}
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &n);
		w->connects += n;
		if (status >= 400)
			w->errors++;
		w->done++;
	}
	curl_easy_cleanup(c);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fputs("usage: bench-loadgen -c CONNS -n REQUESTS --cacert FILE [-H 'Name: value']... URL\n", stderr);
	exit(64);
}

int main(int argc, char **argv)
{
	struct shared sh = { 0 };
	struct worker *w;
	long conns = 8, total = 1000, done = 0, errors = 0, connects = 0;
	double t0, t1;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < argc)
			conns = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			total = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--cacert") && i + 1 < argc)
			sh.cacert = argv[++i];
		else if (!strcmp(argv[i], "-H") && i + 1 < argc)
			sh.headers = curl_slist_append(sh.headers, argv[++i]);
		else if (argv[i][0] != '-' && !sh.url)
			sh.url = argv[i];
		else
			usage();
	}
	if (!sh.url || !sh.cacert || conns < 1 || total < conns)
		usage();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	sh.per_thread = total / conns;
	w = calloc((size_t)conns, sizeof(*w));
	if (!w)
		return 1;
	t0 = now_s();
	for (long k = 0; k < conns; k++) {
		w[k].sh = &sh;
		if (pthread_create(&w[k].tid, NULL, run, &w[k]))
			return 1;
	}
	for (long k = 0; k < conns; k++) {
		pthread_join(w[k].tid, NULL);
		done += w[k].done;
		errors += w[k].errors;
		connects += w[k].connects;
	}
	t1 = now_s();
	printf("requests=%ld errors=%ld seconds=%.3f rps=%.0f connections=%ld\n", done, errors, t1 - t0,
	       (double)done / (t1 - t0), connects);
	free(w);
	curl_slist_free_all(sh.headers);
	curl_global_cleanup();
	return errors ? 1 : 0;
}
