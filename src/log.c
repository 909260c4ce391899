/* log.c - leveled, per-component logging to stderr. */
#include "compat.h"
#include "log.h"
#include "buf.h"
#include "json.h"

#include <jansson.h>
#include <pthread.h>
#include <sys/time.h>

#define MAX_OVERRIDES 16

static const char *const level_names[] = { "error", "warn", "info", "debug", "trace" };

static struct {
	int level;
	enum berth_log_format format;
	int n;
	char comp[MAX_OVERRIDES][24];
	int comp_level[MAX_OVERRIDES];
} cfg = { .level = BERTH_LOG_INFO };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

int berth_log_level_parse(const char *name)
{
	for (size_t i = 0; i < BERTH_ARRAY_SIZE(level_names); i++)
		if (!strcmp(name, level_names[i]))
			return (int)i;
	if (!strcmp(name, "warning"))
		return BERTH_LOG_WARN;
	return -1;
}

int berth_log_configure(const char *spec)
{
	char tmp[512];
	char *save = NULL, *tok;
	int level = cfg.level, n = 0;
	char comp[MAX_OVERRIDES][24];
	int comp_level[MAX_OVERRIDES];

	if (strlen(spec) >= sizeof(tmp))
		return -1;
	memcpy(tmp, spec, strlen(spec) + 1);
	for (tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		int l;

		if (!colon) {
			l = berth_log_level_parse(tok);
			if (l < 0)
				return -1;
			level = l;
			continue;
		}
		*colon = '\0';
		l = berth_log_level_parse(colon + 1);
		if (l < 0 || !*tok || strlen(tok) >= sizeof(comp[0]) || n >= MAX_OVERRIDES)
			return -1;
		memcpy(comp[n], tok, strlen(tok) + 1);
		comp_level[n++] = l;
	}
	pthread_mutex_lock(&lock);
	cfg.level = level;
	cfg.n = n;
	memcpy(cfg.comp, comp, sizeof(comp));
	memcpy(cfg.comp_level, comp_level, sizeof(comp_level));
	pthread_mutex_unlock(&lock);
	return 0;
}

void berth_log_set_format(enum berth_log_format fmt)
{
	cfg.format = fmt;
}

bool berth_log_enabled(enum berth_log_level level, const char *component)
{
	int want = cfg.level;

	for (int i = 0; i < cfg.n; i++)
		if (component && !strcmp(cfg.comp[i], component))
			want = cfg.comp_level[i];
	return (int)level <= want;
}

static void timestamp(char out[80], size_t n)
{
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000));
}

/*
 * The length of the valid UTF-8 sequence at s[0..n), or 0 when it is not
 * one (bad lead byte, short, overlong, surrogate, above U+10FFFF).
 */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/*
 * One event is one line: control characters (but tab) become spaces, and
 * bytes that are not UTF-8 become '?', so that server text can neither
 * forge lines nor make the JSON encoder drop the event.
 */
static void scrub(struct berth_buf *msg)
{
	unsigned char *p = (unsigned char *)msg->buf;
	size_t i = 0;

	while (i < msg->len) {
		size_t n = utf8_seq(p + i, msg->len - i);

		if (!n) {
			p[i++] = '?';
			continue;
		}
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
			p[i] = ' ';
		i += n;
	}
}

void berth_log_write(enum berth_log_level level, const char *component, const char *fmt, ...)
{
	struct berth_buf msg = BERTH_BUF_INIT;
	struct berth_buf line = BERTH_BUF_INIT;
	char ts[80];
	va_list ap;

	va_start(ap, fmt);
	berth_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	scrub(&msg);
	timestamp(ts, sizeof(ts));
	if (cfg.format == BERTH_LOG_JSON) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s%}", "time", ts, "level",
				      level_names[level], "component", component ? component : "berth",
				      "msg", msg.buf, msg.len);

		/* json_dumps() memory belongs to jansson's allocator: berth_json_dump() frees it. */
		if (!o || berth_json_dump(&line, o, JSON_COMPACT | JSON_PRESERVE_ORDER))
			berth_buf_addf(&line, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"<unencodable>\"}",
				       ts, level_names[level]);
		json_decref(o);
	} else {
		berth_buf_addf(&line, "%s %s %s: %s", ts, level_names[level],
			       component ? component : "berth", msg.buf);
	}
	berth_buf_addch(&line, '\n');
	pthread_mutex_lock(&lock);
	fwrite(line.buf, 1, line.len, stderr);
	fflush(stderr);
	pthread_mutex_unlock(&lock);
	berth_buf_wipe(&msg);
	berth_buf_wipe(&line);
}
