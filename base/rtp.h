/*
 * rtp.h - RTP on the wire (RFC 3550, 5761, 7983, 8285): demultiplexing a
 * datagram, parsing and writing the header, header extensions, and the
 * wrap-safe comparison of sequence numbers and timestamps. RTCP is rtcp.h.
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

#define RTP_VERSION 2             /* the V field of RTP and RTCP alike */

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

/* Writes RTP's fixed 12-byte header. Returns 12, or MCU_EINVAL when cap < 12. */
int rtp_write_header(uint8_t *buf, size_t cap, uint8_t pt, bool marker, uint16_t seq,
		     uint32_t ts, uint32_t ssrc);

/* Wrap-safe order of sequence numbers and timestamps: is a after b? */
bool rtp_seq_after(uint16_t a, uint16_t b);
bool rtp_ts_after(uint32_t a, uint32_t b);


#endif
