/* iceagent_test.c - the ICE agent on loopback, its context iterated by the
 * test's own thread: host candidates (and their public_ip twins), the peer's
 * candidates with unparseable ones skipped, an ICE restart's new local
 * credentials, a bad address list refused, and two agents that connect to
 * each other and carry a datagram. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/clock.h"
#include "mcu/config.h"
#include "base/err.h"
#include "mcu/net/iceagent.h"
#include "base/log.h"

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define PUBLIC_IP "203.0.113.7"
#define MAX_CANDS 8

/* What an agent's callbacks saw. */
struct seen {
	int ready;
	int datagrams;
	uint8_t last[64];
	size_t last_len;
};

static void on_recv(void *user, const uint8_t *buf, size_t len)
{
	struct seen *s = user;
	s->datagrams++;
	s->last_len = len < sizeof(s->last) ? len : sizeof(s->last);
	memcpy(s->last, buf, s->last_len);
}

static void on_ready(void *user)
{
	struct seen *s = user;
	s->ready++;
}

/* The test's thread owns ctx, as a transport thread would: teardown runs
 * inline and the agents' callbacks run in iterate(). */
struct fixture {
	GMainContext *ctx;
	struct config cfg;
};

static int setup(void **state)
{
	static struct fixture f;
	f.ctx = g_main_context_new();
	if (!g_main_context_acquire(f.ctx))
		return -1;
	config_defaults(&f.cfg);
	snprintf(f.cfg.ice_addresses, sizeof(f.cfg.ice_addresses), "127.0.0.1");
	f.cfg.public_ip[0] = '\0';
	f.cfg.ice_tcp = false;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	g_main_context_release(f->ctx);
	g_main_context_unref(f->ctx);
	return 0;
}

static struct iceagent *make(struct fixture *f, struct seen *seen)
{
	const struct iceagent_callbacks cb = { .recv = on_recv, .ready = on_ready, .user = seen };
	struct iceagent *a = NULL;
	assert_int_equal(iceagent_create(f->ctx, &f->cfg, "room=t ep=test", &cb, &a), 0);
	assert_non_null(a);
	return a;
}

static void test_local_description(void **state)
{
	struct fixture *f = *state;
	struct seen seen = { 0 };
	struct iceagent *a = make(f, &seen);
	assert_string_equal(iceagent_state_name(a), "gathering");
	assert_string_equal(iceagent_transport_name(a), "");

	char ufrag[ICEAGENT_CREDENTIAL_LEN], pwd[ICEAGENT_CREDENTIAL_LEN];
	assert_int_equal(iceagent_local_credentials(a, ufrag, pwd), 0);
	assert_true(strlen(ufrag) >= 4);
	assert_true(strlen(pwd) >= 22);

	/* Host candidates are gathered at once: one UDP candidate on loopback. */
	char cands[MAX_CANDS][ICEAGENT_CANDIDATE_LEN];
	assert_int_equal(iceagent_local_candidates(a, NULL, cands, MAX_CANDS), 1);
	assert_int_equal(strncmp(cands[0], "candidate:", 10), 0);
	assert_non_null(strstr(cands[0], " 127.0.0.1 "));
	assert_non_null(strstr(cands[0], "typ host"));
	char port[16];
	const char *p = strstr(cands[0], " 127.0.0.1 ") + strlen(" 127.0.0.1 ");
	snprintf(port, sizeof(port), "%.*s", (int)strcspn(p, " "), p);
	assert_int_equal(iceagent_local_candidates(a, "", cands, MAX_CANDS), 1);

	/* With a public address: its twin first, on the same port. */
	assert_int_equal(iceagent_local_candidates(a, PUBLIC_IP, cands, MAX_CANDS), 2);
	char want[64];
	snprintf(want, sizeof(want), " %s %s ", PUBLIC_IP, port);
	assert_non_null(strstr(cands[0], want));
	snprintf(want, sizeof(want), " 127.0.0.1 %s ", port);
	assert_non_null(strstr(cands[1], want));
	/* Never more than asked for. */
	assert_int_equal(iceagent_local_candidates(a, PUBLIC_IP, cands, 1), 1);
	assert_non_null(strstr(cands[0], PUBLIC_IP));
	iceagent_destroy(a);
	iceagent_destroy(NULL);
}

static void test_remote_and_restart(void **state)
{
	struct fixture *f = *state;
	struct seen seen = { 0 };
	struct iceagent *a = make(f, &seen);
	assert_int_equal(iceagent_set_remote_credentials(a, "peer", "peerpasswordpeerpassword"), 0);
	static const char *const cands[] = {
		"candidate:1 1 UDP 2122260223 127.0.0.1 40000 typ host",
		"candidate:2 1 UDP 2122260223 0a1b2c3d-0000-1111-2222-333344445555.local 40001 typ host",
		"not a candidate",
		"candidate:3 1 UDP 1686052607 198.51.100.9 40002 typ srflx raddr 0.0.0.0 rport 0",
	};
	assert_int_equal(iceagent_add_remote_candidates(a, cands, 4, 0), 2);
	assert_int_equal(iceagent_add_remote_candidates(a, cands + 1, 2, 1), 0);
	assert_int_equal(iceagent_add_remote_candidates(a, NULL, 0, 1), 0);

	char u1[ICEAGENT_CREDENTIAL_LEN], p1[ICEAGENT_CREDENTIAL_LEN];
	char u2[ICEAGENT_CREDENTIAL_LEN], p2[ICEAGENT_CREDENTIAL_LEN];
	assert_int_equal(iceagent_local_credentials(a, u1, p1), 0);
	assert_int_equal(iceagent_restart(a, "peer2", "peer2passwordpeer2password"), 0);
	assert_int_equal(iceagent_local_credentials(a, u2, p2), 0);
	assert_string_not_equal(u1, u2);
	assert_string_not_equal(p1, p2);
	iceagent_destroy(a);
}

static void test_no_address(void **state)
{
	struct fixture *f = *state;
	struct config cfg = f->cfg;
	snprintf(cfg.ice_addresses, sizeof(cfg.ice_addresses), "not-an-ip, ,");
	struct seen seen = { 0 };
	const struct iceagent_callbacks cb = { .recv = on_recv, .ready = on_ready, .user = &seen };
	struct iceagent *a = NULL;
	assert_int_equal(iceagent_create(f->ctx, &cfg, "room=t ep=bad", &cb, &a), MCU_EIO);
	assert_null(a);
}

/* Hands each agent the other's credentials and candidates. */
static void introduce(struct iceagent *a, struct iceagent *b)
{
	char ufrag[ICEAGENT_CREDENTIAL_LEN], pwd[ICEAGENT_CREDENTIAL_LEN];
	char cands[MAX_CANDS][ICEAGENT_CANDIDATE_LEN];
	const char *list[MAX_CANDS];
	assert_int_equal(iceagent_local_credentials(a, ufrag, pwd), 0);
	int n = iceagent_local_candidates(a, NULL, cands, MAX_CANDS);
	for (int i = 0; i < n; i++)
		list[i] = cands[i];
	assert_int_equal(iceagent_set_remote_credentials(b, ufrag, pwd), 0);
	assert_int_equal(iceagent_add_remote_candidates(b, list, n, 1), n);
}

static void iterate_until(GMainContext *ctx, const int *counter, int want)
{
	int64_t deadline = clock_now_us() + 10000000;
	while (*counter < want && clock_now_us() < deadline)
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(1000);
}

static void test_connect_and_send(void **state)
{
	struct fixture *f = *state;
	struct seen sa = { 0 }, sb = { 0 };
	struct iceagent *a = make(f, &sa);
	struct iceagent *b = make(f, &sb);
	/* Both are controlled, as every server agent is: ICE's role conflict
	 * rule settles it between them. */
	introduce(a, b);
	introduce(b, a);
	iterate_until(f->ctx, &sa.ready, 1);
	iterate_until(f->ctx, &sb.ready, 1);
	assert_true(sa.ready >= 1 && sb.ready >= 1);
	assert_string_equal(iceagent_transport_name(a), "udp");
	const char *st = iceagent_state_name(a);
	assert_true(!strcmp(st, "connected") || !strcmp(st, "ready"));

	static const uint8_t hello[] = "hello over ice";
	assert_int_equal(iceagent_send(a, hello, sizeof(hello)), (int)sizeof(hello));
	iterate_until(f->ctx, &sb.datagrams, 1);
	assert_int_equal(sb.datagrams, 1);
	assert_int_equal(sb.last_len, sizeof(hello));
	assert_memory_equal(sb.last, hello, sizeof(hello));
	iceagent_destroy(a);
	iceagent_destroy(b);
}

int main(void)
{
	log_set_level(LOG_WARN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_local_description, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remote_and_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_and_send, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
