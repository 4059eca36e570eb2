/*
 * vdec.c - see vdec.h. The usual send_packet/receive_frame loop with one
 * AVPacket and AVFrame reused for the decoder's life; the packet borrows the
 * caller's buffer (no copy) since the caller pads it.
 */
#include "vdec.h"
#include "base/err.h"

#include <libavcodec/avcodec.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <stdbool.h>
#include <stdlib.h>

struct vdec {
	AVCodecContext *ctx;
	AVPacket *pkt;
	AVFrame *frame;              /* what receive_frame fills */
	AVFrame *latest;             /* the newest picture, handed out */
	AVFrame *converted;          /* for streams that are not YUV420P */
	struct SwsContext *sws;
	uint64_t frames, errors;
};

int vdec_create(enum codec_video codec, struct vdec **out)
{
	const AVCodec *c = avcodec_find_decoder(codec == CODEC_VP8 ? AV_CODEC_ID_VP8 : AV_CODEC_ID_H264);
	if (!c)
		return MCU_EUNSUPPORTED;
	struct vdec *d = calloc(1, sizeof(*d));
	if (!d)
		return MCU_ENOMEM;
	int rc = MCU_ENOMEM;
	d->ctx = avcodec_alloc_context3(c);
	d->pkt = av_packet_alloc();
	d->frame = av_frame_alloc();
	d->latest = av_frame_alloc();
	if (!d->ctx || !d->pkt || !d->frame || !d->latest)
		goto fail;
	d->ctx->thread_count = 1;
	/* Show what decodes even after a loss: a picture with a smudge beats a
	 * frozen tile until the keyframe we ask for arrives. */
	d->ctx->flags2 |= AV_CODEC_FLAG2_SHOW_ALL;
	if (avcodec_open2(d->ctx, c, NULL) < 0) {
		rc = MCU_EUNSUPPORTED;
		goto fail;
	}
	*out = d;
	return 0;
fail:
	vdec_destroy(d);
	return rc;
}

void vdec_destroy(struct vdec *d)
{
	if (!d)
		return;
	avcodec_free_context(&d->ctx);
	av_packet_free(&d->pkt);
	av_frame_free(&d->frame);
	av_frame_free(&d->latest);
	av_frame_free(&d->converted);
	sws_freeContext(d->sws);
	free(d);
}

/* Converts d->latest to YUV420P in d->converted. Returns 0 or an error. */
static int convert(struct vdec *d, AVFrame **out)
{
	AVFrame *src = d->latest;
	if (!d->converted)
		d->converted = av_frame_alloc();
	if (!d->converted)
		return MCU_ENOMEM;
	AVFrame *dst = d->converted;
	if (dst->width != src->width || dst->height != src->height || !dst->data[0]) {
		av_frame_unref(dst);
		dst->format = AV_PIX_FMT_YUV420P;
		dst->width = src->width;
		dst->height = src->height;
		if (av_frame_get_buffer(dst, 0) < 0)
			return MCU_ENOMEM;
	} else if (av_frame_make_writable(dst) < 0) {
		return MCU_ENOMEM;
	}
	d->sws = sws_getCachedContext(d->sws, src->width, src->height, src->format, dst->width,
				      dst->height, AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
	if (!d->sws)
		return MCU_EUNSUPPORTED;
	sws_scale(d->sws, (const uint8_t *const *)src->data, src->linesize, 0, src->height,
		  dst->data, dst->linesize);
	*out = dst;
	return 0;
}

int vdec_decode(struct vdec *d, const uint8_t *data, size_t len, AVFrame **frame)
{
	*frame = NULL;
	d->pkt->data = (uint8_t *)data;
	d->pkt->size = (int)len;
	int ret = avcodec_send_packet(d->ctx, d->pkt);
	d->pkt->data = NULL;
	d->pkt->size = 0;
	if (ret < 0 && ret != AVERROR(EAGAIN)) {
		d->errors++;
		return MCU_EPROTO;
	}
	/* Low-delay streams give at most one picture per access unit; drain
	 * anyway and keep the newest (receive_frame unrefs its argument first,
	 * so the picture handed out lives in another frame). */
	bool got = false;
	for (;;) {
		ret = avcodec_receive_frame(d->ctx, d->frame);
		if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
			break;
		if (ret < 0) {
			d->errors++;
			return MCU_EPROTO;
		}
		d->frames++;
		av_frame_unref(d->latest);
		av_frame_move_ref(d->latest, d->frame);
		got = true;
	}
	if (!got)
		return 0;
	if (d->latest->format == AV_PIX_FMT_YUV420P || d->latest->format == AV_PIX_FMT_YUVJ420P) {
		*frame = d->latest;
	} else if (convert(d, frame)) {
		d->errors++;
		return MCU_EPROTO;
	}
	if (*frame && ((*frame)->decode_error_flags || ((*frame)->flags & AV_FRAME_FLAG_CORRUPT)))
		d->errors++;
	return 0;
}

void vdec_set_fast(struct vdec *d, bool fast)
{
	d->ctx->skip_loop_filter = fast ? AVDISCARD_ALL : AVDISCARD_DEFAULT;
}

uint64_t vdec_frames(const struct vdec *d)
{
	return d->frames;
}

uint64_t vdec_errors(const struct vdec *d)
{
	return d->errors;
}
