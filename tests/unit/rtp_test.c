/* rtp_test.c - datagram demultiplexing, RTP header and RFC 8285 extension
 * parsing (including every truncation of a valid packet, run under ASan on
 * exactly-sized heap copies), writing the header, and wrap-safe ordering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "base/rtp.h"

#include <stdlib.h>
#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* An exactly-sized heap copy, so ASan reports any read past len. */
static uint8_t *heap_copy(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	assert_non_null(p);
	memcpy(p, src, len);
	return p;
}

static enum rtp_demux demux2(uint8_t b0, uint8_t b1)
{
	uint8_t d[2] = { b0, b1 };
	return rtp_demux(d, sizeof(d));
}

static void test_demux(void **state)
{
	(void)state;
	assert_int_equal(rtp_demux(NULL, 0), RTP_DEMUX_UNKNOWN);

	assert_int_equal(demux2(0, 1), RTP_DEMUX_STUN);
	assert_int_equal(demux2(1, 1), RTP_DEMUX_STUN);
	assert_int_equal(demux2(3, 1), RTP_DEMUX_STUN);
	assert_int_equal(demux2(4, 1), RTP_DEMUX_UNKNOWN);
	assert_int_equal(demux2(19, 1), RTP_DEMUX_UNKNOWN); /* ZRTP */
	assert_int_equal(demux2(20, 1), RTP_DEMUX_DTLS);
	assert_int_equal(demux2(22, 254), RTP_DEMUX_DTLS);  /* handshake */
	assert_int_equal(demux2(63, 1), RTP_DEMUX_DTLS);
	assert_int_equal(demux2(64, 1), RTP_DEMUX_UNKNOWN); /* TURN channel */
	assert_int_equal(demux2(127, 1), RTP_DEMUX_UNKNOWN);

	assert_int_equal(demux2(128, 0), RTP_DEMUX_RTP);
	assert_int_equal(demux2(0x80, 111), RTP_DEMUX_RTP);     /* Opus */
	assert_int_equal(demux2(0x90, 0x80 | 96), RTP_DEMUX_RTP); /* marker, VP8 */
	assert_int_equal(demux2(191, 191), RTP_DEMUX_RTP);
	assert_int_equal(demux2(128, 192), RTP_DEMUX_RTCP);
	assert_int_equal(demux2(0x80, 200), RTP_DEMUX_RTCP);     /* SR */
	assert_int_equal(demux2(0x81, 206), RTP_DEMUX_RTCP);     /* PSFB */
	assert_int_equal(demux2(191, 223), RTP_DEMUX_RTCP);
	assert_int_equal(demux2(128, 224), RTP_DEMUX_RTP);
	assert_int_equal(demux2(192, 200), RTP_DEMUX_UNKNOWN);
	assert_int_equal(demux2(255, 200), RTP_DEMUX_UNKNOWN);

	/* One byte is enough for STUN and DTLS but not to split RTP/RTCP. */
	uint8_t one = 0;
	assert_int_equal(rtp_demux(&one, 1), RTP_DEMUX_STUN);
	one = 23;
	assert_int_equal(rtp_demux(&one, 1), RTP_DEMUX_DTLS);
	one = 0x80;
	assert_int_equal(rtp_demux(&one, 1), RTP_DEMUX_UNKNOWN);
}

/*
 * V=2 P=1 X=1 CC=2, M=1 PT=111, two CSRCs, a one-byte extension block
 * holding audio level (id 1, one byte), a padding byte, id 3 (three bytes)
 * and a trailing padding byte; payload "hello", then 3 bytes of padding.
 */
enum { FULL_LEN = 12 + 8 + 4 + 8 + 5 + 3 };

static void build_full(uint8_t *p)
{
	static const uint8_t ext[8] = { 0x10, 0x85, 0x00, 0x32, 1, 2, 3, 0x00 };
	memset(p, 0, FULL_LEN);
	p[0] = 0x80 | 0x20 | 0x10 | 2;
	p[1] = 0x80 | 111;
	put16(p + 2, 0x1234);
	put32(p + 4, 0xDEADBEEF);
	put32(p + 8, 0x11223344);
	put32(p + 12, 0xAAAAAAAA);
	put32(p + 16, 0xBBBBBBBB);
	put16(p + 20, 0xBEDE);
	put16(p + 22, 2);
	memcpy(p + 24, ext, sizeof(ext));
	memcpy(p + 32, "hello", 5);
	p[FULL_LEN - 1] = 3;
}

static void test_parse_full(void **state)
{
	(void)state;
	uint8_t pkt[FULL_LEN];
	build_full(pkt);
	struct rtp_header h;
	assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), 0);
	assert_true(h.marker);
	assert_int_equal(h.payload_type, 111);
	assert_int_equal(h.seq, 0x1234);
	assert_int_equal(h.timestamp, 0xDEADBEEF);
	assert_int_equal(h.ssrc, 0x11223344);
	assert_int_equal(h.csrc_count, 2);
	assert_int_equal(h.ext_profile, 0xBEDE);
	assert_int_equal(h.ext_offset, 24);
	assert_int_equal(h.ext_len, 8);
	assert_int_equal(h.payload_offset, 32);
	assert_int_equal(h.payload_len, 5);
	assert_memory_equal(pkt + h.payload_offset, "hello", 5);

	const uint8_t *data = NULL;
	size_t len = 0;
	assert_int_equal(rtp_find_extension(pkt, &h, 1, &data, &len), 0);
	assert_ptr_equal(data, pkt + 25);
	assert_int_equal(len, 1);
	assert_int_equal(data[0], 0x85); /* voice activity, -5 dBov */

	/* Found after the padding byte; length nibble 2 means 3 bytes. */
	assert_int_equal(rtp_find_extension(pkt, &h, 3, &data, &len), 0);
	assert_ptr_equal(data, pkt + 28);
	assert_int_equal(len, 3);
	assert_int_equal(data[2], 3);
}

static void test_parse_minimal(void **state)
{
	(void)state;
	uint8_t pkt[12 + 4] = { 0x80, 96 };
	put16(pkt + 2, 7);
	struct rtp_header h;
	assert_int_equal(rtp_parse(pkt, 12, &h), 0);
	assert_false(h.marker);
	assert_int_equal(h.payload_type, 96);
	assert_int_equal(h.seq, 7);
	assert_int_equal(h.csrc_count, 0);
	assert_int_equal(h.ext_profile, 0);
	assert_int_equal(h.ext_len, 0);
	assert_int_equal(h.payload_offset, 12);
	assert_int_equal(h.payload_len, 0);
	assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), 0);
	assert_int_equal(h.payload_len, 4);

	const uint8_t *data;
	size_t len;
	assert_int_equal(rtp_find_extension(pkt, &h, 1, &data, &len), MCU_ENOTFOUND);
}

static void test_parse_bad_version(void **state)
{
	(void)state;
	uint8_t pkt[FULL_LEN];
	struct rtp_header h;
	for (unsigned v = 0; v < 4; v++) {
		if (v == 2)
			continue;
		build_full(pkt);
		pkt[0] = (uint8_t)((pkt[0] & 0x3f) | v << 6);
		assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), MCU_EPROTO);
	}
}

/* Every proper prefix of the padded packet is malformed somewhere:
 * header, CSRCs, extension, or (the last byte being payload or zero
 * padding) a padding count that is 0 or larger than what follows. */
static void test_parse_truncated(void **state)
{
	(void)state;
	uint8_t full[FULL_LEN];
	build_full(full);
	struct rtp_header h;
	memset(&h, 0x5a, sizeof(h));
	struct rtp_header untouched = h;
	for (size_t len = 0; len < FULL_LEN; len++) {
		uint8_t *p = heap_copy(full, len);
		assert_int_equal(rtp_parse(p, len, &h), MCU_EPROTO);
		free(p);
	}
	/* A malformed packet leaves *out alone. */
	assert_memory_equal(&h, &untouched, sizeof(h));
	uint8_t *p = heap_copy(full, FULL_LEN);
	assert_int_equal(rtp_parse(p, FULL_LEN, &h), 0);
	free(p);
}

static void test_parse_csrc_overrun(void **state)
{
	(void)state;
	uint8_t pkt[12 + 14 * 4] = { 0x80 | 15, 96 }; /* claims 15 CSRCs */
	struct rtp_header h;
	assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), MCU_EPROTO);
	pkt[0] = 0x80 | 14;
	assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), 0);
	assert_int_equal(h.csrc_count, 14);
	assert_int_equal(h.payload_offset, sizeof(pkt));
	assert_int_equal(h.payload_len, 0);
}

static void test_parse_padding(void **state)
{
	(void)state;
	/* Header + 4 payload bytes, P set; the last byte is the count. */
	uint8_t pkt[16] = { 0x80 | 0x20, 96 };
	struct rtp_header h;

	pkt[15] = 0; /* the count includes itself: 0 is impossible */
	assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), MCU_EPROTO);
	pkt[15] = 5; /* would eat into the header */
	assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), MCU_EPROTO);
	pkt[15] = 255;
	assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), MCU_EPROTO);
	pkt[15] = 4; /* all of it padding: legal, empty payload */
	assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), 0);
	assert_int_equal(h.payload_len, 0);
	pkt[15] = 1;
	assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), 0);
	assert_int_equal(h.payload_offset, 12);
	assert_int_equal(h.payload_len, 3);
	/* P set with no byte after the header at all. */
	assert_int_equal(rtp_parse(pkt, 12, &h), MCU_EPROTO);
	/* Padding may not eat into the extension either. */
	uint8_t ext[12 + 4 + 4 + 2] = { 0x80 | 0x20 | 0x10, 96 };
	put16(ext + 12, 0xBEDE);
	put16(ext + 14, 1);
	ext[sizeof(ext) - 1] = 3;
	assert_int_equal(rtp_parse(ext, sizeof(ext), &h), MCU_EPROTO);
	ext[sizeof(ext) - 1] = 2;
	assert_int_equal(rtp_parse(ext, sizeof(ext), &h), 0);
	assert_int_equal(h.payload_offset, 20);
	assert_int_equal(h.payload_len, 0);
}

static void test_two_byte_extension(void **state)
{
	(void)state;
	/* id 5 empty, a padding byte, id 17 (3 bytes), id 200 (1 byte), pad. */
	static const uint8_t ext[12] = { 5, 0, 0, 17, 3, 'a', 'b', 'c', 200, 1, 0x42, 0 };
	uint8_t pkt[12 + 4 + sizeof(ext) + 2] = { 0x90, 96 };
	put16(pkt + 12, 0x1000);
	put16(pkt + 14, sizeof(ext) / 4);
	memcpy(pkt + 16, ext, sizeof(ext));
	struct rtp_header h;
	assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), 0);
	assert_int_equal(h.ext_profile, 0x1000);
	assert_int_equal(h.ext_offset, 16);
	assert_int_equal(h.ext_len, 12);
	assert_int_equal(h.payload_offset, 28);
	assert_int_equal(h.payload_len, 2);

	const uint8_t *data;
	size_t len;
	assert_int_equal(rtp_find_extension(pkt, &h, 5, &data, &len), 0);
	assert_ptr_equal(data, pkt + 18);
	assert_int_equal(len, 0);
	assert_int_equal(rtp_find_extension(pkt, &h, 17, &data, &len), 0);
	assert_ptr_equal(data, pkt + 21);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "abc", 3);
	assert_int_equal(rtp_find_extension(pkt, &h, 200, &data, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(data[0], 0x42);
	assert_int_equal(rtp_find_extension(pkt, &h, 6, &data, &len), MCU_ENOTFOUND);
	assert_int_equal(rtp_find_extension(pkt, &h, 0, &data, &len), MCU_ENOTFOUND);
	assert_int_equal(rtp_find_extension(pkt, &h, 256, &data, &len), MCU_ENOTFOUND);

	/* The four appbits are the sender's: 0x100F is still two-byte. */
	put16(pkt + 12, 0x100F);
	assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), 0);
	assert_int_equal(h.ext_profile, 0x100F);
	assert_int_equal(rtp_find_extension(pkt, &h, 17, &data, &len), 0);
	assert_int_equal(len, 3);

	/* An element whose length runs past the block is not returned. */
	pkt[16 + 9] = 3; /* id 200 now claims 3 bytes, 2 remain */
	put16(pkt + 12, 0x1000);
	assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), 0);
	assert_int_equal(rtp_find_extension(pkt, &h, 17, &data, &len), 0);
	assert_int_equal(rtp_find_extension(pkt, &h, 200, &data, &len), MCU_ENOTFOUND);
}

static void test_one_byte_extension_edges(void **state)
{
	(void)state;
	uint8_t pkt[12 + 4 + 8] = { 0x90, 96 };
	put16(pkt + 12, 0xBEDE);
	put16(pkt + 14, 2);
	uint8_t *e = pkt + 16;
	struct rtp_header h;
	const uint8_t *data;
	size_t len;

	/* ID 15 stops parsing: id 1 behind it is not seen (read as an
	 * ordinary one-byte element, 0xF0 would eat the 0 and reveal it). */
	static const uint8_t stop[8] = { 0x21, 9, 9, 0xF0, 0x00, 0x10, 0x77 };
	memcpy(e, stop, sizeof(stop));
	assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), 0);
	assert_int_equal(rtp_find_extension(pkt, &h, 2, &data, &len), 0);
	assert_int_equal(len, 2);
	assert_int_equal(rtp_find_extension(pkt, &h, 1, &data, &len), MCU_ENOTFOUND);
	assert_int_equal(rtp_find_extension(pkt, &h, 15, &data, &len), MCU_ENOTFOUND);
	assert_int_equal(rtp_find_extension(pkt, &h, 0, &data, &len), MCU_ENOTFOUND);

	/* Largest element (L=15, 16 bytes) cannot fit an 8-byte block. */
	static const uint8_t overrun[8] = { 0x10, 1, 0x4F, 1, 2, 3, 4, 5 };
	memcpy(e, overrun, sizeof(overrun));
	assert_int_equal(rtp_find_extension(pkt, &h, 1, &data, &len), 0);
	assert_int_equal(rtp_find_extension(pkt, &h, 4, &data, &len), MCU_ENOTFOUND);

	/* An element ending exactly at the block's end is found. */
	static const uint8_t exact[8] = { 0, 0, 0x14, 1, 2, 3, 4, 5 };
	memcpy(e, exact, sizeof(exact));
	assert_int_equal(rtp_find_extension(pkt, &h, 1, &data, &len), 0);
	assert_ptr_equal(data, e + 3);
	assert_int_equal(len, 5);
	assert_int_equal(data[4], 5);

	/* All padding: nothing there. */
	memset(e, 0, 8);
	assert_int_equal(rtp_find_extension(pkt, &h, 1, &data, &len), MCU_ENOTFOUND);
}

static void test_other_extension_profile(void **state)
{
	(void)state;
	uint8_t pkt[12 + 4 + 8 + 3] = { 0x90, 96 };
	put16(pkt + 12, 0x1234);
	put16(pkt + 14, 2);
	pkt[16] = 0x10; /* would be id 1 if this were 0xBEDE */
	memcpy(pkt + 24, "abc", 3);
	struct rtp_header h;
	assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), 0);
	assert_int_equal(h.ext_profile, 0x1234);
	assert_int_equal(h.ext_offset, 16);
	assert_int_equal(h.ext_len, 8);
	assert_int_equal(h.payload_offset, 24);
	assert_int_equal(h.payload_len, 3);
	const uint8_t *data;
	size_t len;
	assert_int_equal(rtp_find_extension(pkt, &h, 1, &data, &len), MCU_ENOTFOUND);

	/* Extension length running past the packet. */
	put16(pkt + 14, 3);
	assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), MCU_EPROTO);
	put16(pkt + 14, 0xFFFF);
	assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), MCU_EPROTO);
	/* A zero-length extension block is legal and empty. */
	put16(pkt + 14, 0);
	assert_int_equal(rtp_parse(pkt, sizeof(pkt), &h), 0);
	assert_int_equal(h.ext_len, 0);
	assert_int_equal(h.payload_offset, 16);
	assert_int_equal(rtp_find_extension(pkt, &h, 1, &data, &len), MCU_ENOTFOUND);
}

static void test_seq_ts_after(void **state)
{
	(void)state;
	assert_true(rtp_seq_after(1, 0));
	assert_false(rtp_seq_after(0, 1));
	assert_false(rtp_seq_after(5, 5));
	assert_true(rtp_seq_after(0, 65535));
	assert_false(rtp_seq_after(65535, 0));
	assert_true(rtp_seq_after(10, 65530));
	assert_false(rtp_seq_after(65530, 10));
	assert_true(rtp_seq_after(0x7FFF, 0));
	assert_true(rtp_seq_after(0, 0x8001));
	/* Exactly half-way: neither is after the other. */
	assert_false(rtp_seq_after(0x8000, 0));
	assert_false(rtp_seq_after(0, 0x8000));

	assert_true(rtp_ts_after(1, 0));
	assert_false(rtp_ts_after(0, 1));
	assert_false(rtp_ts_after(123456, 123456));
	assert_true(rtp_ts_after(0, 0xFFFFFFFF));
	assert_false(rtp_ts_after(0xFFFFFFFF, 0));
	assert_true(rtp_ts_after(960, 0xFFFFFC40)); /* one Opus frame over the wrap */
	assert_false(rtp_ts_after(0xFFFFFC40, 960));
	assert_true(rtp_ts_after(0x7FFFFFFF, 0));
	assert_false(rtp_ts_after(0x80000000, 0));
	assert_false(rtp_ts_after(0, 0x80000000));
	/* 16-bit wrap is not a 32-bit wrap. */
	assert_true(rtp_ts_after(0x10000, 0xFFFF));
}

static void test_rtp_header(void **state)
{
	(void)state;
	static const uint8_t want[12] = {
		0x80, 0x80 | 96, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x11, 0x22, 0x33, 0x44,
	};
	uint8_t buf[16];
	memset(buf, 0xEE, sizeof(buf));
	assert_int_equal(rtp_write_header(buf, sizeof(buf), 96, true, 0x1234, 0xDEADBEEF,
					  0x11223344), 12);
	assert_memory_equal(buf, want, 12);
	assert_int_equal(buf[12], 0xEE);

	assert_int_equal(rtp_write_header(buf, 12, 111, false, 1, 2, 3), 12);
	assert_int_equal(buf[0], 0x80);
	assert_int_equal(buf[1], 111);

	/* It parses back as written. */
	struct rtp_header h;
	assert_int_equal(rtp_parse(buf, 12, &h), 0);
	assert_false(h.marker);
	assert_int_equal(h.payload_type, 111);
	assert_int_equal(h.seq, 1);
	assert_int_equal(h.timestamp, 2);
	assert_int_equal(h.ssrc, 3);

	assert_int_equal(rtp_write_header(buf, 11, 96, false, 1, 2, 3), MCU_EINVAL);
	assert_int_equal(rtp_write_header(NULL, 0, 96, false, 1, 2, 3), MCU_EINVAL);
	/* 128 would set the marker bit. */
	assert_int_equal(rtp_write_header(buf, 12, 128, false, 1, 2, 3), MCU_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demux),
		cmocka_unit_test(test_parse_full),
		cmocka_unit_test(test_parse_minimal),
		cmocka_unit_test(test_parse_bad_version),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_parse_csrc_overrun),
		cmocka_unit_test(test_parse_padding),
		cmocka_unit_test(test_two_byte_extension),
		cmocka_unit_test(test_one_byte_extension_edges),
		cmocka_unit_test(test_other_extension_profile),
		cmocka_unit_test(test_seq_ts_after),
		cmocka_unit_test(test_rtp_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
