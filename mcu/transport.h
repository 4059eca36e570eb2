/*
 * transport.h - the fixed set of threads that run the media transport.
 *
 * Each thread runs one GLib main context; every endpoint's ICE agent, DTLS
 * timer and SRTP work live on one of them for the endpoint's whole life, so
 * an endpoint's media state is touched by one thread only. There is no thread
 * per endpoint: endpoints are spread round-robin over the threads.
 */
#ifndef MCU_TRANSPORT_H
#define MCU_TRANSPORT_H

struct transport;
struct _GMainContext;

/* Starts n_threads transport threads. Returns 0, MCU_EINVAL or MCU_ENOMEM.
 * Thread: main. */
int transport_create(int n_threads, struct transport **out);

/* Stops and joins every thread, then frees t; accepts NULL. Every endpoint
 * must be gone first. Thread: main. */
void transport_destroy(struct transport *t);

/* The context the next endpoint should live on (round-robin). Borrowed: valid
 * until transport_destroy. Thread: any. */
struct _GMainContext *transport_next_context(struct transport *t);

typedef void transport_call_fn(void *arg);

/*
 * Runs fn(arg) on the thread that owns ctx and returns when it has run:
 * the two-phase close of an endpoint (ask its thread, wait, then free).
 * Runs fn directly when called on that thread already. Thread: any.
 */
void transport_call_sync(struct _GMainContext *ctx, transport_call_fn *fn, void *arg);

#endif
