/*
 * exec.h - the executor: run n independent jobs on up to 'concurrency'
 * threads. Each job's steps stay ordered inside its own function; jobs do
 * not share state except through thread-safe clients. Errors are kept per
 * job, so one failing robot does not stop the others.
 */
#ifndef BERTH_EXEC_H
#define BERTH_EXEC_H

#include <stddef.h>

struct berth_err;

/* A job: index i of n; returns 0 or a negative code with err filled. */
typedef int berth_exec_fn(size_t i, void *payload, struct berth_err *err);

/*
 * Run fn(i) for every i in [0, n) on up to concurrency threads (1 runs
 * inline, in order). errs, when not NULL, is an array of n errors that
 * receives each job's error (code 0 when it succeeded). Returns the number
 * of jobs that failed.
 */
size_t berth_exec_run(size_t n, int concurrency, berth_exec_fn *fn, void *payload,
		      struct berth_err *errs);

#endif
