/*
 * fdset.h - many file descriptors watched on one GLib main context through
 * one epoll fd.
 *
 * GLib's loop poll()s every fd of every source on every iteration, and walks
 * every source in prepare and check: with hundreds of plain-RTP sockets on a
 * transport thread, each datagram paid a poll() over all of them. A set is
 * one GSource on the context whose only polled fd is an epoll fd; a wakeup
 * asks epoll for the ready fds (cost by what is ready, not by what is
 * watched) and calls their callbacks in batches, on the context's thread.
 *
 * A set may linger: after a dispatch that found work it looks again only
 * after linger_us, so the datagrams that arrive meanwhile are served by one
 * wakeup instead of one each. That adds up to linger_us (rounded up to GLib's
 * millisecond poll timeout) of delay to what the set's fds receive, and
 * nothing to the context's other sources.
 */
#ifndef MCU_FDSET_H
#define MCU_FDSET_H

#include <stdint.h>

struct fdset;
struct fdset_watch;
struct _GMainContext;

/* What a callback is told about its fd (a mask). */
enum fdset_event {
	FDSET_IN = 1,   /* readable */
	FDSET_ERR = 2,  /* an error is pending (e.g. IP_RECVERR's queue) */
};

/* Called on the set's context thread with the fd and a mask of enum
 * fdset_event; arg is what fdset_add was given. It should read what the fd
 * has: watches are level-triggered, so what is left calls it again. It may
 * add and remove watches, its own included. */
typedef void fdset_fn(int fd, unsigned events, void *arg);

/*
 * Makes a set and attaches it to ctx (borrowed: ctx must outlive the set).
 * linger_us: 0 to look for ready fds at every wakeup, else the minimum time
 * between two dispatches that found work (µs). Returns 0, MCU_EINVAL or
 * MCU_EIO. Thread: any.
 */
int fdset_create(struct _GMainContext *ctx, int64_t linger_us, struct fdset **out);

/* Detaches and frees the set; accepts NULL. Every watch must have been
 * removed, and no callback may be running (call it on the context's thread,
 * or once nobody iterates the context). Thread: see above. */
void fdset_destroy(struct fdset *s);

/*
 * Watches fd (borrowed: the caller closes it, after fdset_remove) for input
 * and errors. *out gets the watch, to remove it by. Returns 0, MCU_ENOMEM,
 * MCU_EINVAL (fd cannot be watched: not open, or already in the set) or
 * MCU_EIO. Thread: any; callbacks run on the set's context thread.
 */
int fdset_add(struct fdset *s, int fd, fdset_fn *fn, void *arg, struct fdset_watch **out);

/*
 * Stops watching and frees w; accepts NULL. No callback of w runs after it
 * returns, even for an event of the batch being dispatched (events name the
 * watch, not the fd, so a reused fd number is not confused with the old one).
 * Thread: the set's context thread (or while nobody iterates the context).
 */
void fdset_remove(struct fdset *s, struct fdset_watch *w);

/* Dispatches that found work so far: how many wakeups served the fds.
 * Thread: any. */
uint64_t fdset_dispatches(const struct fdset *s);

#endif
