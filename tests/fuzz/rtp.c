/*
 * rtp.c - fuzzes the wire parsers of mcu/rtp.c and mcu/rtcp.c on one
 * datagram: rtp_demux; rtp_parse and rtp_find_extension for ids 1..14 (and
 * the two-byte form's 15 and 255); rtcp_next over the whole input and, for
 * each packet, rtcp_read_reports, rtcp_read_nack and rtcp_read_remb. Links
 * mcu/rtp.o, mcu/rtcp.o and mcu/err.o only.
 *
 * Checks beyond "no crash": every offset and length a parser reports lies
 * inside the input; rtcp_next tiles the datagram and advances; readers
 * return what their contracts allow; a NACK read back is written again
 * with rtcp_write_nack and reads back as the same set of sequence numbers;
 * a REMB estimate written with rtcp_write_remb reads back no higher than
 * written and within one part in 2^17.
 */
#include "base/rtcp.h"
#include "base/rtp.h"
#include "base/err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: check failed: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

#define MAX_NACK_SEQS (17 * 1024) /* 17 per entry: a 4 KB NACK read whole */
#define MAX_ROUND_TRIP 1024       /* rtcp_write_nack is quadratic by design */

static void check_rtp(const uint8_t *data, size_t size)
{
	struct rtp_header h;
	if (rtp_parse(data, size, &h))
		return;
	CHECK(h.payload_offset <= size && h.payload_len <= size - h.payload_offset);
	CHECK(h.payload_offset >= 12u + 4u * h.csrc_count);
	if (h.ext_len) {
		CHECK(h.ext_offset <= size && h.ext_len <= size - h.ext_offset);
		CHECK(h.ext_offset + h.ext_len <= h.payload_offset);
	}
	static const int ids[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 255 };
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const uint8_t *p = NULL;
		size_t n = 0;
		int rc = rtp_find_extension(data, &h, ids[i], &p, &n);
		CHECK(rc == 0 || rc == MCU_ENOTFOUND);
		if (rc == 0) {
			CHECK(p >= data + h.ext_offset && n <= h.ext_len);
			CHECK((size_t)(p - (data + h.ext_offset)) <= h.ext_len - n);
		}
	}
}

/* Marks each seq in bits (65536 bits); returns how many were new. */
static int mark(uint8_t *bits, const uint16_t *seqs, int n)
{
	int added = 0;
	for (int i = 0; i < n; i++) {
		uint8_t bit = (uint8_t)(1u << (seqs[i] & 7));
		if (!(bits[seqs[i] >> 3] & bit))
			added++;
		bits[seqs[i] >> 3] |= bit;
	}
	return added;
}

/* Writes seqs as a NACK and reads them back: the same set must come out. */
static void nack_round_trip(const uint16_t *seqs, int n)
{
	size_t cap = 12 + 4 * (size_t)n;
	uint8_t *buf = malloc(cap);
	uint16_t *back = malloc(MAX_NACK_SEQS * sizeof(*back));
	uint8_t *want = calloc(1, 8192), *got = calloc(1, 8192);
	CHECK(buf && back && want && got);
	int len = rtcp_write_nack(buf, cap, 1, 2, seqs, n);
	CHECK(len > 0 && (size_t)len <= cap);
	size_t pos = 0;
	struct rtcp_packet p;
	CHECK(rtcp_next(buf, (size_t)len, &pos, &p) == 1 && pos == (size_t)len);
	int m = rtcp_read_nack(buf, &p, back, MAX_NACK_SEQS);
	CHECK(m > 0);
	mark(want, seqs, n);
	mark(got, back, m);
	CHECK(!memcmp(want, got, 8192));
	free(got);
	free(want);
	free(back);
	free(buf);
}

static void remb_round_trip(uint32_t bps)
{
	uint8_t buf[24];
	uint32_t ssrc = 7;
	int len = rtcp_write_remb(buf, sizeof(buf), 1, bps, &ssrc, 1);
	CHECK(len == 24);
	size_t pos = 0;
	struct rtcp_packet p;
	CHECK(rtcp_next(buf, (size_t)len, &pos, &p) == 1);
	uint32_t back = 0;
	CHECK(rtcp_read_remb(buf, &p, &back) == 0);
	CHECK(back <= bps && bps - back <= bps >> 17);
}

static void check_packet(const uint8_t *data, const struct rtcp_packet *p)
{
	struct rtcp_report reports[31];
	int rc = rtcp_read_reports(data, p, reports, 31);
	CHECK(rc == MCU_EINVAL || rc == MCU_EPROTO || (rc >= 0 && rc <= 31));
	if (rc >= 0)
		CHECK(rc == p->count);
	CHECK(rtcp_read_reports(data, p, NULL, 0) == (rc >= 0 ? 0 : rc));

	uint16_t *seqs = malloc(MAX_NACK_SEQS * sizeof(*seqs));
	CHECK(seqs);
	rc = rtcp_read_nack(data, p, seqs, MAX_NACK_SEQS);
	CHECK(rc == MCU_EINVAL || rc == MCU_EPROTO || (rc > 0 && rc <= MAX_NACK_SEQS));
	if (rc > 0) {
		uint16_t few[5];
		CHECK(rtcp_read_nack(data, p, few, 5) == (rc < 5 ? rc : 5));
		CHECK(!memcmp(few, seqs, (size_t)(rc < 5 ? rc : 5) * sizeof(*few)));
		if (rc <= MAX_ROUND_TRIP)
			nack_round_trip(seqs, rc);
	}
	free(seqs);

	uint32_t bps = 0;
	rc = rtcp_read_remb(data, p, &bps);
	CHECK(rc == 0 || rc == MCU_EINVAL || rc == MCU_EPROTO || rc == MCU_ENOTFOUND);
	if (rc == 0)
		remb_round_trip(bps);
}

static void check_rtcp(const uint8_t *data, size_t size)
{
	size_t pos = 0;
	struct rtcp_packet p;
	int rc;
	while ((rc = rtcp_next(data, size, &pos, &p)) == 1) {
		CHECK(p.len >= 4 && p.len % 4 == 0);
		CHECK(p.offset < size && p.len <= size - p.offset);
		CHECK(pos == p.offset + p.len);
		check_packet(data, &p);
	}
	CHECK(rc == 0 || rc == MCU_EPROTO);
	CHECK(rc == MCU_EPROTO || pos >= size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum rtp_demux d = rtp_demux(data, size);
	CHECK(d >= RTP_DEMUX_UNKNOWN && d <= RTP_DEMUX_RTCP);
	check_rtp(data, size);
	check_rtcp(data, size);
	return 0;
}
