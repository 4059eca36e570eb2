/* rtcpread_test.c - compound RTCP walking (rtcp_next) and the RTCP
 * readers: packets of the wrong kind, every truncation of valid packets
 * (exactly-sized heap copies, so ASan sees any over-read), padding, NTP time
 * of known dates, feedback, malformed and truncated compounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rtcpfixture.h"

#include "base/err.h"
#include "base/rtcp.h"
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
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void test_wrong_packets(void **state)
{
	(void)state;
	/* Application-layer feedback that is not REMB. */
	uint8_t afb[20];
	assert_int_equal(rtcp_write_remb(afb, sizeof(afb), 1, 1000, NULL, 0), 20);
	memcpy(afb + 12, "GOOG", 4);
	struct rtcp_packet p = rtcpfixture_only_packet(afb, sizeof(afb));
	uint32_t bps = 42;
	assert_int_equal(rtcp_read_remb(afb, &p, &bps), MCU_ENOTFOUND);
	assert_int_equal(bps, 42);

	/* Each reader refuses the others' packets. */
	uint8_t pli[12];
	rtcp_write_pli(pli, sizeof(pli), 1, 2);
	p = rtcpfixture_only_packet(pli, sizeof(pli));
	uint16_t seqs[17];
	struct rtcp_report r;
	assert_int_equal(rtcp_read_remb(pli, &p, &bps), MCU_EINVAL);
	assert_int_equal(rtcp_read_nack(pli, &p, seqs, 17), MCU_EINVAL);
	assert_int_equal(rtcp_read_reports(pli, &p, &r, 1), MCU_EINVAL);

	uint8_t nack[16];
	static const uint16_t one = 5;
	rtcp_write_nack(nack, sizeof(nack), 1, 2, &one, 1);
	p = rtcpfixture_only_packet(nack, sizeof(nack));
	assert_int_equal(rtcp_read_remb(nack, &p, &bps), MCU_EINVAL);
	assert_int_equal(rtcp_read_reports(nack, &p, &r, 1), MCU_EINVAL);
	assert_int_equal(rtcp_read_nack(nack, &p, seqs, -1), MCU_EINVAL);
	assert_int_equal(rtcp_read_nack(nack, &p, NULL, 1), MCU_EINVAL);
	nack[0] = 0x80 | 3; /* RTPFB but another FMT */
	p = rtcpfixture_only_packet(nack, sizeof(nack));
	assert_int_equal(rtcp_read_nack(nack, &p, seqs, 17), MCU_EINVAL);

	/* A NACK with no entry at all is malformed. */
	uint8_t empty[12];
	memcpy(empty, nack, 12);
	empty[0] = 0x81;
	put16(empty + 2, 2);
	p = rtcpfixture_only_packet(empty, sizeof(empty));
	assert_int_equal(rtcp_read_nack(empty, &p, seqs, 17), MCU_EPROTO);
}

/* What a reader makes of one packet, as a single comparable number. */
static int read_kind(int kind, const uint8_t *pkt, const struct rtcp_packet *p)
{
	struct rtcp_report r[4];
	uint16_t seqs[64];
	uint32_t bps;
	switch (kind) {
	case 0:
	case 1: return rtcp_read_reports(pkt, p, r, 4);
	case 2: return rtcp_read_nack(pkt, p, seqs, 64);
	default: return rtcp_read_remb(pkt, p, &bps);
	}
}

/* A NACK cut at an entry boundary is a shorter, valid NACK. */
static bool whole_nack(int kind, size_t len)
{
	return kind == 2 && len >= 16 && len % 4 == 0;
}

/*
 * Each kind cut two ways: (1) every byte length, read with a hand-made
 * rtcp_packet bounding it (a caller's bound the header disagrees with);
 * (2) a length field lowered word by word, so rtcp_next() finds the shorter
 * packet behind a PLI (non-zero offset) in an exactly-sized datagram.
 */
static void test_readers_truncated(void **state)
{
	(void)state;
	struct rtcp_report r[2] = { rtcpfixture_sample_report, rtcpfixture_sample_report };
	static const uint16_t seqs[] = { 10, 11, 40, 70, 71 };
	static const uint32_t ssrcs[] = { 7, 8 };
	uint8_t full[4][128];
	int len[4];
	len[0] = rtcp_write_sr(full[0], 128, &rtcpfixture_sample_sr, r, 2);
	len[1] = rtcp_write_rr(full[1], 128, 1, r, 2);
	len[2] = rtcp_write_nack(full[2], 128, 1, 2, seqs, 5);
	len[3] = rtcp_write_remb(full[3], 128, 1, 5000000, ssrcs, 2);
	assert_int_equal(len[2], 24);

	for (int kind = 0; kind < 4; kind++) {
		for (size_t cut = 0; cut < (size_t)len[kind]; cut++) {
			uint8_t *h = rtcpfixture_heap_copy(full[kind], cut);
			struct rtcp_packet p = { .type = full[kind][1], .len = cut };
			int rc = read_kind(kind, h, &p);
			if (whole_nack(kind, cut))
				assert_int_equal(rc, cut == 16 ? 2 : 3); /* 10,11 | 40 */
			else
				assert_int_equal(rc, MCU_EPROTO);
			free(h);
		}
		for (size_t words = 0; words + 1 < (size_t)len[kind] / 4; words++) {
			size_t plen = (words + 1) * 4;
			uint8_t *h = malloc(12 + plen);
			assert_non_null(h);
			rtcp_write_pli(h, 12, 1, 2);
			memcpy(h + 12, full[kind], plen);
			put16(h + 14, (uint16_t)words);
			size_t pos = 0;
			struct rtcp_packet p;
			assert_int_equal(rtcp_next(h, 12 + plen, &pos, &p), 1);
			assert_int_equal(rtcp_next(h, 12 + plen, &pos, &p), 1);
			assert_int_equal(p.offset, 12);
			assert_int_equal(p.len, plen);
			int rc = read_kind(kind, h, &p);
			if (whole_nack(kind, plen))
				assert_true(rc > 0);
			else
				assert_int_equal(rc, MCU_EPROTO);
			free(h);
		}
		uint8_t *h = rtcpfixture_heap_copy(full[kind], (size_t)len[kind]);
		struct rtcp_packet p = rtcpfixture_only_packet(h, (size_t)len[kind]);
		assert_true(read_kind(kind, h, &p) >= 0);
		free(h);
	}
}

/* The P bit: padding is not read as content, and a count that is 0 or
 * eats into the fixed part is malformed. */
static void test_padding(void **state)
{
	(void)state;
	static const uint16_t seqs[] = { 300 };
	uint8_t d[20];
	assert_int_equal(rtcp_write_nack(d, sizeof(d), 1, 2, seqs, 1), 16);
	d[0] |= 0x20;
	put16(d + 2, 4);
	memset(d + 16, 0, 4);
	d[19] = 4;
	uint8_t *h = rtcpfixture_heap_copy(d, sizeof(d));
	struct rtcp_packet p = rtcpfixture_only_packet(h, sizeof(d));
	uint16_t out[17];
	assert_int_equal(rtcp_read_nack(h, &p, out, 17), 1);
	assert_int_equal(out[0], 300);
	h[19] = 0;
	assert_int_equal(rtcp_read_nack(h, &p, out, 17), MCU_EPROTO);
	h[19] = 5; /* would leave a partial entry */
	assert_int_equal(rtcp_read_nack(h, &p, out, 17), MCU_EPROTO);
	h[19] = 8; /* would leave no entry */
	assert_int_equal(rtcp_read_nack(h, &p, out, 17), MCU_EPROTO);
	h[19] = 255;
	assert_int_equal(rtcp_read_nack(h, &p, out, 17), MCU_EPROTO);
	free(h);

	/* An RR whose only block is eaten by padding no longer holds it. */
	uint8_t rr[32];
	assert_int_equal(rtcp_write_rr(rr, sizeof(rr), 1, &rtcpfixture_sample_report, 1), 32);
	rr[0] |= 0x20;
	rr[31] = 4;
	p = rtcpfixture_only_packet(rr, sizeof(rr));
	struct rtcp_report r;
	assert_int_equal(rtcp_read_reports(rr, &p, &r, 1), MCU_EPROTO);
	rr[0] &= (uint8_t)~0x1f; /* RC 0: 20 bytes of extension + padding */
	assert_int_equal(rtcp_read_reports(rr, &p, &r, 1), 0);
}

static void test_ntp(void **state)
{
	(void)state;
	assert_int_equal(rtcp_ntp_from_wall_us(0), 0x83AA7E80ull << 32);
	/* 2000-01-01 00:00:00 UTC is Unix 946684800, NTP 3155673600. */
	assert_int_equal(rtcp_ntp_from_wall_us(946684800LL * 1000000), 0xBC17C200ull << 32);
	assert_int_equal(rtcp_ntp_from_wall_us(946684800LL * 1000000 + 500000),
			 0xBC17C20080000000ull);
	assert_int_equal(rtcp_ntp_from_wall_us(946684800LL * 1000000 + 250000),
			 0xBC17C20040000000ull);
	/* 1 µs is 4294.97 units of 2^-32 s, rounded. */
	assert_int_equal(rtcp_ntp_from_wall_us(1), 0x83AA7E80ull << 32 | 4295);
	/* Before 1970: the fraction stays in [0, 1). */
	assert_int_equal(rtcp_ntp_from_wall_us(-1), 0x83AA7E7Full << 32 | 0xFFFFEF39);
	/* 2036-02-07 06:28:16 UTC ends NTP era 0: the seconds wrap to 0. */
	assert_int_equal(rtcp_ntp_from_wall_us(2085978496LL * 1000000), 0);
	assert_int_equal(rtcp_ntp_from_wall_us(2085978497LL * 1000000), 1ull << 32);
}

/* SR with one report block (52 bytes) + SDES with one CNAME chunk (16). */
enum { SR_LEN = 52, SDES_LEN = 16, COMPOUND_LEN = SR_LEN + SDES_LEN };

static void build_compound(uint8_t *p)
{
	memset(p, 0, COMPOUND_LEN);
	p[0] = 0x81;
	p[1] = RTCP_SR;
	put16(p + 2, SR_LEN / 4 - 1);
	put32(p + 4, 0xCAFEBABE);
	put32(p + 28, 0x01020304); /* report block: SSRC of source */
	uint8_t *s = p + SR_LEN;
	s[0] = 0x81;
	s[1] = RTCP_SDES;
	put16(s + 2, SDES_LEN / 4 - 1);
	put32(s + 4, 0xCAFEBABE);
	s[8] = 1; /* CNAME */
	s[9] = 4;
	memcpy(s + 10, "abcd", 4); /* then a zero end byte and padding */
}

static void test_rtcp_compound(void **state)
{
	(void)state;
	uint8_t pkt[COMPOUND_LEN];
	build_compound(pkt);
	size_t pos = 0;
	struct rtcp_packet p;
	assert_int_equal(rtcp_next(pkt, sizeof(pkt), &pos, &p), 1);
	assert_int_equal(p.type, RTCP_SR);
	assert_int_equal(p.count, 1);
	assert_int_equal(p.sender_ssrc, 0xCAFEBABE);
	assert_int_equal(p.media_ssrc, 0);
	assert_int_equal(p.offset, 0);
	assert_int_equal(p.len, SR_LEN);
	assert_int_equal(pos, SR_LEN);

	assert_int_equal(rtcp_next(pkt, sizeof(pkt), &pos, &p), 1);
	assert_int_equal(p.type, RTCP_SDES);
	assert_int_equal(p.count, 1);
	assert_int_equal(p.sender_ssrc, 0xCAFEBABE); /* the first chunk's SSRC */
	assert_int_equal(p.offset, SR_LEN);
	assert_int_equal(p.len, SDES_LEN);
	assert_int_equal(pos, COMPOUND_LEN);

	assert_int_equal(rtcp_next(pkt, sizeof(pkt), &pos, &p), 0);
	assert_int_equal(rtcp_next(pkt, sizeof(pkt), &pos, &p), 0);
	assert_int_equal(pos, COMPOUND_LEN);

	pos = 0;
	assert_int_equal(rtcp_next(NULL, 0, &pos, &p), 0);
}

static void test_rtcp_feedback(void **state)
{
	(void)state;
	/* Reduced-size (RFC 5506): a lone PLI, then a NACK, then an empty
	 * RR and a BYE with no SSRC at all. */
	uint8_t pkt[12 + 16 + 8 + 4] = { 0 };
	pkt[0] = 0x80 | 1; /* FMT 1 = PLI */
	pkt[1] = RTCP_PSFB;
	put16(pkt + 2, 2);
	put32(pkt + 4, 0x0000AAAA);
	put32(pkt + 8, 0x0000BBBB);
	uint8_t *n = pkt + 12;
	n[0] = 0x80 | 1; /* FMT 1 = generic NACK */
	n[1] = RTCP_RTPFB;
	put16(n + 2, 3);
	put32(n + 4, 0x0000AAAA);
	put32(n + 8, 0x0000CCCC);
	put16(n + 12, 1000); /* PID */
	uint8_t *rr = pkt + 28;
	rr[0] = 0x80;
	rr[1] = RTCP_RR;
	put16(rr + 2, 1);
	put32(rr + 4, 0x0000DDDD);
	uint8_t *bye = pkt + 36;
	bye[0] = 0x80;
	bye[1] = RTCP_BYE;

	size_t pos = 0;
	struct rtcp_packet p;
	assert_int_equal(rtcp_next(pkt, sizeof(pkt), &pos, &p), 1);
	assert_int_equal(p.type, RTCP_PSFB);
	assert_int_equal(p.count, 1);
	assert_int_equal(p.sender_ssrc, 0xAAAA);
	assert_int_equal(p.media_ssrc, 0xBBBB);
	assert_int_equal(p.len, 12);

	assert_int_equal(rtcp_next(pkt, sizeof(pkt), &pos, &p), 1);
	assert_int_equal(p.type, RTCP_RTPFB);
	assert_int_equal(p.media_ssrc, 0xCCCC);
	assert_int_equal(p.offset, 12);
	assert_int_equal(p.len, 16);

	assert_int_equal(rtcp_next(pkt, sizeof(pkt), &pos, &p), 1);
	assert_int_equal(p.type, RTCP_RR);
	assert_int_equal(p.count, 0);
	assert_int_equal(p.sender_ssrc, 0xDDDD);
	assert_int_equal(p.media_ssrc, 0); /* not feedback */
	assert_int_equal(p.len, 8);

	assert_int_equal(rtcp_next(pkt, sizeof(pkt), &pos, &p), 1);
	assert_int_equal(p.type, RTCP_BYE);
	assert_int_equal(p.sender_ssrc, 0); /* too short to have one */
	assert_int_equal(p.len, 4);
	assert_int_equal(rtcp_next(pkt, sizeof(pkt), &pos, &p), 0);

	/* A feedback packet too short for a media SSRC reports 0. */
	uint8_t shortfb[8] = { 0x81, RTCP_PSFB, 0, 1, 0, 0, 0, 9 };
	pos = 0;
	assert_int_equal(rtcp_next(shortfb, sizeof(shortfb), &pos, &p), 1);
	assert_int_equal(p.sender_ssrc, 9);
	assert_int_equal(p.media_ssrc, 0);
}

static void test_rtcp_malformed(void **state)
{
	(void)state;
	uint8_t pkt[COMPOUND_LEN];
	size_t pos;
	struct rtcp_packet p;

	/* First packet's length runs past the datagram. */
	build_compound(pkt);
	put16(pkt + 2, COMPOUND_LEN / 4);
	pos = 0;
	assert_int_equal(rtcp_next(pkt, sizeof(pkt), &pos, &p), MCU_EPROTO);
	assert_int_equal(pos, 0);

	/* Second packet's length runs past: the first is still returned,
	 * then the error, and pos stays at the bad packet. */
	build_compound(pkt);
	put16(pkt + SR_LEN + 2, SDES_LEN / 4);
	pos = 0;
	assert_int_equal(rtcp_next(pkt, sizeof(pkt), &pos, &p), 1);
	assert_int_equal(rtcp_next(pkt, sizeof(pkt), &pos, &p), MCU_EPROTO);
	assert_int_equal(pos, SR_LEN);
	assert_int_equal(rtcp_next(pkt, sizeof(pkt), &pos, &p), MCU_EPROTO);

	/* Bad version, first and second packet. */
	build_compound(pkt);
	pkt[0] = 0x41;
	pos = 0;
	assert_int_equal(rtcp_next(pkt, sizeof(pkt), &pos, &p), MCU_EPROTO);
	build_compound(pkt);
	pkt[SR_LEN] = 0xC1;
	pos = 0;
	assert_int_equal(rtcp_next(pkt, sizeof(pkt), &pos, &p), 1);
	assert_int_equal(rtcp_next(pkt, sizeof(pkt), &pos, &p), MCU_EPROTO);

	/* Trailing bytes too few for a header. */
	build_compound(pkt);
	for (size_t extra = 1; extra < 4; extra++) {
		pos = 0;
		assert_int_equal(rtcp_next(pkt, SR_LEN + extra, &pos, &p), 1);
		assert_int_equal(rtcp_next(pkt, SR_LEN + extra, &pos, &p), MCU_EPROTO);
	}
}

/* Every prefix of the compound datagram: no overread, and the walk ends
 * cleanly only when the cut falls on a packet boundary. */
static void test_rtcp_truncated(void **state)
{
	(void)state;
	uint8_t full[COMPOUND_LEN];
	build_compound(full);
	for (size_t len = 0; len < COMPOUND_LEN; len++) {
		uint8_t *d = rtcpfixture_heap_copy(full, len);
		size_t pos = 0;
		struct rtcp_packet p;
		int rc, n = 0;
		while ((rc = rtcp_next(d, len, &pos, &p)) == 1) {
			assert_true(p.offset + p.len <= len);
			n++;
		}
		if (len == 0) {
			assert_int_equal(rc, 0);
			assert_int_equal(n, 0);
		} else if (len == SR_LEN) {
			assert_int_equal(rc, 0);
			assert_int_equal(n, 1);
		} else {
			assert_int_equal(rc, MCU_EPROTO);
			assert_int_equal(n, len > SR_LEN ? 1 : 0);
		}
		free(d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrong_packets),
		cmocka_unit_test(test_readers_truncated),
		cmocka_unit_test(test_padding),
		cmocka_unit_test(test_ntp),
		cmocka_unit_test(test_rtcp_compound),
		cmocka_unit_test(test_rtcp_feedback),
		cmocka_unit_test(test_rtcp_malformed),
		cmocka_unit_test(test_rtcp_truncated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
