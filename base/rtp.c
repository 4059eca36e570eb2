/*
 * rtp.c - see rtp.h: classifying datagrams, parsing RTP headers and their
 * RFC 8285 extensions, wrap-safe sequence arithmetic, walking compound RTCP.
 *
 * Everything here reads a buffer the peer controls, so every index is
 * checked against a length before the byte is touched; the unit tests feed
 * every truncation of valid packets to keep it that way.
 */
#include "rtp.h"
#include "err.h"

#include <assert.h>

#define RTP_FIXED_HEADER 12
#define RTP_VERSION_BITS 0x80      /* V=2 in the first byte, P=X=0 */
#define RTP_MAX_PT 127
#define EXT_PROFILE_ONE_BYTE 0xBEDE
#define EXT_PROFILE_TWO_BYTE 0x1000 /* 0x100 + 4 "appbits", RFC 8285 4.3 */
#define EXT_ONE_BYTE_STOP_ID 15

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

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

/*
 * RFC 7983 section 7 ranges, with RFC 5761 section 4 splitting RTP from RTCP
 * by the second byte (marker bit plus payload type 64..95 is where RTCP's
 * packet types 192..223 would land). Bytes we do not serve (ZRTP 16..19,
 * TURN channels 64..79) are UNKNOWN. Needs two bytes to tell RTP from RTCP,
 * so a one-byte datagram in 128..191 is UNKNOWN too.
 */
enum rtp_demux rtp_demux(const uint8_t *data, size_t len)
{
	if (len == 0)
		return RTP_DEMUX_UNKNOWN;
	uint8_t b = data[0];
	if (b <= 3)
		return RTP_DEMUX_STUN;
	if (b >= 20 && b <= 63)
		return RTP_DEMUX_DTLS;
	if (b >= 128 && b <= 191) {
		if (len < 2)
			return RTP_DEMUX_UNKNOWN;
		if (data[1] >= 192 && data[1] <= 223)
			return RTP_DEMUX_RTCP;
		return RTP_DEMUX_RTP;
	}
	return RTP_DEMUX_UNKNOWN;
}

/*
 * Fills a local header and copies it out only on success, so *out is left
 * untouched by a malformed packet. pkt is borrowed; out must not be NULL.
 * ext_offset/ext_len are 0 when the X bit is clear. An extension with a
 * profile we do not understand is still skipped (its length word is
 * generic, RFC 3550 5.3.1) and ext_profile reports the profile as seen.
 */
int rtp_parse(const uint8_t *pkt, size_t len, struct rtp_header *out)
{
	assert(out);
	if (len < RTP_FIXED_HEADER)
		return MCU_EPROTO;
	if (pkt[0] >> 6 != RTP_VERSION)
		return MCU_EPROTO;
	bool padding = pkt[0] & 0x20;
	bool extension = pkt[0] & 0x10;

	struct rtp_header h = {
		.marker = pkt[1] & 0x80,
		.payload_type = pkt[1] & 0x7f,
		.seq = be16(pkt + 2),
		.timestamp = be32(pkt + 4),
		.ssrc = be32(pkt + 8),
		.csrc_count = pkt[0] & 0x0f,
	};
	size_t off = RTP_FIXED_HEADER + 4u * h.csrc_count;
	if (off > len)
		return MCU_EPROTO;

	if (extension) {
		if (len - off < 4)
			return MCU_EPROTO;
		h.ext_profile = be16(pkt + off);
		h.ext_len = 4u * be16(pkt + off + 2);
		h.ext_offset = off + 4;
		if (len - h.ext_offset < h.ext_len)
			return MCU_EPROTO;
		off = h.ext_offset + h.ext_len;
	}

	size_t end = len;
	if (padding) {
		/* The count includes itself, so 0 is malformed, and padding
		 * may not eat into the header (RFC 3550 5.1). */
		uint8_t pad = pkt[len - 1];
		if (pad == 0 || pad > len - off)
			return MCU_EPROTO;
		end = len - pad;
	}
	h.payload_offset = off;
	h.payload_len = end - off;
	*out = h;
	return 0;
}

/* One-byte form (RFC 8285 4.2): ID in the high nibble, length-1 in the low. */
static int find_one_byte(const uint8_t *p, size_t n, int id,
			 const uint8_t **data, size_t *len)
{
	if (id < 1 || id > 14)
		return MCU_ENOTFOUND;
	size_t i = 0;
	while (i < n) {
		/* A zero byte is padding; libwebrtc and RFC 8285 skip it
		 * whole, ignoring the length nibble an ID of 0 would carry. */
		if (p[i] >> 4 == 0) {
			i++;
			continue;
		}
		int eid = p[i] >> 4;
		/* ID 15 means "stop": its length nibble is meaningless. */
		if (eid == EXT_ONE_BYTE_STOP_ID)
			return MCU_ENOTFOUND;
		size_t elen = (size_t)(p[i] & 0x0f) + 1;
		if (elen > n - i - 1)
			return MCU_ENOTFOUND; /* runs past the block */
		if (eid == id) {
			*data = p + i + 1;
			*len = elen;
			return 0;
		}
		i += 1 + elen;
	}
	return MCU_ENOTFOUND;
}

/* Two-byte form (RFC 8285 4.3): an ID byte, a length byte (may be 0). */
static int find_two_byte(const uint8_t *p, size_t n, int id,
			 const uint8_t **data, size_t *len)
{
	if (id < 1 || id > 255)
		return MCU_ENOTFOUND;
	size_t i = 0;
	while (i < n) {
		if (p[i] == 0) { /* padding byte */
			i++;
			continue;
		}
		if (n - i < 2)
			return MCU_ENOTFOUND;
		size_t elen = p[i + 1];
		if (elen > n - i - 2)
			return MCU_ENOTFOUND;
		if (p[i] == id) {
			*data = p + i + 2;
			*len = elen;
			return 0;
		}
		i += 2 + elen;
	}
	return MCU_ENOTFOUND;
}

/*
 * hdr must come from rtp_parse() of this same pkt (its offsets are trusted).
 * A malformed element list, an ID outside the form's range and an
 * extension profile that is neither RFC 8285 form all answer MCU_ENOTFOUND:
 * the caller cannot use the element in any of those cases. *data and *len
 * are written only on success; *data points into pkt (borrowed).
 */
int rtp_find_extension(const uint8_t *pkt, const struct rtp_header *hdr, int id,
		       const uint8_t **data, size_t *len)
{
	if (hdr->ext_len == 0)
		return MCU_ENOTFOUND;
	const uint8_t *p = pkt + hdr->ext_offset;
	if (hdr->ext_profile == EXT_PROFILE_ONE_BYTE)
		return find_one_byte(p, hdr->ext_len, id, data, len);
	if ((hdr->ext_profile & 0xfff0) == EXT_PROFILE_TWO_BYTE)
		return find_two_byte(p, hdr->ext_len, id, data, len);
	return MCU_ENOTFOUND;
}

/*
 * Serial number arithmetic (RFC 1982): a is after b when the forward
 * distance from b to a is less than half the number space. Equal values
 * are not "after"; at exactly half-way neither is after the other.
 */
bool rtp_seq_after(uint16_t a, uint16_t b)
{
	uint16_t d = (uint16_t)(a - b);
	return d != 0 && d < 0x8000;
}

bool rtp_ts_after(uint32_t a, uint32_t b)
{
	uint32_t d = a - b;
	return d != 0 && d < 0x80000000u;
}

/*
 * V=2, no padding, extension or CSRCs. buf is borrowed. A payload type
 * above 127 would spill into the marker bit, so it is MCU_EINVAL too.
 */
int rtp_write_header(uint8_t *buf, size_t cap, uint8_t pt, bool marker, uint16_t seq,
		     uint32_t ts, uint32_t ssrc)
{
	if (cap < RTP_FIXED_HEADER || pt > RTP_MAX_PT)
		return MCU_EINVAL;
	buf[0] = RTP_VERSION_BITS;
	buf[1] = (uint8_t)((marker ? 0x80 : 0) | pt);
	put16(buf + 2, seq);
	put32(buf + 4, ts);
	put32(buf + 8, ssrc);
	return RTP_FIXED_HEADER;
}
