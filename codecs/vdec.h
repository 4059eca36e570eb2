/*
 * vdec.h - one sender's video decoder (libavcodec): H.264 or VP8 access units
 * in, YUV 4:2:0 pictures out.
 *
 * Single-threaded on purpose (ARCHITECTURE.md: frame threads cost CPU and a
 * frame of delay). Owned by one room thread. The codec ids and names are
 * base/codec.h's.
 */
#ifndef MCU_VDEC_H
#define MCU_VDEC_H

#include "base/codec.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct AVFrame;
struct vdec;

/* Bytes of zero padding the decoder's input buffer must have after the data. */
#define VDEC_PADDING 64

/* Opens a decoder. Returns 0, MCU_EUNSUPPORTED (libavcodec lacks it) or
 * MCU_ENOMEM. */
int vdec_create(enum codec_video codec, struct vdec **out);
void vdec_destroy(struct vdec *d);  /* accepts NULL */

/*
 * Decodes one access unit (data: len bytes followed by VDEC_PADDING readable
 * bytes, borrowed). On a new picture *frame points to it: borrowed, valid
 * until the next call (take an av_frame_ref to keep it); otherwise *frame is
 * NULL. The picture is YUV420P or YUVJ420P (the same layout, full range);
 * other formats are converted to YUV420P. Returns 0, or MCU_EPROTO when the data could not be decoded (ask
 * the sender for a keyframe).
 */
int vdec_decode(struct vdec *d, const uint8_t *data, size_t len, struct AVFrame **frame);

/*
 * fast: skip the in-loop deblocking filter from the next picture on. Its
 * blur is lost anyway when the picture is shown at half size or less, and
 * it is about a third of the decode. Thread: the decoder's owner.
 */
void vdec_set_fast(struct vdec *d, bool fast);

/* Pictures decoded and errors seen since creation. */
uint64_t vdec_frames(const struct vdec *d);
uint64_t vdec_errors(const struct vdec *d);

#endif
