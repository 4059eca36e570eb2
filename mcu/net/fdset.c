/*
 * fdset.c - see fdset.h.
 *
 * DESIGN: the set is a GSource (struct fdset embeds it) that polls one fd,
 * the epoll fd, level-triggered. Each epoll registration carries its watch's
 * pointer, so an event names the watch rather than the fd number. Dispatch
 * takes up to BATCH events per epoll_wait, for at most ROUNDS rounds, so a
 * flood on the set's fds still lets the context's other sources run; what
 * is left stays ready and comes back at the next iteration.
 *
 * Removal during a dispatch: events of the current batch may still name a
 * removed watch. Such a watch is only marked and put on the dead list, which
 * is freed when the dispatch ends; the batch loop skips marked watches.
 * Because nothing is freed mid-batch, a watch made for a reused fd number
 * cannot have the address of one the batch still names.
 *
 * Lingering: after a dispatch that found work, the set stops polling the
 * epoll fd (its events become 0) until a deadline linger_us ahead, which its
 * prepare turns into the poll's timeout; the dispatch at the deadline looks
 * again and either lingers once more or, when nothing was ready, goes back
 * to polling. Under steady load there is one wakeup per linger_us whatever
 * the packet rate.
 *
 * Wakeups GLib would add, avoided: the events are changed in the GPollFD
 * itself (g_source_add_poll), which GLib reads at each iteration's query,
 * and the deadline is kept by prepare and check, because
 * g_source_modify_unix_fd and g_source_set_ready_time also signal the
 * context's wakeup fd (a write, then a spurious iteration to read it). And
 * the source may recurse: GLib then leaves its fd in the poll set while it
 * dispatches, where it would otherwise take it out and put it back with a
 * signal each time. Nothing iterates the context from inside a callback,
 * so no recursion happens.
 */
#include "fdset.h"
#include "base/err.h"

#include <assert.h>
#include <errno.h>
#include <glib.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#define BATCH 64
#define ROUNDS 4

struct fdset_watch {
	int fd;
	fdset_fn *fn;
	void *arg;
	bool removed;                 /* during a dispatch; on the dead list */
	struct fdset_watch *next_dead;
};

struct fdset {
	GSource source;               /* first: the set is the GSource */
	int epfd;
	GPollFD pfd;                  /* of epfd; events 0 while lingering */
	int64_t linger_us;
	bool lingering;               /* epfd not polled until linger_end_us */
	int64_t linger_end_us;        /* monotonic, GLib's clock */
	bool dispatching;
	struct fdset_watch *dead;
	_Atomic uint64_t dispatches;
	struct epoll_event events[BATCH];
};

static unsigned events_of(uint32_t ep)
{
	unsigned ev = 0;
	if (ep & (EPOLLIN | EPOLLHUP))
		ev |= FDSET_IN;
	if (ep & EPOLLERR)
		ev |= FDSET_ERR;
	return ev;
}

/* Calls the callbacks of what is ready. Returns the number of events. */
static int run_ready(struct fdset *s)
{
	int total = 0;
	s->dispatching = true;
	for (int round = 0; round < ROUNDS; round++) {
		int n = epoll_wait(s->epfd, s->events, BATCH, 0);
		for (int i = 0; i < n; i++) {
			struct fdset_watch *w = s->events[i].data.ptr;
			if (!w->removed)
				w->fn(w->fd, events_of(s->events[i].events), w->arg);
		}
		if (n > 0)
			total += n;
		if (n < BATCH)
			break;
	}
	s->dispatching = false;
	while (s->dead) {
		struct fdset_watch *w = s->dead;
		s->dead = w->next_dead;
		free(w);
	}
	return total;
}

static gboolean set_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
	(void)cb;
	(void)data;
	struct fdset *s = (struct fdset *)src;
	int found = run_ready(s);
	if (found)
		atomic_fetch_add_explicit(&s->dispatches, 1, memory_order_relaxed);
	if (s->linger_us && found) {
		s->lingering = true;
		s->pfd.events = 0;
		s->linger_end_us = g_source_get_time(src) + s->linger_us;
	} else if (s->lingering) {
		s->lingering = false;
		s->pfd.events = G_IO_IN;
	}
	return G_SOURCE_CONTINUE;
}

/* Lingering: ready at the deadline, and the poll must not sleep past it. */
static gboolean set_prepare(GSource *src, gint *timeout)
{
	struct fdset *s = (struct fdset *)src;
	*timeout = -1;
	if (!s->lingering)
		return FALSE;
	int64_t left = s->linger_end_us - g_source_get_time(src);
	*timeout = left > 0 ? (gint)((left + 999) / 1000) : 0;
	return left <= 0;
}

/* Ready when epoll is, or when a linger ends. */
static gboolean set_check(GSource *src)
{
	struct fdset *s = (struct fdset *)src;
	if (s->lingering)
		return g_source_get_time(src) >= s->linger_end_us;
	return (s->pfd.revents & (G_IO_IN | G_IO_ERR | G_IO_HUP)) != 0;
}

static void set_finalize(GSource *src)
{
	struct fdset *s = (struct fdset *)src;
	if (s->epfd >= 0)
		close(s->epfd);
}

static GSourceFuncs set_funcs = {
	.prepare = set_prepare,
	.check = set_check,
	.dispatch = set_dispatch,
	.finalize = set_finalize,
};

int fdset_create(GMainContext *ctx, int64_t linger_us, struct fdset **out)
{
	if (!ctx || linger_us < 0)
		return MCU_EINVAL;
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return MCU_EIO;
	GSource *src = g_source_new(&set_funcs, sizeof(struct fdset));
	struct fdset *s = (struct fdset *)src;
	s->epfd = epfd;
	s->linger_us = linger_us;
	s->pfd = (GPollFD){ .fd = epfd, .events = G_IO_IN };
	g_source_add_poll(src, &s->pfd);
	g_source_set_name(src, "fdset");
	g_source_set_can_recurse(src, TRUE);
	g_source_attach(src, ctx);
	*out = s;
	return 0;
}

void fdset_destroy(struct fdset *s)
{
	if (!s)
		return;
	assert(!s->dispatching && !s->dead);
	g_source_destroy(&s->source);
	g_source_unref(&s->source);
}

int fdset_add(struct fdset *s, int fd, fdset_fn *fn, void *arg, struct fdset_watch **out)
{
	if (fd < 0 || !fn)
		return MCU_EINVAL;
	struct fdset_watch *w = calloc(1, sizeof(*w));
	if (!w)
		return MCU_ENOMEM;
	*w = (struct fdset_watch){ .fd = fd, .fn = fn, .arg = arg };
	/* The kernel's epoll lock orders this before any event naming w, so the
	 * context's thread sees w whole. */
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;
		free(w);
		return e == ENOMEM || e == ENOSPC ? MCU_ENOMEM
		       : e == EBADF || e == EEXIST || e == EPERM || e == EINVAL ? MCU_EINVAL
		       : MCU_EIO;
	}
	*out = w;
	return 0;
}

void fdset_remove(struct fdset *s, struct fdset_watch *w)
{
	if (!w)
		return;
	assert(!w->removed);
	/* Fails only if fd was closed already, which also unregistered it. */
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	if (!s->dispatching) {
		free(w);
		return;
	}
	w->removed = true;
	w->next_dead = s->dead;
	s->dead = w;
}

uint64_t fdset_dispatches(const struct fdset *s)
{
	return atomic_load_explicit(&s->dispatches, memory_order_relaxed);
}
