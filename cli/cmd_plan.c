/* cmd_plan.c - berth plan: show what apply would change. */
#include "compat.h"
#include "cli.h"
#include "common.h"
#include "buf.h"
#include "config.h"
#include "err.h"
#include "plan.h"
#include "session.h"

static const char *config_file;
static bool detailed_exitcode;
static const char *output;
static bool prune;
static long concurrency = 8;
static bool verify_secrets;

static const struct cli_opt opts[] = {
	{ "file", 'f', CLI_OPT_STRING, &config_file, "FILE", "the berth.yaml to read (default $BERTH_CONFIG, ./berth.yaml)" },
	{ "detailed-exitcode", 0, CLI_OPT_FLAG, &detailed_exitcode, NULL, "exit 2 when changes are pending" },
	{ "output", 'o', CLI_OPT_STRING, &output, "FMT", "text (default) or json" },
	{ "prune", 0, CLI_OPT_FLAG, &prune, NULL, "plan the deletion of berth's robots and Secrets the config no longer names" },
	{ "verify-secrets", 0, CLI_OPT_FLAG, &verify_secrets, NULL, "ask Harbor's token service whether each stored secret still works; plan a new secret for refused ones" },
	{ "concurrency", 'j', CLI_OPT_INT, &concurrency, "N", "parallel requests while reading state (default 8)" },
	{ NULL },
};

static int cmd_plan(int argc, char **argv)
{
	struct cli_planned r;
	struct berth_plan_opts po = { 0 };
	struct berth_buf out = BERTH_BUF_INIT;
	int first, ret, fmt;

	ret = cli_parse(&cmd_plan_def, argc, argv, &first);
	if (ret)
		return ret < 0 ? CLI_OK : ret;
	if (first < argc)
		return cli_usage_error("plan: unexpected argument '%s'", argv[first]);
	fmt = cli_output_format("plan", output);
	if (fmt < 0)
		return CLI_USAGE;
	if ((ret = cli_check_concurrency("plan", concurrency)))
		return ret;
	po.prune = prune;
	ret = cli_plan(&r, config_file, concurrency, prune, verify_secrets, &po);
	if (ret)
		goto out;
	if (fmt)
		berth_plan_render_json(&out, r.plan);
	else
		berth_plan_render_text(&out, r.plan);
	fwrite(out.buf, 1, out.len, stdout);
	if (r.plan->nerrors)
		ret = CLI_FAIL;
	else if (detailed_exitcode && berth_plan_has_changes(r.plan))
		ret = CLI_CHANGES;
	else
		ret = CLI_OK;
out:
	berth_buf_release(&out);
	cli_planned_release(&r);
	return ret;
}

const struct cli_command cmd_plan_def = {
	.name = "plan",
	.run = cmd_plan,
	.synopsis = "berth plan [-f FILE] [--detailed-exitcode] [--output text|json] [--prune] [--verify-secrets] [-j N]",
	.summary = "Show what apply would change",
	.description =
		"Reads the actual state - Harbor's robots with list calls (page_size=100, every page),\n"
		"the store entry of each robot, the published Secrets and files - and prints what\n"
		"'berth apply' would do, per robot: create, update (permissions, description,\n"
		"duration, enable/disable, renewal of an expiring robot), set a secret and why,\n"
		"publish targets, delete (with --prune). Secrets are never printed, and nothing\n"
		"is changed in Harbor, the store or the cluster.\n\n"
		"Exit status: 0, or 2 with --detailed-exitcode when changes are pending; 1 when\n"
		"the plan has errors (e.g. a robot of the same name that berth does not manage)\n"
		"or state could not be read; 64 for a bad config or command line.\n",
	.opts = opts,
};
