/* httpguard_test.c - the connection guard on socketpairs and a fake clock:
 * header and body deadlines, no deadline while answering, a fresh header
 * deadline after each reply, eviction of the longest-waiting connection near
 * capacity, a full table, cut_all, and the reaper thread on the real clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "signaling/httpguard.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#define S 1000000LL
#define N 4

struct pair {
	int server, client; /* the guard holds server; client sees the cut */
};

static void pairs_open(struct pair *p, int n)
{
	for (int i = 0; i < n; i++) {
		int sv[2];
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
		p[i].server = sv[0];
		p[i].client = sv[1];
	}
}

static void pairs_close(struct pair *p, int n)
{
	for (int i = 0; i < n; i++) {
		close(p[i].server);
		close(p[i].client);
	}
}

/* Has the server side been shut down? The client then reads EOF. */
static bool was_cut(const struct pair *p)
{
	char c;
	ssize_t r = recv(p->client, &c, 1, 0);
	return r == 0;
}

static struct httpguard *guard(int capacity, int reserve)
{
	struct httpguard_config cfg = { .capacity = capacity, .reserve = reserve,
					.header_timeout_us = 10 * S, .body_timeout_us = 20 * S };
	struct httpguard *g = NULL;
	assert_int_equal(httpguard_create(&cfg, &g), 0);
	return g;
}

static void test_create_rejects(void **state)
{
	(void)state;
	struct httpguard *g = NULL;
	struct httpguard_config bad[] = {
		{ .capacity = 0, .header_timeout_us = S, .body_timeout_us = S },
		{ .capacity = 4, .reserve = 4, .header_timeout_us = S, .body_timeout_us = S },
		{ .capacity = 4, .reserve = -1, .header_timeout_us = S, .body_timeout_us = S },
		{ .capacity = 4, .header_timeout_us = 0, .body_timeout_us = S },
		{ .capacity = 4, .header_timeout_us = S, .body_timeout_us = 0 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(httpguard_create(&bad[i], &g), MCU_EINVAL);
	httpguard_destroy(NULL);
}

static void test_deadlines(void **state)
{
	(void)state;
	struct pair p[N];
	pairs_open(p, N);
	struct httpguard *g = guard(N, 0);
	int slot[N];
	for (int i = 0; i < N; i++)
		assert_int_equal(httpguard_open(g, p[i].server, 0, &slot[i]), 0);
	/* 0: never sends headers; 1: headers at 5 s, body never ends;
	 * 2: headers at 5 s, answering from 6 s (a long download);
	 * 3: a reply at 6 s, then idle on a kept-alive connection. */
	httpguard_mark(g, slot[1], HTTPGUARD_BODY, 5 * S);
	httpguard_mark(g, slot[2], HTTPGUARD_BODY, 5 * S);
	httpguard_mark(g, slot[2], HTTPGUARD_ANSWER, 6 * S);
	httpguard_mark(g, slot[3], HTTPGUARD_HEADERS, 6 * S);

	assert_int_equal(httpguard_reap(g, 10 * S - 1), 0);
	assert_int_equal(httpguard_reap(g, 10 * S), 1);
	assert_true(was_cut(&p[0]));
	assert_false(was_cut(&p[3]));
	assert_int_equal(httpguard_reap(g, 16 * S), 1); /* 3: 10 s after its reply */
	assert_true(was_cut(&p[3]));
	assert_int_equal(httpguard_reap(g, 25 * S - 1), 0);
	assert_int_equal(httpguard_reap(g, 25 * S), 1);
	assert_true(was_cut(&p[1]));
	assert_int_equal(httpguard_reap(g, 1000 * S), 0); /* cut once; 2 has no deadline */
	assert_false(was_cut(&p[2]));

	struct httpguard_stats st;
	httpguard_stats(g, &st);
	assert_int_equal(st.live, N);
	assert_int_equal(st.headers_late, 2);
	assert_int_equal(st.body_late, 1);
	assert_int_equal(st.evicted, 0);
	for (int i = 0; i < N; i++)
		httpguard_close(g, slot[i]);
	httpguard_stats(g, &st);
	assert_int_equal(st.live, 0);
	httpguard_mark(g, -1, HTTPGUARD_BODY, 0); /* untracked: ignored */
	httpguard_close(g, -1);
	httpguard_destroy(g);
	pairs_close(p, N);
}

static void test_evicts_longest_waiting(void **state)
{
	(void)state;
	struct pair p[N + 1];
	pairs_open(p, N + 1);
	struct httpguard *g = guard(N, 2);
	int slot[N + 1];
	/* 0 is busy (body), 1 and 2 wait for headers, 1 the longest. */
	assert_int_equal(httpguard_open(g, p[0].server, 0, &slot[0]), 0);
	httpguard_mark(g, slot[0], HTTPGUARD_BODY, 1);
	assert_int_equal(httpguard_open(g, p[1].server, 1, &slot[1]), 0);
	assert_int_equal(httpguard_open(g, p[2].server, 2, &slot[2]), 0);
	/* The third took the table within the reserve: 1 made room. */
	assert_true(was_cut(&p[1]));
	assert_false(was_cut(&p[0]));
	assert_false(was_cut(&p[2]));
	/* The fourth: 1 is cut already (not again), so 2 goes. */
	assert_int_equal(httpguard_open(g, p[3].server, 3, &slot[3]), 0);
	assert_true(was_cut(&p[2]));
	assert_false(was_cut(&p[0]));
	assert_false(was_cut(&p[3]));
	/* Full until MHD closes one. */
	assert_int_equal(httpguard_open(g, p[4].server, 4, &slot[4]), MCU_EAGAIN);
	httpguard_close(g, slot[1]);
	assert_int_equal(httpguard_open(g, p[4].server, 4, &slot[4]), 0);
	struct httpguard_stats st;
	httpguard_stats(g, &st);
	assert_int_equal(st.evicted, 3); /* the third, fourth and the reopened fifth */
	assert_true(was_cut(&p[3]));     /* the fifth evicted the fourth */
	assert_false(was_cut(&p[0]));    /* the busy one never */
	assert_int_equal(httpguard_cut_all(g), N);
	assert_true(was_cut(&p[0]));
	assert_true(was_cut(&p[4]));
	httpguard_destroy(g);
	pairs_close(p, N + 1);
}

static void test_reaper_thread(void **state)
{
	(void)state;
	struct pair p;
	pairs_open(&p, 1);
	struct httpguard_config cfg = { .capacity = 2, .header_timeout_us = 1,
					.body_timeout_us = S };
	struct httpguard *g = NULL;
	assert_int_equal(httpguard_create(&cfg, &g), 0);
	int slot;
	assert_int_equal(httpguard_open(g, p.server, 0, &slot), 0);
	assert_int_equal(httpguard_start(g), 0);
	bool cut = false;
	for (int i = 0; i < 40 && !cut; i++) { /* the reaper runs twice a second */
		usleep(50000);
		cut = was_cut(&p);
	}
	assert_true(cut);
	httpguard_close(g, slot);
	httpguard_destroy(g);
	pairs_close(&p, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_rejects),
		cmocka_unit_test(test_deadlines),
		cmocka_unit_test(test_evicts_longest_waiting),
		cmocka_unit_test(test_reaper_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
