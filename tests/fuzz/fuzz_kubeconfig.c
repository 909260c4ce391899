/*
 * fuzz_kubeconfig.c - a kubeconfig file (written to a temporary file, as
 * berth reads it) through berth_kube_new(): YAML, the context, cluster and
 * user lookups, *-data fields, the refusal of exec and auth-provider
 * plugins. No request is sent. Invariants: 0 with a namespace, or
 * BERTH_ECONFIG, BERTH_ENOTFOUND or BERTH_EIO with a message; no token,
 * password or client key of the file appears in the message.
 */
#include "compat.h"
#include "fuzz.h"
#include "buf.h"
#include "config.h"
#include "err.h"
#include "json.h"
#include "kube.h"
#include "xalloc.h"

#include <strings.h>
#include <unistd.h>

static char *path;

static void remove_file(void)
{
	unlink(path);
	free(path);
}

/* Collect the credential strings of doc (and count how often each string occurs). */
static void credentials(const json_t *v, bool hidden, struct berth_buf *secrets, struct berth_buf *all)
{
	const char *key;
	json_t *val;
	size_t i;

	if (json_is_string(v)) {
		berth_buf_addstr(hidden ? secrets : all, json_string_value(v));
		berth_buf_addch(hidden ? secrets : all, '\n');
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, val) {
			bool h = !strcmp(key, "token") || !strcmp(key, "password") ||
				 !strcmp(key, "client-key-data");

			berth_buf_addstr(all, key);
			berth_buf_addch(all, '\n');
			credentials(val, hidden || h, secrets, all);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, val)
			credentials(val, hidden, secrets, all);
	}
}

static void check_message(const char *data, size_t size, const char *msg)
{
	struct berth_buf secrets = BERTH_BUF_INIT, all = BERTH_BUF_INIT;
	json_t *doc = NULL;

	if (berth_yaml_parse_json(&doc, "kubeconfig", data, size, NULL))
		return;
	credentials(doc, false, &secrets, &all);
	for (char *s = secrets.buf, *nl; (nl = strchr(s, '\n')); s = nl + 1) {
		*nl = '\0';
		/* Short values, and values that are also names or other fields, may be quoted as those. */
		if (strlen(s) >= 8 && !strstr(all.buf, s))
			BERTH_FUZZ_CHECK(!strstr(msg, s), msg);
	}
	json_decref(doc);
	berth_buf_release(&secrets);
	berth_buf_release(&all);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_kube_config cfg = { 0 };
	struct berth_err err = BERTH_ERR_INIT;
	struct berth_kube *k = NULL;
	FILE *f;
	int ret;

	if (!path) {
		char tmpl[] = "/tmp/berth-fuzz-kubeconfig-XXXXXX";
		int fd = mkstemp(tmpl);

		BERTH_FUZZ_CHECK(fd >= 0, "mkstemp");
		close(fd);
		path = xstrdup(tmpl);
		atexit(remove_file);
		unsetenv("KUBERNETES_SERVICE_HOST");
	}
	f = fopen(path, "w");
	BERTH_FUZZ_CHECK(f && fwrite(data, 1, size, f) == size && !fclose(f), path);
	cfg.kubeconfig = path;
	ret = berth_kube_new(&k, &cfg, &err);
	if (ret) {
		BERTH_FUZZ_CHECK(!k, NULL);
		BERTH_FUZZ_CHECK((ret == BERTH_ECONFIG || ret == BERTH_ENOTFOUND || ret == BERTH_EIO) &&
				 err.code == ret && err.msg[0], err.msg);
		check_message((const char *)data, size, err.msg);
	} else {
		BERTH_FUZZ_CHECK(k && berth_kube_default_namespace(k), NULL);
	}
	berth_kube_free(k);
	return 0;
}
