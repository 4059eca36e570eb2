/* rtcptrip_test.c - writer -> rtcp_next() -> reader round trips of the
 * RTCP module: report blocks, NACK across entries, duplicates and the wrap,
 * REMB within its mantissa. */
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
	struct rtcp_report in[3] = { rtcpfixture_sample_report, rtcpfixture_sample_report,
				     rtcpfixture_sample_report };
	in[1].ssrc = 2;
	in[1].cumulative_lost = 0x7FFFFF;
	in[2].ssrc = 3;
	in[2].cumulative_lost = -0x800000;
	in[2].fraction_lost = 255;

	/* An SR and an RR in one compound datagram. */
	uint8_t d[28 + 3 * 24 + 8 + 2 * 24];
	int a = rtcp_write_sr(d, sizeof(d), &rtcpfixture_sample_sr, in, 3);
	assert_int_equal(a, 100);
	int b = rtcp_write_rr(d + a, sizeof(d) - (size_t)a, 0x77, in + 1, 2);
	assert_int_equal(b, 56);
	uint8_t *h = rtcpfixture_heap_copy(d, sizeof(d));

	size_t pos = 0;
	struct rtcp_packet p;
	struct rtcp_report out[4];
	assert_int_equal(rtcp_next(h, sizeof(d), &pos, &p), 1);
	assert_int_equal(p.type, RTCP_SR);
	assert_int_equal(p.count, 3);
	assert_int_equal(p.sender_ssrc, rtcpfixture_sample_sr.ssrc);
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
	p = rtcpfixture_only_packet(e, sizeof(e));
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
	uint8_t *h = rtcpfixture_heap_copy(buf, (size_t)len);
	struct rtcp_packet p = rtcpfixture_only_packet(h, (size_t)len);
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
	struct rtcp_packet p = rtcpfixture_only_packet(buf, (size_t)len);
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
	uint8_t *h = rtcpfixture_heap_copy(buf, (size_t)len);
	struct rtcp_packet p = rtcpfixture_only_packet(h, (size_t)len);
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
	struct rtcp_packet p = rtcpfixture_only_packet(buf, sizeof(buf));
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reports_round_trip),
		cmocka_unit_test(test_nack_round_trip),
		cmocka_unit_test(test_remb_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
