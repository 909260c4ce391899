/* cmd_apply.c - berth apply. */
#include "compat.h"
#include "cli.h"

static const char *config_file;

static const struct cli_opt opts[] = {
	{ "file", 'f', CLI_OPT_STRING, &config_file, "FILE", "the berth.yaml to read" },
	{ NULL },
};

static int cmd_apply(int argc, char **argv)
{
	return cli_not_implemented(&cmd_apply_def, argc, argv);
}

const struct cli_command cmd_apply_def = {
	.name = "apply",
	.run = cmd_apply,
	.synopsis = "berth apply -f FILE [--prune] [--dry-run]",
	.summary = "Make Harbor, the store and the targets match the config",
	.description = "",
	.opts = opts,
};
