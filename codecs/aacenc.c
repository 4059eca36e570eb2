/*
 * aacenc.c - see aacenc.h. The PCM is converted to float as it comes (the
 * "aac" encoder takes planar float only) into an AVAudioFifo, and whole
 * 1024-sample frames are read out of it into one reused AVFrame. A chunk is
 * taken a frame's worth at a time and coded before the next is added, so
 * the FIFO never grows past its first allocation (four frames) however
 * large the chunk (a long stretch of silence, say).
 *
 * Errors from libavcodec are translated here: setup failures are logged
 * once with libavcodec's reason; per-packet ones are returned, not logged,
 * since the caller knows which recording they hurt.
 */
#include "aacenc.h"
#include "base/err.h"
#include "base/log.h"

#include <errno.h>
#include <libavcodec/avcodec.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <stdbool.h>
#include <stdlib.h>

#define MOD "aacenc"
#define BITRATE_MIN 8000
#define BITRATE_MAX 320000

struct aacenc {
	AVCodecContext *ctx;
	AVAudioFifo *fifo;          /* float samples not yet coded */
	AVFrame *frame;             /* reused for every frame */
	AVPacket *pkt;              /* reused for every packet */
	int64_t pts;                /* pts (samples) of the FIFO's first sample */
	float conv[AACENC_FRAME];   /* one slice of PCM converted for the FIFO */
};

/* The one translation of libavcodec's codes. */
static int from_av(int averr)
{
	return averr == AVERROR(ENOMEM) ? MCU_ENOMEM : MCU_EIO;
}

/* Opens the codec context and the reusable frame. Logs what failed. */
static int open_codec(struct aacenc *e, const AVCodec *codec, int bitrate)
{
	AVCodecContext *c = e->ctx;
	c->sample_fmt = AV_SAMPLE_FMT_FLTP;
	c->sample_rate = AACENC_RATE;
	c->ch_layout = (AVChannelLayout)AV_CHANNEL_LAYOUT_MONO;
	c->bit_rate = bitrate;
	c->profile = FF_PROFILE_AAC_LOW;
	c->time_base = (AVRational){ 1, AACENC_RATE };
	c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;  /* the esds needs the config */
	int ret = avcodec_open2(c, codec, NULL);
	if (ret < 0) {
		LOG_E(MOD, "AAC encoder: %s", av_err2str(ret));
		return from_av(ret);
	}
	e->frame->format = AV_SAMPLE_FMT_FLTP;
	e->frame->nb_samples = AACENC_FRAME;
	e->frame->sample_rate = AACENC_RATE;
	e->frame->ch_layout = (AVChannelLayout)AV_CHANNEL_LAYOUT_MONO;
	ret = av_frame_get_buffer(e->frame, 0);
	if (ret < 0) {
		LOG_E(MOD, "AAC frame: %s", av_err2str(ret));
		return from_av(ret);
	}
	return 0;
}

int aacenc_create(int bitrate, struct aacenc **out)
{
	if (!out)
		return MCU_EINVAL;
	*out = NULL;
	if (bitrate < BITRATE_MIN || bitrate > BITRATE_MAX)
		return MCU_EINVAL;
	const AVCodec *codec = avcodec_find_encoder_by_name("aac");
	if (!codec) {
		LOG_E(MOD, "libavcodec has no AAC encoder");
		return MCU_EUNSUPPORTED;
	}
	struct aacenc *e = calloc(1, sizeof(*e));
	if (!e)
		return MCU_ENOMEM;
	int rc = MCU_ENOMEM;
	e->ctx = avcodec_alloc_context3(codec);
	e->frame = av_frame_alloc();
	e->pkt = av_packet_alloc();
	e->fifo = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, 1, 4 * AACENC_FRAME);
	if (!e->ctx || !e->frame || !e->pkt || !e->fifo)
		goto fail;
	rc = open_codec(e, codec, bitrate);
	if (rc)
		goto fail;
	*out = e;
	return 0;
fail:
	aacenc_destroy(e);
	return rc;
}

void aacenc_destroy(struct aacenc *e)
{
	if (!e)
		return;
	avcodec_free_context(&e->ctx);
	av_frame_free(&e->frame);
	av_packet_free(&e->pkt);
	if (e->fifo)
		av_audio_fifo_free(e->fifo);
	free(e);
}

int aacenc_params(const struct aacenc *e, struct AVCodecParameters *par)
{
	int ret = avcodec_parameters_from_context(par, e->ctx);
	return ret < 0 ? from_av(ret) : 0;
}

void aacenc_set_pts(struct aacenc *e, int64_t pts)
{
	e->pts = pts;
}

/* Sends one frame (NULL: drain) and hands every packet that comes out to
 * emit. */
static int encode(struct aacenc *e, AVFrame *frame, aacenc_emit_fn *emit, void *user)
{
	int ret = avcodec_send_frame(e->ctx, frame);
	if (ret < 0)
		return from_av(ret);
	for (;;) {
		ret = avcodec_receive_packet(e->ctx, e->pkt);
		if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
			return 0;
		if (ret < 0)
			return from_av(ret);
		int rc = emit(user, e->pkt);
		av_packet_unref(e->pkt);
		if (rc)
			return rc;
	}
}

/* Codes whole frames from the FIFO; with last, the short rest too. */
static int drain_fifo(struct aacenc *e, bool last, aacenc_emit_fn *emit, void *user)
{
	for (;;) {
		int n = av_audio_fifo_size(e->fifo);
		if (n == 0 || (n < AACENC_FRAME && !last))
			return 0;
		if (n > AACENC_FRAME)
			n = AACENC_FRAME;
		/* The encoder may still hold the last frame's buffer. */
		int ret = av_frame_make_writable(e->frame);
		if (ret < 0)
			return from_av(ret);
		e->frame->nb_samples = n;  /* a short last frame is fine for "aac" */
		if (av_audio_fifo_read(e->fifo, (void **)e->frame->data, n) != n)
			return MCU_EIO;
		e->frame->pts = e->pts;
		e->pts += n;
		int rc = encode(e, e->frame, emit, user);
		if (rc)
			return rc;
	}
}

int aacenc_push(struct aacenc *e, const int16_t *pcm, int64_t n, aacenc_emit_fn *emit,
		void *user)
{
	while (n > 0) {
		int k = n > AACENC_FRAME ? AACENC_FRAME : (int)n;
		for (int i = 0; i < k; i++)
			e->conv[i] = pcm ? (float)pcm[i] / 32768.0f : 0.0f;
		void *planes[1] = { e->conv };
		int ret = av_audio_fifo_write(e->fifo, planes, k);
		if (ret < 0)
			return from_av(ret);
		if (pcm)
			pcm += k;
		n -= k;
		int rc = drain_fifo(e, false, emit, user);
		if (rc)
			return rc;
	}
	return 0;
}

int aacenc_flush(struct aacenc *e, aacenc_emit_fn *emit, void *user)
{
	int rc = drain_fifo(e, true, emit, user);
	return rc ? rc : encode(e, NULL, emit, user);
}
