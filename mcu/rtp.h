/*
 * rtp.h - RTP and RTCP on the wire (RFC 3550, 5761, 7983, 8285, 4585).
 *
 * Parsing only reads: it never writes the packet and never allocates.
 * Every length is checked against the buffer; a malformed packet is
 * MCU_EPROTO, never a crash. Thread: any.
 */
#ifndef MCU_RTP_H
#define MCU_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the first bytes of a datagram on an ICE transport are (RFC 7983). */
enum rtp_demux {
	RTP_DEMUX_UNKNOWN,
	RTP_DEMUX_STUN,   /* first byte 0..3 */
	RTP_DEMUX_DTLS,   /* 20..63 */
	RTP_DEMUX_RTP,    /* 128..191, payload type not in RTCP's 192..223 (RFC 5761) */
	RTP_DEMUX_RTCP,   /* 128..191, second byte 192..223 */
};

enum rtp_demux rtp_demux(const uint8_t *data, size_t len);

/* A parsed RTP header: offsets into the caller's buffer. */
struct rtp_header {
	bool marker;
	uint8_t payload_type;
	uint16_t seq;
	uint32_t timestamp;
	uint32_t ssrc;
	uint8_t csrc_count;
	uint16_t ext_profile;     /* 0xBEDE one-byte, 0x100x two-byte, 0 = none */
	size_t ext_offset;        /* first byte of extension data */
	size_t ext_len;           /* bytes of extension data */
	size_t payload_offset;
	size_t payload_len;       /* padding removed */
};

/* Parses an RTP packet (version 2). Returns 0 or MCU_EPROTO. */
int rtp_parse(const uint8_t *pkt, size_t len, struct rtp_header *out);

/*
 * Finds header extension element id (RFC 8285, one- or two-byte form) in a
 * parsed packet. On success points *data at its bytes (inside pkt) and sets
 * *len. Returns 0, or MCU_ENOTFOUND.
 */
int rtp_find_extension(const uint8_t *pkt, const struct rtp_header *hdr, int id,
		       const uint8_t **data, size_t *len);

/* Wrap-safe order of sequence numbers and timestamps: is a after b? */
bool rtp_seq_after(uint16_t a, uint16_t b);
bool rtp_ts_after(uint32_t a, uint32_t b);

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

#endif
