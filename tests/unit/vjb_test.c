/* vjb_test.c - the video frame assembler (order, duplicates, NACKs,
 * retransmission, skip after loss, lost markers, wrap, reset, overflow).
 * Every packet carries its own seq as payload, so the order that comes out
 * is checked packet by packet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "mixer/vjb.h"

#include <string.h>

#define CAP 64
#define WAIT 100000      /* µs a gap may hold back a later complete frame */
#define RETRY 10000      /* µs between NACKs of one seq */
#define TS_STEP 3000     /* 90 kHz at 30 fps */

struct sink {
	uint16_t seqs[4096];
	int n;
};

static void sink_fn(void *user, const uint8_t *payload, size_t len)
{
	struct sink *k = user;
	assert_int_equal(len, 2);
	assert_true(k->n < 4096);
	k->seqs[k->n++] = (uint16_t)(payload[0] << 8 | payload[1]);
}

static int vput(struct vjb *j, uint16_t seq, uint32_t ts, bool marker, int64_t now)
{
	uint8_t p[2] = { (uint8_t)(seq >> 8), (uint8_t)seq };
	return vjb_insert(j, seq, ts, marker, p, sizeof(p), now);
}

/* Inserts first..first+n-1 in order, all with ts, the last with the marker. */
static void vframe(struct vjb *j, uint16_t first, int n, uint32_t ts, int64_t now)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(vput(j, (uint16_t)(first + i), ts, i == n - 1, now), 0);
}

static struct vjb *vnew(void)
{
	struct vjb *j = NULL;
	assert_int_equal(vjb_create(CAP, WAIT, &j), 0);
	assert_non_null(j);
	return j;
}

static void expect_frame(struct vjb *j, int64_t now, uint16_t first, uint16_t last,
			 uint32_t ts, bool discontinuity)
{
	struct sink k = { .n = 0 };
	struct vjb_frame f;
	int n = (uint16_t)(last - first) + 1;

	memset(&f, 0xAA, sizeof(f));
	assert_int_equal(vjb_pop(j, now, sink_fn, &k, &f), 1);
	assert_int_equal(f.first_seq, first);
	assert_int_equal(f.last_seq, last);
	assert_int_equal(f.ts, ts);
	assert_int_equal(f.n_packets, n);
	assert_int_equal(f.discontinuity, discontinuity);
	assert_int_equal(k.n, n);
	for (int i = 0; i < n; i++)
		assert_int_equal(k.seqs[i], (uint16_t)(first + i));
}

static void expect_no_frame(struct vjb *j, int64_t now)
{
	struct sink k = { .n = 0 };
	struct vjb_frame f;
	assert_int_equal(vjb_pop(j, now, sink_fn, &k, &f), 0);
	assert_int_equal(k.n, 0);
}

/* NACKs at now with max 16 equal want[0..n-1]. */
static void expect_nacks(struct vjb *j, int64_t now, const uint16_t *want, int n)
{
	uint16_t got[16];
	assert_int_equal(vjb_nacks(j, now, RETRY, got, 16), n);
	for (int i = 0; i < n; i++)
		assert_int_equal(got[i], want[i]);
}

static void test_vjb_create(void **state)
{
	(void)state;
	struct vjb *j = (struct vjb *)1;
	assert_int_equal(vjb_create(0, WAIT, &j), MCU_EINVAL);
	assert_null(j);
	assert_int_equal(vjb_create(32, WAIT, &j), MCU_EINVAL);
	assert_int_equal(vjb_create(100, WAIT, &j), MCU_EINVAL);
	assert_int_equal(vjb_create(8192, WAIT, &j), MCU_EINVAL);
	assert_int_equal(vjb_create(64, -1, &j), MCU_EINVAL);
	assert_int_equal(vjb_create(64, WAIT, NULL), MCU_EINVAL);
	assert_int_equal(vjb_create(4096, 0, &j), 0);
	vjb_destroy(j);
	vjb_destroy(NULL);

	/* Nothing inserted: nothing out, nothing to NACK. */
	j = vnew();
	uint16_t seqs[4];
	expect_no_frame(j, 0);
	assert_int_equal(vjb_nacks(j, 0, RETRY, seqs, 4), 0);
	vjb_destroy(j);
}

static void test_vjb_in_order(void **state)
{
	(void)state;
	struct vjb *j = vnew();

	/* The first packet need not start a frame: it is taken as one. */
	assert_int_equal(vput(j, 10, 0, false, 0), 0);
	expect_no_frame(j, 0);
	assert_int_equal(vput(j, 11, 0, true, 0), 0);
	expect_frame(j, 0, 10, 11, 0, false);
	expect_no_frame(j, 0);

	/* One-packet frames. */
	for (int i = 0; i < 5; i++) {
		vframe(j, (uint16_t)(12 + i), 1, (uint32_t)(i + 1) * TS_STEP, 0);
		expect_frame(j, 0, (uint16_t)(12 + i), (uint16_t)(12 + i), (uint32_t)(i + 1) * TS_STEP, false);
	}

	/* A frame of five comes out only with its marker, whole. */
	for (int i = 0; i < 4; i++) {
		assert_int_equal(vput(j, (uint16_t)(17 + i), 6 * TS_STEP, false, 0), 0);
		expect_no_frame(j, 0);
	}
	assert_int_equal(vput(j, 21, 6 * TS_STEP, true, 0), 0);
	expect_frame(j, 0, 17, 21, 6 * TS_STEP, false);

	/* Two ready frames come out one per call. */
	vframe(j, 22, 2, 7 * TS_STEP, 0);
	vframe(j, 24, 3, 8 * TS_STEP, 0);
	expect_frame(j, 0, 22, 23, 7 * TS_STEP, false);
	expect_frame(j, 0, 24, 26, 8 * TS_STEP, false);
	expect_no_frame(j, 0);

	/* Lengths: empty is fine, one byte over the slot is not. */
	static uint8_t big[VJB_MAX_PAYLOAD + 1];
	assert_int_equal(vjb_insert(j, 27, 9 * TS_STEP, false, big, sizeof(big), 0), MCU_EPROTO);
	assert_int_equal(vjb_insert(j, 27, 9 * TS_STEP, false, big, VJB_MAX_PAYLOAD, 0), 0);
	assert_int_equal(vjb_insert(j, 28, 9 * TS_STEP, true, NULL, 0, 0), 0);
	struct vjb_frame f;
	assert_int_equal(vjb_pop(j, 0, NULL, NULL, &f), 1);
	assert_int_equal(f.n_packets, 2);
	vjb_destroy(j);
}

static void test_vjb_reorder(void **state)
{
	(void)state;
	struct vjb *j = vnew();

	vframe(j, 0, 1, 0, 0);
	expect_frame(j, 0, 0, 0, 0, false);

	/* Within a frame: 3 (marker), 1, 2. */
	assert_int_equal(vput(j, 3, TS_STEP, true, 0), 0);
	expect_no_frame(j, 0);
	assert_int_equal(vput(j, 1, TS_STEP, false, 0), 0);
	expect_no_frame(j, 0);
	assert_int_equal(vput(j, 2, TS_STEP, false, 0), 0);
	expect_frame(j, 0, 1, 3, TS_STEP, false);

	/* Across frames: B (6, 7) complete before A (4, 5); A's first packet
	 * comes within max_wait_us, so nothing is skipped. */
	assert_int_equal(vput(j, 6, 3 * TS_STEP, false, 0), 0);
	assert_int_equal(vput(j, 7, 3 * TS_STEP, true, 0), 0);
	assert_int_equal(vput(j, 5, 2 * TS_STEP, true, 0), 0);
	expect_no_frame(j, 0);
	expect_no_frame(j, WAIT);
	assert_int_equal(vput(j, 4, 2 * TS_STEP, false, WAIT), 0);
	expect_frame(j, WAIT, 4, 5, 2 * TS_STEP, false);
	expect_frame(j, WAIT, 6, 7, 3 * TS_STEP, false);
	expect_no_frame(j, WAIT);
	vjb_destroy(j);
}

static void test_vjb_duplicates(void **state)
{
	(void)state;
	struct vjb *j = vnew();

	assert_int_equal(vput(j, 0, 0, false, 0), 0);
	assert_int_equal(vput(j, 0, 0, false, 0), MCU_EEXIST);
	assert_int_equal(vput(j, 2, TS_STEP, true, 0), 0);
	assert_int_equal(vput(j, 2, TS_STEP, true, 0), MCU_EEXIST);
	assert_int_equal(vput(j, 1, 0, true, 0), 0);
	assert_int_equal(vput(j, 1, 0, true, 0), MCU_EEXIST);
	expect_frame(j, 0, 0, 1, 0, false);
	/* Handed out: now too old, not duplicates. */
	assert_int_equal(vput(j, 0, 0, false, 0), MCU_EPROTO);
	assert_int_equal(vput(j, 1, 0, true, 0), MCU_EPROTO);
	assert_int_equal(vput(j, 2, TS_STEP, true, 0), MCU_EEXIST);
	expect_frame(j, 0, 2, 2, TS_STEP, false);
	assert_int_equal(vput(j, 2, TS_STEP, true, 0), MCU_EPROTO);
	expect_no_frame(j, 0);
	vjb_destroy(j);
}

static void test_vjb_retransmit(void **state)
{
	(void)state;
	struct vjb *j = vnew();
	const uint16_t one[] = { 1 };

	/* Frame 0..2 misses 1; frame 3 is complete behind it. */
	assert_int_equal(vput(j, 0, 0, false, 0), 0);
	assert_int_equal(vput(j, 2, 0, true, 0), 0);
	vframe(j, 3, 1, TS_STEP, 0);
	expect_nacks(j, 0, one, 1);
	expect_no_frame(j, 0);
	expect_no_frame(j, WAIT);  /* not more than max_wait_us yet */

	assert_int_equal(vput(j, 1, 0, false, WAIT), 0);
	expect_nacks(j, WAIT + RETRY, NULL, 0);
	expect_frame(j, WAIT, 0, 2, 0, false);
	expect_frame(j, WAIT, 3, 3, TS_STEP, false);
	expect_no_frame(j, WAIT);
	vjb_destroy(j);
}

static void test_vjb_loss_skips(void **state)
{
	(void)state;
	struct vjb *j = vnew();
	const uint16_t two[] = { 2 };

	vframe(j, 0, 2, 0, 0);
	expect_frame(j, 0, 0, 1, 0, false);

	/* B = 2, 3 loses 2 for good; C = 4, 5 completes at 6000 µs. */
	assert_int_equal(vput(j, 3, TS_STEP, true, 1000), 0);
	assert_int_equal(vput(j, 4, 2 * TS_STEP, false, 5000), 0);
	expect_no_frame(j, 5000);
	assert_int_equal(vput(j, 5, 2 * TS_STEP, true, 6000), 0);
	expect_nacks(j, 6000, two, 1);
	expect_no_frame(j, 6000);
	expect_no_frame(j, 6000 + WAIT);
	expect_frame(j, 6000 + WAIT + 1, 4, 5, 2 * TS_STEP, true);

	/* What was skipped is too old now, and no longer NACKed. */
	assert_int_equal(vput(j, 2, TS_STEP, false, 7000 + WAIT), MCU_EPROTO);
	assert_int_equal(vput(j, 3, TS_STEP, true, 7000 + WAIT), MCU_EPROTO);
	expect_nacks(j, 10 * WAIT, NULL, 0);

	/* The discontinuity is said once. */
	vframe(j, 6, 1, 3 * TS_STEP, 7000 + WAIT);
	expect_frame(j, 7000 + WAIT, 6, 6, 3 * TS_STEP, false);

	/* 7..9 lost, then three complete frames. 10 might be the end of a
	 * frame begun in the gap, so the skip is to 11; 13 follows. */
	const int64_t t = 1000000;
	vframe(j, 10, 1, 7 * TS_STEP, t);
	vframe(j, 11, 2, 8 * TS_STEP, t);
	vframe(j, 13, 1, 9 * TS_STEP, t);
	expect_no_frame(j, t + WAIT);
	expect_frame(j, t + WAIT + 1, 11, 12, 8 * TS_STEP, true);
	expect_frame(j, t + WAIT + 1, 13, 13, 9 * TS_STEP, false);
	expect_no_frame(j, t + WAIT + 1);
	vjb_destroy(j);
}

static void test_vjb_marker_lost(void **state)
{
	(void)state;
	struct vjb *j = vnew();
	const uint16_t three[] = { 3 };

	/* A (0, 1) out; B = 2, 3 loses its marker packet 3; C = 4, 5. */
	vframe(j, 0, 2, 0, 0);
	expect_frame(j, 0, 0, 1, 0, false);
	assert_int_equal(vput(j, 2, TS_STEP, false, 0), 0);
	vframe(j, 4, 2, 2 * TS_STEP, 0);
	expect_nacks(j, 0, three, 1);
	expect_no_frame(j, WAIT);
	/* Retransmitted: B whole, then C, nothing skipped. */
	assert_int_equal(vput(j, 3, TS_STEP, true, WAIT), 0);
	expect_frame(j, WAIT, 2, 3, TS_STEP, false);
	expect_frame(j, WAIT, 4, 5, 2 * TS_STEP, false);

	/* Never retransmitted: 3 can only be B's marker (2 has none and C has
	 * another timestamp), so C starts at 4 and comes out after the wait. */
	vjb_reset(j);
	vframe(j, 0, 2, 0, 0);
	expect_frame(j, 0, 0, 1, 0, false);
	assert_int_equal(vput(j, 2, TS_STEP, false, 0), 0);
	vframe(j, 4, 2, 2 * TS_STEP, 0);
	expect_no_frame(j, WAIT);
	expect_frame(j, WAIT + 1, 4, 5, 2 * TS_STEP, true);

	/* Marker and the next frame's first packet lost: 5 might be C's
	 * second packet, so C is not handed out; D (6) is. */
	vjb_reset(j);
	vframe(j, 0, 2, 0, 0);
	expect_frame(j, 0, 0, 1, 0, false);
	assert_int_equal(vput(j, 2, TS_STEP, false, 0), 0);
	assert_int_equal(vput(j, 5, 2 * TS_STEP, true, 0), 0);
	expect_no_frame(j, WAIT + 1);
	vframe(j, 6, 1, 3 * TS_STEP, 0);
	expect_no_frame(j, WAIT);
	expect_frame(j, WAIT + 1, 6, 6, 3 * TS_STEP, true);

	/* Marker bit missing on a packet that did arrive: the timestamp
	 * changes before any marker. Nothing can mend that, so B is skipped
	 * without waiting. */
	vjb_reset(j);
	vframe(j, 0, 2, 0, 0);
	expect_frame(j, 0, 0, 1, 0, false);
	assert_int_equal(vput(j, 2, TS_STEP, false, 0), 0);
	assert_int_equal(vput(j, 3, TS_STEP, false, 0), 0);
	assert_int_equal(vput(j, 4, 2 * TS_STEP, false, 0), 0);
	expect_no_frame(j, 0);
	assert_int_equal(vput(j, 5, 2 * TS_STEP, true, 0), 0);
	expect_frame(j, 0, 4, 5, 2 * TS_STEP, true);
	vjb_destroy(j);
}

static void test_vjb_wrap(void **state)
{
	(void)state;
	struct vjb *j = vnew();

	vframe(j, 65533, 1, 0xFFFFF000u, 0);
	expect_frame(j, 0, 65533, 65533, 0xFFFFF000u, false);

	/* A frame across the wrap, reordered; its timestamp wraps too. */
	assert_int_equal(vput(j, 0, 0x400, false, 0), 0);
	assert_int_equal(vput(j, 65535, 0x400, false, 0), 0);
	assert_int_equal(vput(j, 1, 0x400, true, 0), 0);
	expect_no_frame(j, 0);
	assert_int_equal(vput(j, 65534, 0x400, false, 0), 0);
	expect_frame(j, 0, 65534, 1, 0x400, false);
	assert_int_equal(vput(j, 65535, 0x400, false, 0), MCU_EPROTO);

	/* A gap across the wrap is NACKed in order and skipped over. */
	vjb_reset(j);
	vframe(j, 65533, 1, 0, 0);
	expect_frame(j, 0, 65533, 65533, 0, false);
	vframe(j, 1, 1, 2 * TS_STEP, 0);  /* 65534..0 lost */
	vframe(j, 2, 1, 3 * TS_STEP, 0);
	const uint16_t want[] = { 65534, 65535, 0 };
	expect_nacks(j, 0, want, 3);
	expect_frame(j, WAIT + 1, 2, 2, 3 * TS_STEP, true);
	vjb_destroy(j);
}

static void test_vjb_far_ahead_and_reset(void **state)
{
	(void)state;
	struct vjb *j = vnew();

	vframe(j, 100, 1, 0, 0);
	expect_frame(j, 0, 100, 100, 0, false);
	assert_int_equal(vput(j, 101, TS_STEP, false, 0), 0);

	/* 174 is capacity + 10 ahead of the next frame: a jump, so start over
	 * at it and say frames were lost. */
	assert_int_equal(vput(j, 100 + CAP + 10, 9 * TS_STEP, true, 0), 0);
	expect_frame(j, 0, 100 + CAP + 10, 100 + CAP + 10, 9 * TS_STEP, true);
	assert_int_equal(vput(j, 101, TS_STEP, false, 0), MCU_EPROTO);
	assert_int_equal(vput(j, 102, TS_STEP, true, 0), MCU_EPROTO);
	expect_nacks(j, 0, NULL, 0);
	vframe(j, 100 + CAP + 11, 1, 10 * TS_STEP, 0);
	expect_frame(j, 0, 100 + CAP + 11, 100 + CAP + 11, 10 * TS_STEP, false);

	/* Half the sequence space away is a jump too, not an old packet. */
	assert_int_equal(vput(j, 100 + CAP + 12 + 0x8000, 0, true, 0), 0);
	expect_frame(j, 0, 100 + CAP + 12 + 0x8000, 100 + CAP + 12 + 0x8000, 0, true);

	/* After a reset (new SSRC) anything goes, with no discontinuity. */
	assert_int_equal(vput(j, 7, 0, false, 0), 0);
	vjb_reset(j);
	expect_no_frame(j, 0);
	expect_nacks(j, 0, NULL, 0);
	assert_int_equal(vput(j, 3, 5, true, 0), 0);
	expect_frame(j, 0, 3, 3, 5, false);
	assert_int_equal(vput(j, 2, 5, true, 0), MCU_EPROTO);
	vjb_destroy(j);
}

static void test_vjb_overflow(void **state)
{
	(void)state;
	struct vjb *j = vnew();

	/* 1 lost for good; 2..64 one-packet frames, popped as they come. 2
	 * could be the rest of 1's frame, so 3 is the frame skipped to. The
	 * window is full when 64 arrives, long before max_wait_us. */
	vframe(j, 0, 1, 0, 0);
	expect_frame(j, 0, 0, 0, 0, false);
	for (int s = 2; s < CAP; s++) {
		vframe(j, (uint16_t)s, 1, (uint32_t)s * TS_STEP, 0);
		expect_no_frame(j, 0);
	}
	vframe(j, CAP, 1, CAP * TS_STEP, 0);
	expect_frame(j, 0, 3, 3, 3 * TS_STEP, true);
	for (int s = 4; s <= CAP; s++)
		expect_frame(j, 0, (uint16_t)s, (uint16_t)s, (uint32_t)s * TS_STEP, false);
	expect_no_frame(j, 0);

	/* The same without popping: the packet that does not fit makes room. */
	vjb_reset(j);
	vframe(j, 0, 1, 0, 0);
	expect_frame(j, 0, 0, 0, 0, false);
	for (int s = 2; s <= CAP + 1; s++)
		vframe(j, (uint16_t)s, 1, (uint32_t)s * TS_STEP, 0);
	expect_frame(j, 0, 3, 3, 3 * TS_STEP, true);
	for (int s = 4; s <= CAP + 1; s++)
		expect_frame(j, 0, (uint16_t)s, (uint16_t)s, (uint32_t)s * TS_STEP, false);

	/* One huge frame with a hole and no complete frame to skip to: the
	 * packet that does not fit starts the buffer over. */
	vjb_reset(j);
	vframe(j, 0, 1, 0, 0);
	expect_frame(j, 0, 0, 0, 0, false);
	for (int s = 2; s <= CAP; s++)
		assert_int_equal(vput(j, (uint16_t)s, TS_STEP, false, 0), 0);
	expect_no_frame(j, 10 * WAIT);
	assert_int_equal(vput(j, CAP + 1, TS_STEP, true, 0), 0);
	expect_frame(j, 0, CAP + 1, CAP + 1, TS_STEP, true);
	expect_no_frame(j, 0);
	vjb_destroy(j);
}

static void test_vjb_nacks(void **state)
{
	(void)state;
	struct vjb *j = vnew();
	const uint16_t both[] = { 1, 2 }, one[] = { 1 }, later[] = { 4, 5, 6 };
	uint16_t got[4];

	vframe(j, 0, 1, 0, 0);
	expect_frame(j, 0, 0, 0, 0, false);
	expect_nacks(j, 0, NULL, 0);
	vframe(j, 3, 1, TS_STEP, 0);        /* 1, 2 missing */

	expect_nacks(j, 0, both, 2);
	expect_nacks(j, RETRY - 1, NULL, 0); /* too soon */
	expect_nacks(j, RETRY, both, 2);
	assert_int_equal(vput(j, 2, 0, true, RETRY), 0);
	expect_nacks(j, 2 * RETRY, one, 1);  /* the third for 1 */
	expect_nacks(j, 3 * RETRY, NULL, 0); /* and the last */
	expect_nacks(j, 100 * RETRY, NULL, 0);

	/* Only what fits in seqs is sent, and counted; the rest waits. */
	vframe(j, 7, 1, 2 * TS_STEP, 0);
	assert_int_equal(vjb_nacks(j, 100 * RETRY, RETRY, got, 2), 2);
	assert_int_equal(got[0], 4);
	assert_int_equal(got[1], 5);
	assert_int_equal(vjb_nacks(j, 100 * RETRY, RETRY, got, 4), 1);
	assert_int_equal(got[0], 6);
	assert_int_equal(vjb_nacks(j, 100 * RETRY, RETRY, got, 0), 0);
	expect_nacks(j, 101 * RETRY, later, 3);

	/* Nothing past the newest packet is missing yet. */
	vjb_reset(j);
	vframe(j, 0, 1, 0, 0);
	assert_int_equal(vput(j, 1, TS_STEP, false, 0), 0);
	expect_nacks(j, 0, NULL, 0);
	vjb_destroy(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vjb_create),
		cmocka_unit_test(test_vjb_in_order),
		cmocka_unit_test(test_vjb_reorder),
		cmocka_unit_test(test_vjb_duplicates),
		cmocka_unit_test(test_vjb_retransmit),
		cmocka_unit_test(test_vjb_loss_skips),
		cmocka_unit_test(test_vjb_marker_lost),
		cmocka_unit_test(test_vjb_wrap),
		cmocka_unit_test(test_vjb_far_ahead_and_reset),
		cmocka_unit_test(test_vjb_overflow),
		cmocka_unit_test(test_vjb_nacks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
