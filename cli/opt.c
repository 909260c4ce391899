/* opt.c - option tables to getopt_long, --help text, and error reporting. */
#include "compat.h"
#include "cli.h"
#include "err.h"
#include "log.h"
#include "xalloc.h"

#include <getopt.h>

static const char *log_level_arg;
static const char *log_format_arg;
static bool help_flag;

static const struct cli_opt global_opts[] = {
	{ "log-level", 0, CLI_OPT_STRING, &log_level_arg, "SPEC",
	  "log level: error|warn|info|debug|trace, with component overrides (info,http:trace)" },
	{ "log-format", 0, CLI_OPT_STRING, &log_format_arg, "FMT", "log line format: text|json" },
	{ "help", 'h', CLI_OPT_FLAG, &help_flag, NULL, "show this help" },
	{ NULL },
};

void cli_strlist_add(struct cli_strlist *l, const char *s)
{
	l->v = xrealloc(l->v, sizeof(*l->v) * (size_t)(l->n + 1));
	l->v[l->n++] = s;
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("berth: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_USAGE;
}

int cli_exit_for(int code)
{
	switch (code) {
	case BERTH_OK:
		return CLI_OK;
	case BERTH_ECONFIG:
	case BERTH_EUSAGE:
		return CLI_USAGE;
	default:
		return CLI_FAIL;
	}
}

int cli_fail(const struct berth_err *err)
{
	fprintf(stderr, "berth: %s\n", err->msg[0] ? err->msg : berth_err_code_name(err->code));
	return cli_exit_for(err->code);
}

static void print_opts(FILE *f, const struct cli_opt *opts)
{
	for (const struct cli_opt *o = opts; o && o->long_name; o++) {
		char left[64];

		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->long_name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->long_name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		if (strlen(left) > 26)
			fprintf(f, "  %s\n  %-26s %s\n", left, "", o->help);
		else
			fprintf(f, "  %-26s %s\n", left, o->help);
	}
}

void cli_print_help(FILE *f, const struct cli_command *cmd)
{
	fprintf(f, "usage: %s\n\n%s\n", cmd->synopsis, cmd->summary);
	if (cmd->description && *cmd->description)
		fprintf(f, "\n%s", cmd->description);
	if (cmd->opts && cmd->opts->long_name) {
		fputs("\noptions:\n", f);
		print_opts(f, cmd->opts);
	}
	fputs("\nglobal options:\n", f);
	print_opts(f, global_opts);
}

const struct cli_command *cli_find(const char *name)
{
	for (size_t i = 0; cli_commands[i]; i++)
		if (!strcmp(cli_commands[i]->name, name))
			return cli_commands[i];
	return NULL;
}

static int apply_globals(void)
{
	if (log_level_arg && berth_log_configure(log_level_arg))
		return cli_usage_error("--log-level: bad spec '%s' (levels: error warn info debug trace)",
				       log_level_arg);
	if (log_format_arg) {
		if (!strcmp(log_format_arg, "text"))
			berth_log_set_format(BERTH_LOG_TEXT);
		else if (!strcmp(log_format_arg, "json"))
			berth_log_set_format(BERTH_LOG_JSON);
		else
			return cli_usage_error("--log-format: must be text or json, not '%s'",
					       log_format_arg);
	}
	return 0;
}

int cli_parse(const struct cli_command *cmd, int argc, char **argv, int *first)
{
	const struct cli_opt *tables[2] = { cmd->opts, global_opts };
	struct option *lopts;
	const struct cli_opt **map;
	char shorts[128] = ":";
	size_t n = 0, k = 0, sl = 1;
	int ret = 0;

	for (int t = 0; t < 2; t++)
		for (const struct cli_opt *o = tables[t]; o && o->long_name; o++)
			n++;
	lopts = xcalloc(n + 1, sizeof(*lopts));
	map = xcalloc(n + 1, sizeof(*map));
	for (int t = 0; t < 2; t++) {
		for (const struct cli_opt *o = tables[t]; o && o->long_name; o++) {
			lopts[k].name = o->long_name;
			lopts[k].has_arg = o->type == CLI_OPT_FLAG ? no_argument : required_argument;
			lopts[k].val = 256 + (int)k;
			map[k] = o;
			if (o->short_name && sl + 3 < sizeof(shorts)) {
				shorts[sl++] = o->short_name;
				if (o->type != CLI_OPT_FLAG)
					shorts[sl++] = ':';
			}
			k++;
		}
	}
	shorts[sl] = '\0';
	help_flag = false;
	optind = 1;
	opterr = 0;
	for (;;) {
		int lidx = -1;
		int c = getopt_long(argc, argv, shorts, lopts, &lidx);
		const struct cli_opt *o = NULL;

		if (c == -1)
			break;
		if (c == '?' || c == ':') {
			if (optopt && optopt < 256)
				ret = cli_usage_error("%s: unknown option '-%c' (see 'berth help %s')",
						      cmd->name, optopt, cmd->name);
			else
				ret = cli_usage_error("%s: unknown option or missing value '%s' "
						      "(see 'berth help %s')",
						      cmd->name, argv[optind - 1], cmd->name);
			goto out;
		}
		if (c >= 256) {
			o = map[c - 256];
		} else {
			for (size_t i = 0; i < n; i++)
				if (map[i]->short_name == c)
					o = map[i];
		}
		if (!o)
			BERTH_BUG("option table mismatch for '%c'", c);
		switch (o->type) {
		case CLI_OPT_FLAG:
			*(bool *)o->target = true;
			break;
		case CLI_OPT_STRING:
			*(const char **)o->target = optarg;
			break;
		case CLI_OPT_INT: {
			char *end;
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg) {
				ret = cli_usage_error("%s: --%s expects a whole number, not '%s'",
						      cmd->name, o->long_name, optarg);
				goto out;
			}
			*(long *)o->target = v;
			break;
		}
		case CLI_OPT_LIST:
			cli_strlist_add(o->target, optarg);
			break;
		}
	}
	if (help_flag) {
		cli_print_help(stdout, cmd);
		ret = -1;
		goto out;
	}
	ret = apply_globals();
	*first = optind;
out:
	free(lopts);
	free(map);
	return ret;
}

int cli_not_implemented(const struct cli_command *cmd, int argc, char **argv)
{
	int first, ret = cli_parse(cmd, argc, argv, &first);

	if (ret)
		return ret < 0 ? CLI_OK : ret;
	fprintf(stderr, "berth: %s: not implemented yet\n", cmd->name);
	return CLI_FAIL;
}
