/*
 * sdpwriter_test.c - the bounded answer buffer (sdpwriter.h): text that
 * fits is appended and counted, text that does not fit ends in MCU_EINVAL
 * and an empty buffer, never in a cut answer, and nothing is written past
 * the buffer (exactly sized heap buffers, for ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "signaling/sdpwriter.h"

#include <stdlib.h>
#include <string.h>

static void test_appends(void **state)
{
	(void)state;
	char buf[64];
	struct sdpwriter w = { .buf = buf, .size = sizeof(buf) };
	assert_int_equal(sdpwriter_end(&w), 0);
	sdpwriter_put(&w, "v=0\r\n");
	sdpwriter_put(&w, "m=%s %d\r\n", "audio", 9);
	sdpwriter_put(&w, "%s", "");
	assert_false(w.overflow);
	assert_int_equal(sdpwriter_end(&w), 16);
	assert_string_equal(buf, "v=0\r\nm=audio 9\r\n");
}

/* "0123456789" in a buffer of size: fits with one byte for the NUL. */
static int write_ten(size_t size)
{
	char *buf = malloc(size);
	assert_non_null(buf);
	struct sdpwriter w = { .buf = buf, .size = size };
	sdpwriter_put(&w, "%s", "01234");
	sdpwriter_put(&w, "%d", 56789);
	int n = sdpwriter_end(&w);
	if (n >= 0)
		assert_string_equal(buf, "0123456789");
	else
		assert_string_equal(buf, "");
	free(buf);
	return n;
}

static void test_exact_size(void **state)
{
	(void)state;
	assert_int_equal(write_ten(11), 10);
	assert_int_equal(write_ten(10), MCU_EINVAL);
	assert_int_equal(write_ten(6), MCU_EINVAL);
	assert_int_equal(write_ten(5), MCU_EINVAL);
	assert_int_equal(write_ten(1), MCU_EINVAL);
}

/* After one line did not fit, a shorter one that would is not written:
 * the answer would miss a line in its middle. */
static void test_overflow_sticks(void **state)
{
	(void)state;
	char buf[8];
	struct sdpwriter w = { .buf = buf, .size = sizeof(buf) };
	sdpwriter_put(&w, "abc");
	sdpwriter_put(&w, "defghijk");
	assert_true(w.overflow);
	sdpwriter_put(&w, "x");
	assert_int_equal(w.len, 3);
	assert_int_equal(sdpwriter_end(&w), MCU_EINVAL);
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_exact_size),
		cmocka_unit_test(test_overflow_sticks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
