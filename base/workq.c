/* workq.c - see workq.h. A mutex, a condition and a ring of jobs. */
#include "workq.h"
#include "err.h"

#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

struct job {
	workq_fn *fn;
	void *arg;
};

struct workq {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct job *ring;
	int cap, head, n;
	bool closing;
	int nice;
	pthread_t *threads;
	int n_threads;
};

/* Caller holds q->lock. */
static struct job take(struct workq *q)
{
	struct job j = q->ring[q->head];
	q->head = (q->head + 1) % q->cap;
	q->n--;
	return j;
}

static void *worker(void *arg)
{
	struct workq *q = arg;
	/* Per thread on Linux: PRIO_PROCESS with the thread's id. Raising it
	 * needs no privilege; failing it only leaves the priority as is. */
	if (q->nice)
		setpriority(PRIO_PROCESS, (id_t)gettid(), q->nice);
	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (!q->n && !q->closing)
			pthread_cond_wait(&q->wake, &q->lock);
		if (q->closing)
			break; /* the queued ones are cancelled by workq_destroy */
		struct job j = take(q);
		pthread_mutex_unlock(&q->lock);
		j.fn(j.arg, false);
		pthread_mutex_lock(&q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

int workq_create(int threads, int max_queued, const char *name, int nice, struct workq **out)
{
	if (threads < 1 || threads > 64 || max_queued < 1 || nice < 0 || nice > 19)
		return MCU_EINVAL;
	struct workq *q = calloc(1, sizeof(*q));
	if (!q)
		return MCU_ENOMEM;
	q->cap = max_queued;
	q->nice = nice;
	q->ring = calloc((size_t)max_queued, sizeof(*q->ring));
	q->threads = calloc((size_t)threads, sizeof(*q->threads));
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->wake, NULL);
	if (!q->ring || !q->threads) {
		workq_destroy(q);
		return MCU_ENOMEM;
	}
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&q->threads[i], NULL, worker, q) != 0) {
			workq_destroy(q);
			return MCU_ENOMEM;
		}
		q->n_threads++;
		char tname[16];
		snprintf(tname, sizeof(tname), "%.12s %d", name, i);
		pthread_setname_np(q->threads[i], tname);
	}
	*out = q;
	return 0;
}

int workq_push(struct workq *q, workq_fn *fn, void *arg)
{
	pthread_mutex_lock(&q->lock);
	int rc = q->closing ? MCU_ECLOSED : q->n == q->cap ? MCU_EAGAIN : 0;
	if (!rc) {
		q->ring[(q->head + q->n) % q->cap] = (struct job){ fn, arg };
		q->n++;
		pthread_cond_signal(&q->wake);
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

int workq_queued(struct workq *q)
{
	pthread_mutex_lock(&q->lock);
	int n = q->n;
	pthread_mutex_unlock(&q->lock);
	return n;
}

void workq_destroy(struct workq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->closing = true;
	pthread_cond_broadcast(&q->wake);
	pthread_mutex_unlock(&q->lock);
	for (int i = 0; i < q->n_threads; i++)
		pthread_join(q->threads[i], NULL);
	while (q->n) { /* no thread is left to race for them */
		struct job j = take(q);
		j.fn(j.arg, true);
	}
	pthread_cond_destroy(&q->wake);
	pthread_mutex_destroy(&q->lock);
	free(q->ring);
	free(q->threads);
	free(q);
}
