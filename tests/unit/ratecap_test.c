/* ratecap_test.c - the inbound packet cap: a burst passes, a steady flood is
 * held to the rate, idle time refills no more than the bucket, no cap when
 * rate <= 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mcu/net/ratecap.h"

static void test_burst_then_rate(void **state)
{
	(void)state;
	struct ratecap c;
	ratecap_init(&c, 1000, 100);
	int passed = 0;
	for (int i = 0; i < 150; i++)
		passed += ratecap_take(&c, 1000000);
	assert_int_equal(passed, 100);
	assert_int_equal(c.dropped, 50);
	/* 10 000 packets over one second (one every 100 µs): ~1000 pass. */
	passed = 0;
	for (int i = 1; i <= 10000; i++)
		passed += ratecap_take(&c, 1000000 + i * 100);
	assert_in_range(passed, 995, 1005);
	/* A long pause refills the bucket, not more. */
	passed = 0;
	for (int i = 0; i < 300; i++)
		passed += ratecap_take(&c, 60000000);
	assert_int_equal(passed, 100);
}

static void test_no_cap(void **state)
{
	(void)state;
	struct ratecap c;
	ratecap_init(&c, 0, 0);
	for (int i = 0; i < 100000; i++)
		assert_true(ratecap_take(&c, 5));
	assert_int_equal(c.dropped, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_no_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
