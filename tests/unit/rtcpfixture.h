/*
 * rtcpfixture.h - what the unit tests of the RTCP module (rtcp_test,
 * rtcptrip_test, rtcpread_test) share: exactly-sized heap copies, the one
 * packet of a datagram as rtcp_next() finds it, and a sample sender report
 * and report block.
 *
 * The helpers fail the running cmocka test (assert_*) rather than return
 * errors: they are for cmocka tests only.
 */
#ifndef MCU_TESTS_RTCPFIXTURE_H
#define MCU_TESTS_RTCPFIXTURE_H

#include "base/rtcp.h"

#include <stddef.h>
#include <stdint.h>

/* An exactly-sized heap copy, so ASan reports any read past len. The
 * caller frees it. */
uint8_t *rtcpfixture_heap_copy(const uint8_t *src, size_t len);

/* The one packet of a datagram, as rtcp_next() finds it (asserted: one and
 * only one, found again from the start). */
struct rtcp_packet rtcpfixture_only_packet(const uint8_t *pkt, size_t len);

/* A sender report (NTP time 2000-01-01 00:00:00.5 UTC) and a report block
 * with a negative cumulative loss, to write and read back. */
extern const struct rtcp_sr rtcpfixture_sample_sr;
extern const struct rtcp_report rtcpfixture_sample_report;

#endif
