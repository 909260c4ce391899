/*
 * fuzz.h - what berth's libFuzzer targets share: the entry points'
 * prototypes, process setup done once as berth's main does it, and an
 * invariant check that aborts (libFuzzer then keeps the input).
 */
#ifndef BERTH_FUZZ_H
#define BERTH_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A NUL-terminated copy of data[0..size), for APIs that take C strings. Caller frees. */
char *berth_fuzz_str(const uint8_t *data, size_t size);

/*
 * Split data at the first n - 1 newlines into n NUL-terminated fields (the
 * last one takes the rest, newlines and all). Missing fields are empty.
 * Returns one allocation holding every field (caller frees it); lens[i]
 * is each field's length.
 */
char *berth_fuzz_fields(const uint8_t *data, size_t size, size_t n, char **fields, size_t *lens);

void berth_fuzz_fail(const char *file, int line, const char *what, const char *detail)
	__attribute__((noreturn));
#define BERTH_FUZZ_CHECK(cond, detail) \
	do { \
		if (!(cond)) \
			berth_fuzz_fail(__FILE__, __LINE__, #cond, (detail)); \
	} while (0)

#endif
