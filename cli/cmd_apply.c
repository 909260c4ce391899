/* cmd_apply.c - berth apply: make Harbor, the store and the targets match the config. */
#include "compat.h"
#include "cli.h"
#include "common.h"
#include "apply.h"
#include "buf.h"
#include "config.h"
#include "err.h"
#include "log.h"
#include "plan.h"
#include "session.h"

static const char *config_file;
static bool prune;
static bool dry_run;
static long concurrency = 8;
static bool verify_secrets;
static const char *output;

static const struct cli_opt opts[] = {
	{ "file", 'f', CLI_OPT_STRING, &config_file, "FILE", "the berth.yaml to read (default $BERTH_CONFIG, ./berth.yaml)" },
	{ "prune", 0, CLI_OPT_FLAG, &prune, NULL, "delete berth's robots (and their store entries and Secrets) that the config no longer names" },
	{ "dry-run", 'n', CLI_OPT_FLAG, &dry_run, NULL, "print the plan and change nothing" },
	{ "verify-secrets", 0, CLI_OPT_FLAG, &verify_secrets, NULL, "ask Harbor's token service whether each stored secret still works; give refused ones a new secret" },
	{ "concurrency", 'j', CLI_OPT_INT, &concurrency, "N", "robots worked on in parallel (default 8)" },
	{ "output", 'o', CLI_OPT_STRING, &output, "FMT", "text (default) or json, for --dry-run" },
	{ NULL },
};

static int cmd_apply(int argc, char **argv)
{
	struct cli_planned r;
	struct berth_plan_opts po = { 0 };
	struct berth_apply_report report = { 0 };
	struct berth_buf out = BERTH_BUF_INIT;
	struct berth_err err = BERTH_ERR_INIT;
	int first, ret, fmt;

	ret = cli_parse(&cmd_apply_def, argc, argv, &first);
	if (ret)
		return ret < 0 ? CLI_OK : ret;
	if (first < argc)
		return cli_usage_error("apply: unexpected argument '%s'", argv[first]);
	fmt = cli_output_format("apply", output);
	if (fmt < 0)
		return CLI_USAGE;
	if ((ret = cli_check_concurrency("apply", concurrency)))
		return ret;
	po.prune = prune;
	ret = cli_plan(&r, config_file, concurrency, prune, verify_secrets, &po);
	if (ret)
		goto out;
	if (dry_run || r.plan->nerrors) {
		if (fmt)
			berth_plan_render_json(&out, r.plan);
		else
			berth_plan_render_text(&out, r.plan);
		fwrite(out.buf, 1, out.len, stdout);
		if (r.plan->nerrors)
			fprintf(stderr, "berth: the plan has errors; nothing was changed\n");
		ret = r.plan->nerrors ? CLI_FAIL : CLI_OK;
		goto out;
	}
	ret = berth_session_apply(r.s, r.plan, &report, &err);
	berth_apply_report_render(&out, r.plan, &report);
	fwrite(out.buf, 1, out.len, stdout);
	if (ret) {
		fprintf(stderr, "berth: %s\n", err.msg);
		ret = cli_exit_for(err.code) == CLI_USAGE ? CLI_USAGE : CLI_FAIL;
	}
	{
		char *counts = berth_session_request_counts(r.s);

		berth_log_info("apply", "requests: %s", counts);
		free(counts);
	}
out:
	berth_buf_release(&out);
	berth_apply_report_release(&report);
	cli_planned_release(&r);
	return ret;
}

const struct cli_command cmd_apply_def = {
	.name = "apply",
	.run = cmd_apply,
	.synopsis = "berth apply [-f FILE] [--prune] [--dry-run] [--verify-secrets] [--output text|json] [-j N]",
	.summary = "Make Harbor, the store and the targets match the config",
	.description =
		"Reads the actual state like 'berth plan', then makes it so, robots in parallel:\n"
		"creates missing robots; fixes permission, description, duration and disable drift\n"
		"in place with PUT (same robot id); renews expiring robots (secret unchanged); gives\n"
		"a robot whose store entry is missing or unusable a new secret (same robot, never\n"
		"delete and recreate); publishes dockerconfigjson Secrets and config.json files.\n\n"
		"Secrets never leave a gap: berth generates each one (CSPRNG, 40 characters),\n"
		"stores it as pending, sets it in Harbor, then marks it active - a crash at any\n"
		"point is healed by the next run. The store is a local file store by default, or\n"
		"HashiCorp Vault (KV v1 or v2, check-and-set) with store.vault, or Kubernetes\n"
		"Secrets with store.kubernetes. A second apply with nothing changed writes nothing.\n\n"
		"berth only changes robots, store entries and Secrets it marked as its own;\n"
		"adopt: true takes over an existing one. Without --prune, robots berth made that\n"
		"the config no longer lists are reported as orphans.\n\n"
		"Exit status: 0 when everything succeeded; 1 when a robot failed (others still\n"
		"ran) or the plan had errors (then nothing changed); 64 for a bad config.\n",
	.opts = opts,
};
