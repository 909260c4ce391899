/*
 * verify.h - prove, without writing anything, that each robot's stored
 * credential works: ask Harbor's token service, as the robot, for the
 * scopes its permissions should grant and read the granted actions from
 * the JWT (status codes alone cannot tell an expired robot or a wrong
 * secret from a good one); and check that every published Secret and file
 * carries the current stored credential.
 */
#ifndef BERTH_VERIFY_H
#define BERTH_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct berth_buf;
struct berth_err;
struct berth_secret;
struct berth_session;

enum berth_check {
	BERTH_CHECK_OK = 0,
	BERTH_CHECK_MISSING_ROBOT,   /* no such robot in Harbor */
	BERTH_CHECK_NO_SECRET,       /* nothing usable in the store */
	BERTH_CHECK_WRONG_SECRET,    /* Harbor treats the stored credential as anonymous */
	BERTH_CHECK_EXPIRED,         /* the robot expired (date in detail) */
	BERTH_CHECK_DISABLED,
	BERTH_CHECK_MISSING_RIGHTS,  /* granted less than its permissions say (which in detail) */
	BERTH_CHECK_STALE_TARGET,    /* a Secret/file does not carry the stored credential */
	BERTH_CHECK_ERROR,           /* could not check */
};

struct berth_verify_result {
	char *robot;      /* config name */
	char *login;
	char *target;     /* NULL for the robot check; "Secret ns/name" or "file PATH" */
	enum berth_check check;
	char *detail;
};

struct berth_verify_report {
	struct berth_verify_result *v;
	size_t n;
	size_t failed;    /* checks that are not OK (ERROR excluded) */
	size_t errors;    /* checks that could not run */
};

/* Max projects probed for a "*" permission. */
#define BERTH_VERIFY_MAX_PROJECTS 10

/*
 * Verify every wanted robot of a session whose state was read. Network
 * I/O (the token service), no writes. Returns 0 (see the report), or a
 * code when nothing could be checked.
 */
int berth_verify(struct berth_session *s, struct berth_verify_report *out, struct berth_err *err);

/*
 * Check one credential with the token service: *refused is true when
 * Harbor treats it as anonymous. Used by apply --verify-secrets and
 * rotation. Network I/O.
 */
int berth_verify_credential(struct berth_session *s, const char *login, const struct berth_secret *secret,
			    bool *refused, struct berth_err *err);

void berth_verify_report_release(struct berth_verify_report *r);
void berth_verify_render_text(struct berth_buf *out, const struct berth_verify_report *r);
void berth_verify_render_json(struct berth_buf *out, const struct berth_verify_report *r);
const char *berth_check_name(enum berth_check c);

#endif
