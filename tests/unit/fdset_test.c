/* fdset_test.c - many fds on one GLib context through one epoll fd: watches
 * added and removed, several ready fds served by one dispatch on the thread
 * that iterates the context, errors reported (an ICMP port unreachable
 * through IP_RECVERR), removal of a watch whose event is in the batch being
 * dispatched (its fd number reused at once by a new watch), a callback
 * removing itself, lingering between dispatches, and the errors of the API.
 * The contexts are the test's own, iterated by hand, except in the transport
 * test where each thread of a transport owns one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/clock.h"
#include "base/err.h"
#include "mcu/net/fdset.h"
#include "mcu/net/transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_US 3000000

/* One watched pipe and what its callback saw. */
struct probe {
	int rd, wr;
	struct fdset *set;
	struct fdset_watch *w;
	GMainContext *ctx;
	int calls;
	unsigned events;
	int bytes;
	int read_max;                 /* 0: read all there is */
	int seen;                     /* calls, read on the context's thread */
	bool owner;                   /* the callback ran on the context's owner */
	pthread_t thread;
	struct probe *other;          /* for the callbacks that remove another watch */
	int reused_fd;                /* fd number a new watch took in the callback */
	struct fdset_watch *new_w;
};

static void make_pipe(struct probe *p)
{
	int fds[2];
	assert_int_equal(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
	p->rd = fds[0];
	p->wr = fds[1];
}

static void drain(int fd, struct probe *p)
{
	char buf[256];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		p->bytes += (int)n;
}

static void on_ready(int fd, unsigned events, void *arg)
{
	struct probe *p = arg;
	p->calls++;
	p->events |= events;
	p->owner = g_main_context_is_owner(p->ctx);
	p->thread = pthread_self();
	if ((events & FDSET_IN) && p->read_max) {
		char buf[16];
		ssize_t n = read(fd, buf, (size_t)p->read_max);
		p->bytes += n > 0 ? (int)n : 0;
	} else if (events & FDSET_IN) {
		drain(fd, p);
	}
}

static void poke(struct probe *p)
{
	assert_int_equal(write(p->wr, "x", 1), 1);
}

/* Iterates ctx until *done or the deadline; returns whether it happened. */
static bool iterate_until(GMainContext *ctx, const int *count, int want)
{
	int64_t end = clock_now_us() + WAIT_US;
	while (*count < want && clock_now_us() < end)
		g_main_context_iteration(ctx, FALSE), g_usleep(1000);
	return *count >= want;
}

static void test_add_dispatch_remove(void **state)
{
	(void)state;
	GMainContext *ctx = g_main_context_new();
	struct fdset *s = NULL;
	assert_int_equal(fdset_create(ctx, 0, &s), 0);
	struct probe p[3];
	memset(p, 0, sizeof(p));
	for (int i = 0; i < 3; i++) {
		make_pipe(&p[i]);
		p[i].ctx = ctx;
		assert_int_equal(fdset_add(s, p[i].rd, on_ready, &p[i], &p[i].w), 0);
	}
	/* Nothing ready: nothing called. */
	g_main_context_iteration(ctx, FALSE);
	for (int i = 0; i < 3; i++)
		assert_int_equal(p[i].calls, 0);
	assert_int_equal(fdset_dispatches(s), 0);

	/* All three ready: one dispatch serves them, on the iterating thread. */
	for (int i = 0; i < 3; i++)
		poke(&p[i]), poke(&p[i]);
	g_usleep(1000);
	assert_true(iterate_until(ctx, &p[2].calls, 1));
	for (int i = 0; i < 3; i++) {
		assert_int_equal(p[i].calls, 1);
		assert_int_equal(p[i].events, FDSET_IN);
		assert_int_equal(p[i].bytes, 2);
		assert_true(p[i].owner);
		assert_true(pthread_equal(p[i].thread, pthread_self()));
	}
	assert_int_equal(fdset_dispatches(s), 1);

	/* The same fd twice is refused. */
	struct fdset_watch *twice = NULL;
	assert_int_equal(fdset_add(s, p[0].rd, on_ready, &p[0], &twice), MCU_EINVAL);

	/* Level-triggered: what a callback leaves calls it again. */
	p[2].read_max = 1;
	poke(&p[2]);
	poke(&p[2]);
	assert_true(iterate_until(ctx, &p[2].calls, 3));
	assert_int_equal(p[2].bytes, 4);
	p[2].read_max = 0;

	/* A removed watch is not called; the others still are. */
	g_main_context_acquire(ctx);
	fdset_remove(s, p[1].w);
	g_main_context_release(ctx);
	poke(&p[0]);
	poke(&p[1]);
	assert_true(iterate_until(ctx, &p[0].calls, 2));
	for (int i = 0; i < 10; i++)
		g_main_context_iteration(ctx, FALSE);
	assert_int_equal(p[1].calls, 1);
	assert_int_equal(p[0].bytes, 3);

	fdset_remove(s, p[0].w);
	fdset_remove(s, p[2].w);
	fdset_remove(s, NULL);
	fdset_destroy(s);
	fdset_destroy(NULL);
	for (int i = 0; i < 3; i++)
		close(p[i].rd), close(p[i].wr);
	g_main_context_unref(ctx);
}

/* Removes the other probe's watch, closes its fd and at once watches a new
 * fd (which the kernel gives the just-closed number) that is not readable. */
static void remove_other(int fd, unsigned events, void *arg)
{
	struct probe *p = arg;
	on_ready(fd, events, arg);
	struct probe *o = p->other;
	if (!o->w)
		return; /* the other ran first and removed this one's pair */
	fdset_remove(o->set, o->w);
	o->w = NULL;
	int old = o->rd;
	close(o->rd);
	make_pipe(o);
	p->reused_fd = o->rd == old;
	assert_int_equal(fdset_add(o->set, o->rd, on_ready, o, &p->new_w), 0);
}

static void test_remove_during_dispatch(void **state)
{
	(void)state;
	GMainContext *ctx = g_main_context_new();
	struct fdset *s = NULL;
	assert_int_equal(fdset_create(ctx, 0, &s), 0);
	struct probe a = { .ctx = ctx, .set = s }, b = { .ctx = ctx, .set = s };
	a.other = &b;
	b.other = &a;
	make_pipe(&a);
	make_pipe(&b);
	assert_int_equal(fdset_add(s, a.rd, remove_other, &a, &a.w), 0);
	assert_int_equal(fdset_add(s, b.rd, remove_other, &b, &b.w), 0);
	poke(&a);
	poke(&b);
	g_usleep(1000);
	/* Both events are in one batch; whichever runs first removes the other,
	 * whose event must then be skipped, as must the new watch on its reused
	 * fd number (nothing was written to it). */
	int both = 0;
	int64_t end = clock_now_us() + WAIT_US;
	while (!(a.calls + b.calls) && clock_now_us() < end)
		g_main_context_iteration(ctx, FALSE), g_usleep(1000);
	for (int i = 0; i < 10; i++)
		g_main_context_iteration(ctx, FALSE);
	both = a.calls + b.calls;
	assert_int_equal(both, 1);
	struct probe *first = a.calls ? &a : &b, *second = first->other;
	assert_true(first->reused_fd);
	assert_int_equal(second->calls, 0);
	assert_int_equal(fdset_dispatches(s), 1);

	/* The new watch works: its own event reaches the second probe. */
	poke(second);
	assert_true(iterate_until(ctx, &second->calls, 1));
	assert_int_equal(second->bytes, 1);

	g_main_context_acquire(ctx);
	fdset_remove(s, first->w);
	fdset_remove(s, first->new_w);
	g_main_context_release(ctx);
	fdset_destroy(s);
	close(a.rd), close(a.wr), close(b.rd), close(b.wr);
	g_main_context_unref(ctx);
}

static void remove_self(int fd, unsigned events, void *arg)
{
	struct probe *p = arg;
	on_ready(fd, events, arg);
	fdset_remove(p->set, p->w);
	p->w = NULL;
}

static void test_remove_self(void **state)
{
	(void)state;
	GMainContext *ctx = g_main_context_new();
	struct fdset *s = NULL;
	assert_int_equal(fdset_create(ctx, 0, &s), 0);
	struct probe p = { .ctx = ctx, .set = s };
	make_pipe(&p);
	assert_int_equal(fdset_add(s, p.rd, remove_self, &p, &p.w), 0);
	poke(&p);
	assert_true(iterate_until(ctx, &p.calls, 1));
	poke(&p);
	for (int i = 0; i < 10; i++)
		g_main_context_iteration(ctx, FALSE);
	assert_int_equal(p.calls, 1);
	assert_null(p.w);
	fdset_destroy(s);
	close(p.rd);
	close(p.wr);
	g_main_context_unref(ctx);
}

/* A UDP socket with IP_RECVERR that sent to a closed port on loopback: the
 * ICMP port unreachable comes back as an error event. */
static void test_error_event(void **state)
{
	(void)state;
	GMainContext *ctx = g_main_context_new();
	struct fdset *s = NULL;
	assert_int_equal(fdset_create(ctx, 0, &s), 0);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	int on = 1;
	assert_int_equal(setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on)), 0);
	/* A port nobody listens on: bind one, note it, close it. */
	int gone = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	assert_int_equal(bind(gone, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(gone, (struct sockaddr *)&sa, &len), 0);
	close(gone);
	struct probe p = { .ctx = ctx };
	assert_int_equal(fdset_add(s, fd, on_ready, &p, &p.w), 0);
	assert_int_equal(sendto(fd, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa)), 1);
	/* The callback leaves the error queue as it is: the event stays, and
	 * each iteration dispatches it once more; one is enough here. */
	assert_true(iterate_until(ctx, &p.calls, 1));
	assert_true(p.events & FDSET_ERR);
	g_main_context_acquire(ctx);
	fdset_remove(s, p.w);
	g_main_context_release(ctx);
	fdset_destroy(s);
	close(fd);
	g_main_context_unref(ctx);
}

static void test_linger(void **state)
{
	(void)state;
	GMainContext *ctx = g_main_context_new();
	struct fdset *s = NULL;
	const int64_t linger = 200000;
	assert_int_equal(fdset_create(ctx, linger, &s), 0);
	struct probe a = { .ctx = ctx }, b = { .ctx = ctx };
	make_pipe(&a);
	make_pipe(&b);
	assert_int_equal(fdset_add(s, a.rd, on_ready, &a, &a.w), 0);
	assert_int_equal(fdset_add(s, b.rd, on_ready, &b, &b.w), 0);

	/* The first event after a quiet time is served at once. */
	poke(&a);
	int64_t t0 = clock_now_us();
	assert_true(iterate_until(ctx, &a.calls, 1));
	assert_true(clock_now_us() - t0 < linger / 2);
	assert_int_equal(fdset_dispatches(s), 1);

	/* What comes within the linger waits for it, and two fds that became
	 * ready at different times are served by the one dispatch. */
	poke(&a);
	for (int i = 0; i < 20; i++)
		g_main_context_iteration(ctx, FALSE), g_usleep(1000);
	assert_int_equal(a.calls, 1);
	poke(&b);
	assert_true(iterate_until(ctx, &b.calls, 1));
	int64_t waited = clock_now_us() - t0;
	assert_true(waited >= linger);
	assert_int_equal(a.calls, 2);
	assert_int_equal(a.bytes, 2);
	assert_int_equal(fdset_dispatches(s), 2);

	/* One more linger with nothing found: back to polling, so the next
	 * event is served at once again. */
	g_usleep((gulong)linger + 50000);
	for (int i = 0; i < 5; i++)
		g_main_context_iteration(ctx, FALSE);
	poke(&b);
	t0 = clock_now_us();
	assert_true(iterate_until(ctx, &b.calls, 2));
	assert_true(clock_now_us() - t0 < linger / 2);
	assert_int_equal(fdset_dispatches(s), 3);

	fdset_remove(s, a.w);
	fdset_remove(s, b.w);
	fdset_destroy(s);
	close(a.rd), close(a.wr), close(b.rd), close(b.wr);
	g_main_context_unref(ctx);
}

static void test_errors(void **state)
{
	(void)state;
	GMainContext *ctx = g_main_context_new();
	struct fdset *s = NULL;
	assert_int_equal(fdset_create(NULL, 0, &s), MCU_EINVAL);
	assert_int_equal(fdset_create(ctx, -1, &s), MCU_EINVAL);
	assert_int_equal(fdset_create(ctx, 0, &s), 0);
	struct fdset_watch *w = NULL;
	struct probe p = { .ctx = ctx };
	assert_int_equal(fdset_add(s, -1, on_ready, &p, &w), MCU_EINVAL);
	make_pipe(&p);
	assert_int_equal(fdset_add(s, p.rd, NULL, &p, &w), MCU_EINVAL);
	int closed = p.rd;
	close(p.rd);
	assert_int_equal(fdset_add(s, closed, on_ready, &p, &w), MCU_EINVAL);
	/* A regular file cannot be watched by epoll. */
	char path[] = "/tmp/fdset_test_XXXXXX";
	int file = mkstemp(path);
	assert_true(file >= 0);
	unlink(path);
	assert_int_equal(fdset_add(s, file, on_ready, &p, &w), MCU_EINVAL);
	close(file);
	close(p.wr);
	fdset_destroy(s);
	g_main_context_unref(ctx);
}

static void take_snapshot(void *arg)
{
	struct probe *p = arg;
	p->seen = p->calls;
}

static void remove_watch(void *arg)
{
	struct probe *p = arg;
	fdset_remove(p->set, p->w);
	p->w = NULL;
}

/* With a transport, each thread's set calls back on that thread. */
static void test_transport_threads(void **state)
{
	(void)state;
	struct transport *t = NULL;
	assert_int_equal(transport_create(2, &t), 0);
	GMainContext *ctx = transport_next_context(t);
	GMainContext *other = transport_next_context(t);
	struct fdset *s = transport_fdset(t, ctx);
	assert_non_null(s);
	assert_non_null(transport_fdset(t, other));
	assert_ptr_not_equal(s, transport_fdset(t, other));
	GMainContext *foreign = g_main_context_new();
	assert_null(transport_fdset(t, foreign));
	g_main_context_unref(foreign);

	/* Added from this thread, called back on the context's. Reading what the
	 * callback wrote goes through that thread too (transport_call_sync). */
	struct probe p = { .ctx = ctx, .set = s };
	make_pipe(&p);
	assert_int_equal(fdset_add(s, p.rd, on_ready, &p, &p.w), 0);
	poke(&p);
	int64_t end = clock_now_us() + WAIT_US;
	do {
		g_usleep(1000);
		transport_call_sync(ctx, take_snapshot, &p);
	} while (!p.seen && clock_now_us() < end);
	transport_call_sync(ctx, remove_watch, &p);
	assert_int_equal(p.calls, 1);
	assert_int_equal(p.bytes, 1);
	assert_true(p.owner);
	assert_false(pthread_equal(p.thread, pthread_self()));
	close(p.rd);
	close(p.wr);
	transport_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_dispatch_remove),
		cmocka_unit_test(test_remove_during_dispatch),
		cmocka_unit_test(test_remove_self),
		cmocka_unit_test(test_error_event),
		cmocka_unit_test(test_linger),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_transport_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
