/* http_fake.c - berth_http_do() answering from a script (see http_fake.h). Thread-safe. */
#include "compat.h"
#include "http_fake.h"
#include "buf.h"
#include "err.h"
#include "http.h"
#include "xalloc.h"

#include <pthread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const struct berth_fake_resp *script;
static size_t nscript, next, requests;

void berth_fake_http_script(const struct berth_fake_resp *v, size_t n)
{
	pthread_mutex_lock(&lock);
	script = v;
	nscript = n;
	next = 0;
	requests = 0;
	pthread_mutex_unlock(&lock);
}

size_t berth_fake_http_requests(void)
{
	size_t n;

	pthread_mutex_lock(&lock);
	n = requests;
	pthread_mutex_unlock(&lock);
	return n;
}

int berth_http_do(struct berth_http *h, const struct berth_http_req *req,
		  struct berth_http_resp *resp, struct berth_err *err)
{
	const struct berth_fake_resp *r = NULL;

	BERTH_ASSERT(req->method && (req->path || req->url) && req->op);
	pthread_mutex_lock(&lock);
	requests++;
	if (next < nscript)
		r = &script[next++];
	pthread_mutex_unlock(&lock);
	berth_http_resp_release(resp);
	if (!r)
		return berth_err_set(err, BERTH_ENET, "%s: %s: no response (the fuzz script is spent)",
				     berth_http_service(h), req->op);
	resp->status = r->status;
	resp->total_count = r->total_count;
	resp->retry_after_s = r->retry_after_s;
	resp->link = xstrdup_or_null(r->link);
	resp->www_authenticate = xstrdup_or_null(r->www_authenticate);
	snprintf(resp->content_type, sizeof(resp->content_type), "application/json");
	berth_buf_add(&resp->body, r->body, r->len);
	resp->attempts = 1;
	return 0;
}
