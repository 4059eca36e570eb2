/* h264pkt_test.c - RFC 6184 packetizing (h264pktfixture.h): round trips
 * in both packetization modes and at every payload size from 100 to 1500,
 * the fit boundary, Annex B input forms, refused input and an emit callback
 * that stops the packing; and the keyframe test and start-code search on
 * access units. The depacketizer on its own: h264depack_test.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "h264pktfixture.h"

#include "base/err.h"
#include "codecs/h264pkt.h"

#include <stdlib.h>
#include <string.h>

static void test_round_trip_mode1(void **state)
{
	(void)state;
	static uint8_t au[AU_MAX];
	size_t len = h264pktfixture_build_idr_au(au, IDR_LEN);
	struct h264pktfixture_capture *c = h264pktfixture_capture_new();
	assert_int_equal(h264pktfixture_pack(au, len, MTU_PAYLOAD, 1, c), 0);
	h264pktfixture_check_payloads(c, MTU_PAYLOAD);

	/* SPS, PPS, five fragments of 4999 bytes of slice body, the slice. */
	assert_int_equal(c->n, 8);
	assert_int_equal(c->len[0], 14);
	assert_int_equal(c->data[0][0], HDR_SPS);
	assert_int_equal(c->data[1][0], HDR_PPS);
	assert_int_equal(c->data[2][0], (HDR_IDR & 0xe0) | H264_NAL_FU_A);
	assert_int_equal(c->data[2][1], 0x80 | H264_NAL_IDR);
	for (size_t i = 3; i < 6; i++) {
		assert_int_equal(c->data[i][0], 0x7c);
		assert_int_equal(c->data[i][1], H264_NAL_IDR);
	}
	assert_int_equal(c->data[6][1], 0x40 | H264_NAL_IDR);
	size_t body = 0;
	for (size_t i = 2; i <= 6; i++) {
		/* Fragments are cut evenly: 4999 = 5 * 999 + 4. */
		assert_true(c->len[i] - 2 == 999 || c->len[i] - 2 == 1000);
		body += c->len[i] - 2;
	}
	assert_int_equal(body, IDR_LEN - 1);
	assert_int_equal(c->len[7], 90);

	uint8_t out[AU_MAX];
	struct h264_depack d;
	h264pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(h264pktfixture_depack_all(c, &d), (int)len);
	assert_memory_equal(out, au, len);
	assert_true(d.keyframe);
	assert_true(d.has_sps);
	assert_true(d.has_pps);
	assert_false(d.in_fu);
	assert_false(d.broken);
	free(c);
}

/* Every payload size the header allows up to a jumbo MTU, so each
 * rounding of the even fragment split is exercised. */
static void test_round_trip_all_sizes(void **state)
{
	(void)state;
	static uint8_t au[AU_MAX];
	size_t len = h264pktfixture_build_idr_au(au, IDR_LEN);
	for (size_t max = 100; max <= PAYLOAD_MAX; max++)
		h264pktfixture_round_trip(au, len, max, 1);
}

/* A NAL unit of exactly max_payload goes whole; one byte more is two
 * fragments in mode 1 and refused in mode 0. */
static void test_fit_boundary(void **state)
{
	(void)state;
	static const size_t maxes[] = { 100, 101, 1199, 1200, 1460 };
	for (size_t k = 0; k < sizeof(maxes) / sizeof(maxes[0]); k++) {
		size_t max = maxes[k];
		uint8_t au[2 * PAYLOAD_MAX];
		size_t len = h264pktfixture_put_nal(au, HDR_IDR, max, 5);
		struct h264pktfixture_capture *c = h264pktfixture_capture_new();
		assert_int_equal(h264pktfixture_pack(au, len, max, 0, c), 0);
		assert_int_equal(c->n, 1);
		assert_int_equal(c->len[0], max);
		assert_true(c->marker[0]);
		free(c);
		h264pktfixture_round_trip(au, len, max, 0);
		h264pktfixture_round_trip(au, len, max, 1);

		len = h264pktfixture_put_nal(au, HDR_IDR, max + 1, 5);
		c = h264pktfixture_capture_new();
		assert_int_equal(h264pktfixture_pack(au, len, max, 1, c), 0);
		assert_int_equal(c->n, 2);
		assert_int_equal(c->data[0][0], 0x7c);
		assert_int_equal(c->data[1][1], 0x40 | H264_NAL_IDR);
		free(c);
		h264pktfixture_round_trip(au, len, max, 1);

		c = h264pktfixture_capture_new();
		assert_int_equal(h264pktfixture_pack(au, len, max, 0, c), MCU_ELIMIT);
		assert_int_equal(c->n, 0);
		free(c);
	}
}

/* Slices the encoder kept under the limit: mode 0 sends each whole, and
 * mode 1 sends exactly the same payloads. */
static void test_round_trip_mode0(void **state)
{
	(void)state;
	static uint8_t au[AU_MAX];
	size_t len = 0;
	len += h264pktfixture_put_nal(au + len, HDR_SPS, 14, 1);
	len += h264pktfixture_put_nal(au + len, HDR_PPS, 4, 2);
	for (unsigned i = 0; i < 4; i++)
		len += h264pktfixture_put_nal(au + len, HDR_IDR, MTU_PAYLOAD - 50, 10 + i);
	len += h264pktfixture_put_nal(au + len, HDR_IDR, 90, 20);

	struct h264pktfixture_capture *c0 = h264pktfixture_capture_new(),
				      *c1 = h264pktfixture_capture_new();
	assert_int_equal(h264pktfixture_pack(au, len, MTU_PAYLOAD, 0, c0), 0);
	assert_int_equal(h264pktfixture_pack(au, len, MTU_PAYLOAD, 1, c1), 0);
	h264pktfixture_check_payloads(c0, MTU_PAYLOAD);
	assert_int_equal(c0->n, 7);
	assert_int_equal(c1->n, c0->n);
	for (size_t i = 0; i < c0->n; i++) {
		assert_int_equal(c0->len[i], c1->len[i]);
		assert_memory_equal(c0->data[i], c1->data[i], c0->len[i]);
	}
	free(c0);
	free(c1);
	h264pktfixture_round_trip(au, len, MTU_PAYLOAD, 0);
}

/* Mode 0 refuses the whole access unit before sending any of it. */
static void test_mode0_too_big(void **state)
{
	(void)state;
	static uint8_t au[AU_MAX];
	size_t len = h264pktfixture_build_idr_au(au, IDR_LEN);
	struct h264pktfixture_capture *c = h264pktfixture_capture_new();
	assert_int_equal(h264pktfixture_pack(au, len, MTU_PAYLOAD, 0, c), MCU_ELIMIT);
	assert_int_equal(c->n, 0);
	free(c);
}

static void append(uint8_t *p, size_t *n, const uint8_t *bytes, size_t len)
{
	memcpy(p + *n, bytes, len);
	*n += len;
}

static void append_nal(uint8_t *p, size_t *n, uint8_t hdr, size_t len, unsigned seed)
{
	h264pktfixture_fill_nal(p + *n, hdr, len, seed);
	*n += len;
}

/* 3- and 4-byte start codes, leading and trailing zero bytes and access
 * unit delimiters (first and last) all come out as the canonical form. */
static void test_pack_annexb_forms(void **state)
{
	(void)state;
	static uint8_t raw[AU_MAX], want[AU_MAX];
	static const uint8_t lead[] = { 0, 0, 0, 0, 1, HDR_AUD, 0xf0, 0, 0, 1 };
	static const uint8_t sc4[] = { 0, 0, 0, 1 }, sc3[] = { 0, 0, 1 };
	static const uint8_t trail[] = { 0, 0, 0, 0, 1, HDR_AUD, 0x10, 0 };
	size_t n = 0, w = 0;
	append(raw, &n, lead, sizeof(lead));
	append_nal(raw, &n, HDR_SPS, 14, 1);
	append(raw, &n, sc4, sizeof(sc4));
	append_nal(raw, &n, HDR_PPS, 4, 2);
	append(raw, &n, sc3, sizeof(sc3));
	append_nal(raw, &n, HDR_IDR, 3000, 3);
	append(raw, &n, trail, sizeof(trail)); /* trailing_zero_8bits, AUD */

	w += h264pktfixture_put_nal(want + w, HDR_SPS, 14, 1);
	w += h264pktfixture_put_nal(want + w, HDR_PPS, 4, 2);
	w += h264pktfixture_put_nal(want + w, HDR_IDR, 3000, 3);

	struct h264pktfixture_capture *c = h264pktfixture_capture_new();
	assert_int_equal(h264pktfixture_pack(raw, n, MTU_PAYLOAD, 1, c), 0);
	h264pktfixture_check_payloads(c, MTU_PAYLOAD); /* the marker skips the last AUD */
	for (size_t i = 0; i < c->n; i++)
		assert_int_not_equal(c->data[i][0] & 0x1f, H264_NAL_AUD);
	uint8_t *out = malloc(w);
	assert_non_null(out);
	struct h264_depack d;
	h264pkt_depack_begin(&d, out, w);
	assert_int_equal(h264pktfixture_depack_all(c, &d), (int)w);
	assert_memory_equal(out, want, w);
	free(out);
	free(c);
}

static void test_pack_errors(void **state)
{
	(void)state;
	uint8_t au[64] = { 0, 0, 0, 1, HDR_IDR, 1, 2, 3 };
	uint8_t scratch[PAYLOAD_MAX];
	struct h264pktfixture_capture *c = h264pktfixture_capture_new();

	assert_int_equal(h264pktfixture_pack(au, 0, 100, 1, c), MCU_EPROTO);
	assert_int_equal(h264pkt_pack(NULL, 0, 100, 1, scratch, h264pktfixture_capture_emit, c),
			 MCU_EPROTO);
	assert_int_equal(h264pktfixture_pack(au, 3, 100, 1, c), MCU_EPROTO);  /* 00 00 00 */
	assert_int_equal(h264pktfixture_pack(au, 4, 100, 1, c), MCU_EPROTO);  /* start code alone */
	assert_int_equal(h264pktfixture_pack(au + 4, 4, 100, 1, c), MCU_EPROTO); /* no start code */
	assert_int_equal(h264pktfixture_pack(au, 8, 99, 1, c), MCU_EINVAL);
	assert_int_equal(h264pktfixture_pack(au, 8, 100, 2, c), MCU_EINVAL);
	assert_int_equal(h264pktfixture_pack(au, 8, 100, -1, c), MCU_EINVAL);
	assert_int_equal(h264pkt_pack(au, 8, 100, 1, NULL, h264pktfixture_capture_emit, c), MCU_EINVAL);
	assert_int_equal(h264pkt_pack(au, 8, 100, 1, scratch, NULL, c), MCU_EINVAL);

	/* Bytes other than zeros before the first start code: not Annex B. */
	uint8_t junk[] = { 0x42, 0, 0, 1, HDR_IDR, 1 };
	assert_int_equal(h264pktfixture_pack(junk, sizeof(junk), 100, 1, c), MCU_EPROTO);

	/* Only delimiters: nothing to send. */
	uint8_t aud[] = { 0, 0, 0, 1, HDR_AUD, 0xf0, 0, 0, 1, HDR_AUD, 0x10 };
	assert_int_equal(h264pktfixture_pack(aud, sizeof(aud), 100, 1, c), MCU_EPROTO);

	/* Types a receiver would take for our own packets, even after a
	 * good NAL unit: nothing is sent. */
	static const uint8_t bad_types[] = { 0, 24, 25, 28, 29, 30, 31 };
	for (size_t i = 0; i < sizeof(bad_types); i++) {
		uint8_t two[] = { 0, 0, 0, 1, HDR_SPS, 1, 0, 0, 1, (uint8_t)(0x60 | bad_types[i]), 7 };
		assert_int_equal(h264pktfixture_pack(two, sizeof(two), 100, 1, c), MCU_EPROTO);
	}
	assert_int_equal(c->n, 0);
	assert_int_equal(h264pktfixture_pack(au, 8, 100, 1, c), 0);
	assert_int_equal(c->n, 1);
	free(c);
}

/* emit's nonzero answer stops packing and comes back unchanged. */
static void test_pack_emit_stops(void **state)
{
	(void)state;
	static uint8_t au[AU_MAX];
	size_t len = h264pktfixture_build_idr_au(au, IDR_LEN);
	for (size_t stop = 0; stop < 8; stop++) {
		struct h264pktfixture_capture *c = h264pktfixture_capture_new();
		c->stop_at = stop;
		assert_int_equal(h264pktfixture_pack(au, len, MTU_PAYLOAD, 1, c), 42);
		assert_int_equal(c->n, stop + 1);
		free(c);
	}
}

static void test_is_keyframe(void **state)
{
	(void)state;
	static uint8_t au[AU_MAX];
	size_t len = h264pktfixture_build_idr_au(au, 1000);
	assert_true(h264pkt_is_keyframe(au, len));

	size_t p_len = h264pktfixture_put_nal(au, HDR_SLICE, 500, 1);
	p_len += h264pktfixture_put_nal(au + p_len, HDR_SLICE, 100, 2);
	assert_false(h264pkt_is_keyframe(au, p_len));
	assert_false(h264pkt_is_keyframe(NULL, 0));

	/* IDR with nal_ref_idc 1, after a delimiter and 3-byte start codes. */
	uint8_t small[] = { 0, 0, 1, HDR_AUD, 0x10, 0, 0, 1, 0x25, 0x88 };
	assert_true(h264pkt_is_keyframe(small, sizeof(small)));
	assert_false(h264pkt_is_keyframe(small + 3, sizeof(small) - 3)); /* no leading start code */
	small[8] = HDR_SEI;
	assert_false(h264pkt_is_keyframe(small, sizeof(small)));
	uint8_t no_sc[] = { HDR_IDR, HDR_IDR, 0x65 };
	assert_false(h264pkt_is_keyframe(no_sc, sizeof(no_sc)));

	/* Every prefix: true exactly once the IDR header byte is in. */
	len = h264pktfixture_build_idr_au(au, 1000);
	size_t idr_hdr = (4 + 14) + (4 + 4) + 4;
	assert_int_equal(au[idr_hdr], HDR_IDR);
	for (size_t t = 0; t <= len; t++) {
		uint8_t *p = h264pktfixture_heap_copy(au, t);
		assert_int_equal(h264pkt_is_keyframe(p, t), t > idr_hdr);
		free(p);
	}
}

/* Start codes of 3 and 4 bytes, one at the very end, none at all, a from
 * past the end, and every truncation: a code counts only when all three
 * bytes are inside len. */
static void test_find_start_code(void **state)
{
	(void)state;
	static const uint8_t au[] = {
		0, 0, 0, 1, HDR_SPS, 7,      /* 4-byte code: found at 1 */
		0, 0, 1, HDR_PPS, 0,         /* 3-byte code at 6, a trailing zero */
		0, 0, 1,                     /* 00 00 01 at 11: the end of the buffer */
	};
	size_t len = sizeof(au);
	assert_int_equal(h264pkt_find_start_code(au, len, 0), 1);
	assert_int_equal(h264pkt_find_start_code(au, len, 1), 1);
	assert_int_equal(h264pkt_find_start_code(au, len, 2), 6);
	assert_int_equal(h264pkt_find_start_code(au, len, 7), 11);
	assert_int_equal(h264pkt_find_start_code(au, len, 11), 11);
	assert_int_equal(h264pkt_find_start_code(au, len, 12), len);
	assert_int_equal(h264pkt_find_start_code(au, len, len), len);
	assert_int_equal(h264pkt_find_start_code(au, len, len + 5), len);
	for (size_t t = 0; t <= len; t++) {
		uint8_t *p = h264pktfixture_heap_copy(au, t);
		size_t want = t >= 4 ? 1 : t;
		assert_int_equal(h264pkt_find_start_code(p, t, 0), want);
		assert_int_equal(h264pkt_find_start_code(p, t, 7), t >= len ? 11 : t);
		free(p);
	}
	static const uint8_t none[] = { 1, 0, 0, 2, 0, 0 };
	assert_int_equal(h264pkt_find_start_code(none, sizeof(none), 0), sizeof(none));
	assert_int_equal(h264pkt_find_start_code(NULL, 0, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_mode1),
		cmocka_unit_test(test_round_trip_all_sizes),
		cmocka_unit_test(test_fit_boundary),
		cmocka_unit_test(test_round_trip_mode0),
		cmocka_unit_test(test_mode0_too_big),
		cmocka_unit_test(test_pack_annexb_forms),
		cmocka_unit_test(test_pack_errors),
		cmocka_unit_test(test_pack_emit_stops),
		cmocka_unit_test(test_is_keyframe),
		cmocka_unit_test(test_find_start_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
