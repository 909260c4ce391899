/* cmd_rotate.c - berth rotate: rotate robot secrets now, with apply's guarantees. */
#include "compat.h"
#include "cli.h"
#include "common.h"
#include "apply.h"
#include "buf.h"
#include "config.h"
#include "err.h"
#include "plan.h"
#include "session.h"

static const char *config_file;
static bool now_flag;
static long concurrency = 8;
static bool dry_run;

static const struct cli_opt opts[] = {
	{ "file", 'f', CLI_OPT_STRING, &config_file, "FILE", "the berth.yaml to read (default $BERTH_CONFIG, ./berth.yaml)" },
	{ "now", 0, CLI_OPT_FLAG, &now_flag, NULL, "rotate now, even when no rotation is due" },
	{ "dry-run", 'n', CLI_OPT_FLAG, &dry_run, NULL, "print the plan and change nothing" },
	{ "concurrency", 'j', CLI_OPT_INT, &concurrency, "N", "robots worked on in parallel (default 8)" },
	{ NULL },
};

static int cmd_rotate(int argc, char **argv)
{
	struct cli_planned r = { 0 };
	struct berth_config *cfg = NULL;
	struct berth_plan_opts po = { 0 };
	struct berth_apply_report report = { 0 };
	struct berth_buf out = BERTH_BUF_INIT;
	struct berth_err err = BERTH_ERR_INIT;
	int first, ret;

	ret = cli_parse(&cmd_rotate_def, argc, argv, &first);
	if (ret)
		return ret < 0 ? CLI_OK : ret;
	if ((ret = cli_check_concurrency("rotate", concurrency)))
		return ret;
	/* Check the robot names before any request. */
	ret = cli_load_config(config_file, &cfg);
	if (ret)
		return ret;
	for (int i = first; i < argc && !ret; i++)
		if (!berth_config_robot(cfg, argv[i]))
			ret = cli_usage_error("rotate: no robot named '%s' in %s", argv[i], cfg->path);
	berth_config_free(cfg);
	if (ret)
		return ret;
	po.force_rotate = now_flag;
	if (first < argc) {
		po.only = (const char *const *)&argv[first];
		po.nonly = (size_t)(argc - first);
		po.rotate_only = po.only;
		po.nrotate_only = po.nonly;
	}
	ret = cli_plan(&r, config_file, concurrency, false, false, &po);
	if (ret)
		goto out;
	if (dry_run || r.plan->nerrors) {
		berth_plan_render_text(&out, r.plan);
		fwrite(out.buf, 1, out.len, stdout);
		ret = r.plan->nerrors ? CLI_FAIL : CLI_OK;
		goto out;
	}
	ret = berth_session_apply(r.s, r.plan, &report, &err);
	berth_apply_report_render(&out, r.plan, &report);
	fwrite(out.buf, 1, out.len, stdout);
	if (ret) {
		fprintf(stderr, "berth: %s\n", err.msg);
		ret = CLI_FAIL;
	}
out:
	berth_buf_release(&out);
	berth_apply_report_release(&report);
	cli_planned_release(&r);
	return ret;
}

const struct cli_command cmd_rotate_def = {
	.name = "rotate",
	.run = cmd_rotate,
	.synopsis = "berth rotate [-f FILE] [--now] [--dry-run] [-j N] [ROBOT...]",
	.summary = "Rotate robot secrets without breaking running builds",
	.description =
		"Rotates the secrets of the named robots: those whose rotation is due\n"
		"(rotate.every, or expiry that renewal cannot prevent), or all of them with --now.\n"
		"It is apply limited to those robots, with the same guarantees: the new secret is\n"
		"stored as pending before Harbor hears of it, checked with the token service\n"
		"before the old one is retired, then published. With no ROBOT it works on every\n"
		"robot and, like apply without --prune, also makes any other pending change.\n\n"
		"With rotate.slots: 1 the robot's secret is refreshed in place and every target\n"
		"is updated at once. With rotate.slots: 2 the robot is two Harbor robots\n"
		"(NAME-a, NAME-b): rotation refreshes the slot that is not published, checks it,\n"
		"publishes it, and leaves the other valid; that one is refreshed only once\n"
		"rotate.overlap has passed, so a credential a build read stays valid that long;\n"
		"until then the plan says when the rotation may happen.\n\n"
		"Exit status: 0 when every rotation succeeded; 1 otherwise; 64 for a bad config.\n",
	.opts = opts,
};
