/*
 * transport.c - see transport.h.
 *
 * DESIGN: n threads, each iterating its own GMainContext with a GMainLoop.
 * libnice attaches its sockets and timers to the context an agent was made
 * with, so picking the context picks the thread. Cross-thread work (adding an
 * endpoint's timer, tearing it down) goes through g_main_context_invoke-style
 * sources, which wake the loop; transport_call_sync adds a wait for the
 * acknowledgement so the caller can free what the thread was using. Each
 * context also carries an fdset, made before its thread starts and freed
 * after it stops, so no callback of the set can be running then.
 */
#include "transport.h"
#include "base/err.h"
#include "fdset.h"
#include "base/log.h"

#include <glib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

struct transport_thread {
	GMainContext *ctx;
	GMainLoop *loop;
	struct fdset *set;
	pthread_t thread;
	bool started;
};

struct transport {
	struct transport_thread *threads;
	int n_threads;
	atomic_uint next;
};

static void *thread_main(void *arg)
{
	struct transport_thread *tt = arg;
	g_main_context_push_thread_default(tt->ctx);
	g_main_loop_run(tt->loop);
	g_main_context_pop_thread_default(tt->ctx);
	return NULL;
}

int transport_create(int n_threads, struct transport **out)
{
	if (n_threads < 1)
		return MCU_EINVAL;
	struct transport *t = calloc(1, sizeof(*t));
	if (!t)
		return MCU_ENOMEM;
	t->threads = calloc((size_t)n_threads, sizeof(*t->threads));
	if (!t->threads)
		goto fail;
	t->n_threads = n_threads;
	for (int i = 0; i < n_threads; i++) {
		struct transport_thread *tt = &t->threads[i];
		tt->ctx = g_main_context_new();
		tt->loop = g_main_loop_new(tt->ctx, FALSE);
		if (fdset_create(tt->ctx, TRANSPORT_LINGER_US, &tt->set)) {
			LOG_E("transport", "cannot make the fd set of thread %d", i);
			goto fail;
		}
		if (pthread_create(&tt->thread, NULL, thread_main, tt) != 0) {
			LOG_E("transport", "cannot start thread %d", i);
			goto fail;
		}
		tt->started = true;
		char name[16]; /* the kernel's limit, NUL included */
		snprintf(name, sizeof(name), "transport %d", i % 100000);
		pthread_setname_np(tt->thread, name);
	}
	*out = t;
	return 0;
fail:
	transport_destroy(t);
	return MCU_ENOMEM;
}

static gboolean quit_loop(gpointer data)
{
	g_main_loop_quit(data);
	return G_SOURCE_REMOVE;
}

void transport_destroy(struct transport *t)
{
	if (!t)
		return;
	for (int i = 0; t->threads && i < t->n_threads; i++) {
		struct transport_thread *tt = &t->threads[i];
		if (tt->started) {
			g_main_context_invoke(tt->ctx, quit_loop, tt->loop);
			pthread_join(tt->thread, NULL);
		}
		fdset_destroy(tt->set);
		if (tt->loop)
			g_main_loop_unref(tt->loop);
		if (tt->ctx)
			g_main_context_unref(tt->ctx);
	}
	free(t->threads);
	free(t);
}

GMainContext *transport_next_context(struct transport *t)
{
	unsigned i = atomic_fetch_add(&t->next, 1) % (unsigned)t->n_threads;
	return t->threads[i].ctx;
}

struct fdset *transport_fdset(struct transport *t, GMainContext *ctx)
{
	for (int i = 0; i < t->n_threads; i++)
		if (t->threads[i].ctx == ctx)
			return t->threads[i].set;
	return NULL;
}

struct sync_call {
	transport_call_fn *fn;
	void *arg;
	GMutex lock;
	GCond done_cond;
	bool done;
};

static gboolean run_sync_call(gpointer data)
{
	struct sync_call *call = data;
	call->fn(call->arg);
	g_mutex_lock(&call->lock);
	call->done = true;
	g_cond_signal(&call->done_cond);
	g_mutex_unlock(&call->lock);
	return G_SOURCE_REMOVE;
}

void transport_call_sync(GMainContext *ctx, transport_call_fn *fn, void *arg)
{
	if (g_main_context_is_owner(ctx)) {
		fn(arg);
		return;
	}
	struct sync_call call = { .fn = fn, .arg = arg };
	g_mutex_init(&call.lock);
	g_cond_init(&call.done_cond);
	GSource *src = g_idle_source_new();
	g_source_set_priority(src, G_PRIORITY_HIGH);
	g_source_set_callback(src, run_sync_call, &call, NULL);
	g_source_attach(src, ctx);
	g_source_unref(src);
	g_mutex_lock(&call.lock);
	while (!call.done)
		g_cond_wait(&call.done_cond, &call.lock);
	g_mutex_unlock(&call.lock);
	g_mutex_clear(&call.lock);
	g_cond_clear(&call.done_cond);
}
