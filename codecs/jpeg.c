/* jpeg.c - see jpeg.h. A snapshot is rare (at most once a second per
 * room), so the encoder and scaler are made per call rather than kept. */
#include "jpeg.h"
#include "base/err.h"

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>
#include <stdlib.h>
#include <string.h>

/* The picture in full-range YUV 4:2:0, as MJPEG wants it. */
static int to_full_range(const AVFrame *in, AVFrame *out)
{
	out->format = AV_PIX_FMT_YUVJ420P;
	out->width = in->width;
	out->height = in->height;
	if (av_frame_get_buffer(out, 0) < 0)
		return MCU_ENOMEM;
	struct SwsContext *sws = sws_getContext(in->width, in->height, in->format, in->width,
						in->height, AV_PIX_FMT_YUVJ420P, SWS_POINT, NULL, NULL,
						NULL);
	if (!sws)
		return MCU_EINVAL;
	sws_scale(sws, (const uint8_t *const *)in->data, in->linesize, 0, in->height, out->data,
		  out->linesize);
	sws_freeContext(sws);
	return 0;
}

int jpeg_encode(const AVFrame *frame, uint8_t **out, size_t *len)
{
	const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
	if (!codec || !frame || frame->width < 2 || frame->height < 2)
		return MCU_EINVAL;
	AVCodecContext *ctx = avcodec_alloc_context3(codec);
	AVFrame *full = av_frame_alloc();
	AVPacket *pkt = av_packet_alloc();
	int rc = ctx && full && pkt ? 0 : MCU_ENOMEM;
	if (!rc)
		rc = to_full_range(frame, full);
	if (!rc) {
		ctx->width = frame->width;
		ctx->height = frame->height;
		ctx->pix_fmt = AV_PIX_FMT_YUVJ420P;
		ctx->time_base = (AVRational){ 1, 25 };
		ctx->flags |= AV_CODEC_FLAG_QSCALE;
		ctx->global_quality = FF_QP2LAMBDA * 4; /* good quality, modest size */
		full->quality = ctx->global_quality;
		if (avcodec_open2(ctx, codec, NULL) < 0 || avcodec_send_frame(ctx, full) < 0 ||
		    avcodec_receive_packet(ctx, pkt) < 0)
			rc = MCU_EIO;
	}
	if (!rc) {
		*out = malloc((size_t)pkt->size);
		if (*out) {
			memcpy(*out, pkt->data, (size_t)pkt->size);
			*len = (size_t)pkt->size;
		} else {
			rc = MCU_ENOMEM;
		}
	}
	av_packet_free(&pkt);
	av_frame_free(&full);
	avcodec_free_context(&ctx);
	return rc;
}
