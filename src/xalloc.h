/*
 * xalloc.h - allocation that aborts on out-of-memory. OOM is not an error
 * code in berth: every caller would only propagate it (tmux, git).
 */
#ifndef BERTH_XALLOC_H
#define BERTH_XALLOC_H

#include <stddef.h>

/* Each returns memory owned by the caller, or aborts. Never returns NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* xstrdup(), but NULL stays NULL. */
char *xstrdup_or_null(const char *s);
/* A new string formatted like printf; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow *arr (of *alloc elements of size elem) so that it holds at least n. */
#define BERTH_ALLOC_GROW(arr, n, alloc) \
	do { \
		if ((n) > (alloc)) { \
			size_t berth_new_alloc__ = (alloc) ? (alloc) * 2 : 8; \
			while (berth_new_alloc__ < (n)) \
				berth_new_alloc__ *= 2; \
			(arr) = xrealloc((arr), berth_new_alloc__ * sizeof(*(arr))); \
			(alloc) = berth_new_alloc__; \
		} \
	} while (0)

#endif
