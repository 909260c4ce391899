/* cmd_verify.c - berth verify: prove each stored credential works, without writing. */
#include "compat.h"
#include "cli.h"
#include "common.h"
#include "buf.h"
#include "config.h"
#include "err.h"
#include "session.h"
#include "verify.h"

static const char *config_file;
static const char *output;
static long concurrency = 8;

static const struct cli_opt opts[] = {
	{ "file", 'f', CLI_OPT_STRING, &config_file, "FILE", "the berth.yaml to read (default $BERTH_CONFIG, ./berth.yaml)" },
	{ "output", 'o', CLI_OPT_STRING, &output, "FMT", "text (default) or json" },
	{ "concurrency", 'j', CLI_OPT_INT, &concurrency, "N", "robots checked in parallel (default 8)" },
	{ NULL },
};

static int cmd_verify(int argc, char **argv)
{
	struct berth_config *cfg = NULL;
	struct berth_session *s = NULL;
	struct berth_session_opts so = { .max_retries = -1 };
	struct berth_verify_report rep = { 0 };
	struct berth_buf out = BERTH_BUF_INIT;
	struct berth_err err = BERTH_ERR_INIT;
	int first, ret, fmt;

	ret = cli_parse(&cmd_verify_def, argc, argv, &first);
	if (ret)
		return ret < 0 ? CLI_OK : ret;
	if (first < argc)
		return cli_usage_error("verify: unexpected argument '%s'", argv[first]);
	fmt = cli_output_format("verify", output);
	if (fmt < 0)
		return CLI_USAGE;
	if ((ret = cli_check_concurrency("verify", concurrency)))
		return ret;
	ret = cli_load_config(config_file, &cfg);
	if (ret)
		return ret;
	so.concurrency = (int)concurrency;
	ret = cli_open_session(cfg, &so, &s);
	if (ret)
		goto out;
	if (berth_verify(s, &rep, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	if (fmt)
		berth_verify_render_json(&out, &rep);
	else
		berth_verify_render_text(&out, &rep);
	fwrite(out.buf, 1, out.len, stdout);
	ret = rep.failed ? CLI_CHANGES : rep.errors ? CLI_FAIL : CLI_OK;
out:
	berth_buf_release(&out);
	berth_verify_report_release(&rep);
	berth_session_free(s);
	berth_config_free(cfg);
	return ret;
}

const struct cli_command cmd_verify_def = {
	.name = "verify",
	.run = cmd_verify,
	.synopsis = "berth verify [-f FILE] [--output text|json] [-j N]",
	.summary = "Prove that each stored credential works, without writing",
	.description =
		"For each robot, asks Harbor's token service - as the robot, with the secret from\n"
		"the store - for the repositories its permissions should reach (a repository in\n"
		"each named project; for \"*\", in each existing project, up to 10), and reads the\n"
		"granted actions from the token itself: status codes alone cannot tell an expired\n"
		"robot or a wrong secret from a good one. Then checks that every Secret and file\n"
		"it publishes parses, has the registry as a key, and carries the stored credential.\n\n"
		"Each robot and target is reported as: ok, wrong secret, expired (with the date),\n"
		"disabled, missing rights (which), stale target, missing robot, no stored secret,\n"
		"or could not check. With rotate.slots: 2 each slot is checked on its own.\n\n"
		"Exit status: 0 when every check passes; 2 when any fails; 1 when a check could\n"
		"not run (Harbor or the store unreachable); 64 for a bad config.\n",
	.opts = opts,
};
