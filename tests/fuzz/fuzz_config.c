/*
 * fuzz_config.c - berth_config_parse() on arbitrary berth.yaml text.
 * Invariants: the result is 0 or BERTH_ECONFIG; an error is one line that
 * starts with "berth.yaml:LINE:COLUMN: " (the promise for bad
 * input); a loaded configuration holds what config.h says it holds.
 */
#include "compat.h"
#include "fuzz.h"
#include "config.h"
#include "err.h"
#include "util.h"

static void check_error(const struct berth_err *err)
{
	const char *p = err->msg;
	long line = 0, col = 0;

	BERTH_FUZZ_CHECK(err->code == BERTH_ECONFIG, err->msg);
	BERTH_FUZZ_CHECK(!strchr(err->msg, '\n'), err->msg);
	BERTH_FUZZ_CHECK(berth_starts_with(p, "berth.yaml:"), err->msg);
	p += strlen("berth.yaml:");
	while (*p >= '0' && *p <= '9' && line < 100000000)
		line = line * 10 + (*p++ - '0');
	BERTH_FUZZ_CHECK(line >= 1 && *p == ':', err->msg);
	p++;
	while (*p >= '0' && *p <= '9' && col < 100000000)
		col = col * 10 + (*p++ - '0');
	BERTH_FUZZ_CHECK(col >= 1 && p[0] == ':' && p[1] == ' ' && p[2], err->msg);
}

static void check_config(const struct berth_config *cfg)
{
	BERTH_FUZZ_CHECK(cfg->owner && *cfg->owner, NULL);
	BERTH_FUZZ_CHECK(cfg->harbor.url || cfg->harbor.ingress_name, NULL);
	BERTH_FUZZ_CHECK(cfg->harbor.username, NULL);
	BERTH_FUZZ_CHECK(cfg->harbor.password.kind != BERTH_REF_NONE, NULL);
	for (size_t i = 0; i < cfg->nrobots; i++) {
		const struct berth_robot_config *r = &cfg->robots[i];

		BERTH_FUZZ_CHECK(r->name && *r->name, NULL);
		BERTH_FUZZ_CHECK(r->level && (!strcmp(r->level, "system") || !strcmp(r->level, "project")),
				 r->level);
		BERTH_FUZZ_CHECK(strcmp(r->level, "project") || r->project, r->name);
		BERTH_FUZZ_CHECK(r->store_path && *r->store_path, r->name);
		BERTH_FUZZ_CHECK(berth_config_robot(cfg, r->name) == r, r->name);
		for (size_t j = 0; j < r->nsecrets; j++) {
			const struct berth_secret_target *t = &r->secrets[j];

			BERTH_FUZZ_CHECK(!t->ns != !t->nselector, r->name);
			BERTH_FUZZ_CHECK(t->name && *t->name, r->name);
		}
		for (size_t j = 0; j < r->nfiles; j++)
			BERTH_FUZZ_CHECK(r->files[j].path && *r->files[j].path, r->name);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_config *cfg = NULL;
	struct berth_err err = BERTH_ERR_INIT;
	int ret;

	/* Exact size, no terminating NUL: the loader must not read past len. */
	ret = berth_config_parse(&cfg, "berth.yaml", (const char *)data, size, &err);
	if (ret) {
		BERTH_FUZZ_CHECK(!cfg, NULL);
		check_error(&err);
	} else {
		BERTH_FUZZ_CHECK(cfg, NULL);
		check_config(cfg);
	}
	berth_config_free(cfg);
	return 0;
}
