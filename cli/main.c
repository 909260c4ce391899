/*
 * main.c - berth's entry point: process hardening, global options, and
 * dispatch through the command table. Commands return exit codes; only
 * this file turns them into the process status.
 */
#include "compat.h"
#include "cli.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "version.h"

#include <libgen.h>
#include <malloc.h>
#include <sys/prctl.h>
#include <sys/resource.h>

const struct cli_command *const cli_commands[] = {
	&cmd_plan_def, &cmd_apply_def, &cmd_verify_def, &cmd_rotate_def, &cmd_render_def,
	&cmd_run_def, &cmd_version_def, &cmd_help_def, NULL,
};

static void harden(void)
{
	struct rlimit none = { 0, 0 };

	/* Secrets live in this process: no core dumps, no ptrace by other users. */
	setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/*
 * glibc gives each thread that allocates its own arena (up to 8 per CPU);
 * berth's worker threads each allocate a little and the arenas' free space
 * adds up (a warm run of 10,000 robots: 119 MiB peak RSS, 97 MiB with two
 * arenas). Two arenas keep contention low for eight threads that spend
 * their time waiting on the network.
 */
static void limit_arenas(void)
{
#ifdef M_ARENA_MAX
	mallopt(M_ARENA_MAX, 2);
#endif
}

int credhelper_main(int argc, char **argv);
void cli_print_main_help(FILE *f);
void cli_print_main_help(FILE *f)
{
	fputs("usage: berth [--log-level SPEC] [--log-format text|json] COMMAND [ARGS]\n\n"
	      "berth owns the credential chain between Harbor and CI: robot accounts,\n"
	      "their secrets in Vault, a file store or Kubernetes Secrets,\n"
	      "dockerconfigjson Secrets and config.json files.\n\ncommands:\n", f);
	for (size_t i = 0; cli_commands[i]; i++)
		fprintf(f, "  %-10s %s\n", cli_commands[i]->name, cli_commands[i]->summary);
	fputs("\nSee 'berth help COMMAND' for a command's options.\n", f);
}

int main(int argc, char **argv)
{
	const struct cli_command *cmd;
	const char *env_log = getenv("BERTH_LOG");
	int i = 1, ret;

	harden();
	limit_arenas();
	berth_json_init();
	berth_http_global_init();
	{
		char *copy = strdup(argv[0] ? argv[0] : "berth");
		bool helper = copy && !strncmp(basename(copy), "docker-credential-", 18);

		free(copy);
		if (helper) {
			berth_log_configure(env_log ? env_log : "warn");
			return credhelper_main(argc, argv);
		}
	}
	if (env_log && berth_log_configure(env_log))
		fprintf(stderr, "berth: ignoring bad BERTH_LOG '%s'\n", env_log);

	/* Global options may also come before the command. */
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			cli_print_main_help(stdout);
			return CLI_OK;
		}
		if (!strcmp(a, "--version")) {
			printf("berth %s\n", BERTH_VERSION);
			return CLI_OK;
		}
		if (!strcmp(a, "--log-level") || !strcmp(a, "--log-format")) {
			if (i + 1 >= argc)
				return cli_usage_error("%s needs a value", a);
			if (!strcmp(a, "--log-level") && berth_log_configure(argv[i + 1]))
				return cli_usage_error("--log-level: bad spec '%s'", argv[i + 1]);
			if (!strcmp(a, "--log-format")) {
				if (!strcmp(argv[i + 1], "json"))
					berth_log_set_format(BERTH_LOG_JSON);
				else if (strcmp(argv[i + 1], "text"))
					return cli_usage_error("--log-format: must be text or json");
			}
			i++;
			continue;
		}
		return cli_usage_error("unknown option '%s' (see 'berth --help')", a);
	}
	if (i >= argc) {
		cli_print_main_help(stderr);
		return CLI_USAGE;
	}
	cmd = cli_find(argv[i]);
	if (!cmd)
		return cli_usage_error("'%s' is not a berth command (see 'berth --help')", argv[i]);
	ret = cmd->run(argc - i, argv + i);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "berth: error writing to stdout\n");
		return CLI_FAIL;
	}
	return ret;
}
