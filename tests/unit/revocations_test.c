/* revocations_test.c - deleted rooms revoke the tokens minted before the
 * deletion, not those minted after; a week later, or when more rooms than
 * the table holds were deleted since, the oldest is forgotten. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "base/log.h"
#include "signaling/revocations.h"

#include <stdio.h>

#define S 1000000LL
#define DAY (86400 * S)

static void test_revoked(void **state)
{
	(void)state;
	struct revocations *r = NULL;
	assert_int_equal(revocations_create(0, &r), MCU_EINVAL);
	assert_int_equal(revocations_create(8, &r), 0);
	int64_t t0 = 1700000000 * S;
	assert_false(revocations_revoked(r, "lobby", t0, t0));
	revocations_add(r, "lobby", t0 + 10 * S);
	assert_true(revocations_revoked(r, "lobby", t0, t0 + 11 * S));          /* minted before */
	assert_true(revocations_revoked(r, "lobby", t0 + 10 * S, t0 + 11 * S)); /* the same µs */
	assert_false(revocations_revoked(r, "lobby", t0 + 10 * S + 1, t0 + 11 * S));
	assert_false(revocations_revoked(r, "other", t0, t0 + 11 * S));
	/* Deleted again later: the later deletion counts. */
	revocations_add(r, "lobby", t0 + 20 * S);
	assert_true(revocations_revoked(r, "lobby", t0 + 15 * S, t0 + 21 * S));
	/* A week on, no token minted before it lives: forgotten. */
	assert_true(revocations_revoked(r, "lobby", t0, t0 + 20 * S + 7 * DAY));
	assert_false(revocations_revoked(r, "lobby", t0, t0 + 20 * S + 7 * DAY + 1));
	assert_false(revocations_revoked(NULL, "lobby", t0, t0));
	revocations_add(NULL, "lobby", t0);
	revocations_destroy(r);
	revocations_destroy(NULL);
}

static void test_bounded(void **state)
{
	(void)state;
	struct revocations *r = NULL;
	assert_int_equal(revocations_create(4, &r), 0);
	int64_t t0 = 1700000000 * S;
	char name[16];
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "room%d", i);
		revocations_add(r, name, t0 + i * S);
	}
	/* A fifth pushes out the oldest (room0), the others stay. */
	revocations_add(r, "room4", t0 + 4 * S);
	assert_false(revocations_revoked(r, "room0", t0 - S, t0 + 5 * S));
	for (int i = 1; i <= 4; i++) {
		snprintf(name, sizeof(name), "room%d", i);
		assert_true(revocations_revoked(r, name, t0 - S, t0 + 5 * S));
	}
	/* Entries past a week make way before any younger one goes. */
	revocations_add(r, "late", t0 + 8 * DAY);
	for (int i = 1; i <= 4; i++) {
		snprintf(name, sizeof(name), "room%d", i);
		assert_false(revocations_revoked(r, name, t0 - S, t0 + 8 * DAY));
	}
	assert_true(revocations_revoked(r, "late", t0, t0 + 8 * DAY));
	revocations_destroy(r);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_revoked),
		cmocka_unit_test(test_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
