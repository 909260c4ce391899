/* cmd_version.c - berth version. */
#include "compat.h"
#include "cli.h"
#include "version.h"

#include <curl/curlver.h>
#include <jansson.h>
#include <openssl/opensslv.h>
#include <yaml.h>

static int cmd_version(int argc, char **argv)
{
	int first, ret = cli_parse(&cmd_version_def, argc, argv, &first);

	if (ret)
		return ret < 0 ? CLI_OK : ret;
	if (first < argc)
		return cli_usage_error("version: takes no arguments");
	printf("berth %s\n", BERTH_VERSION);
	printf("built with libcurl %s, jansson %s, libyaml %s, %s\n", LIBCURL_VERSION,
	       JANSSON_VERSION, yaml_get_version_string(), OPENSSL_VERSION_TEXT);
	return CLI_OK;
}

const struct cli_command cmd_version_def = {
	.name = "version",
	.run = cmd_version,
	.synopsis = "berth version",
	.summary = "Print berth's version and the libraries it was built with",
	.description =
		"Prints berth's version, then the versions of libcurl, jansson, libyaml and\n"
		"OpenSSL it was compiled against. 'berth --version' prints the first line only.\n",
	.opts = NULL,
};
