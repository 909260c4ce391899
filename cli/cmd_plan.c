/* cmd_plan.c - berth plan. */
#include "compat.h"
#include "cli.h"

static const char *config_file;

static const struct cli_opt opts[] = {
	{ "file", 'f', CLI_OPT_STRING, &config_file, "FILE", "the berth.yaml to read" },
	{ NULL },
};

static int cmd_plan(int argc, char **argv)
{
	return cli_not_implemented(&cmd_plan_def, argc, argv);
}

const struct cli_command cmd_plan_def = {
	.name = "plan",
	.run = cmd_plan,
	.synopsis = "berth plan -f FILE [--detailed-exitcode] [--output text|json]",
	.summary = "Show what apply would change",
	.description = "",
	.opts = opts,
};
