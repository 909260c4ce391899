/*
 * common.h - what several commands share: loading the config and opening
 * a session, with errors printed once and turned into exit codes.
 */
#ifndef BERTH_CLI_COMMON_H
#define BERTH_CLI_COMMON_H

#include <stdbool.h>

struct berth_config;
struct berth_session;
struct berth_session_opts;

/* The config file: -f, else $BERTH_CONFIG, else ./berth.yaml. */
const char *cli_config_path(const char *opt);

/* Load the config; on failure print why and return the exit code (64). */
int cli_load_config(const char *opt, struct berth_config **out);

/* Open a session and read the actual state; on failure print why and return the exit code. */
int cli_open_session(const struct berth_config *cfg, const struct berth_session_opts *opts,
		     struct berth_session **out);

/* A planned run: config, session with the actual state read, and the plan. */
struct cli_planned {
	struct berth_config *cfg;
	struct berth_session *s;
	struct berth_plan *plan;
	bool *refused;
};

/*
 * Load the config, open a session, read the actual state, optionally ask
 * the token service about every stored secret, and plan with po (whose
 * verify fields are filled here). Returns 0, or the exit code after
 * printing why. Release with cli_planned_release() in every case.
 */
struct berth_plan_opts;
int cli_plan(struct cli_planned *r, const char *config_file, long concurrency, bool scan_all_projects,
	     bool verify_secrets, struct berth_plan_opts *po);
void cli_planned_release(struct cli_planned *r);

/* Parse --output text|json. Returns 0 (text), 1 (json), or -1 after printing why. */
int cli_output_format(const char *cmd, const char *value);

/* Validate --concurrency; returns 0 or CLI_USAGE after printing why. */
int cli_check_concurrency(const char *cmd, long value);

#endif
