/* aacenc_test.c - the AAC-LC encoder: a 1 kHz tone pushed in 20 ms chunks
 * comes out as one packet per 1024 samples, timestamped in samples from
 * the pts set (the priming packet a frame before it), of sizes that fit
 * the bitrate, and decodes back to the tone, sample for sample; a gap of silence pushed as
 * NULL; the codec parameters a muxer gets; an emit that stops; bad
 * bitrates and NULLs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "codecs/aacenc.h"
#include "base/err.h"

#include <libavcodec/avcodec.h>
#include <libavutil/log.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 960                  /* samples per push, as the room mixes */
#define BITRATE 64000
#define TONE_HZ 1000.0
#define TONE_AMP 8000
#define MAX_PKTS 512
#define MAX_AAC_FRAME_BYTES 768    /* 6144 bits per channel (ISO 14496-3) */

struct got {
	int n;
	int stop_at;                   /* emit answers MCU_EIO for this packet; -1: never */
	int64_t pts[MAX_PKTS], dur[MAX_PKTS];
	int size[MAX_PKTS];
	uint8_t *data[MAX_PKTS];
};

static int collect(void *user, struct AVPacket *pkt)
{
	struct got *g = user;
	if (g->n == g->stop_at)
		return MCU_EIO;
	assert_true(g->n < MAX_PKTS);
	assert_int_equal(pkt->pts, pkt->dts);
	g->pts[g->n] = pkt->pts;
	g->dur[g->n] = pkt->duration;
	g->size[g->n] = pkt->size;
	g->data[g->n] = malloc((size_t)pkt->size);
	assert_non_null(g->data[g->n]);
	memcpy(g->data[g->n], pkt->data, (size_t)pkt->size);
	g->n++;
	return 0;
}

static void got_free(struct got *g)
{
	for (int i = 0; i < g->n; i++)
		free(g->data[i]);
	free(g);
}

static struct got *got_new(void)
{
	struct got *g = calloc(1, sizeof(*g));
	assert_non_null(g);
	g->stop_at = -1;
	return g;
}

/* A fresh encoder at BITRATE. */
static struct aacenc *enc_new(void)
{
	struct aacenc *e = NULL;
	assert_int_equal(aacenc_create(BITRATE, &e), 0);
	assert_non_null(e);
	return e;
}

static void tone(int16_t *pcm, int n, int64_t from)
{
	for (int i = 0; i < n; i++)
		pcm[i] = (int16_t)(TONE_AMP * sin(2 * M_PI * TONE_HZ * (double)(from + i) /
						  AACENC_RATE));
}

/* Decodes the packets with libavcodec's AAC decoder, skipping the priming
 * packet's output, into a float buffer; returns the samples. */
static int decode_all(const struct aacenc *e, const struct got *g, float *out, int max)
{
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_AAC);
	assert_non_null(codec);
	AVCodecContext *c = avcodec_alloc_context3(codec);
	assert_non_null(c);
	AVCodecParameters *par = avcodec_parameters_alloc();
	assert_non_null(par);
	assert_int_equal(aacenc_params(e, par), 0);
	assert_true(avcodec_parameters_to_context(c, par) >= 0);
	avcodec_parameters_free(&par);
	assert_int_equal(avcodec_open2(c, codec, NULL), 0);
	AVPacket *pkt = av_packet_alloc();
	AVFrame *f = av_frame_alloc();
	assert_non_null(pkt);
	assert_non_null(f);
	int total = 0;
	for (int i = 0; i < g->n; i++) {
		assert_int_equal(av_new_packet(pkt, g->size[i]), 0);
		memcpy(pkt->data, g->data[i], (size_t)g->size[i]);
		assert_int_equal(avcodec_send_packet(c, pkt), 0);
		av_packet_unref(pkt);
		while (avcodec_receive_frame(c, f) == 0) {
			assert_int_equal(f->format, AV_SAMPLE_FMT_FLTP);
			if (i > 0 && total + f->nb_samples <= max) {
				memcpy(out + total, f->data[0], (size_t)f->nb_samples * sizeof(float));
				total += f->nb_samples;
			}
			av_frame_unref(f);
		}
	}
	av_frame_free(&f);
	av_packet_free(&pkt);
	avcodec_free_context(&c);
	return total;
}

static void test_tone_packets(void **state)
{
	(void)state;
	struct aacenc *e = enc_new();
	const int64_t start = 5000;   /* a late start: pts count from here */
	aacenc_set_pts(e, start);
	struct got *g = got_new();
	int16_t pcm[CHUNK];
	const int chunks = 50;        /* 1 s: 46 whole frames and 896 samples */
	for (int i = 0; i < chunks; i++) {
		tone(pcm, CHUNK, (int64_t)i * CHUNK);
		assert_int_equal(aacenc_push(e, pcm, CHUNK, collect, g), 0);
		/* A frame is coded as soon as it is whole: the encoder holds at
		 * most one frame of input and one of delay. */
		int64_t in = (int64_t)(i + 1) * CHUNK;
		assert_true(g->n >= in / AACENC_FRAME - 1);
	}
	int before_flush = g->n;
	assert_int_equal(aacenc_flush(e, collect, g), 0);
	assert_true(g->n > before_flush);

	/* The priming packet, then one per frame, the last one short, and the
	 * delay's frame: whole frames and a rest, plus one. */
	int64_t total = (int64_t)chunks * CHUNK;
	int frames = (int)((total + AACENC_FRAME - 1) / AACENC_FRAME);
	assert_int_equal(g->n, frames + 1);
	int64_t bytes = 0;
	for (int i = 0; i < g->n; i++) {
		assert_int_equal(g->pts[i], start - AACENC_FRAME + (int64_t)i * AACENC_FRAME);
		assert_true(g->dur[i] > 0 && g->dur[i] <= AACENC_FRAME);
		assert_true(g->size[i] > 0 && g->size[i] <= MAX_AAC_FRAME_BYTES);
		bytes += g->size[i];
	}
	/* The durations add up to what went in (the priming packet's included,
	 * the delay's frame only to the end of the input). */
	int64_t dur = 0;
	for (int i = 0; i < g->n; i++)
		dur += g->dur[i];
	assert_true(dur >= total && dur <= total + 2 * AACENC_FRAME);
	/* 64 kbit/s over 1 s: 8000 bytes, give or take the rate control. */
	assert_true(bytes > 4000 && bytes < 12000);

	static float out[2 * AACENC_RATE];
	int n = decode_all(e, g, out, 2 * AACENC_RATE);
	assert_true(n >= total - AACENC_FRAME);
	/* With the priming packet's output left out, the decoded samples line
	 * up with the input: past the codec's start (0.1 s), what differs is
	 * coding noise, well under the tone (a delay or a wrong sample rate
	 * would leave an error as large as the tone itself). */
	double sig = 0, err = 0;
	for (int i = AACENC_RATE / 10; i < total - AACENC_FRAME; i++) {
		int16_t want;
		tone(&want, 1, i);
		double d = out[i] * 32768.0 - want;
		sig += (double)want * want;
		err += d * d;
	}
	assert_true(sig > 100 * err);  /* 20 dB */
	got_free(g);
	aacenc_destroy(e);
}

/* Silence pushed as NULL (a gap the queue dropped) counts like samples:
 * a long one is coded a frame at a time and the timestamps run on. */
static void test_silence_gap(void **state)
{
	(void)state;
	struct aacenc *e = enc_new();
	struct got *g = got_new();
	int16_t pcm[CHUNK];
	tone(pcm, CHUNK, 0);
	assert_int_equal(aacenc_push(e, pcm, CHUNK, collect, g), 0);
	assert_int_equal(aacenc_push(e, NULL, 10 * AACENC_FRAME + 64, collect, g), 0);
	assert_int_equal(aacenc_push(e, pcm, CHUNK, collect, g), 0);
	/* 960 + 10304 + 960 = 12224 samples: 11 whole frames went in, and
	 * the encoder answers one frame late (the priming packet first). */
	assert_int_equal(g->n, 10);
	/* The flush codes the 960 left as a 12th frame and drains the delay. */
	assert_int_equal(aacenc_flush(e, collect, g), 0);
	assert_int_equal(g->n, 13);
	for (int i = 0; i < g->n; i++)
		assert_int_equal(g->pts[i], -AACENC_FRAME + (int64_t)i * AACENC_FRAME);
	got_free(g);
	aacenc_destroy(e);
}

static void test_params(void **state)
{
	(void)state;
	struct aacenc *e = enc_new();
	AVCodecParameters *par = avcodec_parameters_alloc();
	assert_non_null(par);
	assert_int_equal(aacenc_params(e, par), 0);
	assert_int_equal(par->codec_type, AVMEDIA_TYPE_AUDIO);
	assert_int_equal(par->codec_id, AV_CODEC_ID_AAC);
	assert_int_equal(par->profile, FF_PROFILE_AAC_LOW);
	assert_int_equal(par->sample_rate, AACENC_RATE);
	assert_int_equal(par->ch_layout.nb_channels, 1);
	assert_int_equal(par->bit_rate, BITRATE);
	assert_int_equal(par->frame_size, AACENC_FRAME);
	/* AudioSpecificConfig: AAC-LC (2), 48 kHz (index 3), one channel;
	 * libavcodec may add a sync extension saying "no SBR" behind it. */
	assert_true(par->extradata_size >= 2);
	assert_int_equal(par->extradata[0], 0x11);
	assert_int_equal(par->extradata[1], 0x88);
	avcodec_parameters_free(&par);
	aacenc_destroy(e);
}

/* An emit that fails stops the coding with its code, on push and flush. */
static void test_emit_stops(void **state)
{
	(void)state;
	struct aacenc *e = enc_new();
	struct got *g = got_new();
	g->stop_at = 0;
	int16_t pcm[CHUNK];
	tone(pcm, CHUNK, 0);
	int rc = 0;
	for (int i = 0; i < 4 && rc == 0; i++)
		rc = aacenc_push(e, pcm, CHUNK, collect, g);
	assert_int_equal(rc, MCU_EIO);
	assert_int_equal(g->n, 0);
	got_free(g);
	aacenc_destroy(e);

	e = enc_new();
	g = got_new();
	g->stop_at = 0;
	assert_int_equal(aacenc_push(e, pcm, 100, collect, g), 0);
	assert_int_equal(aacenc_flush(e, collect, g), MCU_EIO);
	got_free(g);
	aacenc_destroy(e);
}

static void test_bad_config(void **state)
{
	(void)state;
	struct aacenc *e = (struct aacenc *)&e;
	assert_int_equal(aacenc_create(7999, &e), MCU_EINVAL);
	assert_null(e);
	assert_int_equal(aacenc_create(320001, &e), MCU_EINVAL);
	assert_int_equal(aacenc_create(0, &e), MCU_EINVAL);
	assert_int_equal(aacenc_create(BITRATE, NULL), MCU_EINVAL);
	aacenc_destroy(NULL);
}

int main(void)
{
	av_log_set_level(AV_LOG_ERROR);  /* the encoder's statistics at close */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tone_packets),
		cmocka_unit_test(test_silence_gap),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_emit_stops),
		cmocka_unit_test(test_bad_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
