/*
 * rtcpfixture.c - see rtcpfixture.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rtcpfixture.h"

#include <stdlib.h>
#include <string.h>

/* An exactly-sized heap copy, so ASan reports any read past len. */
uint8_t *rtcpfixture_heap_copy(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	assert_non_null(p);
	memcpy(p, src, len);
	return p;
}

/* The one packet of a datagram, as rtcp_next() finds it. */
struct rtcp_packet rtcpfixture_only_packet(const uint8_t *pkt, size_t len)
{
	size_t pos = 0;
	struct rtcp_packet p;
	assert_int_equal(rtcp_next(pkt, len, &pos, &p), 1);
	assert_int_equal(rtcp_next(pkt, len, &pos, &p), 0);
	size_t again = 0;
	assert_int_equal(rtcp_next(pkt, len, &again, &p), 1);
	return p;
}

const struct rtcp_sr rtcpfixture_sample_sr = {
	.ssrc = 0x01020304,
	.ntp = 0xBC17C20080000000ull, /* 2000-01-01 00:00:00.5 UTC */
	.rtp_ts = 0x0A0B0C0D,
	.packets = 1000,
	.octets = 123456,
};

const struct rtcp_report rtcpfixture_sample_report = {
	.ssrc = 0xAABBCCDD,
	.fraction_lost = 64,
	.cumulative_lost = -3, /* duplicates can outnumber losses */
	.highest_seq = 0x00010005,
	.jitter = 37,
	.lsr = 0xC2008000,
	.dlsr = 0x00018000,
};
