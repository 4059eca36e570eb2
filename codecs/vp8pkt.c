/*
 * vp8pkt.c - see vp8pkt.h: RFC 7741 payload descriptors stripped, one
 * frame's partitions joined back into the bitstream.
 *
 * The descriptor is peer-controlled and its length depends on its own
 * flag bits, so each optional byte is checked against the payload length
 * before it is read; the unit tests feed every truncation of each
 * descriptor shape on exactly-sized heap copies.
 */
#include "vp8pkt.h"
#include "base/err.h"

#include <assert.h>
#include <limits.h>
#include <string.h>

/* First byte: X R N S R PID(3). The N bit (non-reference frame) and the
 * reserved bits do not change how the frame is assembled. */
#define VP8_X 0x80
#define VP8_S 0x10
#define VP8_PID 0x07
/* Extension byte: I L T K RSV(4). */
#define VP8_I 0x80
#define VP8_L 0x40
#define VP8_T 0x20
#define VP8_K 0x10
/* First PictureID byte: M set means a 15-bit PictureID (two bytes). */
#define VP8_M 0x80
/* Frame tag (RFC 6386 9.1): bit 0 is P, 0 for a key frame. */
#define VP8_TAG_P 0x01

void vp8pkt_depack_begin(struct vp8_depack *d, uint8_t *out, size_t cap)
{
	assert(d);
	/* _end returns the length as an int. */
	*d = (struct vp8_depack){
		.out = out,
		.cap = cap < INT_MAX ? cap : INT_MAX,
	};
}

/* RFC 7741 4.2: the descriptor is 1 to 6 bytes. *off gets its length. */
static int descriptor_len(const uint8_t *p, size_t len, size_t *off)
{
	if (len < 1)
		return MCU_EPROTO;
	size_t n = 1;
	if (p[0] & VP8_X) {
		if (len < 2)
			return MCU_EPROTO;
		uint8_t ext = p[1];
		n = 2;
		if (ext & VP8_I) {
			if (len <= n)
				return MCU_EPROTO;
			n += p[n] & VP8_M ? 2 : 1;
		}
		if (ext & VP8_L)
			n += 1; /* TL0PICIDX */
		/* TID/Y/KEYIDX share one byte, present if either is */
		if (ext & (VP8_T | VP8_K))
			n += 1;
	}
	if (n > len)
		return MCU_EPROTO;
	*off = n;
	return 0;
}

static int add_payload(struct vp8_depack *d, const uint8_t *payload, size_t len)
{
	size_t off;
	int rc = descriptor_len(payload, len, &off);
	if (rc)
		return rc;
	if (off == len)
		return MCU_EPROTO; /* no VP8 data */
	bool start = (payload[0] & VP8_S) && (payload[0] & VP8_PID) == 0;
	if (!d->started && !start)
		return MCU_EPROTO; /* the frame's first packet was lost */
	/* Only a frame's first packet starts partition 0; a second one means
	 * two frames were handed in as one. */
	if (d->started && start)
		return MCU_EPROTO;
	size_t n = len - off;
	if (n > d->cap - d->len)
		return MCU_ELIMIT;
	if (start) {
		d->started = true;
		d->keyframe = !(payload[off] & VP8_TAG_P);
	}
	memcpy(d->out + d->len, payload + off, n);
	d->len += n;
	return 0;
}

/*
 * A payload that arrives after the frame broke is ignored and answers 0:
 * it is not itself at fault, the caller already had the error once, and
 * _end reports the frame as broken. Lost packets after the first cannot
 * be seen here (no sequence numbers): the frame assembler detects gaps.
 */
int vp8pkt_depack_add(struct vp8_depack *d, const uint8_t *payload, size_t len)
{
	assert(d);
	if (d->broken)
		return 0;
	int rc = add_payload(d, payload, len);
	if (rc)
		d->broken = true;
	return rc;
}

int vp8pkt_depack_end(struct vp8_depack *d)
{
	assert(d);
	if (d->broken || d->len == 0) {
		d->broken = true;
		return MCU_EPROTO;
	}
	return (int)d->len;
}
