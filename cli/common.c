/* common.c - config loading and session opening shared by the commands. */
#include "compat.h"
#include "common.h"
#include "cli.h"
#include "config.h"
#include "err.h"
#include "plan.h"
#include "secretref.h"
#include "session.h"

const char *cli_config_path(const char *opt)
{
	if (opt)
		return opt;
	if (getenv("BERTH_CONFIG") && *getenv("BERTH_CONFIG"))
		return getenv("BERTH_CONFIG");
	return "berth.yaml";
}

int cli_load_config(const char *opt, struct berth_config **out)
{
	struct berth_err err = BERTH_ERR_INIT;
	const char *path = cli_config_path(opt);
	int ret = berth_config_load(out, path, &err);

	if (ret == BERTH_ENOTFOUND) {
		fprintf(stderr, "berth: %s\n", err.msg);
		if (!opt)
			fprintf(stderr, "berth: give the config with -f FILE or BERTH_CONFIG\n");
		return CLI_USAGE;
	}
	if (ret) {
		fprintf(stderr, "berth: %s\n", err.msg);
		return CLI_USAGE;
	}
	berth_secret_ref_claim_env(*out);
	return 0;
}

int cli_open_session(const struct berth_config *cfg, const struct berth_session_opts *opts,
		     struct berth_session **out)
{
	struct berth_err err = BERTH_ERR_INIT;
	int ret = berth_session_open(out, cfg, opts, &err);

	if (!ret) {
		ret = berth_session_read(*out, &err);
		if (ret) {
			berth_session_free(*out);
			*out = NULL;
		}
	}
	return ret ? cli_fail(&err) : 0;
}

int cli_output_format(const char *cmd, const char *value)
{
	if (!value || !strcmp(value, "text"))
		return 0;
	if (!strcmp(value, "json"))
		return 1;
	cli_usage_error("%s: --output must be text or json, not '%s'", cmd, value);
	return -1;
}

int cli_check_concurrency(const char *cmd, long value)
{
	if (value < 1 || value > 256)
		return cli_usage_error("%s: --concurrency must be 1..256, not %ld", cmd, value);
	return 0;
}

int cli_plan(struct cli_planned *r, const char *config_file, long concurrency, bool scan_all_projects,
	     bool verify_secrets, struct berth_plan_opts *po)
{
	struct berth_session_opts so = { .max_retries = -1, .concurrency = (int)concurrency,
					  .scan_all_projects = scan_all_projects };
	struct berth_err err = BERTH_ERR_INIT;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = cli_load_config(config_file, &r->cfg);
	if (ret)
		return ret;
	ret = cli_open_session(r->cfg, &so, &r->s);
	if (ret)
		return ret;
	if (verify_secrets) {
		if (berth_session_check_secrets(r->s, &r->refused, &err))
			return cli_fail(&err);
		po->verify_secrets = true;
		po->secret_refused = r->refused;
	}
	if (berth_session_plan(r->s, po, &r->plan, &err))
		return cli_fail(&err);
	return 0;
}

void cli_planned_release(struct cli_planned *r)
{
	berth_plan_free(r->plan);
	berth_session_free(r->s);
	berth_config_free(r->cfg);
	free(r->refused);
	memset(r, 0, sizeof(*r));
}
