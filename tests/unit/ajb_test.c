/* ajb_test.c - the audio playout buffer (start depth, reorder, loss with
 * the following packet, underrun and re-buffer, drift shrink, wrap,
 * resync). Every packet carries its own seq as payload, so the order that
 * comes out is checked packet by packet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "mixer/ajb.h"

#include <string.h>
static int aput(struct ajb *j, uint16_t seq, int level)
{
	uint8_t p[2] = { (uint8_t)(seq >> 8), (uint8_t)seq };
	return ajb_insert(j, seq, p, sizeof(p), level, 0);
}

static uint16_t seq_of(const uint8_t *p, size_t len)
{
	assert_non_null(p);
	assert_int_equal(len, 2);
	return (uint16_t)(p[0] << 8 | p[1]);
}

static struct ajb *anew(int capacity, int target)
{
	struct ajb *j = NULL;
	assert_int_equal(ajb_create(capacity, target, &j), 0);
	assert_non_null(j);
	return j;
}

static void expect_packet_at(struct ajb *j, int64_t now, uint16_t seq, int level)
{
	struct ajb_out o;
	assert_int_equal(ajb_pop(j, now, &o), AJB_PACKET);
	assert_int_equal(seq_of(o.payload, o.len), seq);
	assert_int_equal(o.level, level);
	assert_null(o.next);
}

static void expect_packet(struct ajb *j, uint16_t seq)
{
	expect_packet_at(j, 0, seq, -1);
}

/* next_seq < 0: no following packet offered. */
static void expect_lost(struct ajb *j, int next_seq)
{
	struct ajb_out o;
	assert_int_equal(ajb_pop(j, 0, &o), AJB_LOST);
	assert_null(o.payload);
	if (next_seq < 0)
		assert_null(o.next);
	else
		assert_int_equal(seq_of(o.next, o.next_len), next_seq);
}

static void expect_empty(struct ajb *j)
{
	struct ajb_out o;
	assert_int_equal(ajb_pop(j, 0, &o), AJB_EMPTY);
	assert_null(o.payload);
	assert_null(o.next);
}

static void test_ajb_create(void **state)
{
	(void)state;
	struct ajb *j = (struct ajb *)1;
	assert_int_equal(ajb_create(4, 1, &j), MCU_EINVAL);
	assert_null(j);
	assert_int_equal(ajb_create(12, 2, &j), MCU_EINVAL);
	assert_int_equal(ajb_create(512, 2, &j), MCU_EINVAL);
	assert_int_equal(ajb_create(16, 0, &j), MCU_EINVAL);
	assert_int_equal(ajb_create(16, 9, &j), MCU_EINVAL);
	assert_int_equal(ajb_create(16, 2, NULL), MCU_EINVAL);
	assert_int_equal(ajb_create(256, 128, &j), 0);
	ajb_destroy(j);
	ajb_destroy(NULL);

	j = anew(8, 1);
	expect_empty(j);
	assert_int_equal(ajb_depth(j), 0);
	ajb_destroy(j);
}

static void test_ajb_in_order(void **state)
{
	(void)state;
	struct ajb *j = anew(16, 3);

	assert_int_equal(aput(j, 0, 30), 0);
	expect_empty(j);
	assert_int_equal(aput(j, 1, 200), 0);  /* not a level: reads as absent */
	expect_empty(j);
	assert_int_equal(aput(j, 2, -1), 0);
	assert_int_equal(ajb_depth(j), 3);
	expect_packet_at(j, 0, 0, 30);
	assert_int_equal(ajb_depth(j), 2);
	expect_packet(j, 1);
	assert_int_equal(aput(j, 3, 127), 0);
	expect_packet(j, 2);
	expect_packet_at(j, 0, 3, 127);
	expect_empty(j);

	/* Lengths. */
	static uint8_t big[AJB_MAX_PAYLOAD + 1];
	assert_int_equal(ajb_insert(j, 4, big, sizeof(big), -1, 0), MCU_EPROTO);
	assert_int_equal(ajb_insert(j, 4, big, AJB_MAX_PAYLOAD, -1, 0), 0);
	struct ajb_out o;
	assert_int_equal(ajb_pop(j, 0, &o), AJB_PACKET);
	assert_int_equal(o.len, AJB_MAX_PAYLOAD);
	ajb_destroy(j);
}

static void test_ajb_reorder(void **state)
{
	(void)state;
	struct ajb *j = anew(16, 3);

	/* Before playing, an earlier packet moves the start back. */
	assert_int_equal(aput(j, 12, -1), 0);
	assert_int_equal(aput(j, 10, -1), 0);
	expect_empty(j);
	assert_int_equal(aput(j, 11, -1), 0);
	expect_packet(j, 10);

	/* While playing, reordering within the depth is invisible. */
	assert_int_equal(aput(j, 14, -1), 0);
	assert_int_equal(aput(j, 13, -1), 0);
	expect_packet(j, 11);
	expect_packet(j, 12);
	assert_int_equal(aput(j, 15, -1), 0);
	expect_packet(j, 13);
	expect_packet(j, 14);
	expect_packet(j, 15);
	ajb_destroy(j);
}

static void test_ajb_loss(void **state)
{
	(void)state;
	struct ajb *j = anew(16, 2);

	assert_int_equal(aput(j, 0, -1), 0);
	assert_int_equal(aput(j, 1, -1), 0);
	expect_packet(j, 0);
	assert_int_equal(aput(j, 3, -1), 0);
	assert_int_equal(aput(j, 4, -1), 0);   /* 2 lost */
	expect_packet(j, 1);
	expect_lost(j, 3);                     /* 3's FEC may cover 2 */
	assert_int_equal(ajb_depth(j), 2);
	expect_packet(j, 3);
	assert_int_equal(aput(j, 2, -1), MCU_EPROTO);  /* its turn passed */

	/* Two lost: the first has no following packet to offer. */
	assert_int_equal(aput(j, 7, -1), 0);
	expect_packet(j, 4);
	expect_lost(j, -1);
	expect_lost(j, 7);
	expect_packet(j, 7);
	expect_empty(j);
	ajb_destroy(j);
}

static void test_ajb_underrun(void **state)
{
	(void)state;
	struct ajb *j = anew(16, 2);

	assert_int_equal(aput(j, 0, -1), 0);
	assert_int_equal(aput(j, 1, -1), 0);
	expect_packet(j, 0);
	expect_packet(j, 1);
	expect_empty(j);  /* underrun */
	expect_empty(j);

	/* The expected packet, late, still plays although the depth is 1. */
	assert_int_equal(aput(j, 2, -1), 0);
	expect_packet(j, 2);
	expect_empty(j);

	/* 3 never comes. 4 alone is short of the depth: wait. */
	assert_int_equal(aput(j, 4, -1), 0);
	expect_empty(j);
	expect_empty(j);
	/* With the depth back, play resumes at 4: 3's time has passed. */
	assert_int_equal(aput(j, 5, -1), 0);
	expect_packet(j, 4);
	assert_int_equal(aput(j, 3, -1), MCU_EPROTO);
	expect_packet(j, 5);
	expect_empty(j);
	ajb_destroy(j);
}

static void test_ajb_drift(void **state)
{
	(void)state;
	struct ajb *j = anew(16, 2);
	const int64_t period = 20000;

	/* target + 3 held at every pop: after 2 s, pop 100 skips seq 100. */
	for (uint16_t s = 0; s < 5; s++)
		assert_int_equal(aput(j, s, -1), 0);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(ajb_depth(j), 5);
		expect_packet_at(j, i * period, (uint16_t)i, -1);
		assert_int_equal(aput(j, (uint16_t)(i + 5), -1), 0);
	}
	expect_packet_at(j, 100 * period, 101, -1);
	assert_int_equal(ajb_depth(j), 3);
	assert_int_equal(aput(j, 100, -1), MCU_EPROTO);
	assert_int_equal(aput(j, 105, -1), 0);

	/* Still above target + 1: the window restarted, so the next drop is
	 * 2 s later, at pop 200 (seq 202), and then the depth is target + 1. */
	int64_t t = 100 * period;
	uint16_t want = 102;
	for (int i = 101; i < 200; i++) {
		t += period;
		expect_packet_at(j, t, want, -1);
		assert_int_equal(aput(j, (uint16_t)(want + 4), -1), 0);
		want++;
	}
	assert_int_equal(want, 201);
	expect_packet_at(j, t + period, 202, -1);
	assert_int_equal(ajb_depth(j), 2);
	ajb_destroy(j);

	/* Exactly target + 1 held is the normal state: never shrunk. */
	j = anew(16, 2);
	for (uint16_t s = 0; s < 3; s++)
		assert_int_equal(aput(j, s, -1), 0);
	for (int i = 0; i < 500; i++) {
		expect_packet_at(j, i * period, (uint16_t)i, -1);
		assert_int_equal(aput(j, (uint16_t)(i + 3), -1), 0);
	}
	ajb_destroy(j);

	/* Excess that lapses once restarts the 2 s window: no inserts after
	 * pops 88 and 89 leave target + 1 at pop 90, three after it bring the
	 * excess back from pop 91, so the drop is at pop 191, not 100. */
	j = anew(16, 2);
	uint16_t top = 4;
	for (uint16_t s = 0; s <= top; s++)
		assert_int_equal(aput(j, s, -1), 0);
	for (int i = 0; i < 191; i++) {
		expect_packet_at(j, i * period, (uint16_t)i, -1);
		int adds = i == 88 || i == 89 ? 0 : i == 90 ? 3 : 1;
		while (adds-- > 0)
			assert_int_equal(aput(j, ++top, -1), 0);
	}
	expect_packet_at(j, 191 * period, 192, -1);
	ajb_destroy(j);
}

/*
 * A 1 s stall, then the second of packets at once (as the room's buffers
 * are made: capacity 64, target 1): the delay is back to the steady depth
 * within a few pops, not shed at one packet per 2 s for 100 s. A burst of
 * at most 5 past target is left to the slow path.
 */
static void test_ajb_burst(void **state)
{
	(void)state;
	struct ajb *j = anew(64, 1);
	const int64_t period = 20000;
	int64_t t = 0;
	uint16_t seq = 0;

	/* Steady: insert one, pop one. */
	for (int i = 0; i < 50; i++, t += period) {
		assert_int_equal(aput(j, seq, -1), 0);
		expect_packet_at(j, t, seq, -1);
		seq++;
	}
	/* The stall: nothing for 1 s, then 50 packets and the next one. */
	for (int i = 0; i < 50; i++, t += period)
		expect_empty(j);
	for (int i = 0; i <= 50; i++)
		assert_int_equal(aput(j, seq++, -1), 0);
	assert_int_equal(ajb_depth(j), 51);

	/* Back to steady within 1 s of pops at the most; in fact at once. */
	int pops = 0;
	struct ajb_out o;
	while (ajb_depth(j) > 1) {
		assert_true(pops < 50);
		assert_int_equal(ajb_pop(j, t, &o), AJB_PACKET);
		assert_int_equal(aput(j, seq++, -1), 0);
		t += period;
		pops++;
	}
	assert_true(pops <= 1);
	/* What plays is the newest: the second-newest before that insert. */
	assert_int_equal(seq_of(o.payload, o.len), (uint16_t)(seq - 2));
	for (int i = 0; i < 200; i++, t += period) {
		expect_packet_at(j, t, (uint16_t)(seq - 1), -1);
		assert_int_equal(aput(j, seq++, -1), 0);
		assert_int_equal(ajb_depth(j), 1);
	}
	ajb_destroy(j);

	/* Gaps among the shed packets do not count: 12 held over a span of
	 * 20, target 2, leave target and play the oldest of them. */
	j = anew(64, 2);
	for (uint16_t s = 0; s < 20; s++)
		if (s % 5 < 3)
			assert_int_equal(aput(j, s, -1), 0);
	assert_int_equal(ajb_depth(j), 12);
	expect_packet_at(j, 0, 16, -1);
	assert_int_equal(ajb_depth(j), 1);
	expect_packet_at(j, period, 17, -1);
	ajb_destroy(j);

	/* Exactly target + 5 is left alone: it plays from the oldest. */
	j = anew(16, 2);
	for (uint16_t s = 0; s < 7; s++)
		assert_int_equal(aput(j, s, -1), 0);
	expect_packet_at(j, 0, 0, -1);
	assert_int_equal(ajb_depth(j), 6);
	ajb_destroy(j);
}

static void test_ajb_wrap(void **state)
{
	(void)state;
	struct ajb *j = anew(8, 2);

	assert_int_equal(aput(j, 65535, -1), 0);
	assert_int_equal(aput(j, 65534, -1), 0);
	expect_packet(j, 65534);
	assert_int_equal(aput(j, 0, -1), 0);
	expect_packet(j, 65535);
	assert_int_equal(aput(j, 2, -1), 0);   /* 1 lost */
	expect_packet(j, 0);
	expect_lost(j, 2);
	expect_packet(j, 2);
	assert_int_equal(aput(j, 65535, -1), MCU_EPROTO);
	assert_int_equal(aput(j, 1, -1), MCU_EPROTO);
	ajb_destroy(j);
}

static void test_ajb_duplicates(void **state)
{
	(void)state;
	struct ajb *j = anew(8, 2);

	assert_int_equal(aput(j, 5, -1), 0);
	assert_int_equal(aput(j, 5, -1), MCU_EEXIST);
	assert_int_equal(ajb_depth(j), 1);
	assert_int_equal(aput(j, 6, -1), 0);
	assert_int_equal(aput(j, 6, -1), MCU_EEXIST);
	expect_packet(j, 5);
	assert_int_equal(aput(j, 5, -1), MCU_EPROTO);
	assert_int_equal(aput(j, 6, -1), MCU_EEXIST);
	expect_packet(j, 6);
	expect_empty(j);
	ajb_destroy(j);
}

static void test_ajb_resync_and_reset(void **state)
{
	(void)state;
	struct ajb *j = anew(16, 2);

	assert_int_equal(aput(j, 0, -1), 0);
	assert_int_equal(aput(j, 1, -1), 0);
	assert_int_equal(aput(j, 2, -1), 0);
	expect_packet(j, 0);

	/* 17 is capacity ahead of the next to play (1): start over there. */
	assert_int_equal(aput(j, 17, -1), 0);
	assert_int_equal(ajb_depth(j), 1);
	expect_empty(j);                       /* buffering again */
	assert_int_equal(aput(j, 1, -1), MCU_EPROTO);
	assert_int_equal(aput(j, 16, -1), 0);  /* reordering before the start */
	expect_packet(j, 16);
	expect_packet(j, 17);

	/* Within capacity is not a jump: the gap is played as losses. */
	assert_int_equal(aput(j, 18, -1), 0);
	assert_int_equal(aput(j, 33, -1), 0);  /* 18 + 15: fits */
	expect_packet(j, 18);
	for (int s = 19; s < 33; s++)
		expect_lost(j, s == 32 ? 33 : -1);
	expect_packet(j, 33);

	/* A reset forgets the stream: any seq starts it again. */
	assert_int_equal(aput(j, 40, -1), 0);
	ajb_reset(j);
	assert_int_equal(ajb_depth(j), 0);
	expect_empty(j);
	assert_int_equal(aput(j, 3, -1), 0);
	assert_int_equal(aput(j, 4, -1), 0);
	expect_packet(j, 3);
	expect_packet(j, 4);
	ajb_destroy(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ajb_create),
		cmocka_unit_test(test_ajb_in_order),
		cmocka_unit_test(test_ajb_reorder),
		cmocka_unit_test(test_ajb_loss),
		cmocka_unit_test(test_ajb_underrun),
		cmocka_unit_test(test_ajb_drift),
		cmocka_unit_test(test_ajb_burst),
		cmocka_unit_test(test_ajb_wrap),
		cmocka_unit_test(test_ajb_duplicates),
		cmocka_unit_test(test_ajb_resync_and_reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
