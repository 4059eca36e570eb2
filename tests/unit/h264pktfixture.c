/*
 * h264pktfixture.c - see h264pktfixture.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "h264pktfixture.h"

#include <stdlib.h>
#include <string.h>

/* An exactly-sized heap copy, so ASan reports any read past len. */
uint8_t *h264pktfixture_heap_copy(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	assert_non_null(p);
	if (len)
		memcpy(p, src, len);
	return p;
}

/* NAL body bytes are never 0, so no start code or trailing zero byte
 * appears by accident. */
void h264pktfixture_fill_nal(uint8_t *p, uint8_t hdr, size_t n, unsigned seed)
{
	p[0] = hdr;
	for (size_t i = 1; i < n; i++)
		p[i] = (uint8_t)(1 + (i * 31 + seed * 7) % 255);
}

/* Appends a 4-byte start code and an n-byte NAL unit; returns the bytes. */
size_t h264pktfixture_put_nal(uint8_t *p, uint8_t hdr, size_t n, unsigned seed)
{
	static const uint8_t sc[4] = { 0, 0, 0, 1 };
	memcpy(p, sc, sizeof(sc));
	h264pktfixture_fill_nal(p + 4, hdr, n, seed);
	return 4 + n;
}

/* SPS, PPS, an IDR slice of idr_len bytes and a small second IDR slice of
 * the same picture. */
size_t h264pktfixture_build_idr_au(uint8_t *au, size_t idr_len)
{
	size_t n = 0;
	n += h264pktfixture_put_nal(au + n, HDR_SPS, 14, 1);
	n += h264pktfixture_put_nal(au + n, HDR_PPS, 4, 2);
	n += h264pktfixture_put_nal(au + n, HDR_IDR, idr_len, 3);
	n += h264pktfixture_put_nal(au + n, HDR_IDR, 90, 4);
	return n;
}

struct h264pktfixture_capture *h264pktfixture_capture_new(void)
{
	struct h264pktfixture_capture *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->stop_at = SIZE_MAX;
	return c;
}

void h264pktfixture_capture_add(struct h264pktfixture_capture *c, const uint8_t *p, size_t len,
				bool marker)
{
	assert_true(c->n < MAX_PAYLOADS);
	assert_true(len <= PAYLOAD_MAX);
	memcpy(c->data[c->n], p, len);
	c->len[c->n] = len;
	c->marker[c->n] = marker;
	c->n++;
}

int h264pktfixture_capture_emit(void *user, const uint8_t *p, size_t len, bool marker)
{
	struct h264pktfixture_capture *c = user;
	h264pktfixture_capture_add(c, p, len, marker);
	return c->n - 1 == c->stop_at ? 42 : 0;
}

/* scratch is exactly max bytes, so ASan catches a fragment written past
 * max_payload. */
int h264pktfixture_pack(const uint8_t *au, size_t len, size_t max, int mode,
			struct h264pktfixture_capture *c)
{
	uint8_t *scratch = malloc(max ? max : 1);
	assert_non_null(scratch);
	int rc = h264pkt_pack(au, len, max, mode, scratch, h264pktfixture_capture_emit, c);
	free(scratch);
	return rc;
}

/* Every payload fits and only the last carries the marker. */
void h264pktfixture_check_payloads(const struct h264pktfixture_capture *c, size_t max)
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
int h264pktfixture_depack_some(const struct h264pktfixture_capture *c, size_t skip,
			       size_t trunc_at, size_t trunc_len, struct h264_depack *d,
			       int *first_err)
{
	*first_err = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (i == skip)
			continue;
		size_t len = i == trunc_at ? trunc_len : c->len[i];
		uint8_t *p = h264pktfixture_heap_copy(c->data[i], len);
		int rc = h264pkt_depack_add(d, p, len);
		free(p);
		if (rc && !*first_err)
			*first_err = rc;
	}
	return h264pkt_depack_end(d);
}

int h264pktfixture_depack_all(const struct h264pktfixture_capture *c, struct h264_depack *d)
{
	int err;
	int rc = h264pktfixture_depack_some(c, SIZE_MAX, SIZE_MAX, 0, d, &err);
	assert_int_equal(err, 0);
	return rc;
}

/* Packs au, checks the payloads, depacks them and compares. */
void h264pktfixture_round_trip(const uint8_t *au, size_t len, size_t max, int mode)
{
	struct h264pktfixture_capture *c = h264pktfixture_capture_new();
	assert_int_equal(h264pktfixture_pack(au, len, max, mode, c), 0);
	h264pktfixture_check_payloads(c, max);
	uint8_t *out = malloc(len);
	assert_non_null(out);
	struct h264_depack d;
	h264pkt_depack_begin(&d, out, len);
	assert_int_equal(h264pktfixture_depack_all(c, &d), (int)len);
	assert_memory_equal(out, au, len);
	free(out);
	free(c);
}
