/* cmd_run.c - berth run. */
#include "compat.h"
#include "cli.h"

static const char *config_file;

static const struct cli_opt opts[] = {
	{ "file", 'f', CLI_OPT_STRING, &config_file, "FILE", "the berth.yaml to read" },
	{ NULL },
};

static int cmd_run(int argc, char **argv)
{
	return cli_not_implemented(&cmd_run_def, argc, argv);
}

const struct cli_command cmd_run_def = {
	.name = "run",
	.run = cmd_run,
	.synopsis = "berth run -f FILE [--interval 5m] [--listen ADDR]",
	.summary = "Run as a controller: plan, apply, rotate and verify in a loop",
	.description = "",
	.opts = opts,
};
