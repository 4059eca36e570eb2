/*
 * acodec.c - see acodec.h. Opus goes straight through opuscodec.h (it runs
 * at 48 kHz already). G.711 PCMU/PCMA are coded here, a sample per byte at
 * 8 kHz; G.722 is libavcodec's adpcm_g722 at 16 kHz, two samples per byte
 * at 64 kbit/s. Both go through libswresample to and from 48 kHz.
 *
 * DESIGN: the room wants exact frame counts (one 20 ms packet per encode,
 * 6 output samples per coded byte on decode), but a resampler holds back a
 * filter's worth of input, so its first output is short by that delay and
 * every later output would lag. struct rs makes up the shortfall once, with
 * zeros in front of the first output it gives; after that the integer
 * ratios we use (6, 3, 1/6, 1/3) make output = ratio x input exactly. The
 * encoder still keeps its resampled samples in a small FIFO, so that a call
 * that ever came out long would carry the surplus into the next packet (and
 * one that came out short would be topped up with zeros) instead of changing
 * the packet's size. Cost: the resampler's delay, 1-2 ms each way, heard as
 * silence at the stream's start.
 *
 * Errors from libavcodec and libswresample are translated here. Setup
 * failures are logged once; per-packet failures are returned, not logged,
 * since the caller knows the endpoint and rate-limits its complaints.
 */
#include "acodec.h"
#include "opuscodec.h"
#include "base/err.h"
#include "base/log.h"

#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libswresample/swresample.h>
#include <opus.h>
#include <stdlib.h>
#include <string.h>

#define RATE_48K 48000
#define G722_BITRATE 64000
#define CODED_BYTES 160            /* one 20 ms packet of G.711 or 64 kbit/s G.722 */
#define ENC_FIFO 640               /* two frames at 16 kHz: room for any slack */

/* What the coders need of each codec; its name and RTP clock are base/codec.h's. */
static const struct acodec_info {
	int rate;                  /* the sampling rate the codec works at */
	int samples_per_byte;      /* G.711 and G.722 only */
} infos[CODEC_AUDIO_COUNT] = {
	[CODEC_OPUS] = { RATE_48K, 0 },
	[CODEC_G722] = { 16000, 2 },
	[CODEC_PCMU] = { 8000, 1 },
	[CODEC_PCMA] = { 8000, 1 },
};

static bool valid(enum codec_audio codec)
{
	return (unsigned)codec < CODEC_AUDIO_COUNT;
}

/* ---- G.711 (ITU-T G.711), the segment algorithms ---------------------- */

/* Index of the highest set bit; v > 0. */
static int top_bit(unsigned v)
{
	return 31 - __builtin_clz(v);
}

#define ULAW_BIAS 0x84             /* moves segment starts onto powers of two */
#define ULAW_CLIP 32635            /* largest magnitude that fits after the bias */

/* mu-law: with the bias added, the segment (0..7) is where the top bit is and
 * the mantissa the four bits under it; step 8 << segment in 16-bit units. */
static uint8_t ulaw_encode(int16_t s)
{
	int v = s;
	unsigned sign = 0;
	if (v < 0) {
		v = -v;
		sign = 0x80;
	}
	if (v > ULAW_CLIP)
		v = ULAW_CLIP;
	v += ULAW_BIAS;
	int seg = top_bit((unsigned)v) - 7;
	unsigned mant = ((unsigned)v >> (seg + 3)) & 0x0F;
	/* Sent inverted, so that a quiet line is not a run of zero bits. */
	return (uint8_t)~(sign | (unsigned)seg << 4 | mant);
}

/* The middle of the code's step. */
static int16_t ulaw_decode(uint8_t code)
{
	unsigned u = (uint8_t)~code;
	int seg = (u >> 4) & 7;
	int v = ((int)((u & 0x0F) << 3) + ULAW_BIAS) * (1 << seg) - ULAW_BIAS;
	return (int16_t)(u & 0x80 ? -v : v);
}

/* A-law works on 13 bits. Negative samples take the ones' complement as
 * G.711 specifies (-1..-8 share 0..7's magnitude), which also keeps -32768
 * in range. Segments 0 and 1 share a step of 16 in 16-bit units; segment s
 * above has 8 << s. */
static uint8_t alaw_encode(int16_t s)
{
	unsigned sign = s >= 0 ? 0x80 : 0;
	int mag = (s >= 0 ? s : ~s) >> 3;      /* 0..4095 */
	int seg = mag < 32 ? 0 : top_bit((unsigned)mag) - 4;
	unsigned mant = ((unsigned)mag >> (seg ? seg : 1)) & 0x0F;
	/* Even bits inverted, for the same reason as mu-law's inversion. */
	return (uint8_t)((sign | (unsigned)seg << 4 | mant) ^ 0x55);
}

static int16_t alaw_decode(uint8_t code)
{
	unsigned a = code ^ 0x55u;
	int seg = (a >> 4) & 7;
	int mant = (int)(a & 0x0F);
	int v = seg ? ((mant << 4) + 0x108) << (seg - 1) : (mant << 4) + 8;
	return (int16_t)(a & 0x80 ? v : -v);
}

/* ---- resampling with a primed start ------------------------------------ */

struct rs {
	struct SwrContext *swr;
	int in_rate, out_rate;
	int64_t in_total, out_total;   /* samples fed and given out so far */
	bool primed;                   /* the resampler's delay is made up */
};

static int rs_init(struct rs *r, int in_rate, int out_rate)
{
	AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
	r->in_rate = in_rate;
	r->out_rate = out_rate;
	int ret = swr_alloc_set_opts2(&r->swr, &mono, AV_SAMPLE_FMT_S16, out_rate, &mono,
				      AV_SAMPLE_FMT_S16, in_rate, 0, NULL);
	if (ret >= 0)
		ret = swr_init(r->swr);
	if (ret < 0) {
		LOG_E("acodec", "resampler %d->%d Hz: %s", in_rate, out_rate, av_err2str(ret));
		return ret == AVERROR(ENOMEM) ? MCU_ENOMEM : MCU_EUNSUPPORTED;
	}
	return 0;
}

static void rs_free(struct rs *r)
{
	swr_free(&r->swr);
}

/*
 * Resamples n samples of in into out (room for cap). Until the resampler
 * gives its first sample, what it keeps back is given out as zeros in front,
 * so that output so far = input so far x ratio. Returns the samples written
 * or MCU_EIO.
 */
static int rs_run(struct rs *r, const int16_t *in, int n, int16_t *out, int cap)
{
	const uint8_t *src = (const uint8_t *)in;
	uint8_t *dst = (uint8_t *)out;
	int got = swr_convert(r->swr, &dst, cap, &src, n);
	if (got < 0)
		return MCU_EIO;
	r->in_total += n;
	if (!r->primed) {
		int64_t owed = r->in_total * r->out_rate / r->in_rate - r->out_total - got;
		if (owed > cap - got)
			owed = cap - got;
		/* Once it gives a sample, all it keeps back is known and owed. */
		r->primed = got > 0;
		if (owed > 0) {
			memmove(out + owed, out, sizeof(*out) * (size_t)got);
			memset(out, 0, sizeof(*out) * (size_t)owed);
			got += (int)owed;
		}
	}
	r->out_total += got;
	return got;
}

/* ---- decoders ----------------------------------------------------------- */

struct adec {
	enum codec_audio codec;
	struct opusdec *opus;
	AVCodecContext *ctx;           /* G.722 */
	AVPacket *pkt;
	AVFrame *frame;
	struct rs rs;                  /* G.711 and G.722: codec rate -> 48 kHz */
	/* A bitstream reader may read past the end: G.722 input is copied here. */
	uint8_t padded[ACODEC_MAX_PACKET + AV_INPUT_BUFFER_PADDING_SIZE];
	int16_t narrow[ACODEC_MAX_PACKET]; /* G.711 samples, or silence to conceal */
};

static int g722_dec_open(struct adec *d)
{
	const AVCodec *c = avcodec_find_decoder(AV_CODEC_ID_ADPCM_G722);
	if (!c) {
		LOG_E("acodec", "libavcodec has no G.722 decoder");
		return MCU_EUNSUPPORTED;
	}
	d->ctx = avcodec_alloc_context3(c);
	d->pkt = av_packet_alloc();
	d->frame = av_frame_alloc();
	if (!d->ctx || !d->pkt || !d->frame)
		return MCU_ENOMEM;
	d->ctx->sample_rate = infos[CODEC_G722].rate;
	av_channel_layout_default(&d->ctx->ch_layout, 1);
	int ret = avcodec_open2(d->ctx, c, NULL);
	if (ret < 0 || d->ctx->sample_fmt != AV_SAMPLE_FMT_S16) {
		LOG_E("acodec", "G.722 decoder: %s", ret < 0 ? av_err2str(ret) : "not S16");
		return ret == AVERROR(ENOMEM) ? MCU_ENOMEM : MCU_EUNSUPPORTED;
	}
	return 0;
}

int acodec_dec_create(enum codec_audio codec, struct adec **out)
{
	if (!valid(codec))
		return MCU_EUNSUPPORTED;
	struct adec *d = calloc(1, sizeof(*d));
	if (!d)
		return MCU_ENOMEM;
	d->codec = codec;
	int rc;
	if (codec == CODEC_OPUS) {
		rc = opuscodec_dec_create(&d->opus);
	} else {
		rc = rs_init(&d->rs, infos[codec].rate, RATE_48K);
		if (!rc && codec == CODEC_G722)
			rc = g722_dec_open(d);
	}
	if (rc)
		goto fail;
	*out = d;
	return 0;
fail:
	acodec_dec_destroy(d);
	return rc;
}

void acodec_dec_destroy(struct adec *d)
{
	if (!d)
		return;
	opuscodec_dec_destroy(d->opus);
	avcodec_free_context(&d->ctx);
	av_packet_free(&d->pkt);
	av_frame_free(&d->frame);
	rs_free(&d->rs);
	free(d);
}

/* Decodes n bytes (n <= ACODEC_MAX_PACKET) of G.722 and resamples every
 * frame into pcm. Returns the samples written, or MCU_EPROTO / MCU_EIO. */
static int g722_decode(struct adec *d, const uint8_t *data, int n, int16_t *pcm, int max)
{
	memcpy(d->padded, data, (size_t)n);
	memset(d->padded + n, 0, AV_INPUT_BUFFER_PADDING_SIZE);
	d->pkt->data = d->padded;
	d->pkt->size = n;
	int ret = avcodec_send_packet(d->ctx, d->pkt);
	d->pkt->data = NULL;
	d->pkt->size = 0;
	if (ret < 0 && ret != AVERROR(EAGAIN))
		return MCU_EPROTO;
	int written = 0;
	for (;;) {
		ret = avcodec_receive_frame(d->ctx, d->frame);
		if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
			break;
		if (ret < 0)
			return MCU_EPROTO;
		int got = rs_run(&d->rs, (const int16_t *)d->frame->data[0], d->frame->nb_samples,
				 pcm + written, max - written);
		av_frame_unref(d->frame);
		if (got < 0)
			return got;
		written += got;
	}
	return written;
}

/* Resamples n samples of d->narrow into pcm. */
static int narrow_out(struct adec *d, int n, int16_t *pcm, int max)
{
	return rs_run(&d->rs, d->narrow, n, pcm, max);
}

/* G.711 and G.722: len bytes, in pieces that fit the scratch buffers (RTP
 * payloads fit in one; a longer buffer is still one continuous stream). */
static int coded_decode(struct adec *d, const uint8_t *packet, size_t len, int16_t *pcm, int max)
{
	int written = 0;
	for (size_t off = 0; off < len;) {
		int n = len - off > ACODEC_MAX_PACKET ? ACODEC_MAX_PACKET : (int)(len - off);
		int got;
		if (d->codec == CODEC_G722) {
			got = g722_decode(d, packet + off, n, pcm + written, max - written);
		} else {
			int16_t (*dec)(uint8_t) = d->codec == CODEC_PCMU ? ulaw_decode : alaw_decode;
			for (int i = 0; i < n; i++)
				d->narrow[i] = dec(packet[off + (size_t)i]);
			got = narrow_out(d, n, pcm + written, max - written);
		}
		if (got < 0)
			return got;
		written += got;
		off += (size_t)n;
	}
	return written;
}

int acodec_dec_decode(struct adec *d, const uint8_t *packet, size_t len, bool fec, int16_t *pcm,
		int max)
{
	bool conceal = !packet || fec;
	if (!conceal && len == 0)
		return 0;                  /* nothing to decode, nothing refused */
	if (d->codec == CODEC_OPUS) {
		/* Check the room first: libopus would call it a bad packet. */
		int need = ACODEC_FRAME_48K;
		if (!conceal) {
			need = opus_packet_get_nb_samples(packet, (opus_int32)len, RATE_48K);
			if (need < 0)
				return MCU_EPROTO;
		}
		if (need > max)
			return MCU_ELIMIT;
		return opuscodec_dec_decode(d->opus, packet, len, fec, ACODEC_FRAME_48K, pcm, max);
	}
	const struct acodec_info *info = &infos[d->codec];
	int64_t need = conceal ? ACODEC_FRAME_48K
			       : (int64_t)len * info->samples_per_byte * RATE_48K / info->rate;
	if (need > max)
		return MCU_ELIMIT;
	if (conceal) {
		/* Silence through the resampler rather than around it: the last
		 * packet's tail fades out instead of stopping mid-filter. */
		int n = info->rate / 50;
		memset(d->narrow, 0, sizeof(*d->narrow) * (size_t)n);
		return narrow_out(d, n, pcm, max);
	}
	return coded_decode(d, packet, len, pcm, max);
}

/* ---- encoders ----------------------------------------------------------- */

struct aenc {
	enum codec_audio codec;
	struct opusenc *opus;
	AVCodecContext *ctx;           /* G.722 */
	AVPacket *pkt;
	AVFrame *frame;
	int frame_size;                /* samples per avcodec frame, divides a 20 ms frame */
	int64_t pts;
	struct rs rs;                  /* 48 kHz -> codec rate */
	int fifo_len;
	int16_t fifo[ENC_FIFO];        /* resampled samples not yet coded */
};

static int g722_enc_open(struct aenc *e)
{
	const AVCodec *c = avcodec_find_encoder(AV_CODEC_ID_ADPCM_G722);
	if (!c) {
		LOG_E("acodec", "libavcodec has no G.722 encoder");
		return MCU_EUNSUPPORTED;
	}
	e->ctx = avcodec_alloc_context3(c);
	e->pkt = av_packet_alloc();
	e->frame = av_frame_alloc();
	if (!e->ctx || !e->pkt || !e->frame)
		return MCU_ENOMEM;
	int frame = infos[CODEC_G722].rate / 50;
	e->ctx->sample_rate = infos[CODEC_G722].rate;
	e->ctx->sample_fmt = AV_SAMPLE_FMT_S16;
	e->ctx->bit_rate = G722_BITRATE;
	e->ctx->frame_size = frame;
	av_channel_layout_default(&e->ctx->ch_layout, 1);
	int ret = avcodec_open2(e->ctx, c, NULL);
	if (ret < 0) {
		LOG_E("acodec", "G.722 encoder: %s", av_err2str(ret));
		return ret == AVERROR(ENOMEM) ? MCU_ENOMEM : MCU_EUNSUPPORTED;
	}
	/* The encoder picks its frame size (320 today); anything that splits
	 * 20 ms evenly keeps one call = one packet. */
	e->frame_size = e->ctx->frame_size;
	if (e->frame_size <= 0 && (c->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE))
		e->frame_size = frame;
	if (e->frame_size <= 0 || frame % e->frame_size) {
		LOG_E("acodec", "G.722 encoder frame size %d does not split 20 ms", e->frame_size);
		return MCU_EUNSUPPORTED;
	}
	e->frame->format = AV_SAMPLE_FMT_S16;
	e->frame->sample_rate = e->ctx->sample_rate;
	e->frame->nb_samples = e->frame_size;
	ret = av_channel_layout_copy(&e->frame->ch_layout, &e->ctx->ch_layout);
	if (ret >= 0)
		ret = av_frame_get_buffer(e->frame, 0);
	return ret < 0 ? MCU_ENOMEM : 0;
}

int acodec_enc_create(enum codec_audio codec, int bitrate, struct aenc **out)
{
	if (!valid(codec))
		return MCU_EUNSUPPORTED;
	struct aenc *e = calloc(1, sizeof(*e));
	if (!e)
		return MCU_ENOMEM;
	e->codec = codec;
	int rc;
	if (codec == CODEC_OPUS) {
		/* The mixer's choice: voice at a modest CPU cost. */
		rc = opuscodec_enc_create(bitrate, 5, &e->opus);
	} else {
		rc = rs_init(&e->rs, RATE_48K, infos[codec].rate);
		if (!rc && codec == CODEC_G722)
			rc = g722_enc_open(e);
	}
	if (rc)
		goto fail;
	*out = e;
	return 0;
fail:
	acodec_enc_destroy(e);
	return rc;
}

void acodec_enc_destroy(struct aenc *e)
{
	if (!e)
		return;
	opuscodec_enc_destroy(e->opus);
	avcodec_free_context(&e->ctx);
	av_packet_free(&e->pkt);
	av_frame_free(&e->frame);
	rs_free(&e->rs);
	free(e);
}

/* Resamples one 48 kHz frame into the FIFO and makes sure it holds at least
 * want samples (a shortfall, which the exact ratios never cause, is filled
 * with zeros at the end). Returns 0 or MCU_EIO. */
static int fifo_fill(struct aenc *e, const int16_t *pcm, int want)
{
	int got = rs_run(&e->rs, pcm, ACODEC_FRAME_48K, e->fifo + e->fifo_len,
			 ENC_FIFO - e->fifo_len);
	if (got < 0)
		return got;
	e->fifo_len += got;
	if (e->fifo_len < want) {
		memset(e->fifo + e->fifo_len, 0, sizeof(*e->fifo) * (size_t)(want - e->fifo_len));
		e->fifo_len = want;
	}
	return 0;
}

static void fifo_drop(struct aenc *e, int n)
{
	e->fifo_len -= n;
	memmove(e->fifo, e->fifo + n, sizeof(*e->fifo) * (size_t)e->fifo_len);
}

/* Codes the FIFO's first 20 ms of 16 kHz samples into out (room for cap
 * bytes). Returns the bytes written or MCU_EIO. */
static int g722_encode(struct aenc *e, uint8_t *out, size_t cap)
{
	int frame = infos[CODEC_G722].rate / 50;
	size_t len = 0;
	for (int off = 0; off < frame; off += e->frame_size) {
		/* The encoder may still hold a reference to the last one. */
		if (av_frame_make_writable(e->frame) < 0)
			return MCU_EIO;
		memcpy(e->frame->data[0], e->fifo + off, sizeof(int16_t) * (size_t)e->frame_size);
		e->frame->pts = e->pts;
		e->pts += e->frame_size;
		int ret = avcodec_send_frame(e->ctx, e->frame);
		if (ret < 0)
			return MCU_EIO;
		for (;;) {
			ret = avcodec_receive_packet(e->ctx, e->pkt);
			if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
				break;
			if (ret < 0)
				return MCU_EIO;
			bool fits = (size_t)e->pkt->size <= cap - len;
			if (fits)
				memcpy(out + len, e->pkt->data, (size_t)e->pkt->size);
			len += fits ? (size_t)e->pkt->size : 0;
			av_packet_unref(e->pkt);
			if (!fits)
				return MCU_EIO;
		}
	}
	return (int)len;
}

int acodec_enc_encode(struct aenc *e, const int16_t *pcm, uint8_t *out, size_t cap)
{
	if (e->codec == CODEC_OPUS)
		return opuscodec_enc_encode(e->opus, pcm, out, cap);
	/* Refuse before the resampler moves on, as Opus refuses a short buffer. */
	if (cap < CODED_BYTES)
		return MCU_EIO;
	int want = infos[e->codec].rate / 50;
	int rc = fifo_fill(e, pcm, want);
	if (rc)
		return rc;
	if (e->codec == CODEC_G722) {
		rc = g722_encode(e, out, cap);
	} else {
		uint8_t (*enc)(int16_t) = e->codec == CODEC_PCMU ? ulaw_encode : alaw_encode;
		for (int i = 0; i < want; i++)
			out[i] = enc(e->fifo[i]);
		rc = want;
	}
	fifo_drop(e, want);
	return rc;
}
