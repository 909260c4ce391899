/* exec.c - run independent jobs on a bounded pool of threads. */
#include "compat.h"
#include "exec.h"
#include "err.h"
#include "xalloc.h"

#include <pthread.h>

struct pool {
	berth_exec_fn *fn;
	void *payload;
	struct berth_err *errs;
	size_t n;
	size_t next;     /* next job to hand out */
	size_t failed;
	pthread_mutex_t lock;
};

static void run_one(struct pool *p, size_t i)
{
	struct berth_err local = BERTH_ERR_INIT;
	struct berth_err *e = p->errs ? &p->errs[i] : &local;
	int ret;

	berth_err_clear(e);
	ret = p->fn(i, p->payload, e);
	/* A job may succeed after an error it handled (ENOTFOUND): its slot says success. */
	if (!ret)
		berth_err_clear(e);
	if (ret) {
		if (e->code == BERTH_OK)
			e->code = ret;
		pthread_mutex_lock(&p->lock);
		p->failed++;
		pthread_mutex_unlock(&p->lock);
	}
}

static void *worker(void *arg)
{
	struct pool *p = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&p->lock);
		i = p->next < p->n ? p->next++ : p->n;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->n)
			return NULL;
		run_one(p, i);
	}
}

size_t berth_exec_run(size_t n, int concurrency, berth_exec_fn *fn, void *payload,
		      struct berth_err *errs)
{
	struct pool p = { .fn = fn, .payload = payload, .errs = errs, .n = n };
	pthread_t *threads;
	size_t nthreads;

	if (!n)
		return 0;
	pthread_mutex_init(&p.lock, NULL);
	nthreads = concurrency > 1 ? (size_t)concurrency : 1;
	if (nthreads > n)
		nthreads = n;
	if (nthreads == 1) {
		for (size_t i = 0; i < n; i++)
			run_one(&p, i);
		pthread_mutex_destroy(&p.lock);
		return p.failed;
	}
	threads = xcalloc(nthreads, sizeof(*threads));
	for (size_t t = 0; t < nthreads; t++)
		if (pthread_create(&threads[t], NULL, worker, &p))
			BERTH_BUG("pthread_create failed");
	for (size_t t = 0; t < nthreads; t++)
		pthread_join(threads[t], NULL);
	free(threads);
	pthread_mutex_destroy(&p.lock);
	return p.failed;
}
