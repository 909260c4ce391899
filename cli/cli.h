/*
 * cli.h - the command table, option tables and the exit-code boundary.
 * Every command is a struct cli_command: its name, entry point, synopsis,
 * summary, help text and option table. --help and getopt_long are both
 * built from that one table, so they cannot drift apart.
 */
#ifndef BERTH_CLI_H
#define BERTH_CLI_H

#include <stdbool.h>
#include <stdio.h>

struct berth_err;

enum cli_exit {
	CLI_OK = 0,
	CLI_FAIL = 1,     /* runtime failure */
	CLI_CHANGES = 2,  /* plan --detailed-exitcode: changes pending; verify: a check failed */
	CLI_USAGE = 64,   /* usage or configuration error */
};

enum cli_opt_type {
	CLI_OPT_FLAG,     /* bool *target */
	CLI_OPT_STRING,   /* const char **target */
	CLI_OPT_INT,      /* long *target */
	CLI_OPT_LIST,     /* struct cli_strlist *target, repeatable */
};

struct cli_strlist {
	const char **v;
	int n;
};

struct cli_opt {
	const char *long_name;
	char short_name;        /* 0 for none */
	enum cli_opt_type type;
	void *target;
	const char *arg;        /* placeholder for --help, e.g. "FILE" */
	const char *help;
};

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
	const char *synopsis;   /* "berth plan -f FILE [options]" */
	const char *summary;    /* one line for the command list */
	const char *description; /* paragraphs for berth help NAME */
	const struct cli_opt *opts; /* terminated by { NULL } */
};

extern const struct cli_command *const cli_commands[];
extern const struct cli_command cmd_plan_def, cmd_apply_def, cmd_verify_def, cmd_rotate_def,
	cmd_render_def, cmd_run_def, cmd_version_def, cmd_help_def;

/*
 * Parse argv[1..] against cmd's options plus the global ones (--log-level,
 * --log-format, --help). On success *first is the index of the first
 * positional argument. Returns 0; CLI_USAGE after printing why; or -1 when
 * --help was given and printed (the caller returns CLI_OK).
 */
int cli_parse(const struct cli_command *cmd, int argc, char **argv, int *first);
void cli_print_help(FILE *f, const struct cli_command *cmd);
const struct cli_command *cli_find(const char *name);

/* Print "berth: <msg>" for err to stderr and return the exit code for its code. */
int cli_fail(const struct berth_err *err);
/* Print "berth: <fmt>" and return CLI_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The exit code for an error code. */
int cli_exit_for(int code);

void cli_strlist_add(struct cli_strlist *l, const char *s);

/* Parse options, then report that cmd is not implemented yet (exit 1). */
int cli_not_implemented(const struct cli_command *cmd, int argc, char **argv);

#endif
