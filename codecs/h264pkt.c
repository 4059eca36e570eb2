/*
 * h264pkt.c - see h264pkt.h: RFC 6184 payloads back to an Annex B access
 * unit, and an encoder's Annex B access unit cut into RTP payloads.
 *
 * The depacketizer reads payloads the peer controls, so every index is
 * checked against a length before the byte is touched and every write
 * against the caller's capacity; the unit tests feed every truncation of
 * valid aggregates and fragments on exactly-sized heap copies.
 */
#include "h264pkt.h"
#include "base/err.h"

#include <assert.h>
#include <limits.h>
#include <string.h>

#define NAL_TYPE_MASK 0x1f
#define NAL_F_NRI_MASK 0xe0     /* forbidden bit and nal_ref_idc */
#define NAL_TYPE_LAST 23        /* 24..31 are RFC 6184's own packet types */
#define STAP_A_SIZE_LEN 2
#define FU_A_HEADER_LEN 2       /* FU indicator, FU header */
#define FU_S 0x80
#define FU_E 0x40
#define PACK_MIN_PAYLOAD 100
#define START_CODE_LEN 4

static const uint8_t start_code[START_CODE_LEN] = { 0, 0, 0, 1 };

/* A type an encoder may put in an access unit and a peer in a single NAL
 * unit packet; 0 is unspecified and 24..31 would be read as our own
 * aggregates and fragments. */
static bool nal_type_plain(unsigned type)
{
	return type >= 1 && type <= NAL_TYPE_LAST;
}

void h264pkt_depack_begin(struct h264_depack *d, uint8_t *out, size_t cap)
{
	assert(d);
	/* _end returns the length as an int. */
	*d = (struct h264_depack){
		.out = out,
		.cap = cap < INT_MAX ? cap : INT_MAX,
	};
}

static void note_nal(struct h264_depack *d, uint8_t header)
{
	switch (header & NAL_TYPE_MASK) {
	case H264_NAL_IDR: d->keyframe = true; break;
	case H264_NAL_SPS: d->has_sps = true; break;
	case H264_NAL_PPS: d->has_pps = true; break;
	default: break;
	}
}

static int put_bytes(struct h264_depack *d, const uint8_t *p, size_t n)
{
	if (n > d->cap - d->len)
		return MCU_ELIMIT;
	/* memcpy's pointers must be valid even for 0 bytes, and out may be
	 * NULL with cap 0. */
	if (n) {
		memcpy(d->out + d->len, p, n);
		d->len += n;
	}
	return 0;
}

/* A start code and the first n bytes of a NAL unit (header first). Checks
 * the room for both before writing, so a refusal writes nothing. */
static int put_nal(struct h264_depack *d, const uint8_t *nal, size_t n)
{
	size_t room = d->cap - d->len;
	if (room < START_CODE_LEN || n > room - START_CODE_LEN)
		return MCU_ELIMIT;
	(void)put_bytes(d, start_code, START_CODE_LEN);
	(void)put_bytes(d, nal, n);
	note_nal(d, nal[0]);
	return 0;
}

/* RFC 6184 5.7.1: after the STAP-A header, 16-bit sizes each followed by
 * that many bytes of NAL unit; at least one unit, none empty. */
static int add_stap_a(struct h264_depack *d, const uint8_t *p, size_t len)
{
	size_t off = 1;
	if (off == len)
		return MCU_EPROTO;
	while (off < len) {
		if (len - off < STAP_A_SIZE_LEN)
			return MCU_EPROTO;
		size_t n = (size_t)p[off] << 8 | p[off + 1];
		off += STAP_A_SIZE_LEN;
		if (n == 0 || n > len - off)
			return MCU_EPROTO;
		/* Aggregates and fragments may not nest (RFC 6184 5.7). */
		if (!nal_type_plain(p[off] & NAL_TYPE_MASK))
			return MCU_EPROTO;
		int rc = put_nal(d, p + off, n);
		if (rc)
			return rc;
		off += n;
	}
	return 0;
}

/*
 * RFC 6184 5.8. The NAL header is rebuilt from the indicator's F and NRI
 * bits and the FU header's type. A fragment with both S and E is forbidden
 * by the RFC but unambiguous, so it is taken as a whole NAL unit rather
 * than breaking the frame. A lost middle fragment cannot be seen here (no
 * sequence numbers): the frame assembler detects the gap.
 */
static int add_fu_a(struct h264_depack *d, const uint8_t *p, size_t len)
{
	if (len < FU_A_HEADER_LEN)
		return MCU_EPROTO;
	uint8_t fu = p[1];
	if (!nal_type_plain(fu & NAL_TYPE_MASK))
		return MCU_EPROTO;
	int rc;
	if (fu & FU_S) {
		if (d->in_fu)
			return MCU_EPROTO; /* the previous NAL unit lost its end */
		uint8_t header = (uint8_t)((p[0] & NAL_F_NRI_MASK) | (fu & NAL_TYPE_MASK));
		rc = put_nal(d, &header, 1);
		if (rc)
			return rc;
		d->in_fu = true;
	} else if (!d->in_fu) {
		return MCU_EPROTO; /* its start was lost */
	}
	rc = put_bytes(d, p + FU_A_HEADER_LEN, len - FU_A_HEADER_LEN);
	if (rc)
		return rc;
	if (fu & FU_E)
		d->in_fu = false;
	return 0;
}

static int add_payload(struct h264_depack *d, const uint8_t *payload, size_t len)
{
	if (len == 0)
		return MCU_EPROTO;
	unsigned type = payload[0] & NAL_TYPE_MASK;
	if (d->in_fu && type != H264_NAL_FU_A)
		return MCU_EPROTO; /* a new NAL unit inside an unfinished FU-A */
	if (nal_type_plain(type))
		return put_nal(d, payload, len);
	switch (type) {
	case H264_NAL_STAP_A:
		return add_stap_a(d, payload, len);
	case H264_NAL_FU_A:
		return add_fu_a(d, payload, len);
	case 25: /* STAP-B */
	case 26: /* MTAP16 */
	case 27: /* MTAP24 */
	case 29: /* FU-B */
		return MCU_EUNSUPPORTED;
	default:
		return MCU_EPROTO; /* 0, 30 and 31 are undefined */
	}
}

/*
 * A payload that arrives after the frame broke is ignored and answers 0:
 * it is not itself at fault, the caller already had the error once, and
 * _end reports the frame as broken.
 */
int h264pkt_depack_add(struct h264_depack *d, const uint8_t *payload, size_t len)
{
	assert(d);
	if (d->broken)
		return 0;
	int rc = add_payload(d, payload, len);
	if (rc)
		d->broken = true;
	return rc;
}

int h264pkt_depack_end(struct h264_depack *d)
{
	assert(d);
	if (d->broken || d->in_fu || d->len == 0) {
		d->broken = true;
		return MCU_EPROTO;
	}
	return (int)d->len;
}

size_t h264pkt_find_start_code(const uint8_t *au, size_t len, size_t from)
{
	for (size_t i = from; i < len && len - i >= 3; i++)
		if (au[i] == 0 && au[i + 1] == 0 && au[i + 2] == 1)
			return i;
	return len;
}

/*
 * The offset just past the first start code. Only zero bytes
 * (leading_zero_8bits, H.264 B.1) may come before it; anything else means
 * the buffer is not Annex B.
 */
static int first_nal(const uint8_t *au, size_t len, size_t *pos)
{
	size_t s = h264pkt_find_start_code(au, len, 0);
	if (s == len)
		return MCU_EPROTO;
	for (size_t i = 0; i < s; i++)
		if (au[i] != 0)
			return MCU_EPROTO;
	*pos = s + 3;
	return 0;
}

/*
 * The next NAL unit from *pos (just past a start code), moving *pos past
 * the following start code. Trailing zero bytes are cut: they are the
 * zero_byte of a 4-byte start code or trailing_zero_8bits, never NAL data
 * (emulation prevention keeps a NAL unit from ending in 0x00). Empty units
 * and access unit delimiters are skipped: RTP carries the frame boundary in
 * the marker bit. Returns false at the end.
 */
static bool next_nal(const uint8_t *au, size_t len, size_t *pos,
		     const uint8_t **nal, size_t *nal_len)
{
	while (*pos < len) {
		size_t start = *pos;
		size_t end = h264pkt_find_start_code(au, len, start);
		*pos = end == len ? len : end + 3;
		size_t n = end - start;
		while (n > 0 && au[start + n - 1] == 0)
			n--;
		if (n == 0 || (au[start] & NAL_TYPE_MASK) == H264_NAL_AUD)
			continue;
		*nal = au + start;
		*nal_len = n;
		return true;
	}
	return false;
}

/*
 * Equal fragments rather than full ones and a runt: the same number of
 * packets, and no tiny last packet paying a whole header.
 */
static int pack_fu_a(const uint8_t *nal, size_t n, size_t max_payload,
		     uint8_t *scratch, h264_emit_fn *emit, void *user, bool last_nal)
{
	const uint8_t *body = nal + 1;
	size_t left = n - 1;
	size_t room = max_payload - FU_A_HEADER_LEN;
	size_t frags = (left + room - 1) / room;
	size_t base = left / frags, extra = left % frags;
	uint8_t indicator = (uint8_t)((nal[0] & NAL_F_NRI_MASK) | H264_NAL_FU_A);

	for (size_t i = 0; i < frags; i++) {
		bool last = i + 1 == frags;
		size_t take = base + (i < extra ? 1 : 0);
		scratch[0] = indicator;
		scratch[1] = (uint8_t)((i == 0 ? FU_S : 0) | (last ? FU_E : 0) |
				       (nal[0] & NAL_TYPE_MASK));
		memcpy(scratch + FU_A_HEADER_LEN, body, take);
		body += take;
		int rc = emit(user, scratch, take + FU_A_HEADER_LEN, last_nal && last);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * The whole access unit is checked before the first emit, so a refused
 * one sends nothing (no half frame without a marker on the wire), and the
 * count tells which NAL unit is last. Single NAL unit packets are emitted
 * straight from au; only fragments go through scratch. A max_payload below
 * 100 or a mode other than 0 or 1 is MCU_EINVAL; a NAL unit of type 0 or
 * 24..31 is MCU_EPROTO, as a receiver would misread it.
 */
int h264pkt_pack(const uint8_t *au, size_t len, size_t max_payload, int mode,
	      uint8_t *scratch, h264_emit_fn *emit, void *user)
{
	if (max_payload < PACK_MIN_PAYLOAD || (mode != 0 && mode != 1) ||
	    !scratch || !emit)
		return MCU_EINVAL;
	size_t first;
	int rc = first_nal(au, len, &first);
	if (rc)
		return rc;

	size_t count = 0, pos = first, n;
	const uint8_t *nal;
	while (next_nal(au, len, &pos, &nal, &n)) {
		if (!nal_type_plain(nal[0] & NAL_TYPE_MASK))
			return MCU_EPROTO;
		if (mode == 0 && n > max_payload)
			return MCU_ELIMIT;
		count++;
	}
	if (count == 0)
		return MCU_EPROTO;

	pos = first;
	for (size_t i = 0; next_nal(au, len, &pos, &nal, &n); i++) {
		bool last = i + 1 == count;
		if (n <= max_payload)
			rc = emit(user, nal, n, last);
		else
			rc = pack_fu_a(nal, n, max_payload, scratch, emit, user, last);
		if (rc)
			return rc;
	}
	return 0;
}

bool h264pkt_is_keyframe(const uint8_t *au, size_t len)
{
	size_t pos, n;
	const uint8_t *nal;
	if (first_nal(au, len, &pos))
		return false;
	while (next_nal(au, len, &pos, &nal, &n))
		if ((nal[0] & NAL_TYPE_MASK) == H264_NAL_IDR)
			return true;
	return false;
}
