/* cost_test.c - the admission cost model: decodes per sender, one encode per
 * output in use (not per receiver), audio encodes per mixed speaker + 1,
 * recording keeps hd; the charge of a participant whose media cannot flow
 * yet; and the cpu_budget setting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mcu/cost.h"
#include "base/err.h"

#include <unistd.h>

static struct port_info participant(int profile, bool sends, bool receives, int mode)
{
	struct port_info p = { .sends_audio = sends, .sends_video = sends,
			       .receives_audio = receives, .receives_video = receives,
			       .profile = profile, .packetization_mode = mode };
	return p;
}

static void test_encode_per_output_not_per_receiver(void **state)
{
	(void)state;
	struct cost_room r;
	cost_room_init(&r, 8, false);
	assert_true(cost_room_estimate(&r) == 0);
	struct port_info hd = participant(0, true, true, 1);
	cost_room_add(&r, &hd);
	double one = cost_room_estimate(&r);
	assert_true(one > 0.17 && one < 0.3);
	struct port_info viewer = participant(0, false, true, 1);
	cost_room_add(&r, &viewer);
	double two = cost_room_estimate(&r);
	assert_true(two - one < 0.002); /* another hd receiver costs packetization only */
	struct port_info sd = participant(1, false, true, 1);
	cost_room_add(&r, &sd);
	assert_true(cost_room_estimate(&r) - two > 0.04); /* a new profile: an encode */
	struct port_info sd0 = participant(1, false, true, 0);
	double before = cost_room_estimate(&r);
	cost_room_add(&r, &sd0);
	assert_true(cost_room_estimate(&r) - before > 0.04); /* mode 0 is its own encode */
}

static void test_senders_and_audio(void **state)
{
	(void)state;
	struct cost_room r;
	cost_room_init(&r, 2, false);
	for (int i = 0; i < 5; i++) {
		struct port_info p = participant(0, true, true, 1);
		cost_room_add(&r, &p);
	}
	/* 5 decodes of each kind, one hd encode, 2 mixed + 1 audio encodes. */
	double want = 5 * 0.022 + 5 * 0.0012 + 5 * 0.0005 + 0.17 + 0.02 + 3 * 0.011;
	double got = cost_room_estimate(&r);
	assert_true(got > want - 1e-9 && got < want + 1e-9);
	struct cost_room rec;
	cost_room_init(&rec, 8, true);
	assert_true(cost_room_estimate(&rec) >= 0.17); /* recording runs hd alone */
}

static void test_budget(void **state)
{
	(void)state;
	double b = -1;
	assert_int_equal(cost_parse_budget("off", &b), 0);
	assert_true(b == 0);
	assert_int_equal(cost_parse_budget("0", &b), 0);
	assert_true(b == 0);
	assert_int_equal(cost_parse_budget("1.5", &b), 0);
	assert_true(b == 1.5);
	assert_int_equal(cost_parse_budget("auto", &b), 0);
	assert_true(b == 0.9 * (double)sysconf(_SC_NPROCESSORS_ONLN));
	assert_int_equal(cost_parse_budget("", &b), MCU_EINVAL);
	assert_int_equal(cost_parse_budget("-1", &b), MCU_EINVAL);
	assert_int_equal(cost_parse_budget("2x", &b), MCU_EINVAL);
}

static void test_pending_charge(void **state)
{
	(void)state;
	double pending = -1;
	assert_true(cost_charged_fully(true, 0, &pending));
	assert_true(pending == 0);
	assert_false(cost_charged_fully(false, 1000, &pending));
	assert_true(pending == COST_PENDING);
	assert_false(cost_charged_fully(false, COST_PENDING_US, &pending));
	assert_true(pending == 0); /* ICE has given up by then */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_per_output_not_per_receiver),
		cmocka_unit_test(test_senders_and_audio),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_pending_charge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
