/* cmd_render.c - berth render. */
#include "compat.h"
#include "cli.h"

static const char *config_file;

static const struct cli_opt opts[] = {
	{ "file", 'f', CLI_OPT_STRING, &config_file, "FILE", "the berth.yaml to read" },
	{ NULL },
};

static int cmd_render(int argc, char **argv)
{
	return cli_not_implemented(&cmd_render_def, argc, argv);
}

const struct cli_command cmd_render_def = {
	.name = "render",
	.run = cmd_render,
	.synopsis = "berth render -f FILE ROBOT --format dockerconfigjson|secret|externalsecret|tekton",
	.summary = "Print a robot's config.json, Secret or ESO/Tekton wiring",
	.description = "",
	.opts = opts,
};
