/*
 * transport.h - the fixed set of threads that run the media transport.
 *
 * Each thread runs one GLib main context; every endpoint's ICE agent, DTLS
 * timer and SRTP work live on one of them for the endpoint's whole life, so
 * an endpoint's media state is touched by one thread only. There is no thread
 * per endpoint: endpoints are spread round-robin over the threads. Each
 * thread also has an fdset (fdset.h) for sockets that are not libnice's.
 */
#ifndef MCU_TRANSPORT_H
#define MCU_TRANSPORT_H

#include <stdint.h>

struct transport;
struct fdset;
struct _GMainContext;

/* How long a thread's fdset lingers between dispatches (fdset.h): inbound
 * plain RTP waits at most about 2-3 ms more (GLib's poll timeout is in
 * whole ms), and a thread under load wakes a few hundred times a second
 * instead of once per datagram. Measured with 100 plain-RTP audio
 * participants: 1 ms 0.063, 2 ms 0.050, 4 ms 0.046 CPU-s/s for both
 * transport threads (0.175 with a GLib source per socket). */
#define TRANSPORT_LINGER_US 2000

/* Starts n_threads transport threads. Returns 0, MCU_EINVAL or MCU_ENOMEM.
 * Thread: main. */
int transport_create(int n_threads, struct transport **out);

/* Stops and joins every thread, then frees t; accepts NULL. Every endpoint
 * must be gone first. Thread: main. */
void transport_destroy(struct transport *t);

/* The context the next endpoint should live on (round-robin). Borrowed: valid
 * until transport_destroy. Thread: any. */
struct _GMainContext *transport_next_context(struct transport *t);

/* The fdset served by the thread of ctx (a context of t), or NULL for
 * another context. Borrowed: valid until transport_destroy. Thread: any. */
struct fdset *transport_fdset(struct transport *t, struct _GMainContext *ctx);

typedef void transport_call_fn(void *arg);

/*
 * Runs fn(arg) on the thread that owns ctx and returns when it has run:
 * the two-phase close of an endpoint (ask its thread, wait, then free).
 * Runs fn directly when called on that thread already. Thread: any.
 */
void transport_call_sync(struct _GMainContext *ctx, transport_call_fn *fn, void *arg);

#endif
