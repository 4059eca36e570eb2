/*
 * aacenc.h - an AAC-LC encoder for 48 kHz mono 16-bit PCM (the room's
 * full mix), with libavcodec's "aac".
 *
 * The mix comes in chunks of any size (usually 960 samples, 20 ms); AAC
 * codes frames of exactly 1024. The encoder keeps what does not yet fill a
 * frame and codes each frame as soon as it is whole, so it holds at most
 * one frame's worth of PCM. Packets come out through a callback, with pts
 * and duration counted in samples from a starting pts the caller sets, for
 * a muxer that writes them as they come. Owned by one thread.
 */
#ifndef MCU_AACENC_H
#define MCU_AACENC_H

#include <stdint.h>

#define AACENC_RATE 48000        /* Hz, in and out */
#define AACENC_FRAME 1024        /* samples per AAC-LC frame */

struct aacenc;
struct AVPacket;
struct AVCodecParameters;

/*
 * Called for each packet, in order. pkt is borrowed for the call: its
 * pts, dts and duration are in samples (1/AACENC_RATE); the callback may
 * take its data with av_packet_move_ref or leave it, and the encoder
 * unreferences it afterwards. The first packet is the encoder's priming:
 * its pts lies one frame before the starting pts. Returns 0 to go on, or
 * a (negative) code that stops the encoding and is returned as is.
 */
typedef int aacenc_emit_fn(void *user, struct AVPacket *pkt);

/*
 * Opens the encoder: AAC-LC, 48 kHz mono, bitrate in bit/s (8000 to
 * 320000), with the AudioSpecificConfig as global header (an MP4 needs it
 * in the esds). Returns 0, MCU_EINVAL, MCU_EUNSUPPORTED (no AAC encoder in
 * this libavcodec), MCU_ENOMEM or MCU_EIO; a setup failure is logged with
 * libavcodec's reason. Thread: any.
 */
int aacenc_create(int bitrate, struct aacenc **out);

/* Frees the encoder and what it holds. Accepts NULL. */
void aacenc_destroy(struct aacenc *e);

/*
 * Fills par (borrowed, for a muxer's stream) with the encoder's codec
 * parameters, the AudioSpecificConfig included. Returns 0 or MCU_ENOMEM.
 */
int aacenc_params(const struct aacenc *e, struct AVCodecParameters *par);

/*
 * Sets the pts (samples) of the next sample pushed. Meant for the start,
 * before the first push: samples already held keep counting from the old
 * value.
 */
void aacenc_set_pts(struct aacenc *e, int64_t pts);

/*
 * Appends n samples of pcm (borrowed), or n samples of silence when pcm is
 * NULL, and codes every frame that fills, calling emit for each packet.
 * Returns 0, MCU_EIO or MCU_ENOMEM when libavcodec fails, or emit's
 * nonzero result.
 */
int aacenc_push(struct aacenc *e, const int16_t *pcm, int64_t n, aacenc_emit_fn *emit,
		void *user);

/*
 * Codes what is held as a last, short frame and drains the encoder, calling
 * emit for each packet. Push nothing after it. Returns as aacenc_push.
 */
int aacenc_flush(struct aacenc *e, aacenc_emit_fn *emit, void *user);

#endif
