/*
 * credhelper.c - docker-credential-berth: the docker credential helper
 * protocol (get, list, version; store and erase refused), answering from
 * berth's store with a config found by $BERTH_CONFIG. Chosen by argv[0],
 * so the one binary serves as both berth and the helper.
 *
 * Which robot answers for a registry: $BERTH_ROBOT when set, else the
 * first robot of the config (all robots share harbor.registry).
 */
#include "compat.h"
#include "cli.h"
#include "common.h"
#include "buf.h"
#include "config.h"
#include "err.h"
#include "json.h"
#include "secret.h"
#include "secretref.h"
#include "session.h"
#include "store.h"
#include "version.h"

#define NOT_FOUND "credentials not found in native keychain"

static const char *strip_url(const char *s, size_t *len)
{
	const char *h = s;

	if (!strncmp(h, "https://", 8))
		h += 8;
	else if (!strncmp(h, "http://", 7))
		h += 7;
	*len = strcspn(h, "/");
	return h;
}

/* Protocol errors go to stdout, as docker-credential-helpers does; exit 1. */
static int helper_fail(const char *msg)
{
	printf("%s\n", msg);
	return 1;
}

static int open_store(struct berth_config **cfg, struct berth_session **s)
{
	struct berth_session_opts so = { .max_retries = -1, .store_only = true };
	struct berth_err err = BERTH_ERR_INIT;
	const char *path = getenv("BERTH_CONFIG");

	*cfg = NULL;
	*s = NULL;
	/* Errors go to stdout, as the protocol's helpers answer; stderr gets them too. */
	if (!path || !*path) {
		printf("docker-credential-berth: set BERTH_CONFIG to berth's config file\n");
		fprintf(stderr, "docker-credential-berth: set BERTH_CONFIG to berth's config file\n");
		return -1;
	}
	if (!berth_config_load(cfg, path, &err))
		berth_secret_ref_claim_env(*cfg);
	if (!*cfg || berth_session_open(s, *cfg, &so, &err)) {
		printf("docker-credential-berth: %s\n", err.msg);
		fprintf(stderr, "docker-credential-berth: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static const struct berth_robot_config *pick_robot(const struct berth_config *cfg)
{
	const char *want = getenv("BERTH_ROBOT");

	if (want && *want)
		return berth_config_robot(cfg, want);
	return cfg->nrobots ? &cfg->robots[0] : NULL;
}

static int do_get(void)
{
	struct berth_config *cfg;
	struct berth_session *s;
	struct berth_store_entry *e = NULL;
	struct berth_err err = BERTH_ERR_INIT;
	const struct berth_robot_config *rc;
	char line[1024];
	const char *host;
	size_t hlen;
	int ret = 1;

	if (!fgets(line, sizeof(line), stdin))
		return helper_fail("no credentials server URL");
	line[strcspn(line, "\r\n")] = '\0';
	if (!*line)
		return helper_fail("no credentials server URL");
	if (open_store(&cfg, &s))
		return 1;
	host = strip_url(line, &hlen);
	rc = pick_robot(cfg);
	if (!rc || strlen(s->registry) != hlen || strncmp(host, s->registry, hlen)) {
		ret = helper_fail(NOT_FOUND);
		goto out;
	}
	if (berth_store_get(s->store, rc->store_path, &e, &err) || !e->secret || !e->name) {
		if (err.code && err.code != BERTH_ENOTFOUND)
			fprintf(stderr, "docker-credential-berth: %s\n", err.msg);
		ret = helper_fail(NOT_FOUND);
		goto out;
	}
	{
		json_t *o = json_pack("{s:s, s:s, s:s}", "ServerURL", line, "Username", e->name, "Secret",
				      berth_secret_reveal(e->secret, NULL));
		struct berth_buf b = BERTH_BUF_INIT;

		berth_json_dump(&b, o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		berth_buf_addch(&b, '\n');
		fwrite(b.buf, 1, b.len, stdout);
		berth_buf_wipe(&b);
		json_decref(o);
	}
	ret = 0;
out:
	berth_store_entry_free(e);
	berth_session_free(s);
	berth_config_free(cfg);
	return ret;
}

static int do_list(void)
{
	struct berth_config *cfg;
	struct berth_session *s;
	struct berth_store_entry *e = NULL;
	struct berth_err err = BERTH_ERR_INIT;
	const struct berth_robot_config *rc;
	json_t *o = json_object();
	struct berth_buf b = BERTH_BUF_INIT;

	if (open_store(&cfg, &s)) {
		json_decref(o);
		return 1;
	}
	rc = pick_robot(cfg);
	if (rc && !berth_store_get(s->store, rc->store_path, &e, &err) && e->name && e->secret)
		json_object_set_new(o, s->registry, json_string(e->name));
	berth_json_dump(&b, o, JSON_COMPACT);
	berth_buf_addch(&b, '\n');
	fwrite(b.buf, 1, b.len, stdout);
	berth_buf_release(&b);
	json_decref(o);
	berth_store_entry_free(e);
	berth_session_free(s);
	berth_config_free(cfg);
	return 0;
}

int credhelper_main(int argc, char **argv);
int credhelper_main(int argc, char **argv)
{
	const char *action = argc == 2 ? argv[1] : NULL;

	if (!action) {
		printf("Usage: docker-credential-berth <store|get|erase|list|version>\n");
		return 1;
	}
	if (!strcmp(action, "get"))
		return do_get();
	if (!strcmp(action, "list"))
		return do_list();
	if (!strcmp(action, "version") || !strcmp(action, "--version") || !strcmp(action, "-v")) {
		printf("docker-credential-berth (berth) %s\n", BERTH_VERSION);
		return 0;
	}
	if (!strcmp(action, "store") || !strcmp(action, "erase")) {
		char line[256];

		/* Drain what docker sent, then refuse: berth apply owns these credentials. */
		while (fgets(line, sizeof(line), stdin))
			explicit_bzero(line, sizeof(line));
		return helper_fail("berth manages these credentials: 'store' and 'erase' are refused "
				   "(run berth apply)");
	}
	printf("docker-credential-berth: unknown action: %s\n", action);
	return 1;
}
