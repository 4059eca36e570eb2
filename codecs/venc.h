/*
 * venc.h - one output profile's video encoder (libx264): YUV 4:2:0 pictures
 * in, H.264 Constrained Baseline access units (Annex B) out.
 *
 * Tuned for conferencing: zerolatency (no lookahead, no B-frames, one picture
 * in, one access unit out), SPS/PPS repeated before every IDR so a receiver
 * can start at any keyframe, a VBV cap at the target bitrate, and IDRs only
 * when asked for (plus a long safety interval). Owned by one room thread.
 */
#ifndef MCU_VENC_H
#define MCU_VENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct AVFrame;
struct venc;

struct venc_config {
	int width, height;       /* even */
	int fps;                 /* frames per second */
	int bitrate_kbps;        /* target and VBV cap */
	const char *preset;      /* x264 preset, "veryfast" if NULL */
	int threads;             /* x264 threads, >= 1 */
	int slice_max_bytes;     /* 0: none; else each NAL unit at most this
				  * (packetization-mode 0 needs it) */
	int keyint_max;          /* frames between forced IDRs (safety net) */
};

/* Opens an encoder. Returns 0, MCU_EINVAL (bad config or preset) or MCU_ENOMEM. */
int venc_create(const struct venc_config *cfg, struct venc **out);
void venc_destroy(struct venc *e);  /* accepts NULL */

/*
 * Encodes one picture of the configured size (frame borrowed; x264 copies
 * it). pts counts in 90 kHz. force_idr asks for an IDR now. On output *au
 * points to the access unit (borrowed until the next call) and *is_idr says
 * whether it is one; *au_len is 0 when the encoder produced nothing.
 * Returns 0, MCU_EINVAL (wrong size) or MCU_EIO.
 */
int venc_encode(struct venc *e, const struct AVFrame *frame, int64_t pts, bool force_idr,
		const uint8_t **au, size_t *au_len, bool *is_idr);

/* Access units produced and the IDRs among them. */
uint64_t venc_frames(const struct venc *e);
uint64_t venc_idrs(const struct venc *e);

#endif
