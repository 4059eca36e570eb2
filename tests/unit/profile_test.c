/* profile_test.c - the output profile table (API.md section 4: sizes,
 * rates, the order the mixer scales in), the words hd/sd/ld read back into
 * ids, and ids out of range. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "base/profile.h"

static void test_profile_table(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		int w, h, fps, kbps;
	} want[PROFILE_COUNT] = {
		{ "hd", 1280, 720, 30, 2000 },
		{ "sd", 640, 360, 30, 700 },
		{ "ld", 320, 180, 15, 200 },
	};
	assert_int_equal(PROFILE_HD, 0);
	assert_int_equal(PROFILE_SD, 1);
	assert_int_equal(PROFILE_LD, 2);
	for (int i = 0; i < PROFILE_COUNT; i++) {
		const struct profile *p = profile_get((enum profile_id)i);
		assert_non_null(p);
		assert_int_equal(p->id, i);
		assert_string_equal(p->name, want[i].name);
		assert_int_equal(p->width, want[i].w);
		assert_int_equal(p->height, want[i].h);
		assert_int_equal(p->fps, want[i].fps);
		assert_int_equal(p->bitrate_kbps, want[i].kbps);
		/* 16:9, even, and each smaller than the one before */
		assert_int_equal(p->width * 9, p->height * 16);
		assert_int_equal(p->width % 2, 0);
		assert_int_equal(p->height % 2, 0);
		if (i > 0)
			assert_true(p->width < profile_get((enum profile_id)(i - 1))->width);
	}
	/* the room divides its 30 fps tick by each profile's rate */
	for (int i = 0; i < PROFILE_COUNT; i++)
		assert_int_equal(30 % profile_get((enum profile_id)i)->fps, 0);
}

static void test_profile_parse(void **state)
{
	(void)state;
	enum profile_id id = PROFILE_LD;
	assert_int_equal(profile_parse("hd", &id), 0);
	assert_int_equal(id, PROFILE_HD);
	assert_int_equal(profile_parse("sd", &id), 0);
	assert_int_equal(id, PROFILE_SD);
	assert_int_equal(profile_parse("ld", &id), 0);
	assert_int_equal(id, PROFILE_LD);

	id = PROFILE_SD;
	assert_int_equal(profile_parse(NULL, &id), MCU_EINVAL);
	assert_int_equal(profile_parse("", &id), MCU_EINVAL);
	assert_int_equal(profile_parse("HD", &id), MCU_EINVAL);
	assert_int_equal(profile_parse("hdx", &id), MCU_EINVAL);
	assert_int_equal(profile_parse("h", &id), MCU_EINVAL);
	assert_int_equal(profile_parse("sd ", &id), MCU_EINVAL);
	assert_int_equal(id, PROFILE_SD); /* untouched on failure */
}

static void test_profile_get_out_of_range(void **state)
{
	(void)state;
	assert_null(profile_get((enum profile_id)PROFILE_COUNT));
	assert_null(profile_get((enum profile_id)-1));
	assert_string_equal(profile_get(PROFILE_LD)->name, "ld");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile_table),
		cmocka_unit_test(test_profile_parse),
		cmocka_unit_test(test_profile_get_out_of_range),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
