/*
 * mp4mux.c - see mp4mux.h. The mov muxer of libavformat does the MP4: this
 * file sets up its two streams, turns the first keyframe's SPS and PPS into
 * the video's extradata (the muxer makes the avcC of them), writes the
 * Opus stream's OpusHead, and keeps the timestamps each stream needs.
 *
 * AVERRORs enter here and are translated once: into a code for the caller
 * and a cause in `why` for its log line.
 */
#include "mp4mux.h"
#include "codecs/aacenc.h"
#include "codecs/h264pkt.h"
#include "base/err.h"

#include <errno.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/mem.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE MP4MUX_AUDIO_RATE
#define OPUS_PRESKIP 312             /* samples; libopus's usual encoder delay */
#define VIDEO_HZ 90000
#define FRAG_DURATION "2000000"      /* µs: a fragment at least every 2 s */

struct mp4mux {
	AVFormatContext *oc;
	AVStream *vst, *ast;
	AVPacket *pkt;                /* the video's, pointing into the caller's bytes */
	int fps;
	bool started;
	int64_t video_last_dts;       /* 90 kHz */
	int64_t media_end_us;
	char why[256];
};

/* Notes the cause of a failure in why (n bytes). */
static void __attribute__((format(printf, 3, 4))) say(char *why, size_t n, const char *fmt, ...)
{
	if (!n)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
}

/* Translates an AVERROR where it enters: notes what failed and why, and
 * returns MCU_ENOMEM or MCU_EIO. */
static int from_av(char *why, size_t n, const char *what, int averr)
{
	char buf[AV_ERROR_MAX_STRING_SIZE];
	av_strerror(averr, buf, sizeof(buf));
	say(why, n, "%s: %s", what, buf);
	return averr == AVERROR(ENOMEM) ? MCU_ENOMEM : MCU_EIO;
}

static int fail_av(struct mp4mux *m, const char *what, int averr)
{
	return from_av(m->why, sizeof(m->why), what, averr);
}

/* The customary OpusHead (RFC 7845 5.1) for mono 48 kHz, mapping family 0. */
static int set_opus_params(AVCodecParameters *par)
{
	static const uint8_t head[19] = {
		'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 1,
		OPUS_PRESKIP & 0xff, OPUS_PRESKIP >> 8,
		RATE & 0xff, (RATE >> 8) & 0xff, (RATE >> 16) & 0xff, 0,
		0, 0, 0,
	};
	par->codec_type = AVMEDIA_TYPE_AUDIO;
	par->codec_id = AV_CODEC_ID_OPUS;
	par->sample_rate = RATE;
	par->ch_layout = (AVChannelLayout)AV_CHANNEL_LAYOUT_MONO;
	par->initial_padding = OPUS_PRESKIP;
	par->extradata = av_mallocz(sizeof(head) + AV_INPUT_BUFFER_PADDING_SIZE);
	if (!par->extradata)
		return MCU_ENOMEM;
	memcpy(par->extradata, head, sizeof(head));
	par->extradata_size = sizeof(head);
	return 0;
}

/* The video stream waits for its extradata (mp4mux_start); the audio
 * stream is complete. */
static int set_streams(struct mp4mux *m, const struct mp4mux_config *cfg, char *why,
		       size_t why_len)
{
	AVCodecParameters *vp = m->vst->codecpar;
	vp->codec_type = AVMEDIA_TYPE_VIDEO;
	vp->codec_id = AV_CODEC_ID_H264;
	vp->width = cfg->width;
	vp->height = cfg->height;
	vp->format = AV_PIX_FMT_YUV420P;
	m->vst->time_base = (AVRational){ 1, VIDEO_HZ };
	m->vst->avg_frame_rate = (AVRational){ cfg->fps, 1 };
	int rc = cfg->audio == MP4MUX_AAC ? aacenc_params(cfg->aac, m->ast->codecpar)
					  : set_opus_params(m->ast->codecpar);
	if (rc) {
		say(why, why_len, "%s: %s", cfg->audio == MP4MUX_AAC ? "aac" : "opus",
		    err_str(rc));
		return rc;
	}
	m->ast->time_base = (AVRational){ 1, RATE };
	return 0;
}

static bool valid_config(const struct mp4mux_config *c)
{
	return c && c->path && c->width >= 16 && c->height >= 16 && c->width <= 8192 &&
	       c->height <= 8192 && c->fps >= 1 && c->fps <= 240 &&
	       ((c->audio == MP4MUX_AAC && c->aac) || c->audio == MP4MUX_OPUS);
}

int mp4mux_create(const struct mp4mux_config *cfg, struct mp4mux **out, char *why,
		  size_t why_len)
{
	say(why, why_len, "%s", "");
	if (!out)
		return MCU_EINVAL;
	*out = NULL;
	if (!valid_config(cfg)) {
		say(why, why_len, "a bad configuration");
		return MCU_EINVAL;
	}
	struct mp4mux *m = calloc(1, sizeof(*m));
	if (!m)
		return from_av(why, why_len, "mp4 muxer", AVERROR(ENOMEM));
	m->fps = cfg->fps;
	int rc;
	int ret = avformat_alloc_output_context2(&m->oc, NULL, "mp4", cfg->path);
	if (ret < 0) {
		rc = from_av(why, why_len, "mp4 muxer", ret);
		goto fail;
	}
	m->vst = avformat_new_stream(m->oc, NULL);
	m->ast = avformat_new_stream(m->oc, NULL);
	m->pkt = av_packet_alloc();
	if (!m->vst || !m->ast || !m->pkt) {
		rc = from_av(why, why_len, "mp4 muxer", AVERROR(ENOMEM));
		goto fail;
	}
	rc = set_streams(m, cfg, why, why_len);
	if (rc)
		goto fail;
	ret = avio_open(&m->oc->pb, cfg->path, AVIO_FLAG_WRITE);
	if (ret < 0) {
		rc = from_av(why, why_len, "open", ret);
		goto fail;
	}
	*out = m;
	return 0;
fail:
	mp4mux_destroy(m);
	return rc;
}

void mp4mux_destroy(struct mp4mux *m)
{
	if (!m)
		return;
	if (m->oc) {
		avio_closep(&m->oc->pb);
		avformat_free_context(m->oc);
	}
	av_packet_free(&m->pkt);
	free(m);
}

/* Walks the NAL units of an Annex B access unit: copies the SPS and PPS,
 * each behind a 4-byte start code, into out (if not NULL). Returns the bytes
 * they take; *have_sps and *have_pps say whether both are there. */
static size_t param_sets(const uint8_t *au, size_t len, uint8_t *out, bool *have_sps,
			 bool *have_pps)
{
	static const uint8_t sc[4] = { 0, 0, 0, 1 };
	size_t total = 0;
	*have_sps = *have_pps = false;
	for (size_t s = h264pkt_find_start_code(au, len, 0); s < len;) {
		size_t nal = s + 3;
		size_t next = h264pkt_find_start_code(au, len, nal);
		size_t end = next;
		while (end > nal && au[end - 1] == 0)
			end--;  /* trailing zeros, or the first byte of a 4-byte code */
		int type = nal < end ? au[nal] & 0x1f : 0;
		if (type == H264_NAL_SPS || type == H264_NAL_PPS) {
			*(type == H264_NAL_SPS ? have_sps : have_pps) = true;
			if (out) {
				memcpy(out + total, sc, sizeof(sc));
				memcpy(out + total + sizeof(sc), au + nal, end - nal);
			}
			total += sizeof(sc) + end - nal;
		}
		s = next;
	}
	return total;
}

int mp4mux_start(struct mp4mux *m, const uint8_t *au, size_t len)
{
	bool sps, pps;
	size_t n = param_sets(au, len, NULL, &sps, &pps);
	if (!sps || !pps)
		return 0;
	AVCodecParameters *vp = m->vst->codecpar;
	vp->extradata = av_mallocz(n + AV_INPUT_BUFFER_PADDING_SIZE);
	if (!vp->extradata)
		return fail_av(m, "extradata", AVERROR(ENOMEM));
	vp->extradata_size = (int)param_sets(au, len, vp->extradata, &sps, &pps);

	AVDictionary *opts = NULL;
	av_dict_set(&opts, "movflags", "frag_keyframe+empty_moov+default_base_moof", 0);
	av_dict_set(&opts, "frag_duration", FRAG_DURATION, 0);
	av_dict_set(&opts, "flush_packets", "1", 0);
	int ret = avformat_write_header(m->oc, &opts);
	av_dict_free(&opts);
	if (ret < 0)
		return fail_av(m, "mp4 header", ret);
	m->started = true;
	m->video_last_dts = -1;
	return 1;
}

bool mp4mux_started(const struct mp4mux *m)
{
	return m->started;
}

/* Writes one packet (borrowed; unreferenced here) of stream st whose pts
 * and duration are in tb. */
static int mux(struct mp4mux *m, AVPacket *pkt, AVStream *st, AVRational tb)
{
	int64_t end_us = av_rescale_q(pkt->pts + pkt->duration, tb, AV_TIME_BASE_Q);
	pkt->stream_index = st->index;
	av_packet_rescale_ts(pkt, tb, st->time_base);
	int ret = av_write_frame(m->oc, pkt);
	av_packet_unref(pkt);
	if (ret < 0)
		return fail_av(m, "write", ret);
	if (end_us > m->media_end_us)
		m->media_end_us = end_us;
	return 0;
}

int mp4mux_write_video(struct mp4mux *m, const uint8_t *au, size_t len, bool key,
		       int64_t t_us)
{
	/* µs to 90 kHz; the muxer refuses a dts that does not grow. */
	int64_t dts = t_us * 9 / 100;
	if (dts <= m->video_last_dts)
		dts = m->video_last_dts + 1;
	m->video_last_dts = dts;
	AVPacket *pkt = m->pkt;
	pkt->data = (uint8_t *)au;  /* not refcounted: av_write_frame does not keep it */
	pkt->size = (int)len;
	pkt->pts = pkt->dts = dts;
	pkt->duration = VIDEO_HZ / m->fps;
	pkt->flags = key ? AV_PKT_FLAG_KEY : 0;
	return mux(m, pkt, m->vst, (AVRational){ 1, VIDEO_HZ });
}

int mp4mux_write_audio(struct mp4mux *m, struct AVPacket *pkt)
{
	return mux(m, pkt, m->ast, (AVRational){ 1, RATE });
}

int mp4mux_finish(struct mp4mux *m)
{
	int ret = av_write_trailer(m->oc);
	return ret < 0 ? fail_av(m, "trailer", ret) : 0;
}

uint64_t mp4mux_bytes(const struct mp4mux *m)
{
	int64_t pos = m->oc && m->oc->pb ? avio_tell(m->oc->pb) : 0;
	return pos > 0 ? (uint64_t)pos : 0;
}

int64_t mp4mux_duration_us(const struct mp4mux *m)
{
	return m->media_end_us;
}

const char *mp4mux_error(const struct mp4mux *m)
{
	return m->why;
}
