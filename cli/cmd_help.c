/* cmd_help.c - berth help [COMMAND]. */
#include "compat.h"
#include "cli.h"

void cli_print_main_help(FILE *f);

static int cmd_help(int argc, char **argv)
{
	const struct cli_command *cmd;
	int first, ret = cli_parse(&cmd_help_def, argc, argv, &first);

	if (ret)
		return ret < 0 ? CLI_OK : ret;
	if (first >= argc) {
		cli_print_main_help(stdout);
		return CLI_OK;
	}
	if (first + 1 < argc)
		return cli_usage_error("help: takes one command name");
	cmd = cli_find(argv[first]);
	if (!cmd)
		return cli_usage_error("help: '%s' is not a berth command", argv[first]);
	cli_print_help(stdout, cmd);
	return CLI_OK;
}

const struct cli_command cmd_help_def = {
	.name = "help",
	.run = cmd_help,
	.synopsis = "berth help [COMMAND]",
	.summary = "Show the commands, or one command's options",
	.description =
		"With no COMMAND, lists the commands (as 'berth --help' does). With one, prints\n"
		"its usage, description and options: the same text as 'berth COMMAND --help'.\n\n"
		"Exit status: 0; 64 when COMMAND is not a berth command.\n",
	.opts = NULL,
};
