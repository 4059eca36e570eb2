/*
 * vp8pkt.h - the VP8 RTP depacketizer (RFC 7741): strips each packet's
 * payload descriptor and joins one frame's partitions into the bitstream
 * libavcodec decodes. Every length is checked; nothing allocates. Thread: any.
 */
#ifndef MCU_VP8PKT_H
#define MCU_VP8PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vp8_depack {
	uint8_t *out;      /* the caller's buffer for the frame (borrowed) */
	size_t cap;
	size_t len;
	bool started;      /* the first packet had S=1 and PID=0 */
	bool broken;       /* malformed, lost start, or too large */
	bool keyframe;     /* the frame header's P bit is 0 */
};

/* Starts a new frame written into out (cap bytes). */
void vp8pkt_depack_begin(struct vp8_depack *d, uint8_t *out, size_t cap);

/*
 * Appends one RTP payload (borrowed): parses the descriptor (X, I with 7- or
 * 15-bit PictureID, L, T/K), then copies the rest. The first payload of a
 * frame must have S=1 and PID=0, else the frame is broken. Returns 0,
 * MCU_EPROTO (truncated descriptor, empty data, no start) or MCU_ELIMIT
 * (out full); on error the frame is marked broken.
 */
int vp8pkt_depack_add(struct vp8_depack *d, const uint8_t *payload, size_t len);

/* Ends the frame: its length (> 0), or MCU_EPROTO when broken or empty. */
int vp8pkt_depack_end(struct vp8_depack *d);

#endif
