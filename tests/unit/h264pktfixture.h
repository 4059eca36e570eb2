/*
 * h264pktfixture.h - what the unit tests of the RFC 6184 packetizer and
 * depacketizer (h264pkt_test, h264depack_test) share: NAL units and access
 * units built by hand, a capture of the payloads the packetizer emits, and
 * depacketizing from exactly-sized heap copies (so ASan reports any
 * over-read).
 *
 * The helpers fail the running cmocka test (assert_*) rather than return
 * errors: they are for cmocka tests only.
 */
#ifndef MCU_TESTS_H264PKTFIXTURE_H
#define MCU_TESTS_H264PKTFIXTURE_H

#include "codecs/h264pkt.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* An exactly-sized heap copy, so ASan reports any read past len. The
 * caller frees it. */
uint8_t *h264pktfixture_heap_copy(const uint8_t *src, size_t len);

/* An n-byte NAL unit with header hdr; body bytes are never 0, so no start
 * code or trailing zero byte appears by accident. */
void h264pktfixture_fill_nal(uint8_t *p, uint8_t hdr, size_t n, unsigned seed);

/* Appends a 4-byte start code and an n-byte NAL unit; returns the bytes. */
size_t h264pktfixture_put_nal(uint8_t *p, uint8_t hdr, size_t n, unsigned seed);

/* SPS, PPS, an IDR slice of idr_len bytes and a small second IDR slice of
 * the same picture. Returns the bytes. */
size_t h264pktfixture_build_idr_au(uint8_t *au, size_t idr_len);

struct h264pktfixture_capture {
	size_t n;
	size_t stop_at; /* emit answers 42 for this payload; SIZE_MAX: never */
	size_t len[MAX_PAYLOADS];
	bool marker[MAX_PAYLOADS];
	uint8_t data[MAX_PAYLOADS][PAYLOAD_MAX];
};

/* A new, empty capture (the caller frees it); stop_at is SIZE_MAX. */
struct h264pktfixture_capture *h264pktfixture_capture_new(void);
void h264pktfixture_capture_add(struct h264pktfixture_capture *c, const uint8_t *p, size_t len,
				bool marker);

/* h264pkt_pack()'s emit callback: user is a struct h264pktfixture_capture. */
int h264pktfixture_capture_emit(void *user, const uint8_t *p, size_t len, bool marker);

/* h264pkt_pack() into c with a scratch of exactly max bytes, so ASan
 * catches a fragment written past max_payload. Returns its result. */
int h264pktfixture_pack(const uint8_t *au, size_t len, size_t max, int mode,
			struct h264pktfixture_capture *c);

/* Every payload fits and only the last carries the marker. */
void h264pktfixture_check_payloads(const struct h264pktfixture_capture *c, size_t max);

/*
 * Feeds payloads [0, c->n) except skip (SIZE_MAX: none), payload trunc_at
 * cut to trunc_len bytes, each from an exactly-sized heap copy. Returns
 * _end's result; *first_err gets the first nonzero _add result (or 0).
 */
int h264pktfixture_depack_some(const struct h264pktfixture_capture *c, size_t skip,
			       size_t trunc_at, size_t trunc_len, struct h264_depack *d,
			       int *first_err);

/* Feeds every payload of c; asserts that no _add failed. Returns _end's. */
int h264pktfixture_depack_all(const struct h264pktfixture_capture *c, struct h264_depack *d);

/* Packs au, checks the payloads, depacks them and compares. */
void h264pktfixture_round_trip(const uint8_t *au, size_t len, size_t max, int mode);

#endif
