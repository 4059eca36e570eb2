/* clock_test.c - the project's clocks: monotonic time moves forward, wall
 * time is the epoch's, thread CPU time counts only work, timespecs split
 * µs exactly, and UTC formatting is ISO 8601. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/clock.h"

#include <unistd.h>

static void test_clocks(void **state)
{
	(void)state;
	int64_t a = clock_now_us();
	int64_t cpu0 = clock_thread_cpu_us();
	usleep(20000); /* sleeping costs no CPU */
	int64_t b = clock_now_us();
	assert_true(b - a >= 20000);
	assert_true(clock_thread_cpu_us() - cpu0 < 15000);
	volatile uint64_t x = 0;
	while (clock_thread_cpu_us() - cpu0 < 30000)
		x++;
	assert_true(clock_thread_cpu_us() - cpu0 >= 30000);
	assert_true(clock_wall_us() > 1700000000LL * 1000000); /* after 2023 */
}

static void test_timespec_and_format(void **state)
{
	(void)state;
	struct timespec ts = clock_timespec(3000123456LL);
	assert_int_equal(ts.tv_sec, 3000);
	assert_int_equal(ts.tv_nsec, 123456000L);
	ts = clock_timespec(250000);
	assert_int_equal(ts.tv_sec, 0);
	assert_int_equal(ts.tv_nsec, 250000000L);
	char buf[32];
	assert_string_equal(clock_format_utc(1795355101LL * 1000000, buf, sizeof(buf)),
			    "2026-11-22T13:45:01Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clocks),
		cmocka_unit_test(test_timespec_and_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
