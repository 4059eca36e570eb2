/*
 * clock.h - monotonic and wall time in the project's units (int64 µs).
 */
#ifndef MCU_CLOCK_H
#define MCU_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Microseconds from CLOCK_MONOTONIC. Thread: any. */
int64_t clock_now_us(void);

/* CPU microseconds the calling thread has used (CLOCK_THREAD_CPUTIME_ID):
 * what a piece of work cost, whatever else ran meanwhile. Thread: any. */
int64_t clock_thread_cpu_us(void);

/* µs as a struct timespec: an absolute deadline of clock_now_us() for
 * pthread_cond_timedwait on a CLOCK_MONOTONIC condition, or a duration for
 * nanosleep. Thread: any. */
struct timespec clock_timespec(int64_t us);

/* Microseconds since the Unix epoch from CLOCK_REALTIME. Thread: any. */
int64_t clock_wall_us(void);

/* Formats wall-clock µs as ISO 8601 UTC ("2026-11-22T13:45:01Z") into buf
 * (at least 21 bytes). Returns buf. */
char *clock_format_utc(int64_t wall_us, char *buf, unsigned long size);

#endif
