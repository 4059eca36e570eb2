/*
 * httpguard.c - see httpguard.h.
 *
 * DESIGN: one mutex guards a fixed table of `capacity` slots and a free
 * list; MHD workers register, mark and release slots, the reaper thread
 * scans the table about twice a second (1,000 slots: a few µs). The cut is
 * shutdown() under the mutex: a slot is released before MHD closes its fd,
 * so the fd the guard cuts is still the connection's. A cut slot stays in
 * the table until MHD closes it (it counts as live, and is not cut twice).
 */
#include "httpguard.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#define REAP_INTERVAL_US 500000
#define LOG_INTERVAL_US 10000000   /* cuts are summed into one line at most this often */

struct slot {
	int fd;                     /* -1: free */
	enum httpguard_phase phase;
	int64_t since_us;           /* when the phase began */
	bool cut;
	int next_free;
};

struct httpguard {
	struct httpguard_config cfg;
	pthread_mutex_t lock;
	struct slot *slots;
	int free_head;              /* -1: full */
	struct httpguard_stats stats;
	pthread_t reaper;
	bool reaper_running, stopping;
	pthread_cond_t wake;        /* signalled on stop; CLOCK_MONOTONIC */
};

int httpguard_create(const struct httpguard_config *cfg, struct httpguard **out)
{
	if (cfg->capacity < 1 || cfg->reserve < 0 || cfg->reserve >= cfg->capacity ||
	    cfg->header_timeout_us <= 0 || cfg->body_timeout_us <= 0)
		return MCU_EINVAL;
	struct httpguard *g = calloc(1, sizeof(*g));
	if (!g)
		return MCU_ENOMEM;
	g->slots = calloc((size_t)cfg->capacity, sizeof(*g->slots));
	if (!g->slots) {
		free(g);
		return MCU_ENOMEM;
	}
	g->cfg = *cfg;
	for (int i = 0; i < cfg->capacity; i++) {
		g->slots[i].fd = -1;
		g->slots[i].next_free = i + 1 < cfg->capacity ? i + 1 : -1;
	}
	g->free_head = 0;
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wake, &attr);
	pthread_condattr_destroy(&attr);
	*out = g;
	return 0;
}

/* Lock held. */
static void cut(struct slot *s)
{
	s->cut = true;
	shutdown(s->fd, SHUT_RDWR);
}

/* The uncut slot that has waited longest for headers, or NULL. Lock held. */
static struct slot *longest_waiting(struct httpguard *g, const struct slot *except)
{
	struct slot *best = NULL;
	for (int i = 0; i < g->cfg.capacity; i++) {
		struct slot *s = &g->slots[i];
		if (s->fd >= 0 && s != except && !s->cut && s->phase == HTTPGUARD_HEADERS &&
		    (!best || s->since_us < best->since_us))
			best = s;
	}
	return best;
}

int httpguard_open(struct httpguard *g, int fd, int64_t now_us, int *slot)
{
	pthread_mutex_lock(&g->lock);
	int i = g->free_head;
	if (i < 0) {
		pthread_mutex_unlock(&g->lock);
		return MCU_EAGAIN;
	}
	struct slot *s = &g->slots[i];
	g->free_head = s->next_free;
	*s = (struct slot){ .fd = fd, .phase = HTTPGUARD_HEADERS, .since_us = now_us, .next_free = -1 };
	g->stats.live++;
	/* Counting cut slots too: they hold MHD's slots until MHD closes them. */
	if (g->cfg.reserve && g->stats.live > g->cfg.capacity - g->cfg.reserve) {
		struct slot *victim = longest_waiting(g, s);
		if (victim) {
			cut(victim);
			g->stats.evicted++;
		}
	}
	pthread_mutex_unlock(&g->lock);
	*slot = i;
	return 0;
}

void httpguard_mark(struct httpguard *g, int slot, enum httpguard_phase phase, int64_t now_us)
{
	if (slot < 0 || slot >= g->cfg.capacity)
		return;
	pthread_mutex_lock(&g->lock);
	struct slot *s = &g->slots[slot];
	if (s->fd >= 0) {
		s->phase = phase;
		s->since_us = now_us;
	}
	pthread_mutex_unlock(&g->lock);
}

void httpguard_close(struct httpguard *g, int slot)
{
	if (slot < 0 || slot >= g->cfg.capacity)
		return;
	pthread_mutex_lock(&g->lock);
	struct slot *s = &g->slots[slot];
	if (s->fd >= 0) {
		s->fd = -1;
		s->next_free = g->free_head;
		g->free_head = slot;
		g->stats.live--;
	}
	pthread_mutex_unlock(&g->lock);
}

int httpguard_reap(struct httpguard *g, int64_t now_us)
{
	int n = 0;
	pthread_mutex_lock(&g->lock);
	for (int i = 0; i < g->cfg.capacity; i++) {
		struct slot *s = &g->slots[i];
		if (s->fd < 0 || s->cut || s->phase == HTTPGUARD_ANSWER)
			continue;
		bool headers = s->phase == HTTPGUARD_HEADERS;
		int64_t limit = headers ? g->cfg.header_timeout_us : g->cfg.body_timeout_us;
		if (now_us - s->since_us < limit)
			continue;
		cut(s);
		if (headers)
			g->stats.headers_late++;
		else
			g->stats.body_late++;
		n++;
	}
	pthread_mutex_unlock(&g->lock);
	return n;
}

int httpguard_cut_all(struct httpguard *g)
{
	int n = 0;
	pthread_mutex_lock(&g->lock);
	for (int i = 0; i < g->cfg.capacity; i++) {
		if (g->slots[i].fd >= 0) {
			cut(&g->slots[i]);
			n++;
		}
	}
	pthread_mutex_unlock(&g->lock);
	return n;
}

void httpguard_stats(struct httpguard *g, struct httpguard_stats *out)
{
	pthread_mutex_lock(&g->lock);
	*out = g->stats;
	pthread_mutex_unlock(&g->lock);
}

static void *reaper_main(void *arg)
{
	struct httpguard *g = arg;
	struct httpguard_stats logged = { 0 };
	int64_t next_log = 0;
	pthread_mutex_lock(&g->lock);
	while (!g->stopping) {
		int64_t due = clock_now_us() + REAP_INTERVAL_US;
		struct timespec ts = { .tv_sec = due / 1000000, .tv_nsec = due % 1000000 * 1000 };
		pthread_cond_timedwait(&g->wake, &g->lock, &ts);
		if (g->stopping)
			break;
		pthread_mutex_unlock(&g->lock);
		int64_t now = clock_now_us();
		httpguard_reap(g, now);
		struct httpguard_stats st;
		httpguard_stats(g, &st);
		/* An attack cuts hundreds a second: one summary line, not one each. */
		long cuts = st.headers_late + st.body_late + st.evicted;
		if (now >= next_log && cuts != logged.headers_late + logged.body_late + logged.evicted) {
			LOG_I("http", "cut slow connections: %ld headers late, %ld body late, %ld evicted "
			      "for a new one (%d open)", st.headers_late - logged.headers_late,
			      st.body_late - logged.body_late, st.evicted - logged.evicted, st.live);
			logged = st;
			next_log = now + LOG_INTERVAL_US;
		}
		pthread_mutex_lock(&g->lock);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

int httpguard_start(struct httpguard *g)
{
	if (pthread_create(&g->reaper, NULL, reaper_main, g))
		return MCU_ENOMEM;
	g->reaper_running = true;
	return 0;
}

void httpguard_destroy(struct httpguard *g)
{
	if (!g)
		return;
	if (g->reaper_running) {
		pthread_mutex_lock(&g->lock);
		g->stopping = true;
		pthread_cond_signal(&g->wake);
		pthread_mutex_unlock(&g->lock);
		pthread_join(g->reaper, NULL);
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g->slots);
	free(g);
}
