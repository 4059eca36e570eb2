/* transport_test.c - transport threads: round-robin contexts, synchronous
 * calls run on the owning thread, clean stop. Also err, clock and log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <time.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "mcu/net/transport.h"

#include <glib.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

struct probe {
	pthread_t ran_on;
	GMainContext *ctx;
	bool owner;
	int calls;
};

static void record_thread(void *arg)
{
	struct probe *p = arg;
	p->ran_on = pthread_self();
	p->owner = g_main_context_is_owner(p->ctx);
	p->calls++;
}

static void nested_call(void *arg)
{
	/* Already on the owning thread: must run inline, not deadlock. */
	struct probe *p = arg;
	transport_call_sync(p->ctx, record_thread, p);
}

static void test_threads(void **state)
{
	(void)state;
	struct transport *t = NULL;
	assert_int_equal(transport_create(0, &t), MCU_EINVAL);
	assert_int_equal(transport_create(2, &t), 0);
	GMainContext *a = transport_next_context(t);
	GMainContext *b = transport_next_context(t);
	GMainContext *c = transport_next_context(t);
	assert_ptr_not_equal(a, b);
	assert_ptr_equal(a, c);

	struct probe p = { .ctx = a };
	transport_call_sync(a, record_thread, &p);
	assert_int_equal(p.calls, 1);
	assert_true(p.owner);
	assert_false(pthread_equal(p.ran_on, pthread_self()));
	char name[16];
	assert_int_equal(pthread_getname_np(p.ran_on, name, sizeof(name)), 0);
	assert_string_equal(name, "transport 0");
	transport_call_sync(a, nested_call, &p);
	assert_int_equal(p.calls, 2);
	assert_true(p.owner);
	transport_destroy(t);
	transport_destroy(NULL);
}

static void test_err_clock_log(void **state)
{
	(void)state;
	assert_string_equal(err_str(MCU_OK), "ok");
	assert_string_equal(err_str(MCU_EPROTO), "malformed input");
	assert_string_equal(err_str(12345), "unknown error");
	int64_t a = clock_now_us();
	int64_t b = clock_now_us();
	assert_true(b >= a);
	assert_true(clock_wall_us() > 1700000000LL * 1000000);
	/* Thread CPU time moves with work, not with sleep. */
	int64_t c0 = clock_thread_cpu_us();
	struct timespec nap = { 0, 50 * 1000 * 1000 };
	nanosleep(&nap, NULL);
	int64_t c1 = clock_thread_cpu_us();
	assert_true(c1 >= c0 && c1 - c0 < 20000);
	volatile uint64_t spin = 0;
	while (clock_thread_cpu_us() - c1 < 20000)
		spin++;
	assert_true(spin > 0);
	assert_true(clock_now_us() - b >= 50000 + 20000);
	char buf[32];
	assert_string_equal(clock_format_utc(0, buf, sizeof(buf)), "1970-01-01T00:00:00Z");

	enum log_level level;
	assert_int_equal(log_level_parse("DEBUG", &level), 0);
	assert_int_equal(level, LOG_DEBUG);
	assert_int_equal(log_level_parse("loud", &level), MCU_EINVAL);
	struct log_limit limit = { 0 };
	unsigned suppressed = 99;
	assert_int_equal(log_limit_pass(&limit, 60 * 1000000LL, &suppressed), 1);
	assert_int_equal(suppressed, 0);
	assert_int_equal(log_limit_pass(&limit, 60 * 1000000LL, &suppressed), 0);
	assert_int_equal(log_limit_pass(&limit, 60 * 1000000LL, &suppressed), 0);
	limit.next_us = 0; /* the interval has passed */
	assert_int_equal(log_limit_pass(&limit, 60 * 1000000LL, &suppressed), 1);
	assert_int_equal(suppressed, 2);
	log_set_level(LOG_ERROR);
	LOG_I("test", "not printed");
	log_set_level(LOG_INFO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_err_clock_log),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
