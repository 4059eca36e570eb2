/* rtcp_test.c - compound RTCP walking (rtcp_next), the RTCP writers byte
 * for byte against hand-built packets, writers refusing short buffers
 * untouched, writer ->
 * rtcp_next() -> reader round trips (report blocks, NACK across entries,
 * duplicates and the wrap, REMB within its mantissa), readers on every
 * truncation of valid packets (exactly-sized heap copies, so ASan sees any
 * over-read), padding, and NTP time of known dates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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

/* An exactly-sized heap copy, so ASan reports any read past len. */
static uint8_t *heap_copy(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	assert_non_null(p);
	memcpy(p, src, len);
	return p;
}

/* The one packet of a datagram, as rtcp_next() finds it. */
static struct rtcp_packet only_packet(const uint8_t *pkt, size_t len)
{
	size_t pos = 0;
	struct rtcp_packet p;
	assert_int_equal(rtcp_next(pkt, len, &pos, &p), 1);
	assert_int_equal(rtcp_next(pkt, len, &pos, &p), 0);
	size_t again = 0;
	assert_int_equal(rtcp_next(pkt, len, &again, &p), 1);
	return p;
}

static const struct rtcp_sr sample_sr = {
	.ssrc = 0x01020304,
	.ntp = 0xBC17C20080000000ull, /* 2000-01-01 00:00:00.5 UTC */
	.rtp_ts = 0x0A0B0C0D,
	.packets = 1000,
	.octets = 123456,
};

static const struct rtcp_report sample_report = {
	.ssrc = 0xAABBCCDD,
	.fraction_lost = 64,
	.cumulative_lost = -3, /* duplicates can outnumber losses */
	.highest_seq = 0x00010005,
	.jitter = 37,
	.lsr = 0xC2008000,
	.dlsr = 0x00018000,
};

static const uint8_t sample_report_bytes[24] = {
	0xAA, 0xBB, 0xCC, 0xDD,
	0x40, 0xFF, 0xFF, 0xFD,
	0x00, 0x01, 0x00, 0x05,
	0x00, 0x00, 0x00, 0x25,
	0xC2, 0x00, 0x80, 0x00,
	0x00, 0x01, 0x80, 0x00,
};

static void test_write_sr(void **state)
{
	(void)state;
	static const uint8_t want_head[28] = {
		0x81, 200, 0x00, 12,          /* RC 1, length 52/4 - 1 */
		0x01, 0x02, 0x03, 0x04,
		0xBC, 0x17, 0xC2, 0x00, 0x80, 0x00, 0x00, 0x00,
		0x0A, 0x0B, 0x0C, 0x0D,
		0x00, 0x00, 0x03, 0xE8,
		0x00, 0x01, 0xE2, 0x40,
	};
	uint8_t buf[128];
	assert_int_equal(rtcp_write_sr(buf, sizeof(buf), &sample_sr, &sample_report, 1), 52);
	assert_memory_equal(buf, want_head, 28);
	assert_memory_equal(buf + 28, sample_report_bytes, 24);

	/* No blocks: 28 bytes, length 6; reports may be NULL. */
	assert_int_equal(rtcp_write_sr(buf, 28, &sample_sr, NULL, 0), 28);
	assert_int_equal(buf[0], 0x80);
	assert_int_equal(buf[1], 200);
	assert_int_equal(buf[2], 0);
	assert_int_equal(buf[3], 6);
	assert_memory_equal(buf + 4, want_head + 4, 24);

	/* Three blocks: RC 3, length (28 + 72) / 4 - 1 = 24. */
	struct rtcp_report three[3] = { sample_report, sample_report, sample_report };
	assert_int_equal(rtcp_write_sr(buf, sizeof(buf), &sample_sr, three, 3), 100);
	assert_int_equal(buf[0], 0x83);
	assert_int_equal(buf[3], 24);
	assert_memory_equal(buf + 76, sample_report_bytes, 24);

	/* The RC field holds 0..31. */
	struct rtcp_report many[32];
	for (int i = 0; i < 32; i++)
		many[i] = sample_report;
	uint8_t big[28 + 32 * 24];
	assert_int_equal(rtcp_write_sr(big, sizeof(big), &sample_sr, many, 31), 28 + 31 * 24);
	assert_int_equal(big[0], 0x80 | 31);
	assert_int_equal(big[3], (28 + 31 * 24) / 4 - 1);
	assert_int_equal(rtcp_write_sr(big, sizeof(big), &sample_sr, many, 32), MCU_EINVAL);
	assert_int_equal(rtcp_write_sr(buf, sizeof(buf), &sample_sr, three, -1), MCU_EINVAL);
	assert_int_equal(rtcp_write_sr(buf, sizeof(buf), &sample_sr, NULL, 1), MCU_EINVAL);
	assert_int_equal(rtcp_write_sr(buf, sizeof(buf), NULL, NULL, 0), MCU_EINVAL);
}

static void test_write_rr(void **state)
{
	(void)state;
	struct rtcp_report r[2] = { sample_report, sample_report };
	r[1].ssrc = 0x55667788;
	r[1].fraction_lost = 0;
	r[1].cumulative_lost = 0x123456;
	uint8_t buf[64];
	assert_int_equal(rtcp_write_rr(buf, sizeof(buf), 0xCAFEBABE, r, 2), 56);
	static const uint8_t want_head[8] = { 0x82, 201, 0x00, 13, 0xCA, 0xFE, 0xBA, 0xBE };
	assert_memory_equal(buf, want_head, 8);
	assert_memory_equal(buf + 8, sample_report_bytes, 24);
	static const uint8_t want_second[8] = { 0x55, 0x66, 0x77, 0x88, 0x00, 0x12, 0x34, 0x56 };
	assert_memory_equal(buf + 32, want_second, 8);

	/* An empty RR is the header and the SSRC: length 1. */
	static const uint8_t want_empty[8] = { 0x80, 201, 0x00, 1, 0xCA, 0xFE, 0xBA, 0xBE };
	assert_int_equal(rtcp_write_rr(buf, 8, 0xCAFEBABE, NULL, 0), 8);
	assert_memory_equal(buf, want_empty, 8);

	/* Cumulative loss saturates at the 24-bit signed field's ends. */
	r[0].cumulative_lost = 0x1000000;
	r[1].cumulative_lost = -0x1000000;
	assert_int_equal(rtcp_write_rr(buf, sizeof(buf), 1, r, 2), 56);
	assert_int_equal(buf[8 + 5], 0x7F);
	assert_int_equal(buf[8 + 6], 0xFF);
	assert_int_equal(buf[8 + 7], 0xFF);
	assert_int_equal(buf[32 + 5], 0x80);
	assert_int_equal(buf[32 + 6], 0x00);
	assert_int_equal(buf[32 + 7], 0x00);

	assert_int_equal(rtcp_write_rr(buf, sizeof(buf), 1, r, 32), MCU_EINVAL);
	assert_int_equal(rtcp_write_rr(buf, sizeof(buf), 1, NULL, 2), MCU_EINVAL);
}

static void test_write_pli(void **state)
{
	(void)state;
	static const uint8_t want[12] = {
		0x81, 206, 0x00, 2, 0x00, 0x00, 0xAA, 0xAA, 0x00, 0x00, 0xBB, 0xBB,
	};
	uint8_t buf[12];
	assert_int_equal(rtcp_write_pli(buf, sizeof(buf), 0xAAAA, 0xBBBB), 12);
	assert_memory_equal(buf, want, 12);
	struct rtcp_packet p = only_packet(buf, sizeof(buf));
	assert_int_equal(p.type, RTCP_PSFB);
	assert_int_equal(p.count, 1);
	assert_int_equal(p.sender_ssrc, 0xAAAA);
	assert_int_equal(p.media_ssrc, 0xBBBB);
}

static void test_write_nack(void **state)
{
	(void)state;
	uint8_t buf[64];
	/* Unsorted with a duplicate: 100 (PID) with 105 (bit 4) and 116
	 * (bit 15), then 117 is one past the BLP and starts an entry. */
	static const uint16_t seqs[] = { 105, 117, 100, 116, 100 };
	static const uint8_t want[20] = {
		0x81, 205, 0x00, 4,
		0x00, 0x00, 0x00, 0x01,
		0x00, 0x00, 0x00, 0x02,
		0x00, 100, 0x80, 0x10,
		0x00, 117, 0x00, 0x00,
	};
	assert_int_equal(rtcp_write_nack(buf, sizeof(buf), 1, 2, seqs, 5), 20);
	assert_memory_equal(buf, want, 20);

	/* Across the wrap the earliest is 65530, not 0: one entry with
	 * 65535 (bit 4), 0 (bit 5) and 2 (bit 7). */
	static const uint16_t wrap[] = { 2, 65535, 65530, 0 };
	static const uint8_t want_wrap[16] = {
		0x81, 205, 0x00, 3,
		0x00, 0x00, 0x00, 0x01,
		0x00, 0x00, 0x00, 0x02,
		0xFF, 0xFA, 0x00, 0xB0,
	};
	assert_int_equal(rtcp_write_nack(buf, sizeof(buf), 1, 2, wrap, 4), 16);
	assert_memory_equal(buf, want_wrap, 16);

	/* A single seq; all duplicates of one seq. */
	static const uint16_t same[] = { 7, 7, 7 };
	assert_int_equal(rtcp_write_nack(buf, sizeof(buf), 1, 2, same, 3), 16);
	assert_int_equal(buf[13], 7);
	assert_int_equal(buf[14], 0);
	assert_int_equal(buf[15], 0);

	assert_int_equal(rtcp_write_nack(buf, sizeof(buf), 1, 2, seqs, 0), MCU_EINVAL);
	assert_int_equal(rtcp_write_nack(buf, sizeof(buf), 1, 2, NULL, 1), MCU_EINVAL);
}

static void test_write_remb(void **state)
{
	(void)state;
	/* 1 Mbit/s: exp 2, mantissa 250000 (0x3D090). */
	static const uint32_t ssrcs[2] = { 0x11111111, 0x22222222 };
	static const uint8_t want[28] = {
		0x8F, 206, 0x00, 6,
		0x00, 0x00, 0x00, 0x09,
		0x00, 0x00, 0x00, 0x00,
		'R', 'E', 'M', 'B',
		0x02, 0x0B, 0xD0, 0x90,
		0x11, 0x11, 0x11, 0x11,
		0x22, 0x22, 0x22, 0x22,
	};
	uint8_t buf[32];
	assert_int_equal(rtcp_write_remb(buf, sizeof(buf), 9, 1000000, ssrcs, 2), 28);
	assert_memory_equal(buf, want, 28);

	/* Below 2^18 the mantissa is exact, exponent 0. */
	assert_int_equal(rtcp_write_remb(buf, sizeof(buf), 9, 262143, NULL, 0), 20);
	assert_int_equal(buf[3], 4);
	assert_int_equal(buf[16], 0);
	assert_int_equal(buf[17], 0x03);
	assert_int_equal(buf[18], 0xFF);
	assert_int_equal(buf[19], 0xFF);
	/* 2^18 needs exponent 1. */
	assert_int_equal(rtcp_write_remb(buf, sizeof(buf), 9, 262144, NULL, 0), 20);
	assert_int_equal(buf[17], 0x06);
	assert_int_equal(buf[18], 0x00);
	assert_int_equal(buf[19], 0x00);

	static uint32_t many[256];
	assert_int_equal(rtcp_write_remb(buf, sizeof(buf), 9, 1, many, 256), MCU_EINVAL);
	assert_int_equal(rtcp_write_remb(buf, sizeof(buf), 9, 1, many, -1), MCU_EINVAL);
	assert_int_equal(rtcp_write_remb(buf, sizeof(buf), 9, 1, NULL, 1), MCU_EINVAL);
	uint8_t big[20 + 255 * 4];
	assert_int_equal(rtcp_write_remb(big, sizeof(big), 9, 1, many, 255), (int)sizeof(big));
	assert_int_equal(big[16], 255);
}

/* Calls one writer with cap; the writers differ only in what they need. */
static int write_kind(int kind, uint8_t *buf, size_t cap)
{
	static const uint16_t seqs[] = { 1, 30, 60 };
	static const uint32_t ssrcs[] = { 5, 6 };
	struct rtcp_report r[2] = { sample_report, sample_report };
	switch (kind) {
	case 0: return rtp_write_header(buf, cap, 96, false, 1, 2, 3);
	case 1: return rtcp_write_sr(buf, cap, &sample_sr, r, 2);
	case 2: return rtcp_write_rr(buf, cap, 1, r, 2);
	case 3: return rtcp_write_pli(buf, cap, 1, 2);
	case 4: return rtcp_write_nack(buf, cap, 1, 2, seqs, 3);
	default: return rtcp_write_remb(buf, cap, 1, 3000000, ssrcs, 2);
	}
}

static void test_writers_refuse_small(void **state)
{
	(void)state;
	static const int need[6] = { 12, 76, 56, 12, 24, 28 };
	uint8_t buf[128];
	for (int kind = 0; kind < 6; kind++) {
		for (size_t cap = 0; cap < (size_t)need[kind]; cap++) {
			memset(buf, 0xEE, sizeof(buf));
			assert_int_equal(write_kind(kind, buf, cap), MCU_EINVAL);
			for (size_t i = 0; i < sizeof(buf); i++)
				assert_int_equal(buf[i], 0xEE); /* refused untouched */
		}
		assert_int_equal(write_kind(kind, buf, (size_t)need[kind]), need[kind]);
	}
}

static void assert_report_equal(const struct rtcp_report *a, const struct rtcp_report *b)
{
	assert_int_equal(a->ssrc, b->ssrc);
	assert_int_equal(a->fraction_lost, b->fraction_lost);
	assert_int_equal(a->cumulative_lost, b->cumulative_lost);
	assert_int_equal(a->highest_seq, b->highest_seq);
	assert_int_equal(a->jitter, b->jitter);
	assert_int_equal(a->lsr, b->lsr);
	assert_int_equal(a->dlsr, b->dlsr);
}

static void test_reports_round_trip(void **state)
{
	(void)state;
	struct rtcp_report in[3] = { sample_report, sample_report, sample_report };
	in[1].ssrc = 2;
	in[1].cumulative_lost = 0x7FFFFF;
	in[2].ssrc = 3;
	in[2].cumulative_lost = -0x800000;
	in[2].fraction_lost = 255;

	/* An SR and an RR in one compound datagram. */
	uint8_t d[28 + 3 * 24 + 8 + 2 * 24];
	int a = rtcp_write_sr(d, sizeof(d), &sample_sr, in, 3);
	assert_int_equal(a, 100);
	int b = rtcp_write_rr(d + a, sizeof(d) - (size_t)a, 0x77, in + 1, 2);
	assert_int_equal(b, 56);
	uint8_t *h = heap_copy(d, sizeof(d));

	size_t pos = 0;
	struct rtcp_packet p;
	struct rtcp_report out[4];
	assert_int_equal(rtcp_next(h, sizeof(d), &pos, &p), 1);
	assert_int_equal(p.type, RTCP_SR);
	assert_int_equal(p.count, 3);
	assert_int_equal(p.sender_ssrc, sample_sr.ssrc);
	assert_int_equal(rtcp_read_reports(h, &p, out, 4), 3);
	for (int i = 0; i < 3; i++)
		assert_report_equal(&out[i], &in[i]);
	/* Fewer asked for, fewer given; 0 only validates. */
	memset(out, 0, sizeof(out));
	assert_int_equal(rtcp_read_reports(h, &p, out, 1), 1);
	assert_report_equal(&out[0], &in[0]);
	assert_int_equal(out[1].ssrc, 0);
	assert_int_equal(rtcp_read_reports(h, &p, NULL, 0), 0);

	assert_int_equal(rtcp_next(h, sizeof(d), &pos, &p), 1);
	assert_int_equal(p.type, RTCP_RR);
	assert_int_equal(p.offset, 100);
	assert_int_equal(p.sender_ssrc, 0x77);
	assert_int_equal(rtcp_read_reports(h, &p, out, 4), 2);
	assert_report_equal(&out[0], &in[1]);
	assert_report_equal(&out[1], &in[2]);
	assert_int_equal(rtcp_next(h, sizeof(d), &pos, &p), 0);

	/* Empty RR: no blocks. */
	uint8_t e[8];
	assert_int_equal(rtcp_write_rr(e, sizeof(e), 0x77, NULL, 0), 8);
	p = only_packet(e, sizeof(e));
	assert_int_equal(rtcp_read_reports(e, &p, out, 4), 0);
	free(h);
}

/* Is seq among the first n of list? */
static bool has_seq(const uint16_t *list, int n, uint16_t seq)
{
	for (int i = 0; i < n; i++)
		if (list[i] == seq)
			return true;
	return false;
}

/* Writes seqs as a NACK, reads it back through rtcp_next(), and checks the
 * result is the same set, without repeats, earliest first across the wrap. */
static int nack_round_trip(const uint16_t *seqs, int n, int want_entries)
{
	uint8_t buf[1200];
	int len = rtcp_write_nack(buf, sizeof(buf), 0xA, 0xB, seqs, n);
	assert_int_equal(len, 12 + 4 * want_entries);
	uint8_t *h = heap_copy(buf, (size_t)len);
	struct rtcp_packet p = only_packet(h, (size_t)len);
	assert_int_equal(p.type, RTCP_RTPFB);
	assert_int_equal(p.count, 1);
	assert_int_equal(p.media_ssrc, 0xB);

	uint16_t out[17 * 64];
	int got = rtcp_read_nack(h, &p, out, 17 * 64);
	free(h);
	assert_true(got > 0);
	for (int i = 0; i < n; i++)
		assert_true(has_seq(out, got, seqs[i]));
	for (int i = 0; i < got; i++) {
		assert_true(has_seq(seqs, n, out[i]));
		if (i > 0)
			assert_true(rtp_seq_after(out[i], out[i - 1]));
	}
	return got;
}

static void test_nack_round_trip(void **state)
{
	(void)state;
	/* 20 distinct seqs across the wrap (65530..5, then 20, 40) with
	 * duplicates: entries at 65530 (to 10), 20 and 40. */
	uint16_t wrap[26];
	int n = 0;
	for (uint16_t s = 65530; s != 6; s++)
		wrap[n++] = s;
	wrap[n++] = 40;
	wrap[n++] = 20;
	wrap[n++] = 3;
	wrap[n++] = 65530;
	wrap[n++] = 40;
	wrap[n++] = 65535;
	assert_int_equal(n, 18);
	assert_int_equal(nack_round_trip(wrap, n, 3), 14);

	/* 40 consecutive seqs over the wrap, given newest first: PIDs at
	 * 65520, 1 and 18. */
	uint16_t run[40];
	for (int i = 0; i < 40; i++)
		run[39 - i] = (uint16_t)(65520 + i);
	assert_int_equal(nack_round_trip(run, 40, 3), 40);

	/* Pseudo-random sets inside a 1000-seq window straddling the wrap. */
	uint32_t lcg = 12345;
	for (int round = 0; round < 50; round++) {
		uint16_t set[100];
		int m = 1 + round * 2;
		for (int i = 0; i < m; i++) {
			lcg = lcg * 1103515245u + 12345u;
			set[i] = (uint16_t)(65000 + (lcg >> 16) % 1000);
		}
		int entries = 0, last = -100;
		for (int off = 0; off < 1000; off++) {
			if (!has_seq(set, m, (uint16_t)(65000 + off)) || off <= last + 16)
				continue;
			entries++;
			last = off;
		}
		nack_round_trip(set, m, entries);
	}

	/* A short output array keeps the first max. */
	uint8_t buf[64];
	int len = rtcp_write_nack(buf, sizeof(buf), 1, 2, run, 40);
	struct rtcp_packet p = only_packet(buf, (size_t)len);
	uint16_t out[5];
	assert_int_equal(rtcp_read_nack(buf, &p, out, 5), 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(out[i], 65520 + i);
	assert_int_equal(rtcp_read_nack(buf, &p, NULL, 0), 0);
}

/* Writes, finds and reads one REMB; returns what was read. */
static uint32_t remb_round_trip(uint32_t bps)
{
	static const uint32_t ssrcs[3] = { 1, 2, 3 };
	uint8_t buf[32];
	int len = rtcp_write_remb(buf, sizeof(buf), 0x99, bps, ssrcs, 3);
	assert_int_equal(len, 32);
	uint8_t *h = heap_copy(buf, (size_t)len);
	struct rtcp_packet p = only_packet(h, (size_t)len);
	assert_int_equal(p.type, RTCP_PSFB);
	assert_int_equal(p.count, 15);
	assert_int_equal(p.sender_ssrc, 0x99);
	assert_int_equal(p.media_ssrc, 0);
	uint32_t got = 0xDEADBEEF;
	assert_int_equal(rtcp_read_remb(h, &p, &got), 0);
	free(h);
	return got;
}

static void test_remb_round_trip(void **state)
{
	(void)state;
	static const uint32_t rates[] = {
		0, 1, 1000, 262143, 262144, 262145, 2000000, 2500001, 4000000000u, UINT32_MAX,
	};
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		uint32_t bps = rates[i], got = remb_round_trip(bps);
		/* Never above, and under by less than one part in 2^17. */
		assert_true(got <= bps);
		assert_true(((uint64_t)(bps - got) << 17) <= got);
		if (bps < 262144)
			assert_int_equal(got, bps);
	}
	assert_int_equal(remb_round_trip(1000), 1000);
	assert_int_equal(remb_round_trip(2000000), 2000000);
	assert_int_equal(remb_round_trip(4000000000u), 3999989760u);

	/* More than 32 bits on the wire reads as UINT32_MAX. */
	uint8_t buf[20];
	assert_int_equal(rtcp_write_remb(buf, sizeof(buf), 1, 0, NULL, 0), 20);
	struct rtcp_packet p = only_packet(buf, sizeof(buf));
	uint32_t got = 1;
	assert_int_equal(rtcp_read_remb(buf, &p, &got), 0);
	assert_int_equal(got, 0);
	buf[17] = 63 << 2 | 3;
	buf[18] = buf[19] = 0xFF;
	assert_int_equal(rtcp_read_remb(buf, &p, &got), 0);
	assert_int_equal(got, UINT32_MAX);
	buf[17] = 15 << 2 | 2; /* 2^17 << 15 = 2^32 */
	buf[18] = buf[19] = 0;
	assert_int_equal(rtcp_read_remb(buf, &p, &got), 0);
	assert_int_equal(got, UINT32_MAX);
	buf[17] = 14 << 2 | 3; /* (2^18 - 1) << 14 just fits */
	buf[18] = buf[19] = 0xFF;
	assert_int_equal(rtcp_read_remb(buf, &p, &got), 0);
	assert_int_equal(got, 0x3FFFFu << 14);
}

static void test_wrong_packets(void **state)
{
	(void)state;
	/* Application-layer feedback that is not REMB. */
	uint8_t afb[20];
	assert_int_equal(rtcp_write_remb(afb, sizeof(afb), 1, 1000, NULL, 0), 20);
	memcpy(afb + 12, "GOOG", 4);
	struct rtcp_packet p = only_packet(afb, sizeof(afb));
	uint32_t bps = 42;
	assert_int_equal(rtcp_read_remb(afb, &p, &bps), MCU_ENOTFOUND);
	assert_int_equal(bps, 42);

	/* Each reader refuses the others' packets. */
	uint8_t pli[12];
	rtcp_write_pli(pli, sizeof(pli), 1, 2);
	p = only_packet(pli, sizeof(pli));
	uint16_t seqs[17];
	struct rtcp_report r;
	assert_int_equal(rtcp_read_remb(pli, &p, &bps), MCU_EINVAL);
	assert_int_equal(rtcp_read_nack(pli, &p, seqs, 17), MCU_EINVAL);
	assert_int_equal(rtcp_read_reports(pli, &p, &r, 1), MCU_EINVAL);

	uint8_t nack[16];
	static const uint16_t one = 5;
	rtcp_write_nack(nack, sizeof(nack), 1, 2, &one, 1);
	p = only_packet(nack, sizeof(nack));
	assert_int_equal(rtcp_read_remb(nack, &p, &bps), MCU_EINVAL);
	assert_int_equal(rtcp_read_reports(nack, &p, &r, 1), MCU_EINVAL);
	assert_int_equal(rtcp_read_nack(nack, &p, seqs, -1), MCU_EINVAL);
	assert_int_equal(rtcp_read_nack(nack, &p, NULL, 1), MCU_EINVAL);
	nack[0] = 0x80 | 3; /* RTPFB but another FMT */
	p = only_packet(nack, sizeof(nack));
	assert_int_equal(rtcp_read_nack(nack, &p, seqs, 17), MCU_EINVAL);

	/* A NACK with no entry at all is malformed. */
	uint8_t empty[12];
	memcpy(empty, nack, 12);
	empty[0] = 0x81;
	put16(empty + 2, 2);
	p = only_packet(empty, sizeof(empty));
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
	struct rtcp_report r[2] = { sample_report, sample_report };
	static const uint16_t seqs[] = { 10, 11, 40, 70, 71 };
	static const uint32_t ssrcs[] = { 7, 8 };
	uint8_t full[4][128];
	int len[4];
	len[0] = rtcp_write_sr(full[0], 128, &sample_sr, r, 2);
	len[1] = rtcp_write_rr(full[1], 128, 1, r, 2);
	len[2] = rtcp_write_nack(full[2], 128, 1, 2, seqs, 5);
	len[3] = rtcp_write_remb(full[3], 128, 1, 5000000, ssrcs, 2);
	assert_int_equal(len[2], 24);

	for (int kind = 0; kind < 4; kind++) {
		for (size_t cut = 0; cut < (size_t)len[kind]; cut++) {
			uint8_t *h = heap_copy(full[kind], cut);
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
		uint8_t *h = heap_copy(full[kind], (size_t)len[kind]);
		struct rtcp_packet p = only_packet(h, (size_t)len[kind]);
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
	uint8_t *h = heap_copy(d, sizeof(d));
	struct rtcp_packet p = only_packet(h, sizeof(d));
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
	assert_int_equal(rtcp_write_rr(rr, sizeof(rr), 1, &sample_report, 1), 32);
	rr[0] |= 0x20;
	rr[31] = 4;
	p = only_packet(rr, sizeof(rr));
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
		uint8_t *d = heap_copy(full, len);
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
		cmocka_unit_test(test_write_sr),
		cmocka_unit_test(test_write_rr),
		cmocka_unit_test(test_write_pli),
		cmocka_unit_test(test_write_nack),
		cmocka_unit_test(test_write_remb),
		cmocka_unit_test(test_writers_refuse_small),
		cmocka_unit_test(test_reports_round_trip),
		cmocka_unit_test(test_nack_round_trip),
		cmocka_unit_test(test_remb_round_trip),
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
