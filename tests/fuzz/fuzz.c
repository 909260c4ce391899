/*
 * fuzz.c - setup and helpers linked into every fuzz target. The setup
 * mirrors cli/main.c: jansson's wiping allocator is installed before any
 * JSON is touched, so a target frees with the allocator berth uses.
 */
#include "compat.h"
#include "fuzz.h"
#include "json.h"
#include "log.h"
#include "xalloc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* The configuration loader reads these for defaults; a fuzz run must not depend on them. */
	static const char *const env[] = {
		"HARBOR_URL", "HARBOR_USERNAME", "VAULT_ADDR", "VAULT_AGENT_ADDR", "VAULT_NAMESPACE",
		"VAULT_CACERT", "VAULT_TOKEN", "KUBECONFIG", "BERTH_FAKE_NOW", "BERTH_LOG",
	};

	(void)argc;
	(void)argv;
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(env); i++)
		unsetenv(env[i]);
	berth_json_init();
	berth_log_configure("error");
	return 0;
}

char *berth_fuzz_str(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

char *berth_fuzz_fields(const uint8_t *data, size_t size, size_t n, char **fields, size_t *lens)
{
	char *all = berth_fuzz_str(data, size);
	char *p = all, *end = all + size;

	for (size_t i = 0; i < n; i++) {
		char *nl = i + 1 < n ? memchr(p, '\n', (size_t)(end - p)) : NULL;

		fields[i] = p;
		if (nl) {
			*nl = '\0';
			lens[i] = (size_t)(nl - p);
			p = nl + 1;
		} else {
			lens[i] = (size_t)(end - p);
			p = end;
		}
	}
	return all;
}

void berth_fuzz_fail(const char *file, int line, const char *what, const char *detail)
{
	fprintf(stderr, "%s:%d: invariant broken: %s%s%s\n", file, line, what, detail ? ": " : "",
		detail ? detail : "");
	abort();
}
