/*
 * compat.h - first include of every berth source file: feature macros,
 * attribute shorthands, the system headers everyone needs, and the list of
 * C library calls we do not use (banned at the end, after system headers).
 */
#ifndef BERTH_COMPAT_H
#define BERTH_COMPAT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BERTH_MUST_CHECK __attribute__((warn_unused_result))
#define BERTH_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define BERTH_NORETURN __attribute__((noreturn))
#define BERTH_UNUSED __attribute__((unused))
#define BERTH_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Programming errors: print where and abort, in every build. */
BERTH_NORETURN BERTH_PRINTF(3, 4) void berth_bug_at(const char *file, int line, const char *fmt, ...);
#define BERTH_BUG(...) berth_bug_at(__FILE__, __LINE__, __VA_ARGS__)
#define BERTH_ASSERT(cond) \
	do { \
		if (!(cond)) \
			berth_bug_at(__FILE__, __LINE__, "assertion failed: %s", #cond); \
	} while (0)

#include "banned.h"

#endif
