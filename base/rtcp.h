/*
 * rtcp.h - the RTCP packets the server writes (SR, RR, PLI, generic NACK,
 * REMB) and the feedback it reads (RFC 3550, 4585, 5104, and the REMB draft).
 *
 * Writers fill the caller's buffer and return the length written, or
 * MCU_EINVAL when it is too small. Readers take one packet found by
 * rtcp_next() and check every length. Nothing allocates. Thread: any.
 */
#ifndef MCU_RTCP_H
#define MCU_RTCP_H

#include "rtp.h"

#include <stddef.h>
#include <stdint.h>

/* RTCP packet types we know by name (RFC 3550, 4585). */
enum rtcp_type {
	RTCP_SR = 200, RTCP_RR = 201, RTCP_SDES = 202, RTCP_BYE = 203,
	RTCP_APP = 204, RTCP_RTPFB = 205, RTCP_PSFB = 206,
};

/* One packet of a compound RTCP datagram. */
struct rtcp_packet {
	uint8_t type;          /* enum rtcp_type, or another value seen on the wire */
	uint8_t count;         /* RC/SC or FMT (feedback) */
	uint32_t sender_ssrc;  /* 0 when the packet is too short to have one */
	uint32_t media_ssrc;   /* feedback packets: the media source, else 0 */
	size_t offset;         /* of this packet in the datagram */
	size_t len;            /* whole packet, header included */
};

/*
 * Iterates a compound RTCP datagram: *pos starts at 0; each call fills *out
 * with the next packet and advances *pos. Returns 1 for a packet, 0 at the
 * end, MCU_EPROTO when the datagram is malformed (bad version, a length that
 * runs past the end, a first packet that is not SR or RR is tolerated).
 */
int rtcp_next(const uint8_t *pkt, size_t len, size_t *pos, struct rtcp_packet *out);

/* One reception report block (RFC 3550 6.4.1). */
struct rtcp_report {
	uint32_t ssrc;             /* the source it reports on */
	uint8_t fraction_lost;     /* since the last report, /256 */
	int32_t cumulative_lost;   /* 24-bit signed */
	uint32_t highest_seq;      /* extended */
	uint32_t jitter;           /* timestamp units */
	uint32_t lsr, dlsr;
};

/* A sender report's sender info; rtcp_write_sr() adds 0..31 report blocks. */
struct rtcp_sr {
	uint32_t ssrc;
	uint64_t ntp;              /* NTP format: seconds << 32 | fraction */
	uint32_t rtp_ts;
	uint32_t packets, octets;
};

/* Converts wall-clock µs since the Unix epoch to the NTP format. */
uint64_t rtcp_ntp_from_wall_us(int64_t wall_us);

int rtcp_write_sr(uint8_t *buf, size_t cap, const struct rtcp_sr *sr,
		  const struct rtcp_report *reports, int n_reports);
int rtcp_write_rr(uint8_t *buf, size_t cap, uint32_t ssrc,
		  const struct rtcp_report *reports, int n_reports);
int rtcp_write_pli(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc);
/* Generic NACKs for seqs (any order); packs them into PID+BLP entries. */
int rtcp_write_nack(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
		    const uint16_t *seqs, int n);
int rtcp_write_remb(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t bitrate_bps,
		    const uint32_t *ssrcs, int n_ssrcs);

/* Reads the report blocks of an SR or RR (at most max). Returns the count
 * or MCU_EPROTO. */
int rtcp_read_reports(const uint8_t *pkt, const struct rtcp_packet *p,
		      struct rtcp_report *out, int max);

/* Reads a generic NACK (RTPFB FMT 1): the sequence numbers it asks for, at
 * most max. Returns the count or MCU_EPROTO. */
int rtcp_read_nack(const uint8_t *pkt, const struct rtcp_packet *p, uint16_t *seqs, int max);

/* Reads a REMB (PSFB FMT 15 "REMB"). Returns 0 with *bps, MCU_ENOTFOUND when
 * the application-layer feedback is not REMB, or MCU_EPROTO. */
int rtcp_read_remb(const uint8_t *pkt, const struct rtcp_packet *p, uint32_t *bps);

#endif
