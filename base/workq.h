/*
 * workq.h - a fixed set of threads running queued jobs in order: work that
 * may wait (a join waits for ICE gathering and for its room's thread) is
 * handed to it so that the thread that took it in (an HTTP thread serving
 * many connections) never waits itself.
 */
#ifndef MCU_WORKQ_H
#define MCU_WORKQ_H

#include <stdbool.h>

struct workq;

/* A job: cancelled is true when the queue ended before the job could run
 * (it must then only clean up, quickly). */
typedef void workq_fn(void *arg, bool cancelled);

/* Starts threads (1..64, named name, at most 12 characters) taking jobs
 * from a queue of at most max_queued, at nice (0..19: 0 as the process,
 * higher yields the CPU to the process's other threads). Returns 0,
 * MCU_EINVAL or MCU_ENOMEM. Thread: any. */
int workq_create(int threads, int max_queued, const char *name, int nice, struct workq **out);

/* Queues fn(arg). Returns 0, MCU_EAGAIN (queue full: fn is not called) or
 * MCU_ECLOSED (ending). Thread: any. */
int workq_push(struct workq *q, workq_fn *fn, void *arg);

/* Jobs queued and not yet started. Thread: any. */
int workq_queued(struct workq *q);

/* Takes no more jobs, lets the running ones finish, calls the queued ones
 * cancelled, joins the threads and frees q; accepts NULL. Thread: any but
 * q's own. */
void workq_destroy(struct workq *q);

#endif
