/* cmd_verify.c - berth verify. */
#include "compat.h"
#include "cli.h"

static const char *config_file;

static const struct cli_opt opts[] = {
	{ "file", 'f', CLI_OPT_STRING, &config_file, "FILE", "the berth.yaml to read" },
	{ NULL },
};

static int cmd_verify(int argc, char **argv)
{
	return cli_not_implemented(&cmd_verify_def, argc, argv);
}

const struct cli_command cmd_verify_def = {
	.name = "verify",
	.run = cmd_verify,
	.synopsis = "berth verify -f FILE [--output text|json]",
	.summary = "Prove that each stored credential works, without writing",
	.description = "",
	.opts = opts,
};
