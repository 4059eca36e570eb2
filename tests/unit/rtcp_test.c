/* rtcp_test.c - the RTCP writers byte for byte against hand-built
 * packets, and writers refusing short buffers untouched. Writer ->
 * rtcp_next() -> reader round trips: rtcptrip_test.c; the readers and
 * compound walking: rtcpread_test.c. */
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
	assert_int_equal(rtcp_write_sr(buf, sizeof(buf), &rtcpfixture_sample_sr,
				       &rtcpfixture_sample_report, 1), 52);
	assert_memory_equal(buf, want_head, 28);
	assert_memory_equal(buf + 28, sample_report_bytes, 24);

	/* No blocks: 28 bytes, length 6; reports may be NULL. */
	assert_int_equal(rtcp_write_sr(buf, 28, &rtcpfixture_sample_sr, NULL, 0), 28);
	assert_int_equal(buf[0], 0x80);
	assert_int_equal(buf[1], 200);
	assert_int_equal(buf[2], 0);
	assert_int_equal(buf[3], 6);
	assert_memory_equal(buf + 4, want_head + 4, 24);

	/* Three blocks: RC 3, length (28 + 72) / 4 - 1 = 24. */
	struct rtcp_report three[3] = { rtcpfixture_sample_report, rtcpfixture_sample_report,
					rtcpfixture_sample_report };
	assert_int_equal(rtcp_write_sr(buf, sizeof(buf), &rtcpfixture_sample_sr, three, 3), 100);
	assert_int_equal(buf[0], 0x83);
	assert_int_equal(buf[3], 24);
	assert_memory_equal(buf + 76, sample_report_bytes, 24);

	/* The RC field holds 0..31. */
	struct rtcp_report many[32];
	for (int i = 0; i < 32; i++)
		many[i] = rtcpfixture_sample_report;
	uint8_t big[28 + 32 * 24];
	assert_int_equal(rtcp_write_sr(big, sizeof(big), &rtcpfixture_sample_sr, many, 31), 28 + 31 * 24);
	assert_int_equal(big[0], 0x80 | 31);
	assert_int_equal(big[3], (28 + 31 * 24) / 4 - 1);
	assert_int_equal(rtcp_write_sr(big, sizeof(big), &rtcpfixture_sample_sr, many, 32), MCU_EINVAL);
	assert_int_equal(rtcp_write_sr(buf, sizeof(buf), &rtcpfixture_sample_sr, three, -1), MCU_EINVAL);
	assert_int_equal(rtcp_write_sr(buf, sizeof(buf), &rtcpfixture_sample_sr, NULL, 1), MCU_EINVAL);
	assert_int_equal(rtcp_write_sr(buf, sizeof(buf), NULL, NULL, 0), MCU_EINVAL);
}

static void test_write_rr(void **state)
{
	(void)state;
	struct rtcp_report r[2] = { rtcpfixture_sample_report, rtcpfixture_sample_report };
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
	struct rtcp_packet p = rtcpfixture_only_packet(buf, sizeof(buf));
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
	struct rtcp_report r[2] = { rtcpfixture_sample_report, rtcpfixture_sample_report };
	switch (kind) {
	case 0: return rtp_write_header(buf, cap, 96, false, 1, 2, 3);
	case 1: return rtcp_write_sr(buf, cap, &rtcpfixture_sample_sr, r, 2);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_sr),
		cmocka_unit_test(test_write_rr),
		cmocka_unit_test(test_write_pli),
		cmocka_unit_test(test_write_nack),
		cmocka_unit_test(test_write_remb),
		cmocka_unit_test(test_writers_refuse_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
