/* vp8pkt_test.c - RFC 7741 depacketizing: every descriptor shape (X, I
 * with 7- and 15-bit PictureID, L, T, K), reserved bits, a frame over
 * three packets, a lost or repeated start, the keyframe bit, a full
 * buffer, and every truncation of each shape on exactly-sized heap copies
 * (so ASan reports any over-read). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "codecs/vp8pkt.h"
#include "base/err.h"

#include <stdlib.h>
#include <string.h>

#define D_X 0x80
#define D_N 0x20
#define D_S 0x10
#define E_I 0x80
#define E_L 0x40
#define E_T 0x20
#define E_K 0x10

enum { PKT_MAX = 1500, FRAME_MAX = 8192, DATA_LEN = 40 };

/* An exactly-sized heap copy, so ASan reports any read past len. */
static uint8_t *heap_copy(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	assert_non_null(p);
	if (len)
		memcpy(p, src, len);
	return p;
}

/* A descriptor's shape: x adds the extension byte even when ext is 0. */
struct shape {
	bool x;
	uint8_t ext;   /* I L T K bits */
	bool m;        /* 15-bit PictureID when I is set */
};

/* Writes the descriptor; returns its length. Field values are arbitrary
 * but not zero, so a parser that skips the wrong count sees junk. */
static size_t put_desc(uint8_t *p, struct shape sh, bool s, unsigned pid)
{
	size_t n = 0;
	p[n++] = (uint8_t)((sh.x ? D_X : 0) | (s ? D_S : 0) | pid);
	if (!sh.x)
		return n;
	p[n++] = sh.ext;
	if (sh.ext & E_I) {
		if (sh.m) {
			p[n++] = 0x80 | 0x7f; /* PictureID 0x7fab */
			p[n++] = 0xab;
		} else {
			p[n++] = 0x55;
		}
	}
	if (sh.ext & E_L)
		p[n++] = 0xd1; /* TL0PICIDX */
	if (sh.ext & (E_T | E_K))
		p[n++] = 0xe7; /* TID 3, Y, KEYIDX 7 */
	return n;
}

/* VP8 data: the frame tag's first byte (P bit from key), then a
 * recognisable pattern. */
static void fill_data(uint8_t *p, size_t n, bool key, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 13 + seed);
	if (n)
		p[0] = key ? 0x50 : 0x51;
}

static size_t build_pkt(uint8_t *p, struct shape sh, bool s, unsigned pid,
			const uint8_t *data, size_t n)
{
	size_t d = put_desc(p, sh, s, pid);
	memcpy(p + d, data, n);
	return d + n;
}

/* All 25 shapes: no X, then X with every I/L/T/K mix, I twice (M=0/1). */
static size_t all_shapes(struct shape *out)
{
	size_t n = 0;
	out[n++] = (struct shape){ .x = false };
	for (unsigned ext = 0; ext < 16; ext++) {
		uint8_t e = (uint8_t)(ext << 4);
		out[n++] = (struct shape){ .x = true, .ext = e };
		if (e & E_I)
			out[n++] = (struct shape){ .x = true, .ext = e, .m = true };
	}
	return n;
}

static size_t expected_desc_len(struct shape sh)
{
	if (!sh.x)
		return 1;
	size_t n = 2;
	if (sh.ext & E_I)
		n += sh.m ? 2 : 1;
	if (sh.ext & E_L)
		n++;
	if (sh.ext & (E_T | E_K))
		n++;
	return n;
}

static int add_copy(struct vp8_depack *d, const uint8_t *p, size_t len)
{
	uint8_t *c = heap_copy(p, len);
	int rc = vp8pkt_depack_add(d, c, len);
	free(c);
	return rc;
}

static void test_minimal(void **state)
{
	(void)state;
	uint8_t data[DATA_LEN], pkt[PKT_MAX], out[FRAME_MAX];
	fill_data(data, sizeof(data), true, 1);
	size_t len = build_pkt(pkt, (struct shape){ 0 }, true, 0, data, sizeof(data));
	assert_int_equal(len, 1 + DATA_LEN);

	struct vp8_depack d;
	vp8pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(add_copy(&d, pkt, len), 0);
	assert_true(d.started);
	assert_true(d.keyframe);
	assert_int_equal(vp8pkt_depack_end(&d), DATA_LEN);
	assert_memory_equal(out, data, DATA_LEN);
}

static void test_descriptor_shapes(void **state)
{
	(void)state;
	struct shape shapes[40];
	size_t count = all_shapes(shapes);
	assert_int_equal(count, 1 + 16 + 8);
	for (size_t i = 0; i < count; i++) {
		uint8_t data[DATA_LEN], pkt[PKT_MAX], out[FRAME_MAX];
		fill_data(data, sizeof(data), false, (unsigned)i);
		size_t len = build_pkt(pkt, shapes[i], true, 0, data, sizeof(data));
		assert_int_equal(len, expected_desc_len(shapes[i]) + DATA_LEN);
		struct vp8_depack d;
		vp8pkt_depack_begin(&d, out, sizeof(out));
		assert_int_equal(add_copy(&d, pkt, len), 0);
		assert_false(d.keyframe);
		assert_int_equal(vp8pkt_depack_end(&d), DATA_LEN);
		assert_memory_equal(out, data, DATA_LEN);
	}
}

/* The N bit and the reserved bits (R in the first byte, RSV in the
 * extension) do not change the descriptor's length (RFC 7741 4.2). */
static void test_reserved_bits(void **state)
{
	(void)state;
	uint8_t data[DATA_LEN], pkt[PKT_MAX], out[FRAME_MAX];
	fill_data(data, sizeof(data), true, 3);
	struct shape sh = { .x = true, .ext = E_I | E_L, .m = true };
	size_t len = build_pkt(pkt, sh, true, 0, data, sizeof(data));
	pkt[0] |= 0x40 | D_N | 0x08;
	pkt[1] |= 0x0f;
	struct vp8_depack d;
	vp8pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(add_copy(&d, pkt, len), 0);
	assert_int_equal(vp8pkt_depack_end(&d), DATA_LEN);
	assert_memory_equal(out, data, DATA_LEN);
	assert_true(d.keyframe);
}

/* A 3000-byte keyframe in three packets: partition 0's start, its
 * continuation, then partition 1's start (S=1, PID=1). */
static size_t build_three(uint8_t pkts[3][PKT_MAX], size_t lens[3], uint8_t *frame)
{
	static const size_t part = 1000;
	struct shape sh = { .x = true, .ext = E_I | E_T, .m = true };
	fill_data(frame, 3 * part, true, 7);
	lens[0] = build_pkt(pkts[0], sh, true, 0, frame, part);
	lens[1] = build_pkt(pkts[1], sh, false, 0, frame + part, part);
	lens[2] = build_pkt(pkts[2], sh, true, 1, frame + 2 * part, part);
	return 3 * part;
}

static void test_three_packets(void **state)
{
	(void)state;
	static uint8_t pkts[3][PKT_MAX], frame[FRAME_MAX], out[FRAME_MAX];
	size_t lens[3];
	size_t total = build_three(pkts, lens, frame);
	struct vp8_depack d;
	vp8pkt_depack_begin(&d, out, sizeof(out));
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(add_copy(&d, pkts[i], lens[i]), 0);
	assert_int_equal(vp8pkt_depack_end(&d), (int)total);
	assert_memory_equal(out, frame, total);
	assert_true(d.keyframe);
}

static void test_missing_start(void **state)
{
	(void)state;
	static uint8_t pkts[3][PKT_MAX], frame[FRAME_MAX], out[FRAME_MAX];
	size_t lens[3];
	build_three(pkts, lens, frame);
	struct vp8_depack d;

	/* The first packet lost: the continuation cannot start a frame, and
	 * the rest is ignored. */
	vp8pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(add_copy(&d, pkts[1], lens[1]), MCU_EPROTO);
	assert_true(d.broken);
	assert_int_equal(add_copy(&d, pkts[2], lens[2]), 0);
	assert_int_equal(d.len, 0);
	assert_int_equal(vp8pkt_depack_end(&d), MCU_EPROTO);

	/* Nor can another partition's start. */
	vp8pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(add_copy(&d, pkts[2], lens[2]), MCU_EPROTO);
	assert_int_equal(vp8pkt_depack_end(&d), MCU_EPROTO);

	/* A second frame start inside the frame. */
	vp8pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(add_copy(&d, pkts[0], lens[0]), 0);
	assert_int_equal(add_copy(&d, pkts[0], lens[0]), MCU_EPROTO);
	assert_int_equal(vp8pkt_depack_end(&d), MCU_EPROTO);

	/* _begin starts afresh. */
	vp8pkt_depack_begin(&d, out, sizeof(out));
	assert_false(d.broken || d.started || d.keyframe);
	assert_int_equal(add_copy(&d, pkts[0], lens[0]), 0);
	assert_int_equal(vp8pkt_depack_end(&d), 1000);
}

/* Only the first data byte of the frame's first packet is the frame tag. */
static void test_keyframe_bit(void **state)
{
	(void)state;
	uint8_t data[DATA_LEN], pkt[PKT_MAX], out[FRAME_MAX];
	struct shape sh = { .x = true, .ext = E_K };
	for (int key = 0; key < 2; key++) {
		fill_data(data, sizeof(data), key, 4);
		size_t len = build_pkt(pkt, sh, true, 0, data, sizeof(data));
		struct vp8_depack d;
		vp8pkt_depack_begin(&d, out, sizeof(out));
		assert_int_equal(add_copy(&d, pkt, len), 0);
		assert_int_equal(d.keyframe, key);

		fill_data(data, sizeof(data), !key, 5);
		len = build_pkt(pkt, sh, false, 0, data, sizeof(data));
		assert_int_equal(add_copy(&d, pkt, len), 0);
		assert_int_equal(d.keyframe, key);
		assert_int_equal(vp8pkt_depack_end(&d), 2 * DATA_LEN);
	}
}

static void test_malformed(void **state)
{
	(void)state;
	uint8_t out[64];
	struct vp8_depack d;

	vp8pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(vp8pkt_depack_add(&d, NULL, 0), MCU_EPROTO);

	uint8_t desc_only[] = { D_S };
	vp8pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(add_copy(&d, desc_only, sizeof(desc_only)), MCU_EPROTO);

	/* The extension byte says a PictureID follows; nothing does. */
	uint8_t short_ext[] = { D_X | D_S, E_I };
	vp8pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(add_copy(&d, short_ext, sizeof(short_ext)), MCU_EPROTO);

	/* A 15-bit PictureID with only its first byte, then no data. */
	uint8_t short_pid[] = { D_X | D_S, E_I, 0x80 };
	vp8pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(add_copy(&d, short_pid, sizeof(short_pid)), MCU_EPROTO);

	/* An empty frame. */
	vp8pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(vp8pkt_depack_end(&d), MCU_EPROTO);
}

/* Each prefix of each shape is malformed until it holds a data byte past
 * the descriptor, then valid with the data cut short. */
static void test_truncated(void **state)
{
	(void)state;
	struct shape shapes[40];
	size_t count = all_shapes(shapes);
	for (size_t i = 0; i < count; i++) {
		uint8_t data[DATA_LEN], pkt[PKT_MAX], out[FRAME_MAX];
		fill_data(data, sizeof(data), true, (unsigned)i);
		size_t full = build_pkt(pkt, shapes[i], true, 0, data, sizeof(data));
		size_t dlen = expected_desc_len(shapes[i]);
		for (size_t t = 0; t <= full; t++) {
			struct vp8_depack d;
			vp8pkt_depack_begin(&d, out, sizeof(out));
			int rc = add_copy(&d, pkt, t);
			if (t <= dlen) {
				assert_int_equal(rc, MCU_EPROTO);
				assert_int_equal(vp8pkt_depack_end(&d), MCU_EPROTO);
			} else {
				assert_int_equal(rc, 0);
				assert_int_equal(vp8pkt_depack_end(&d), (int)(t - dlen));
				assert_memory_equal(out, data, t - dlen);
			}
		}
	}
}

/* Every capacity up to the frame's size on an exactly-sized heap buffer:
 * only the exact fit succeeds, and ASan sees no write past it. */
static void test_out_too_small(void **state)
{
	(void)state;
	static uint8_t pkts[3][PKT_MAX], frame[FRAME_MAX];
	size_t lens[3];
	size_t total = build_three(pkts, lens, frame);
	for (size_t cap = 0; cap <= total; cap++) {
		uint8_t *out = malloc(cap ? cap : 1);
		assert_non_null(out);
		struct vp8_depack d;
		vp8pkt_depack_begin(&d, cap ? out : NULL, cap);
		int err = 0;
		for (size_t i = 0; i < 3; i++) {
			int rc = add_copy(&d, pkts[i], lens[i]);
			if (rc && !err)
				err = rc;
		}
		int rc = vp8pkt_depack_end(&d);
		if (cap == total) {
			assert_int_equal(err, 0);
			assert_int_equal(rc, (int)total);
			assert_memory_equal(out, frame, total);
		} else {
			assert_int_equal(err, MCU_ELIMIT);
			assert_int_equal(rc, MCU_EPROTO);
			assert_true(d.len <= cap);
		}
		free(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_descriptor_shapes),
		cmocka_unit_test(test_reserved_bits),
		cmocka_unit_test(test_three_packets),
		cmocka_unit_test(test_missing_start),
		cmocka_unit_test(test_keyframe_bit),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_out_too_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
