/*
 * secret.h - an opaque secret value. The bytes are reachable only through
 * berth_secret_reveal(), so a secret cannot reach a printf by accident, and
 * berth_secret_free() wipes them. Copies handed to libraries (request
 * bodies, JSON) are the caller's to wipe.
 */
#ifndef BERTH_SECRET_H
#define BERTH_SECRET_H

#include <stdbool.h>
#include <stddef.h>

struct berth_err;
struct berth_secret;

/* A new secret holding a copy of data[0..len). Never fails (aborts on OOM). */
struct berth_secret *berth_secret_new(const void *data, size_t len);
/* berth_secret_new() over a NUL-terminated string. */
struct berth_secret *berth_secret_from_str(const char *s);
struct berth_secret *berth_secret_dup(const struct berth_secret *s);

/*
 * Read a secret from a file; one trailing newline (\n or \r\n) is dropped.
 * Returns 0, BERTH_ENOTFOUND, BERTH_EIO or BERTH_ECONFIG (empty file).
 */
int berth_secret_from_file(struct berth_secret **out, const char *path, struct berth_err *err);

/*
 * Read a secret from environment variable 'name', then wipe the value in
 * place and unset it, so that it no longer shows in /proc/PID/environ nor
 * reaches child processes. Returns 0, BERTH_ENOTFOUND (unset) or BERTH_ECONFIG (empty).
 */
int berth_secret_from_env(struct berth_secret **out, const char *name, struct berth_err *err);

/*
 * A new random secret of len characters from [A-Za-z0-9] (CSPRNG) holding at
 * least one upper-case letter, one lower-case letter and one digit: Harbor's
 * rule for robot secrets. len must be 8..128. Returns 0 or BERTH_ERROR when
 * the system random source fails.
 */
int berth_secret_generate(struct berth_secret **out, size_t len, struct berth_err *err);

/* The bytes (NUL-terminated) and their length. Borrowed; valid while s lives. */
const char *berth_secret_reveal(const struct berth_secret *s, size_t *len);
size_t berth_secret_len(const struct berth_secret *s);
/* Constant-time comparison. Two NULLs are equal. */
bool berth_secret_equal(const struct berth_secret *a, const struct berth_secret *b);
/* Lowercase hex SHA-256 of the bytes into out[65]; for fingerprints, never for logs of short secrets. */
void berth_secret_sha256_hex(const struct berth_secret *s, char out[65]);
/* Wipe and free. NULL-safe. */
void berth_secret_free(struct berth_secret *s);

#endif
