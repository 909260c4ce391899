/* cmd_rotate.c - berth rotate. */
#include "compat.h"
#include "cli.h"

static const char *config_file;

static const struct cli_opt opts[] = {
	{ "file", 'f', CLI_OPT_STRING, &config_file, "FILE", "the berth.yaml to read" },
	{ NULL },
};

static int cmd_rotate(int argc, char **argv)
{
	return cli_not_implemented(&cmd_rotate_def, argc, argv);
}

const struct cli_command cmd_rotate_def = {
	.name = "rotate",
	.run = cmd_rotate,
	.synopsis = "berth rotate -f FILE [ROBOT...] [--now]",
	.summary = "Rotate robot secrets without breaking running builds",
	.description = "",
	.opts = opts,
};
