/* h264depack_test.c - RFC 6184 depacketizing (h264pktfixture.h): STAP-A,
 * FU-A under loss, reordering and odd headers, refused interleaved types,
 * full buffers, and every truncation of valid aggregates and fragments on
 * exactly-sized heap copies (so ASan reports any over-read). */
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

/* STAP-A (NRI 3) holding SPS, PPS and a small IDR slice. */
static size_t build_stap_a(uint8_t *p, size_t *ends, size_t *expect_len, uint8_t *expect)
{
	static const struct { uint8_t hdr; size_t len; } nals[] = {
		{ HDR_SPS, 14 }, { HDR_PPS, 4 }, { HDR_IDR, 300 },
	};
	size_t n = 0, e = 0;
	p[n++] = 0x60 | H264_NAL_STAP_A;
	for (size_t i = 0; i < 3; i++) {
		p[n++] = (uint8_t)(nals[i].len >> 8);
		p[n++] = (uint8_t)nals[i].len;
		h264pktfixture_fill_nal(p + n, nals[i].hdr, nals[i].len, (unsigned)i);
		n += nals[i].len;
		ends[i] = n;
		e += h264pktfixture_put_nal(expect + e, nals[i].hdr, nals[i].len, (unsigned)i);
	}
	*expect_len = e;
	return n;
}

static void test_stap_a(void **state)
{
	(void)state;
	uint8_t stap[512], want[512], out[512];
	size_t ends[3], want_len;
	size_t len = build_stap_a(stap, ends, &want_len, want);

	struct h264_depack d;
	h264pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(h264pkt_depack_add(&d, stap, len), 0);
	assert_true(d.has_sps && d.has_pps && d.keyframe);
	assert_int_equal(h264pkt_depack_end(&d), (int)want_len);
	assert_memory_equal(out, want, want_len);

	/* An aggregate then a single NAL unit in the same frame. */
	uint8_t slice[20];
	h264pktfixture_fill_nal(slice, HDR_IDR, sizeof(slice), 9);
	h264pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(h264pkt_depack_add(&d, stap, len), 0);
	assert_int_equal(h264pkt_depack_add(&d, slice, sizeof(slice)), 0);
	assert_int_equal(h264pkt_depack_end(&d), (int)(want_len + 4 + sizeof(slice)));
	assert_memory_equal(out + want_len + 4, slice, sizeof(slice));
}

static int depack_one(const uint8_t *p, size_t len)
{
	uint8_t out[1024];
	struct h264_depack d;
	h264pkt_depack_begin(&d, out, sizeof(out));
	uint8_t *copy = h264pktfixture_heap_copy(p, len);
	int rc = h264pkt_depack_add(&d, copy, len);
	free(copy);
	return rc;
}

static void test_stap_a_malformed(void **state)
{
	(void)state;
	uint8_t p[16] = { 0x78, 0, 2, HDR_SPS, 1, 0, 1, HDR_PPS };
	assert_int_equal(depack_one(p, 8), 0);
	assert_int_equal(depack_one(p, 1), MCU_EPROTO); /* no units */
	assert_int_equal(depack_one(p, 9), MCU_EPROTO); /* a lone size byte */
	p[2] = 0;
	assert_int_equal(depack_one(p, 8), MCU_EPROTO); /* empty unit */
	p[2] = 6;
	assert_int_equal(depack_one(p, 8), MCU_EPROTO); /* runs past the end */
	p[2] = 2;
	for (unsigned t = 24; t < 32; t++) { /* no nesting */
		p[3] = (uint8_t)(0x60 | t);
		assert_int_equal(depack_one(p, 8), MCU_EPROTO);
	}
	p[3] = 0;
	assert_int_equal(depack_one(p, 8), MCU_EPROTO);
}

/* Each prefix is either malformed or ends exactly after a unit, in which
 * case the units before the cut come out. */
static void test_stap_a_truncated(void **state)
{
	(void)state;
	uint8_t stap[512], want[512], out[512];
	size_t ends[3], want_len;
	size_t full = build_stap_a(stap, ends, &want_len, want);
	for (size_t len = 0; len <= full; len++) {
		size_t units = 0;
		for (size_t i = 0; i < 3; i++)
			if (len == ends[i])
				units = i + 1;
		uint8_t *p = h264pktfixture_heap_copy(stap, len);
		struct h264_depack d;
		h264pkt_depack_begin(&d, out, sizeof(out));
		int rc = h264pkt_depack_add(&d, p, len);
		free(p);
		if (!units) {
			assert_int_equal(rc, MCU_EPROTO);
			assert_int_equal(h264pkt_depack_end(&d), MCU_EPROTO);
			continue;
		}
		assert_int_equal(rc, 0);
		size_t expect = 4 * units + ends[units - 1] - 1 - 2 * units;
		assert_int_equal(h264pkt_depack_end(&d), (int)expect);
		assert_memory_equal(out, want, expect);
	}
}

/*
 * Every truncation of every payload of a packed access unit (single NAL
 * units and FU-A fragments): below the minimum header it is malformed,
 * otherwise the frame is just that many bytes shorter - the depacketizer
 * cannot know the sender's lengths.
 */
static void test_payloads_truncated(void **state)
{
	(void)state;
	static uint8_t au[AU_MAX], out[AU_MAX];
	size_t len = h264pktfixture_build_idr_au(au, 1000);
	struct h264pktfixture_capture *c = h264pktfixture_capture_new();
	assert_int_equal(h264pktfixture_pack(au, len, 200, 1, c), 0);
	assert_int_equal(c->data[2][0] & 0x1f, H264_NAL_FU_A);
	for (size_t i = 0; i < c->n; i++) {
		bool fu = (c->data[i][0] & 0x1f) == H264_NAL_FU_A;
		size_t min = fu ? 2 : 1;
		for (size_t t = 0; t < c->len[i]; t++) {
			struct h264_depack d;
			h264pkt_depack_begin(&d, out, sizeof(out));
			int err;
			int rc = h264pktfixture_depack_some(c, SIZE_MAX, i, t, &d, &err);
			if (t < min) {
				assert_int_equal(err, MCU_EPROTO);
				assert_int_equal(rc, MCU_EPROTO);
			} else {
				assert_int_equal(err, 0);
				assert_int_equal(rc, (int)(len - (c->len[i] - t)));
			}
		}
	}
	free(c);
}

/* Payloads of h264pktfixture_build_idr_au(IDR_LEN) at MTU_PAYLOAD: 0 SPS, 1 PPS, 2..6
 * the IDR fragments, 7 the small slice. */
enum { FU_FIRST = 2, FU_MID = 4, FU_LAST = 6, AFTER_FU = 7 };

static void test_fu_a_loss(void **state)
{
	(void)state;
	static uint8_t au[AU_MAX], out[AU_MAX];
	size_t len = h264pktfixture_build_idr_au(au, IDR_LEN);
	struct h264pktfixture_capture *c = h264pktfixture_capture_new();
	assert_int_equal(h264pktfixture_pack(au, len, MTU_PAYLOAD, 1, c), 0);
	assert_int_equal(c->n, 8);
	struct h264_depack d;
	int err;

	/* Lost start: the next fragment is a continuation without one. */
	h264pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(h264pktfixture_depack_some(c, FU_FIRST, SIZE_MAX, 0, &d, &err), MCU_EPROTO);
	assert_int_equal(err, MCU_EPROTO);
	assert_true(d.broken);

	/* Lost end: the next NAL unit arrives inside the unfinished FU-A. */
	h264pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(h264pktfixture_depack_some(c, FU_LAST, SIZE_MAX, 0, &d, &err), MCU_EPROTO);
	assert_int_equal(err, MCU_EPROTO);

	/* Lost end of the frame's last NAL unit: _end sees the open FU-A. */
	h264pkt_depack_begin(&d, out, sizeof(out));
	c->n = AFTER_FU;
	assert_int_equal(h264pktfixture_depack_some(c, FU_LAST, SIZE_MAX, 0, &d, &err), MCU_EPROTO);
	assert_int_equal(err, 0);
	c->n = 8;

	/* Lost middle: invisible without sequence numbers, so the frame
	 * assembler must catch the gap; here the slice is merely short. */
	h264pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(h264pktfixture_depack_some(c, FU_MID, SIZE_MAX, 0, &d, &err),
			 (int)(len - (c->len[FU_MID] - 2)));
	assert_int_equal(err, 0);
	free(c);
}

static void test_fu_a_order(void **state)
{
	(void)state;
	uint8_t out[256];
	uint8_t start[] = { 0x7c, 0x80 | 5, 1, 2 };
	uint8_t mid[] = { 0x7c, 5, 3 };
	uint8_t end[] = { 0x7c, 0x40 | 5, 4 };
	uint8_t single[] = { HDR_SLICE, 9 };
	struct h264_depack d;

	/* A continuation as the first payload, or after the end. */
	h264pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(h264pkt_depack_add(&d, mid, sizeof(mid)), MCU_EPROTO);
	h264pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(h264pkt_depack_add(&d, end, sizeof(end)), MCU_EPROTO);
	h264pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(h264pkt_depack_add(&d, start, sizeof(start)), 0);
	assert_int_equal(h264pkt_depack_add(&d, end, sizeof(end)), 0);
	assert_int_equal(h264pkt_depack_add(&d, mid, sizeof(mid)), MCU_EPROTO);

	/* Two starts in a row: the first NAL unit lost its end. */
	h264pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(h264pkt_depack_add(&d, start, sizeof(start)), 0);
	assert_int_equal(h264pkt_depack_add(&d, start, sizeof(start)), MCU_EPROTO);

	/* Once broken, later payloads are ignored, and _end says so. */
	h264pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(h264pkt_depack_add(&d, mid, sizeof(mid)), MCU_EPROTO);
	assert_int_equal(h264pkt_depack_add(&d, single, sizeof(single)), 0);
	assert_int_equal(d.len, 0);
	assert_int_equal(h264pkt_depack_end(&d), MCU_EPROTO);

	/* _begin starts afresh. */
	h264pkt_depack_begin(&d, out, sizeof(out));
	assert_false(d.broken);
	assert_int_equal(h264pkt_depack_add(&d, start, sizeof(start)), 0);
	assert_int_equal(h264pkt_depack_add(&d, mid, sizeof(mid)), 0);
	assert_int_equal(h264pkt_depack_add(&d, end, sizeof(end)), 0);
	static const uint8_t want[] = { 0, 0, 0, 1, 0x65, 1, 2, 3, 4 };
	assert_int_equal(h264pkt_depack_end(&d), sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	assert_true(d.keyframe);
}

static void test_fu_a_headers(void **state)
{
	(void)state;
	uint8_t out[64];
	struct h264_depack d;

	/* The rebuilt header takes F and NRI from the indicator. */
	uint8_t nri2[] = { 0x40 | H264_NAL_FU_A, 0xc0 | H264_NAL_SLICE, 7 };
	h264pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(h264pkt_depack_add(&d, nri2, sizeof(nri2)), 0); /* S and E */
	assert_int_equal(h264pkt_depack_end(&d), 6);
	assert_int_equal(out[4], HDR_SLICE);
	assert_false(d.keyframe);

	uint8_t fbit[] = { 0x80 | H264_NAL_FU_A, 0xc0 | H264_NAL_SEI, 7 };
	h264pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(h264pkt_depack_add(&d, fbit, sizeof(fbit)), 0);
	assert_int_equal(out[4], 0x80 | H264_NAL_SEI);

	/* An empty fragment is harmless. */
	uint8_t empty_start[] = { 0x7c, 0x80 | 5 }, empty_end[] = { 0x7c, 0x40 | 5 };
	h264pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(h264pkt_depack_add(&d, empty_start, 2), 0);
	assert_int_equal(h264pkt_depack_add(&d, empty_end, 2), 0);
	assert_int_equal(h264pkt_depack_end(&d), 5);

	/* A fragmented aggregate or fragment, or type 0. */
	static const uint8_t bad[] = { 0, 24, 25, 28, 29, 31 };
	for (size_t i = 0; i < sizeof(bad); i++) {
		uint8_t p[] = { 0x7c, (uint8_t)(0x80 | bad[i]), 1 };
		assert_int_equal(depack_one(p, sizeof(p)), MCU_EPROTO);
	}
	uint8_t lone[] = { 0x7c };
	assert_int_equal(depack_one(lone, 1), MCU_EPROTO);
}

static void test_depack_types(void **state)
{
	(void)state;
	static const uint8_t interleaved[] = { 25, 26, 27, 29 };
	for (size_t i = 0; i < sizeof(interleaved); i++) {
		uint8_t p[] = { (uint8_t)(0x60 | interleaved[i]), 0, 1, 2, 3, 4, 5 };
		uint8_t out[64];
		struct h264_depack d;
		h264pkt_depack_begin(&d, out, sizeof(out));
		assert_int_equal(h264pkt_depack_add(&d, p, sizeof(p)), MCU_EUNSUPPORTED);
		assert_true(d.broken);
		assert_int_equal(h264pkt_depack_end(&d), MCU_EPROTO);
	}
	static const uint8_t undefined[] = { 0, 30, 31 };
	for (size_t i = 0; i < sizeof(undefined); i++) {
		uint8_t p[] = { (uint8_t)(0x60 | undefined[i]), 1 };
		assert_int_equal(depack_one(p, sizeof(p)), MCU_EPROTO);
	}
	assert_int_equal(depack_one(NULL, 0), MCU_EPROTO);

	/* Every plain type passes through as one unit. */
	for (uint8_t t = 1; t <= 23; t++) {
		uint8_t p[] = { (uint8_t)(0x20 | t), 0xaa };
		assert_int_equal(depack_one(p, sizeof(p)), 0);
	}

	uint8_t out[8];
	struct h264_depack d;
	h264pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(h264pkt_depack_end(&d), MCU_EPROTO); /* empty frame */
}

/*
 * A frame of STAP-A, FU-A and single NAL unit packets into an exactly-sized
 * heap buffer of every capacity up to the one it needs: only the exact fit
 * succeeds, everything smaller is MCU_ELIMIT, and ASan sees no write past
 * the buffer.
 */
static void test_out_too_small(void **state)
{
	(void)state;
	uint8_t stap[512], want[AU_MAX];
	size_t ends[3], stap_want;
	size_t stap_len = build_stap_a(stap, ends, &stap_want, want);
	static uint8_t au[AU_MAX];
	size_t len = 0;
	len += h264pktfixture_put_nal(au + len, HDR_IDR, 3000, 3);
	len += h264pktfixture_put_nal(au + len, HDR_IDR, 90, 4);
	memcpy(want + stap_want, au, len);
	size_t need = stap_want + len;

	struct h264pktfixture_capture *c = h264pktfixture_capture_new();
	h264pktfixture_capture_add(c, stap, stap_len, false);
	assert_int_equal(h264pktfixture_pack(au, len, MTU_PAYLOAD, 1, c), 0);
	for (size_t cap = 0; cap <= need; cap++) {
		uint8_t *out = malloc(cap ? cap : 1);
		assert_non_null(out);
		struct h264_depack d;
		h264pkt_depack_begin(&d, cap ? out : NULL, cap);
		int err;
		int rc = h264pktfixture_depack_some(c, SIZE_MAX, SIZE_MAX, 0, &d, &err);
		if (cap == need) {
			assert_int_equal(err, 0);
			assert_int_equal(rc, (int)need);
			assert_memory_equal(out, want, need);
		} else {
			assert_int_equal(err, MCU_ELIMIT);
			assert_int_equal(rc, MCU_EPROTO);
			assert_true(d.len <= cap);
		}
		free(out);
	}
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stap_a),
		cmocka_unit_test(test_stap_a_malformed),
		cmocka_unit_test(test_stap_a_truncated),
		cmocka_unit_test(test_payloads_truncated),
		cmocka_unit_test(test_fu_a_loss),
		cmocka_unit_test(test_fu_a_order),
		cmocka_unit_test(test_fu_a_headers),
		cmocka_unit_test(test_depack_types),
		cmocka_unit_test(test_out_too_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
