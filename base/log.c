/*
 * log.c - see log.h.
 *
 * The level is the one piece of process-wide state outside main: every
 * module and every library callback logs, and passing a logger through each
 * call would cost more clarity than it buys. It is written once by main
 * before any thread starts and read atomically after.
 */
#include "log.h"
#include "clock.h"
#include "err.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static _Atomic int log_max_level = LOG_INFO;

static const char *const level_names[] = { "ERROR", "WARN ", "INFO ", "DEBUG" };

void log_set_level(enum log_level level)
{
	atomic_store(&log_max_level, (int)level);
}

int log_level_parse(const char *name, enum log_level *out)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	for (int i = 0; i < 4; i++) {
		if (strcasecmp(name, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return MCU_EINVAL;
}

void log_msg(enum log_level level, const char *module, const char *fmt, ...)
{
	if ((int)level > atomic_load(&log_max_level))
		return;
	char line[1024];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof(line),
			 "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
			 level_names[level], module);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2; /* truncated: keep the newline */
	line[len++] = '\n';
	/* One write per line so lines from different threads never interleave. */
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

int log_limit_pass(struct log_limit *limit, int64_t interval_us,
		   unsigned *suppressed_out)
{
	int64_t now = clock_now_us();
	if (now < limit->next_us) {
		limit->suppressed++;
		return 0;
	}
	*suppressed_out = limit->suppressed;
	limit->suppressed = 0;
	limit->next_us = now + interval_us;
	return 1;
}
