/*
 * log.h - levelled, timestamped logging to stderr, tagged with a module.
 *
 * Lines look like
 *   2026-11-22T13:45:01.123Z INFO  http: listening on 0.0.0.0:8080
 * Callers add room and endpoint tags in the message itself ("room=r1 ep=ab12").
 * Never log a secret.
 */
#ifndef MCU_LOG_H
#define MCU_LOG_H

#include <stdint.h>

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Sets the most verbose level printed. Call from main before threads start. */
void log_set_level(enum log_level level);

/* Parses "error", "warn", "info" or "debug". Returns 0 or MCU_EINVAL. */
int log_level_parse(const char *name, enum log_level *out);

/* Prints one line if level is enabled. Thread: any (one write(2) per line). */
void log_msg(enum log_level level, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define LOG_E(mod, ...) log_msg(LOG_ERROR, mod, __VA_ARGS__)
#define LOG_W(mod, ...) log_msg(LOG_WARN, mod, __VA_ARGS__)
#define LOG_I(mod, ...) log_msg(LOG_INFO, mod, __VA_ARGS__)
#define LOG_D(mod, ...) log_msg(LOG_DEBUG, mod, __VA_ARGS__)

/*
 * A per-source limiter for complaints that a peer can trigger per packet:
 * at most one line per interval, with a count of what was suppressed.
 * Owned by whoever owns the source (an endpoint, a stream); not thread-safe.
 */
struct log_limit {
	int64_t next_us;      /* monotonic µs before which lines are suppressed */
	unsigned suppressed;  /* lines dropped since the last one printed */
};

/* Returns 1 if a line may be printed now (and arms the next interval of
 * interval_us), 0 to suppress. *suppressed_out gets the count dropped before. */
int log_limit_pass(struct log_limit *limit, int64_t interval_us,
		   unsigned *suppressed_out);

#endif
