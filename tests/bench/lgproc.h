/*
 * lgproc.h - CPU time from /proc: a process's utime + stime (all its
 * threads, /proc/PID/stat), each of its threads' (/proc/PID/task/TID/stat),
 * the machine's busy time (/proc/stat), and this process's own.
 *
 * Clock ticks are converted to seconds with sysconf(_SC_CLK_TCK) (10 ms on
 * Debian): a 20 s window resolves 0.0005 CPU-s per second. Thread: any.
 */
#ifndef LG_LGPROC_H
#define LG_LGPROC_H

#include <stdint.h>
#include <sys/types.h>

#define LGPROC_MAX_THREADS 256

struct lgproc_sample {
	int64_t at_us;                        /* CLOCK_MONOTONIC */
	double cpu_s;                         /* the process: utime + stime */
	double self_s;                        /* this process (the load generator) */
	double machine_busy_s;                /* all CPUs: not idle, not iowait */
	int n_threads;
	int tid[LGPROC_MAX_THREADS];
	double thread_s[LGPROC_MAX_THREADS];
};

/* Samples pid (0: none, only self and machine). Returns 0 or MCU_EIO when
 * pid's stat cannot be read. */
int lgproc_sample(pid_t pid, struct lgproc_sample *out);

/* CPU seconds of the thread of b that used the most between a and b (the
 * room thread in a one-room server), and its tid. */
double lgproc_top_thread(const struct lgproc_sample *a, const struct lgproc_sample *b, int *tid);

#endif
