/*
 * yaml2json.c - the deploy/ manifests as berth reads YAML, for the test that
 * checks them (tests/integration/t139-kube-deploy.sh).
 *
 *   yaml2json FILE...              every document of every file, as a JSON
 *                                  array of {"file": FILE, "doc": {...}};
 *                                  documents are split at lines "---"
 *   yaml2json --berth-config FILE  load FILE as a berth.yaml (exit 0, or the
 *                                  loader's file:line:column error and 1)
 *
 * Each document goes through berth_yaml_parse_json (one document, no
 * anchors: the subset berth accepts). Exit 0, 1 on a parse error (printed
 * with file:line:column, lines counted in the whole file), 2 on usage.
 */
#include "compat.h"
#include "buf.h"
#include "config.h"
#include "err.h"
#include "util.h"
#include "xalloc.h"

#include <jansson.h>

#define MAX_FILE (1 << 20)

/* Parse one document that starts at line 'first' (1-based) of file. */
static int add_doc(json_t *out, const char *file, const char *text, size_t len, int first)
{
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_buf padded = BERTH_BUF_INIT;
	json_t *doc = NULL;
	int ret;

	/* Blank lines before the document keep the parser's line numbers the file's. */
	for (int i = 1; i < first; i++)
		berth_buf_addch(&padded, '\n');
	berth_buf_add(&padded, text, len);
	ret = berth_yaml_parse_json(&doc, file, padded.buf, padded.len, &err);
	berth_buf_release(&padded);
	if (ret) {
		fprintf(stderr, "yaml2json: %s\n", err.msg);
		return 1;
	}
	if (json_is_null(doc)) {
		/* Comments only, e.g. before the first "---". */
		json_decref(doc);
		return 0;
	}
	json_array_append_new(out, json_pack("{s:s, s:o}", "file", file, "doc", doc));
	return 0;
}

static int add_file(json_t *out, const char *file)
{
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_buf text = BERTH_BUF_INIT;
	size_t start = 0, pos = 0;
	int line = 1, first = 1, ret = 0;

	if (berth_file_read(&text, file, MAX_FILE, &err)) {
		fprintf(stderr, "yaml2json: %s\n", err.msg);
		berth_buf_release(&text);
		return 1;
	}
	while (pos <= text.len && !ret) {
		size_t eol = pos;

		while (eol < text.len && text.buf[eol] != '\n')
			eol++;
		if (eol - pos == 3 && !memcmp(text.buf + pos, "---", 3)) {
			ret = add_doc(out, file, text.buf + start, pos - start, first);
			start = eol + 1 < text.len ? eol + 1 : text.len;
			first = line + 1;
		} else if (eol >= text.len) {
			ret = add_doc(out, file, text.buf + start, text.len - start, first);
			break;
		}
		pos = eol + 1;
		line++;
	}
	berth_buf_release(&text);
	return ret;
}

static int check_berth_config(const char *file)
{
	struct berth_config *cfg = NULL;
	struct berth_err err = BERTH_ERR_INIT;

	if (berth_config_load(&cfg, file, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	berth_config_free(cfg);
	return 0;
}

int main(int argc, char **argv)
{
	json_t *out;
	char *text;
	int ret = 0;

	if (argc == 3 && !strcmp(argv[1], "--berth-config"))
		return check_berth_config(argv[2]);
	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: yaml2json FILE... | yaml2json --berth-config FILE\n");
		return 2;
	}
	out = json_array();
	for (int i = 1; i < argc && !ret; i++)
		ret = add_file(out, argv[i]);
	if (!ret) {
		text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		puts(text);
		free(text);
	}
	json_decref(out);
	return ret;
}
