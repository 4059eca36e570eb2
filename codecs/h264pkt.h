/*
 * h264pkt.h - H.264 over RTP (RFC 6184): the depacketizer that turns one
 * frame's RTP payloads back into an Annex B access unit, and the packetizer
 * that cuts an encoder's Annex B access unit into RTP payloads.
 *
 * Depacketizing: single NAL unit packets (types 1-23), STAP-A (24) and FU-A
 * (28). STAP-B, MTAP and FU-B (25-27, 29) are interleaved-mode only and are
 * refused as MCU_EUNSUPPORTED. The caller (the frame assembler) hands the
 * payloads of one frame in sequence order; a frame with a missing FU-A start
 * or end, or a malformed aggregate, is marked broken and should not be
 * decoded. Every length is checked; nothing here allocates. Thread: any.
 */
#ifndef MCU_H264PKT_H
#define MCU_H264PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* NAL unit types the mixer looks at. */
enum h264_nal_type {
	H264_NAL_SLICE = 1, H264_NAL_IDR = 5, H264_NAL_SEI = 6,
	H264_NAL_SPS = 7, H264_NAL_PPS = 8, H264_NAL_AUD = 9,
	H264_NAL_STAP_A = 24, H264_NAL_FU_A = 28,
};

/* Depacketizer state for one frame: plain data, reset with _begin. */
struct h264_depack {
	uint8_t *out;       /* the caller's buffer for the access unit (borrowed) */
	size_t cap;         /* its size in bytes */
	size_t len;         /* bytes written so far */
	bool in_fu;         /* inside a FU-A whose start we saw */
	bool broken;        /* a payload was malformed, lost or did not fit */
	bool keyframe;      /* an IDR slice (type 5) was seen */
	bool has_sps, has_pps;
};

/* Starts a new access unit written into out (cap bytes). */
void h264pkt_depack_begin(struct h264_depack *d, uint8_t *out, size_t cap);

/*
 * Appends one RTP payload (len bytes, borrowed) to the access unit as Annex B
 * NAL units, each behind a 4-byte start code. Returns 0, MCU_EPROTO for a
 * malformed payload (empty, truncated aggregate, FU-A continuation without a
 * start, a new NAL inside an unfinished FU-A), MCU_EUNSUPPORTED for
 * interleaved-mode types, or MCU_ELIMIT when out is full. On any error the
 * frame is marked broken and later payloads are ignored.
 */
int h264pkt_depack_add(struct h264_depack *d, const uint8_t *payload, size_t len);

/*
 * Ends the access unit. Returns its length (> 0), or MCU_EPROTO when it is
 * broken, empty, or ends inside an unfinished FU-A.
 */
int h264pkt_depack_end(struct h264_depack *d);

/* Called once per RTP payload, in order; marker is set on the last payload
 * of the access unit. payload is borrowed for the call. Returns 0 to go on,
 * anything else to stop (h264pkt_pack returns it). */
typedef int h264_emit_fn(void *user, const uint8_t *payload, size_t len, bool marker);

/*
 * Cuts an Annex B access unit (start codes of 3 or 4 bytes) into RTP
 * payloads of at most max_payload bytes (>= 100). mode 1: a NAL unit that
 * fits goes as a single NAL unit packet, a larger one as FU-A fragments.
 * mode 0 (single NAL unit mode): every NAL unit must fit; a larger one is
 * MCU_ELIMIT (the encoder's slice size limit must keep them small). Access
 * unit delimiters are dropped. scratch (at least max_payload bytes) holds
 * each FU-A fragment while emit runs; a single NAL unit packet points into
 * au. Returns 0, MCU_EPROTO for an empty access unit, one without a start
 * code or one holding a NAL unit of type 0 or 24..31, MCU_ELIMIT,
 * MCU_EINVAL for max_payload < 100 or another mode, or emit's nonzero
 * result. Nothing is emitted unless the whole access unit passes these
 * checks.
 */
int h264pkt_pack(const uint8_t *au, size_t len, size_t max_payload, int mode,
	      uint8_t *scratch, h264_emit_fn *emit, void *user);

/*
 * The offset of the next 00 00 01 start code in au (len bytes, borrowed)
 * at or after from, or len when there is none (also for from >= len). A
 * 4-byte start code is found at its second byte: its leading zero is the
 * previous NAL unit's trailing zero to the caller. Thread: any.
 */
size_t h264pkt_find_start_code(const uint8_t *au, size_t len, size_t from);

/* Does this Annex B access unit hold an IDR slice? Thread: any. */
bool h264pkt_is_keyframe(const uint8_t *au, size_t len);

#endif
