/* rtpstats_test.c - RFC 3550 receive statistics: probation, loss across
 * gaps and sequence wraps, duplicates, restarts (A.1 big jumps) and
 * interarrival jitter against its closed form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mcu/net/rtpstats.h"

#include <math.h>

#define OPUS_RATE 48000
#define OPUS_TS_STEP 960      /* 20 ms at 48 kHz */
#define FRAME_US 20000

/* Feeds n perfectly paced packets from seq/ts/t; all must be counted. */
static void feed_run(struct rtpstats *s, uint16_t seq, uint32_t ts, int64_t t, int n)
{
	for (int i = 0; i < n; i++)
		assert_true(rtpstats_update(s, (uint16_t)(seq + i),
					    ts + (uint32_t)i * OPUS_TS_STEP, 100,
					    t + (int64_t)i * FRAME_US));
}

static void test_init(void **state)
{
	(void)state;
	struct rtpstats s;
	rtpstats_init(&s, 0x1234, OPUS_RATE);
	assert_false(s.started);
	assert_int_equal(s.ssrc, 0x1234);
	assert_int_equal(s.clock_rate, OPUS_RATE);
	assert_int_equal(s.received, 0);
	assert_int_equal(rtpstats_expected(&s), 0);
	assert_int_equal(rtpstats_lost(&s), 0);
	assert_true(rtpstats_jitter_ms(&s) == 0.0);
}

static void test_clean_run(void **state)
{
	(void)state;
	struct rtpstats s;
	rtpstats_init(&s, 1, OPUS_RATE);
	assert_true(rtpstats_update(&s, 1000, 0, 100, 0));
	/* The endpoint re-inits on !started: it must be set at once. */
	assert_true(s.started);
	assert_int_equal(s.received, 1);
	assert_int_equal(rtpstats_expected(&s), 1);
	feed_run(&s, 1001, OPUS_TS_STEP, FRAME_US, 199);
	assert_int_equal(s.probation, 0);
	assert_int_equal(s.received, 200);
	assert_int_equal(s.bytes, 200 * 100);
	assert_int_equal(s.max_seq, 1199);
	assert_int_equal(rtpstats_expected(&s), 200);
	assert_int_equal(rtpstats_lost(&s), 0);
}

static void test_wrap(void **state)
{
	(void)state;
	/* Start a little before the wrap, and exactly on its last number
	 * (the wrap then happens inside probation). */
	static const uint16_t starts[] = { 65500, 65535, 65534 };
	for (size_t k = 0; k < sizeof(starts) / sizeof(starts[0]); k++) {
		struct rtpstats s;
		rtpstats_init(&s, 1, OPUS_RATE);
		feed_run(&s, starts[k], 0, 0, 200);
		assert_int_equal(s.cycles, 1u << 16);
		assert_int_equal(s.max_seq, (uint16_t)(starts[k] + 199));
		assert_int_equal(s.received, 200);
		assert_int_equal(rtpstats_expected(&s), 200);
		assert_int_equal(rtpstats_lost(&s), 0);
	}
	/* Several wraps. */
	struct rtpstats s;
	rtpstats_init(&s, 1, OPUS_RATE);
	feed_run(&s, 0, 0, 0, 3 * 65536 + 10);
	assert_int_equal(s.cycles, 3u << 16);
	assert_int_equal(rtpstats_expected(&s), 3 * 65536 + 10);
	assert_int_equal(rtpstats_lost(&s), 0);
}

static void test_gap(void **state)
{
	(void)state;
	struct rtpstats s;
	rtpstats_init(&s, 1, OPUS_RATE);
	feed_run(&s, 0, 0, 0, 50);
	/* 50..54 lost. */
	feed_run(&s, 55, 55 * OPUS_TS_STEP, 55 * FRAME_US, 45);
	assert_int_equal(s.received, 95);
	assert_int_equal(rtpstats_expected(&s), 100);
	assert_int_equal(rtpstats_lost(&s), 5);

	/* A gap across the wrap counts the same. */
	rtpstats_init(&s, 1, OPUS_RATE);
	feed_run(&s, 65530, 0, 0, 3);   /* 65530..65532 */
	feed_run(&s, 2, 0, 0, 3);       /* 65533..1 lost: 5 */
	assert_int_equal(rtpstats_expected(&s), 11);
	assert_int_equal(rtpstats_lost(&s), 5);

	/* A gap just under MAX_DROPOUT is loss, not a restart. */
	rtpstats_init(&s, 1, OPUS_RATE);
	feed_run(&s, 0, 0, 0, 10);
	assert_true(rtpstats_update(&s, 9 + 2999, 0, 100, 0));
	assert_int_equal(rtpstats_expected(&s), 3009);
	assert_int_equal(rtpstats_lost(&s), 2998);
}

static void test_duplicates_and_reorder(void **state)
{
	(void)state;
	struct rtpstats s;
	rtpstats_init(&s, 1, OPUS_RATE);
	feed_run(&s, 0, 0, 0, 100);
	/* A.1 counts duplicates (it cannot tell them from late packets),
	 * so received exceeds expected and lost clamps at 0. */
	assert_true(rtpstats_update(&s, 99, 0, 100, 0)); /* of max_seq */
	assert_true(rtpstats_update(&s, 10, 0, 100, 0)); /* of an old one */
	assert_true(rtpstats_update(&s, 50, 0, 100, 0));
	assert_int_equal(s.max_seq, 99);
	assert_int_equal(s.received, 103);
	assert_int_equal(rtpstats_expected(&s), 100);
	assert_int_equal(rtpstats_lost(&s), 0);

	/* Reordering: 101 before 100, no loss once both are in. */
	assert_true(rtpstats_update(&s, 101, 0, 100, 0));
	assert_int_equal(s.max_seq, 101);
	assert_true(rtpstats_update(&s, 100, 0, 100, 0));
	assert_int_equal(s.max_seq, 101);
	assert_int_equal(rtpstats_expected(&s), 102);

	/* Duplicates offset losses, per A.3. */
	rtpstats_init(&s, 1, OPUS_RATE);
	feed_run(&s, 0, 0, 0, 20);
	feed_run(&s, 25, 0, 0, 5);                       /* 20..24 lost */
	assert_true(rtpstats_update(&s, 3, 0, 100, 0));  /* two dups */
	assert_true(rtpstats_update(&s, 29, 0, 100, 0));
	assert_int_equal(rtpstats_expected(&s), 30);
	assert_int_equal(s.received, 27);
	assert_int_equal(rtpstats_lost(&s), 3);
}

static void test_probation(void **state)
{
	(void)state;
	struct rtpstats s;
	rtpstats_init(&s, 1, OPUS_RATE);
	assert_true(rtpstats_update(&s, 100, 0, 100, 0));
	assert_true(s.probation > 0);
	/* Not consecutive: probation starts over at 200. */
	assert_true(rtpstats_update(&s, 200, 0, 100, 0));
	assert_true(s.probation > 0);
	assert_int_equal(s.received, 1);
	assert_int_equal(s.base_seq, 200);
	assert_true(rtpstats_update(&s, 201, 0, 100, 0));
	assert_int_equal(s.probation, 0);
	assert_int_equal(s.received, 2);
	assert_int_equal(rtpstats_expected(&s), 2);
	assert_int_equal(rtpstats_lost(&s), 0);
	/* bytes counts every packet that was reported as counted. */
	assert_int_equal(s.bytes, 300);
}

static void test_restart(void **state)
{
	(void)state;
	struct rtpstats s;
	rtpstats_init(&s, 1, OPUS_RATE);
	feed_run(&s, 0, 0, 0, 100);
	uint64_t bytes = s.bytes;

	/* A lone jump of MAX_DROPOUT or more is a stray: not counted. */
	assert_false(rtpstats_update(&s, 99 + 3000, 0, 100, 0));
	assert_false(rtpstats_update(&s, 10000, 0, 100, 0));
	assert_int_equal(s.received, 100);
	assert_int_equal(s.max_seq, 99);
	assert_int_equal(s.bytes, bytes);
	/* The stream carries on as if it never happened. */
	assert_true(rtpstats_update(&s, 100, 0, 100, 0));
	assert_int_equal(rtpstats_lost(&s), 0);

	/* Far behind (more than MAX_MISORDER) is a jump too. */
	assert_false(rtpstats_update(&s, (uint16_t)(100 - 101), 0, 100, 0));

	/* A jump followed by its successor: the sender restarted, re-sync.
	 * The stray itself stays uncounted, as A.1 has it. */
	assert_false(rtpstats_update(&s, 20000, 0, 100, 0));
	assert_true(rtpstats_update(&s, 20001, 0, 100, 0));
	assert_int_equal(s.base_seq, 20001);
	assert_int_equal(s.max_seq, 20001);
	assert_int_equal(s.cycles, 0);
	assert_int_equal(s.received, 1);
	feed_run(&s, 20002, 0, 0, 9);
	assert_int_equal(s.received, 10);
	assert_int_equal(rtpstats_expected(&s), 10);
	assert_int_equal(rtpstats_lost(&s), 0);
	assert_int_equal(s.bytes, bytes + 11 * 100);

	/* Two unrelated strays in a row do not re-sync. */
	assert_false(rtpstats_update(&s, 40000, 0, 100, 0));
	assert_false(rtpstats_update(&s, 50000, 0, 100, 0));
	assert_true(rtpstats_update(&s, 20011, 0, 100, 0));
	assert_int_equal(s.base_seq, 20001);
	assert_int_equal(rtpstats_expected(&s), 11);
}

static void test_jitter_paced(void **state)
{
	(void)state;
	struct rtpstats s;
	rtpstats_init(&s, 1, OPUS_RATE);
	/* Constant network delay (arrival starts late) is not jitter. */
	feed_run(&s, 0, 12345, 7777777, 200);
	assert_true(s.jitter == 0.0);
	assert_true(rtpstats_jitter_ms(&s) == 0.0);

	/* 90 kHz video over the 32-bit timestamp wrap, on a monotonic clock
	 * where arrival_us * 90000 passes INT64_MAX halfway through the run
	 * (about 3.2 years after boot): the conversion must not overflow. */
	rtpstats_init(&s, 2, 90000);
	int64_t t0 = INT64_MAX / 90000 - 100 * FRAME_US;
	uint32_t ts0 = 0xFFFFFFFFu - 50 * 1800;
	for (int i = 0; i < 200; i++)
		assert_true(rtpstats_update(&s, (uint16_t)i, ts0 + (uint32_t)i * 1800, 1000,
					    t0 + (int64_t)i * FRAME_US));
	assert_true(s.jitter == 0.0);
	assert_int_equal(rtpstats_lost(&s), 0);
}

static void test_jitter_alternating(void **state)
{
	(void)state;
	/* Every other packet 10 ms late: |D| is 480 units (10 ms at 48 kHz)
	 * for every pair, so after n-1 differences A.8 gives
	 * J = 480 * (1 - (15/16)^(n-1)). */
	enum { N = 300 };
	const double late_units = 480.0;
	struct rtpstats s;
	/* With ts0 = 100 the relative transit straddles 2^32: it is
	 * 2^32 - 100 for on-time packets and 380 for late ones. */
	static const uint32_t ts0s[] = { 0, 100 };
	for (size_t k = 0; k < sizeof(ts0s) / sizeof(ts0s[0]); k++) {
		rtpstats_init(&s, 1, OPUS_RATE);
		for (int i = 0; i < N; i++) {
			int64_t t = (int64_t)i * FRAME_US + (i % 2 ? 10000 : 0);
			uint32_t ts = ts0s[k] + (uint32_t)i * OPUS_TS_STEP;
			assert_true(rtpstats_update(&s, (uint16_t)i, ts, 100, t));
			if (i == 1)
				assert_true(fabs(s.jitter - late_units / 16) < 1e-9);
		}
		double expect = late_units * (1.0 - pow(15.0 / 16.0, N - 1));
		assert_true(s.jitter > 0.0);
		assert_true(fabs(s.jitter - expect) < 1e-6);
		assert_true(fabs(rtpstats_jitter_ms(&s) - 10.0) < 0.01);
	}

	/* Same pattern at 90 kHz: the answer in ms does not depend on it. */
	rtpstats_init(&s, 1, 90000);
	for (int i = 0; i < N; i++) {
		int64_t t = (int64_t)i * FRAME_US + (i % 2 ? 10000 : 0);
		rtpstats_update(&s, (uint16_t)i, (uint32_t)i * 1800, 100, t);
	}
	assert_true(fabs(rtpstats_jitter_ms(&s) - 10.0) < 0.01);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_clean_run),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_gap),
		cmocka_unit_test(test_duplicates_and_reorder),
		cmocka_unit_test(test_probation),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_jitter_paced),
		cmocka_unit_test(test_jitter_alternating),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
