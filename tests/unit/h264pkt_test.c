/* h264pkt_test.c - RFC 6184 packetizing and depacketizing: round trips in
 * both packetization modes and at every payload size from 100 to 1500,
 * STAP-A, FU-A under loss, refused interleaved types, full buffers, the
 * keyframe test, and every truncation of valid aggregates and fragments on
 * exactly-sized heap copies (so ASan reports any over-read). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "codecs/h264pkt.h"
#include "base/err.h"

#include <stdlib.h>
#include <string.h>

enum {
	MAX_PAYLOADS = 256,
	PAYLOAD_MAX = 1500,
	MTU_PAYLOAD = 1200,
	AU_MAX = 16384,
	IDR_LEN = 5000, /* a bit over four MTU payloads */
};

/* NAL headers: F=0, nal_ref_idc=3 unless said otherwise. */
#define HDR_SPS 0x67
#define HDR_PPS 0x68
#define HDR_IDR 0x65
#define HDR_SLICE 0x41 /* non-IDR, nal_ref_idc=2 */
#define HDR_AUD 0x09
#define HDR_SEI 0x06

/* An exactly-sized heap copy, so ASan reports any read past len. */
static uint8_t *heap_copy(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	assert_non_null(p);
	if (len)
		memcpy(p, src, len);
	return p;
}

/* NAL body bytes are never 0, so no start code or trailing zero byte
 * appears by accident. */
static void fill_nal(uint8_t *p, uint8_t hdr, size_t n, unsigned seed)
{
	p[0] = hdr;
	for (size_t i = 1; i < n; i++)
		p[i] = (uint8_t)(1 + (i * 31 + seed * 7) % 255);
}

/* Appends a 4-byte start code and an n-byte NAL unit; returns the bytes. */
static size_t put_nal(uint8_t *p, uint8_t hdr, size_t n, unsigned seed)
{
	static const uint8_t sc[4] = { 0, 0, 0, 1 };
	memcpy(p, sc, sizeof(sc));
	fill_nal(p + 4, hdr, n, seed);
	return 4 + n;
}

/* SPS, PPS, an IDR slice of idr_len bytes and a small second IDR slice of
 * the same picture. */
static size_t build_idr_au(uint8_t *au, size_t idr_len)
{
	size_t n = 0;
	n += put_nal(au + n, HDR_SPS, 14, 1);
	n += put_nal(au + n, HDR_PPS, 4, 2);
	n += put_nal(au + n, HDR_IDR, idr_len, 3);
	n += put_nal(au + n, HDR_IDR, 90, 4);
	return n;
}

struct capture {
	size_t n;
	size_t stop_at; /* emit answers 42 for this payload; SIZE_MAX: never */
	size_t len[MAX_PAYLOADS];
	bool marker[MAX_PAYLOADS];
	uint8_t data[MAX_PAYLOADS][PAYLOAD_MAX];
};

static struct capture *capture_new(void)
{
	struct capture *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->stop_at = SIZE_MAX;
	return c;
}

static void capture_add(struct capture *c, const uint8_t *p, size_t len, bool marker)
{
	assert_true(c->n < MAX_PAYLOADS);
	assert_true(len <= PAYLOAD_MAX);
	memcpy(c->data[c->n], p, len);
	c->len[c->n] = len;
	c->marker[c->n] = marker;
	c->n++;
}

static int capture_emit(void *user, const uint8_t *p, size_t len, bool marker)
{
	struct capture *c = user;
	capture_add(c, p, len, marker);
	return c->n - 1 == c->stop_at ? 42 : 0;
}

/* scratch is exactly max bytes, so ASan catches a fragment written past
 * max_payload. */
static int pack(const uint8_t *au, size_t len, size_t max, int mode, struct capture *c)
{
	uint8_t *scratch = malloc(max ? max : 1);
	assert_non_null(scratch);
	int rc = h264pkt_pack(au, len, max, mode, scratch, capture_emit, c);
	free(scratch);
	return rc;
}

/* Every payload fits and only the last carries the marker. */
static void check_payloads(const struct capture *c, size_t max)
{
	assert_true(c->n > 0);
	for (size_t i = 0; i < c->n; i++) {
		assert_true(c->len[i] > 0 && c->len[i] <= max);
		assert_int_equal(c->marker[i], i + 1 == c->n);
	}
}

/*
 * Feeds payloads [0, c->n) except skip (SIZE_MAX: none), payload trunc_at
 * cut to trunc_len bytes, each from an exactly-sized heap copy. Returns
 * _end's result; *first_err gets the first nonzero _add result (or 0).
 */
static int depack_some(const struct capture *c, size_t skip, size_t trunc_at,
		       size_t trunc_len, struct h264_depack *d, int *first_err)
{
	*first_err = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (i == skip)
			continue;
		size_t len = i == trunc_at ? trunc_len : c->len[i];
		uint8_t *p = heap_copy(c->data[i], len);
		int rc = h264pkt_depack_add(d, p, len);
		free(p);
		if (rc && !*first_err)
			*first_err = rc;
	}
	return h264pkt_depack_end(d);
}

static int depack_all(const struct capture *c, struct h264_depack *d)
{
	int err;
	int rc = depack_some(c, SIZE_MAX, SIZE_MAX, 0, d, &err);
	assert_int_equal(err, 0);
	return rc;
}

/* Packs au, checks the payloads, depacks them and compares. */
static void round_trip(const uint8_t *au, size_t len, size_t max, int mode)
{
	struct capture *c = capture_new();
	assert_int_equal(pack(au, len, max, mode, c), 0);
	check_payloads(c, max);
	uint8_t *out = malloc(len);
	assert_non_null(out);
	struct h264_depack d;
	h264pkt_depack_begin(&d, out, len);
	assert_int_equal(depack_all(c, &d), (int)len);
	assert_memory_equal(out, au, len);
	free(out);
	free(c);
}

static void test_round_trip_mode1(void **state)
{
	(void)state;
	static uint8_t au[AU_MAX];
	size_t len = build_idr_au(au, IDR_LEN);
	struct capture *c = capture_new();
	assert_int_equal(pack(au, len, MTU_PAYLOAD, 1, c), 0);
	check_payloads(c, MTU_PAYLOAD);

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
	assert_int_equal(depack_all(c, &d), (int)len);
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
	size_t len = build_idr_au(au, IDR_LEN);
	for (size_t max = 100; max <= PAYLOAD_MAX; max++)
		round_trip(au, len, max, 1);
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
		size_t len = put_nal(au, HDR_IDR, max, 5);
		struct capture *c = capture_new();
		assert_int_equal(pack(au, len, max, 0, c), 0);
		assert_int_equal(c->n, 1);
		assert_int_equal(c->len[0], max);
		assert_true(c->marker[0]);
		free(c);
		round_trip(au, len, max, 0);
		round_trip(au, len, max, 1);

		len = put_nal(au, HDR_IDR, max + 1, 5);
		c = capture_new();
		assert_int_equal(pack(au, len, max, 1, c), 0);
		assert_int_equal(c->n, 2);
		assert_int_equal(c->data[0][0], 0x7c);
		assert_int_equal(c->data[1][1], 0x40 | H264_NAL_IDR);
		free(c);
		round_trip(au, len, max, 1);

		c = capture_new();
		assert_int_equal(pack(au, len, max, 0, c), MCU_ELIMIT);
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
	len += put_nal(au + len, HDR_SPS, 14, 1);
	len += put_nal(au + len, HDR_PPS, 4, 2);
	for (unsigned i = 0; i < 4; i++)
		len += put_nal(au + len, HDR_IDR, MTU_PAYLOAD - 50, 10 + i);
	len += put_nal(au + len, HDR_IDR, 90, 20);

	struct capture *c0 = capture_new(), *c1 = capture_new();
	assert_int_equal(pack(au, len, MTU_PAYLOAD, 0, c0), 0);
	assert_int_equal(pack(au, len, MTU_PAYLOAD, 1, c1), 0);
	check_payloads(c0, MTU_PAYLOAD);
	assert_int_equal(c0->n, 7);
	assert_int_equal(c1->n, c0->n);
	for (size_t i = 0; i < c0->n; i++) {
		assert_int_equal(c0->len[i], c1->len[i]);
		assert_memory_equal(c0->data[i], c1->data[i], c0->len[i]);
	}
	free(c0);
	free(c1);
	round_trip(au, len, MTU_PAYLOAD, 0);
}

/* Mode 0 refuses the whole access unit before sending any of it. */
static void test_mode0_too_big(void **state)
{
	(void)state;
	static uint8_t au[AU_MAX];
	size_t len = build_idr_au(au, IDR_LEN);
	struct capture *c = capture_new();
	assert_int_equal(pack(au, len, MTU_PAYLOAD, 0, c), MCU_ELIMIT);
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
	fill_nal(p + *n, hdr, len, seed);
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

	w += put_nal(want + w, HDR_SPS, 14, 1);
	w += put_nal(want + w, HDR_PPS, 4, 2);
	w += put_nal(want + w, HDR_IDR, 3000, 3);

	struct capture *c = capture_new();
	assert_int_equal(pack(raw, n, MTU_PAYLOAD, 1, c), 0);
	check_payloads(c, MTU_PAYLOAD); /* the marker skips the last AUD */
	for (size_t i = 0; i < c->n; i++)
		assert_int_not_equal(c->data[i][0] & 0x1f, H264_NAL_AUD);
	uint8_t *out = malloc(w);
	assert_non_null(out);
	struct h264_depack d;
	h264pkt_depack_begin(&d, out, w);
	assert_int_equal(depack_all(c, &d), (int)w);
	assert_memory_equal(out, want, w);
	free(out);
	free(c);
}

static void test_pack_errors(void **state)
{
	(void)state;
	uint8_t au[64] = { 0, 0, 0, 1, HDR_IDR, 1, 2, 3 };
	uint8_t scratch[PAYLOAD_MAX];
	struct capture *c = capture_new();

	assert_int_equal(pack(au, 0, 100, 1, c), MCU_EPROTO);
	assert_int_equal(h264pkt_pack(NULL, 0, 100, 1, scratch, capture_emit, c), MCU_EPROTO);
	assert_int_equal(pack(au, 3, 100, 1, c), MCU_EPROTO);  /* 00 00 00 */
	assert_int_equal(pack(au, 4, 100, 1, c), MCU_EPROTO);  /* start code alone */
	assert_int_equal(pack(au + 4, 4, 100, 1, c), MCU_EPROTO); /* no start code */
	assert_int_equal(pack(au, 8, 99, 1, c), MCU_EINVAL);
	assert_int_equal(pack(au, 8, 100, 2, c), MCU_EINVAL);
	assert_int_equal(pack(au, 8, 100, -1, c), MCU_EINVAL);
	assert_int_equal(h264pkt_pack(au, 8, 100, 1, NULL, capture_emit, c), MCU_EINVAL);
	assert_int_equal(h264pkt_pack(au, 8, 100, 1, scratch, NULL, c), MCU_EINVAL);

	/* Bytes other than zeros before the first start code: not Annex B. */
	uint8_t junk[] = { 0x42, 0, 0, 1, HDR_IDR, 1 };
	assert_int_equal(pack(junk, sizeof(junk), 100, 1, c), MCU_EPROTO);

	/* Only delimiters: nothing to send. */
	uint8_t aud[] = { 0, 0, 0, 1, HDR_AUD, 0xf0, 0, 0, 1, HDR_AUD, 0x10 };
	assert_int_equal(pack(aud, sizeof(aud), 100, 1, c), MCU_EPROTO);

	/* Types a receiver would take for our own packets, even after a
	 * good NAL unit: nothing is sent. */
	static const uint8_t bad_types[] = { 0, 24, 25, 28, 29, 30, 31 };
	for (size_t i = 0; i < sizeof(bad_types); i++) {
		uint8_t two[] = { 0, 0, 0, 1, HDR_SPS, 1, 0, 0, 1, (uint8_t)(0x60 | bad_types[i]), 7 };
		assert_int_equal(pack(two, sizeof(two), 100, 1, c), MCU_EPROTO);
	}
	assert_int_equal(c->n, 0);
	assert_int_equal(pack(au, 8, 100, 1, c), 0);
	assert_int_equal(c->n, 1);
	free(c);
}

/* emit's nonzero answer stops packing and comes back unchanged. */
static void test_pack_emit_stops(void **state)
{
	(void)state;
	static uint8_t au[AU_MAX];
	size_t len = build_idr_au(au, IDR_LEN);
	for (size_t stop = 0; stop < 8; stop++) {
		struct capture *c = capture_new();
		c->stop_at = stop;
		assert_int_equal(pack(au, len, MTU_PAYLOAD, 1, c), 42);
		assert_int_equal(c->n, stop + 1);
		free(c);
	}
}

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
		fill_nal(p + n, nals[i].hdr, nals[i].len, (unsigned)i);
		n += nals[i].len;
		ends[i] = n;
		e += put_nal(expect + e, nals[i].hdr, nals[i].len, (unsigned)i);
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
	fill_nal(slice, HDR_IDR, sizeof(slice), 9);
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
	uint8_t *copy = heap_copy(p, len);
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
		uint8_t *p = heap_copy(stap, len);
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
	size_t len = build_idr_au(au, 1000);
	struct capture *c = capture_new();
	assert_int_equal(pack(au, len, 200, 1, c), 0);
	assert_int_equal(c->data[2][0] & 0x1f, H264_NAL_FU_A);
	for (size_t i = 0; i < c->n; i++) {
		bool fu = (c->data[i][0] & 0x1f) == H264_NAL_FU_A;
		size_t min = fu ? 2 : 1;
		for (size_t t = 0; t < c->len[i]; t++) {
			struct h264_depack d;
			h264pkt_depack_begin(&d, out, sizeof(out));
			int err;
			int rc = depack_some(c, SIZE_MAX, i, t, &d, &err);
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

/* Payloads of build_idr_au(IDR_LEN) at MTU_PAYLOAD: 0 SPS, 1 PPS, 2..6
 * the IDR fragments, 7 the small slice. */
enum { FU_FIRST = 2, FU_MID = 4, FU_LAST = 6, AFTER_FU = 7 };

static void test_fu_a_loss(void **state)
{
	(void)state;
	static uint8_t au[AU_MAX], out[AU_MAX];
	size_t len = build_idr_au(au, IDR_LEN);
	struct capture *c = capture_new();
	assert_int_equal(pack(au, len, MTU_PAYLOAD, 1, c), 0);
	assert_int_equal(c->n, 8);
	struct h264_depack d;
	int err;

	/* Lost start: the next fragment is a continuation without one. */
	h264pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(depack_some(c, FU_FIRST, SIZE_MAX, 0, &d, &err), MCU_EPROTO);
	assert_int_equal(err, MCU_EPROTO);
	assert_true(d.broken);

	/* Lost end: the next NAL unit arrives inside the unfinished FU-A. */
	h264pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(depack_some(c, FU_LAST, SIZE_MAX, 0, &d, &err), MCU_EPROTO);
	assert_int_equal(err, MCU_EPROTO);

	/* Lost end of the frame's last NAL unit: _end sees the open FU-A. */
	h264pkt_depack_begin(&d, out, sizeof(out));
	c->n = AFTER_FU;
	assert_int_equal(depack_some(c, FU_LAST, SIZE_MAX, 0, &d, &err), MCU_EPROTO);
	assert_int_equal(err, 0);
	c->n = 8;

	/* Lost middle: invisible without sequence numbers, so the frame
	 * assembler must catch the gap; here the slice is merely short. */
	h264pkt_depack_begin(&d, out, sizeof(out));
	assert_int_equal(depack_some(c, FU_MID, SIZE_MAX, 0, &d, &err),
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
	len += put_nal(au + len, HDR_IDR, 3000, 3);
	len += put_nal(au + len, HDR_IDR, 90, 4);
	memcpy(want + stap_want, au, len);
	size_t need = stap_want + len;

	struct capture *c = capture_new();
	capture_add(c, stap, stap_len, false);
	assert_int_equal(pack(au, len, MTU_PAYLOAD, 1, c), 0);
	for (size_t cap = 0; cap <= need; cap++) {
		uint8_t *out = malloc(cap ? cap : 1);
		assert_non_null(out);
		struct h264_depack d;
		h264pkt_depack_begin(&d, cap ? out : NULL, cap);
		int err;
		int rc = depack_some(c, SIZE_MAX, SIZE_MAX, 0, &d, &err);
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

static void test_is_keyframe(void **state)
{
	(void)state;
	static uint8_t au[AU_MAX];
	size_t len = build_idr_au(au, 1000);
	assert_true(h264pkt_is_keyframe(au, len));

	size_t p_len = put_nal(au, HDR_SLICE, 500, 1);
	p_len += put_nal(au + p_len, HDR_SLICE, 100, 2);
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
	len = build_idr_au(au, 1000);
	size_t idr_hdr = (4 + 14) + (4 + 4) + 4;
	assert_int_equal(au[idr_hdr], HDR_IDR);
	for (size_t t = 0; t <= len; t++) {
		uint8_t *p = heap_copy(au, t);
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
		uint8_t *p = heap_copy(au, t);
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
		cmocka_unit_test(test_stap_a),
		cmocka_unit_test(test_stap_a_malformed),
		cmocka_unit_test(test_stap_a_truncated),
		cmocka_unit_test(test_payloads_truncated),
		cmocka_unit_test(test_fu_a_loss),
		cmocka_unit_test(test_fu_a_order),
		cmocka_unit_test(test_fu_a_headers),
		cmocka_unit_test(test_depack_types),
		cmocka_unit_test(test_out_too_small),
		cmocka_unit_test(test_is_keyframe),
		cmocka_unit_test(test_find_start_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
