/*
 * log.h - leveled, per-component logging to stderr, one line per event, in
 * text or JSON. Thread-safe. Never pass a secret: struct berth_secret has no
 * printable form, and HTTP tracing redacts credential headers itself.
 */
#ifndef BERTH_LOG_H
#define BERTH_LOG_H

#include <stdbool.h>

enum berth_log_level {
	BERTH_LOG_ERROR = 0,
	BERTH_LOG_WARN,
	BERTH_LOG_INFO,
	BERTH_LOG_DEBUG,
	BERTH_LOG_TRACE,
};

enum berth_log_format { BERTH_LOG_TEXT = 0, BERTH_LOG_JSON };

/*
 * Configure from a spec such as "info", "debug" or "info,http:trace,kube:warn":
 * a default level, then component:level overrides. Returns 0, or -1 when the
 * spec is malformed (nothing changed).
 */
int berth_log_configure(const char *spec);
void berth_log_set_format(enum berth_log_format fmt);
/* Parse a level name; returns -1 when unknown. */
int berth_log_level_parse(const char *name);
bool berth_log_enabled(enum berth_log_level level, const char *component);
void berth_log_write(enum berth_log_level level, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define berth_log(level, comp, ...) \
	do { \
		if (berth_log_enabled((level), (comp))) \
			berth_log_write((level), (comp), __VA_ARGS__); \
	} while (0)

#define berth_log_error(comp, ...) berth_log(BERTH_LOG_ERROR, comp, __VA_ARGS__)
#define berth_log_warn(comp, ...) berth_log(BERTH_LOG_WARN, comp, __VA_ARGS__)
#define berth_log_info(comp, ...) berth_log(BERTH_LOG_INFO, comp, __VA_ARGS__)
#define berth_log_debug(comp, ...) berth_log(BERTH_LOG_DEBUG, comp, __VA_ARGS__)
#define berth_log_trace(comp, ...) berth_log(BERTH_LOG_TRACE, comp, __VA_ARGS__)

#endif
