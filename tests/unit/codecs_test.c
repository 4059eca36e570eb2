/* codecs_test.c - the codec wrappers end to end: x264 into libavcodec (a
 * solid colour survives the round trip, IDRs come first and on request only,
 * slice size limits hold so single NAL unit mode can carry the stream), the
 * decoder on garbage, and Opus (a tone survives encode and decode, loss
 * concealment yields a frame). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "codecs/h264pkt.h"
#include "codecs/jpeg.h"
#include "codecs/opuscodec.h"
#include "codecs/vdec.h"
#include "codecs/venc.h"
#include "base/err.h"

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A colour in limited-range YUV: a muted green. */
#define COL_Y 145
#define COL_U 54
#define COL_V 34

/* assert_in_range compares as unsigned; differences here can be negative. */
static void assert_between(long v, long lo, long hi)
{
	if (v < lo || v > hi)
		fail_msg("%ld is not within %ld..%ld", v, lo, hi);
}

/* ---- helpers -------------------------------------------------------- */

static AVFrame *new_picture(int w, int h)
{
	AVFrame *f = av_frame_alloc();
	assert_non_null(f);
	f->format = AV_PIX_FMT_YUV420P;
	f->width = w;
	f->height = h;
	assert_int_equal(av_frame_get_buffer(f, 0), 0);
	return f;
}

static void fill_solid(AVFrame *f, uint8_t y, uint8_t u, uint8_t v)
{
	for (int r = 0; r < f->height; r++)
		memset(f->data[0] + (size_t)r * f->linesize[0], y, (size_t)f->width);
	for (int r = 0; r < f->height / 2; r++) {
		memset(f->data[1] + (size_t)r * f->linesize[1], u, (size_t)f->width / 2);
		memset(f->data[2] + (size_t)r * f->linesize[2], v, (size_t)f->width / 2);
	}
}

/* A picture with detail everywhere, so that an IDR of it is large. */
static void fill_detail(AVFrame *f, int seed)
{
	uint32_t s = 0x9e3779b9u ^ (uint32_t)seed;
	for (int r = 0; r < f->height; r++)
		for (int c = 0; c < f->width; c++) {
			s = s * 1664525u + 1013904223u;
			f->data[0][(size_t)r * f->linesize[0] + c] =
				(uint8_t)(16 + ((c * 3 + r * 5) & 127) + (s >> 28));
		}
	for (int p = 1; p < 3; p++)
		for (int r = 0; r < f->height / 2; r++)
			for (int c = 0; c < f->width / 2; c++)
				f->data[p][(size_t)r * f->linesize[p] + c] =
					(uint8_t)(64 + ((c + r * p) & 127));
}

static bool is_yuv420(const AVFrame *f)
{
	return f->format == AV_PIX_FMT_YUV420P || f->format == AV_PIX_FMT_YUVJ420P;
}

static struct venc_config small_config(void)
{
	return (struct venc_config){
		.width = 320, .height = 180, .fps = 15, .bitrate_kbps = 200,
		.preset = "ultrafast", .threads = 1, .keyint_max = 0,
	};
}

/* An exactly-sized heap copy of an access unit followed by VDEC_PADDING
 * zero bytes, so ASan reports any read past what the decoder may read. */
static uint8_t *padded_copy(const uint8_t *au, size_t len)
{
	uint8_t *p = malloc(len + VDEC_PADDING);
	assert_non_null(p);
	memcpy(p, au, len);
	memset(p + len, 0, VDEC_PADDING);
	return p;
}

static const uint8_t *sample(const AVFrame *f, int plane, int x, int y)
{
	return f->data[plane] + (size_t)y * f->linesize[plane] + x;
}

/* Mean of one plane's w x h samples. */
static double plane_mean(const AVFrame *f, int plane, int w, int h)
{
	double sum = 0;
	for (int r = 0; r < h; r++)
		for (int c = 0; c < w; c++)
			sum += f->data[plane][(size_t)r * f->linesize[plane] + c];
	return sum / ((double)w * h);
}

/* Walks the Annex B start codes of au: calls back with each NAL unit (the
 * bytes after its start code). Returns the number of NAL units. */
static int for_each_nal(const uint8_t *au, size_t len, void (*fn)(void *, const uint8_t *, size_t),
			void *user)
{
	size_t starts[4096];
	size_t body[4096];
	int n = 0;
	for (size_t i = 0; i + 3 <= len; i++) {
		if (au[i] == 0 && au[i + 1] == 0 && au[i + 2] == 1) {
			assert_true(n < 4096);
			/* a 4-byte start code's leading zero belongs to it */
			starts[n] = i > 0 && au[i - 1] == 0 ? i - 1 : i;
			body[n] = i + 3;
			n++;
			i += 2;
		}
	}
	for (int k = 0; k < n; k++) {
		size_t end = k + 1 < n ? starts[k + 1] : len;
		fn(user, au + body[k], end - body[k]);
	}
	return n;
}

/* ---- video ---------------------------------------------------------- */

static void test_venc_rejects_bad_config(void **state)
{
	(void)state;
	struct venc *e = (struct venc *)(uintptr_t)1; /* must stay untouched */
	struct venc_config c;

	c = small_config();
	c.width = 321;
	assert_int_equal(venc_create(&c, &e), MCU_EINVAL);
	c = small_config();
	c.height = 181;
	assert_int_equal(venc_create(&c, &e), MCU_EINVAL);
	c = small_config();
	c.width = 8;
	assert_int_equal(venc_create(&c, &e), MCU_EINVAL);
	c = small_config();
	c.fps = 0;
	assert_int_equal(venc_create(&c, &e), MCU_EINVAL);
	c = small_config();
	c.threads = 0;
	assert_int_equal(venc_create(&c, &e), MCU_EINVAL);
	c = small_config();
	c.bitrate_kbps = 0;
	assert_int_equal(venc_create(&c, &e), MCU_EINVAL);
	c = small_config();
	c.preset = "no-such-preset";
	assert_int_equal(venc_create(&c, &e), MCU_EINVAL);
	assert_ptr_equal(e, (struct venc *)(uintptr_t)1);

	venc_destroy(NULL);
	vdec_destroy(NULL);
}

struct nal_sizes {
	int n;
	size_t max;            /* largest NAL unit */
	size_t max_vcl;        /* largest slice, SPS or PPS */
	int types[32];
};

static void note_nal(void *user, const uint8_t *nal, size_t len)
{
	struct nal_sizes *s = user;
	assert_true(len > 0);
	s->n++;
	int type = nal[0] & 31;
	if (len > s->max)
		s->max = len;
	if ((type == H264_NAL_SLICE || type == H264_NAL_IDR || type == H264_NAL_SPS ||
	     type == H264_NAL_PPS) && len > s->max_vcl)
		s->max_vcl = len;
	s->types[type]++;
}

struct encoded {
	int n;
	uint8_t *au[16];
	size_t len[16];
	bool idr[16];
};

static void encoded_free(struct encoded *x)
{
	for (int i = 0; i < x->n; i++)
		free(x->au[i]);
	x->n = 0;
}

/* Encodes n solid pictures at 320x180; picture force_at (-1: none) asks for
 * an IDR. */
static void encode_solid(struct encoded *x, int n, int force_at)
{
	struct venc_config c = small_config();
	struct venc *e = NULL;
	assert_int_equal(venc_create(&c, &e), 0);
	assert_non_null(e);
	AVFrame *f = new_picture(320, 180);
	fill_solid(f, COL_Y, COL_U, COL_V);
	x->n = 0;
	for (int i = 0; i < n; i++) {
		const uint8_t *au = NULL;
		size_t len = 99;
		bool idr = true;
		assert_int_equal(venc_encode(e, f, (int64_t)i * 6000, i == force_at, &au, &len, &idr), 0);
		/* zerolatency: one picture in, one access unit out */
		assert_non_null(au);
		assert_true(len > 0);
		x->au[x->n] = padded_copy(au, len);
		x->len[x->n] = len;
		x->idr[x->n] = idr;
		x->n++;
	}
	assert_int_equal(venc_frames(e), (uint64_t)n);
	uint64_t idrs = 0;
	for (int i = 0; i < n; i++)
		idrs += x->idr[i];
	assert_int_equal(venc_idrs(e), idrs);

	/* a picture of another size is refused and produces nothing */
	AVFrame *wrong = new_picture(160, 90);
	fill_solid(wrong, COL_Y, COL_U, COL_V);
	const uint8_t *au = (const uint8_t *)"x";
	size_t len = 5;
	bool idr = true;
	assert_int_equal(venc_encode(e, wrong, (int64_t)n * 6000, false, &au, &len, &idr), MCU_EINVAL);
	assert_null(au);
	assert_int_equal(len, 0);
	assert_false(idr);
	assert_int_equal(venc_frames(e), (uint64_t)n);

	av_frame_free(&wrong);
	av_frame_free(&f);
	venc_destroy(e);
}

static void test_venc_idr_first_and_on_request(void **state)
{
	(void)state;
	struct encoded x;
	encode_solid(&x, 10, 6);
	for (int i = 0; i < x.n; i++) {
		bool want = i == 0 || i == 6;
		assert_int_equal(x.idr[i], want);
		assert_int_equal(h264pkt_is_keyframe(x.au[i], x.len[i]), want);
	}
	/* every IDR repeats SPS and PPS so a receiver can start there; the
	 * others carry no IDR slice */
	for (int i = 0; i < x.n; i++) {
		struct nal_sizes ns = { 0 };
		assert_true(for_each_nal(x.au[i], x.len[i], note_nal, &ns) >= 1);
		assert_int_equal(ns.types[H264_NAL_SPS] > 0, x.idr[i]);
		assert_int_equal(ns.types[H264_NAL_PPS] > 0, x.idr[i]);
		assert_int_equal(ns.types[H264_NAL_IDR] > 0, x.idr[i]);
		assert_int_equal(ns.types[H264_NAL_SLICE] > 0, !x.idr[i]);
	}
	encoded_free(&x);
}

static void test_vdec_roundtrip(void **state)
{
	(void)state;
	struct encoded x;
	encode_solid(&x, 8, -1);
	struct vdec *d = NULL;
	assert_int_equal(vdec_create(CODEC_H264, &d), 0);
	assert_non_null(d);
	for (int i = 0; i < x.n; i++) {
		AVFrame *pic = (AVFrame *)(uintptr_t)1;
		/* Halfway, switch to the fast decode (no deblocking) a small tile
		 * gets: still the same picture, no error. */
		if (i == x.n / 2)
			vdec_set_fast(d, true);
		assert_int_equal(vdec_decode(d, x.au[i], x.len[i], &pic), 0);
		/* low delay: each access unit gives its picture at once */
		assert_non_null(pic);
		assert_int_equal(pic->width, 320);
		assert_int_equal(pic->height, 180);
		assert_true(is_yuv420(pic));
		assert_between(lround(plane_mean(pic, 0, 320, 180)), COL_Y - 3, COL_Y + 3);
		assert_between(lround(plane_mean(pic, 1, 160, 90)), COL_U - 3, COL_U + 3);
		assert_between(lround(plane_mean(pic, 2, 160, 90)), COL_V - 3, COL_V + 3);
		/* and no sample strays far from the colour */
		for (int r = 0; r < 180; r += 7)
			for (int c = 0; c < 320; c += 5)
				assert_between(*sample(pic, 0, c, r), COL_Y - 8, COL_Y + 8);
		for (int r = 0; r < 90; r += 7)
			for (int c = 0; c < 160; c += 5) {
				assert_between(*sample(pic, 1, c, r), COL_U - 8, COL_U + 8);
				assert_between(*sample(pic, 2, c, r), COL_V - 8, COL_V + 8);
			}
	}
	assert_int_equal(vdec_frames(d), (uint64_t)x.n);
	assert_int_equal(vdec_errors(d), 0);
	vdec_destroy(d);

	/* a decoder that joins at a P frame has no picture to show */
	assert_int_equal(vdec_create(CODEC_H264, &d), 0);
	AVFrame *pic = NULL;
	int rc = vdec_decode(d, x.au[3], x.len[3], &pic);
	assert_true(rc == MCU_EPROTO || (rc == 0 && pic == NULL));
	/* and starts at the next keyframe */
	assert_int_equal(vdec_decode(d, x.au[0], x.len[0], &pic), 0);
	assert_non_null(pic);
	assert_between(lround(plane_mean(pic, 0, 320, 180)), COL_Y - 3, COL_Y + 3);
	vdec_destroy(d);

	encoded_free(&x);
}

/* Random bytes (no start code among them) are refused or give nothing. */
static void decode_noise(struct vdec *d, const uint8_t *data, size_t len)
{
	uint8_t *copy = padded_copy(data, len);
	AVFrame *pic = (AVFrame *)(uintptr_t)1;
	int rc = vdec_decode(d, copy, len, &pic);
	if (rc != MCU_EPROTO)
		assert_int_equal(rc, 0);
	assert_null(pic);
	free(copy);
}

/* Bytes shaped like Annex B: a decoder that shows what it can may make a
 * picture of them; then it must be a whole one of sane size. */
static void decode_shaped(struct vdec *d, const uint8_t *data, size_t len)
{
	uint8_t *copy = padded_copy(data, len);
	AVFrame *pic = (AVFrame *)(uintptr_t)1;
	int rc = vdec_decode(d, copy, len, &pic);
	if (rc == MCU_EPROTO) {
		assert_null(pic);
	} else {
		assert_int_equal(rc, 0);
		if (pic) {
			assert_true(pic->width > 0 && pic->width <= 8192);
			assert_true(pic->height > 0 && pic->height <= 8192);
			assert_true(is_yuv420(pic));
			for (int p = 0; p < 3; p++)
				assert_non_null(pic->data[p]);
		}
	}
	free(copy);
}

static bool has_start_code(const uint8_t *b, size_t len)
{
	for (size_t i = 0; i + 3 <= len; i++)
		if (b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1)
			return true;
	return false;
}

static void test_vdec_garbage(void **state)
{
	(void)state;
	static uint8_t buf[3000];
	for (int codec = 0; codec < CODEC_VIDEO_COUNT; codec++) {
		struct vdec *d = NULL;
		assert_int_equal(vdec_create((enum codec_video)codec, &d), 0);
		uint32_t s = 12345;
		for (int round = 0; round < 40; round++) {
			size_t len = 1 + (size_t)(round * 73) % sizeof(buf);
			do {
				for (size_t i = 0; i < len; i++) {
					s = s * 1103515245u + 12345u;
					buf[i] = (uint8_t)(s >> 16);
				}
			} while (has_start_code(buf, len));
			decode_noise(d, buf, len);
		}
		assert_int_equal(vdec_frames(d), 0);
		assert_true(vdec_errors(d) > 0);

		/* the same bytes cut by start codes and NAL headers of the
		 * types a decoder acts on */
		for (int round = 0; round < 40; round++) {
			size_t len = 9 + (size_t)(round * 73) % (sizeof(buf) - 9);
			for (size_t i = 0; i < len; i++) {
				s = s * 1103515245u + 12345u;
				buf[i] = (uint8_t)(s >> 16);
			}
			static const uint8_t types[] = { 0x67, 0x68, 0x65, 0x41, 0x06 };
			for (size_t i = 0; i + 5 < len; i += 40) {
				buf[i] = 0;
				buf[i + 1] = 0;
				buf[i + 2] = 0;
				buf[i + 3] = 1;
				buf[i + 4] = types[(i / 40) % sizeof(types)];
			}
			decode_shaped(d, buf, len);
		}
		static const uint8_t tiny[] = { 0, 0, 0, 1 };
		decode_shaped(d, tiny, sizeof(tiny));
		vdec_destroy(d);
	}
}

struct pack_count {
	int n;
	size_t max;
	int markers;
};

static int count_emit(void *user, const uint8_t *payload, size_t len, bool marker)
{
	(void)payload;
	struct pack_count *c = user;
	c->n++;
	if (len > c->max)
		c->max = len;
	c->markers += marker;
	return 0;
}

/* What encode_sliced saw. */
struct sliced {
	size_t max_nal[8];     /* largest NAL unit of each access unit */
	size_t max_vcl;        /* largest slice, SPS or PPS of all */
	int mode0_rc[8];       /* h264pkt_pack mode 0 at 500 bytes per access unit */
	bool idr[8];
};

/* Encodes 6 detailed 640x360 pictures with the given slice limit (the
 * fourth a forced IDR) and tries single NAL unit mode on each. */
static void encode_sliced(int slice_max, struct sliced *out)
{
	struct venc_config c = {
		.width = 640, .height = 360, .fps = 30, .bitrate_kbps = 700, .preset = "ultrafast",
		.threads = 1, .slice_max_bytes = slice_max,
	};
	struct venc *e = NULL;
	assert_int_equal(venc_create(&c, &e), 0);
	AVFrame *f = new_picture(640, 360);
	uint8_t *scratch = malloc(500); /* exactly max_payload: ASan sees overruns */
	assert_non_null(scratch);
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < 6; i++) {
		assert_int_equal(av_frame_make_writable(f), 0);
		fill_detail(f, i);
		const uint8_t *au;
		size_t len;
		bool idr;
		assert_int_equal(venc_encode(e, f, (int64_t)i * 3000, i == 3, &au, &len, &idr), 0);
		assert_true(len > 0);
		assert_int_equal(idr, i == 0 || i == 3);
		out->idr[i] = idr;
		struct nal_sizes ns = { 0 };
		int n = for_each_nal(au, len, note_nal, &ns);
		assert_true(n >= 1);
		if (idr) {
			assert_int_equal(ns.types[H264_NAL_SPS], 1);
			assert_int_equal(ns.types[H264_NAL_PPS], 1);
			assert_true(ns.types[H264_NAL_IDR] >= 1);
		}
		out->max_nal[i] = ns.max;
		if (ns.max_vcl > out->max_vcl)
			out->max_vcl = ns.max_vcl;
		struct pack_count pc = { 0 };
		out->mode0_rc[i] = h264pkt_pack(au, len, 500, 0, scratch, count_emit, &pc);
		if (out->mode0_rc[i] == 0) {
			/* single NAL unit mode: one payload per NAL unit (no
			 * AUDs here), the marker on the last */
			assert_int_equal(pc.n, n);
			assert_true(pc.max <= 500);
			assert_int_equal(pc.markers, 1);
		} else {
			assert_int_equal(out->mode0_rc[i], MCU_ELIMIT);
			assert_int_equal(pc.n, 0); /* nothing emitted on refusal */
		}
	}
	free(scratch);
	av_frame_free(&f);
	venc_destroy(e);
}

static void test_venc_slice_max_bytes(void **state)
{
	(void)state;
	struct sliced s;
	encode_sliced(500, &s);
	/* every slice (and the parameter sets) fits, so every access unit
	 * after the first, the forced IDR included, goes in mode 0 */
	assert_true(s.max_vcl <= 500);
	for (int i = 1; i < 6; i++) {
		assert_true(s.max_nal[i] <= 500);
		assert_int_equal(s.mode0_rc[i], 0);
	}

	/* the control: without the limit the IDRs hold larger slices, which
	 * single NAL unit mode must refuse */
	encode_sliced(0, &s);
	assert_true(s.max_vcl > 500);
	assert_int_equal(s.mode0_rc[0], MCU_ELIMIT);
	assert_int_equal(s.mode0_rc[3], MCU_ELIMIT);
}

/* venc.h: with slice_max_bytes "each NAL unit at most this (packetization-
 * mode 0 needs it)" - the first access unit included, since it is the IDR
 * a mode 0 receiver starts with. */
static void test_venc_slice_max_bytes_first_au(void **state)
{
	(void)state;
	struct sliced s;
	encode_sliced(500, &s);
	if (s.max_nal[0] > 500)
		fail_msg("first access unit holds a NAL unit of %zu bytes (> 500)", s.max_nal[0]);
	assert_int_equal(s.mode0_rc[0], 0);
}

/* ---- audio ---------------------------------------------------------- */

/* Amplitude of the component of x at freq (exact for whole cycles). */
static double goertzel(const int16_t *x, int samples, double freq)
{
	double coeff = 2 * cos(2 * M_PI * freq / OPUS_RATE);
	double s1 = 0, s2 = 0;
	for (int i = 0; i < samples; i++) {
		double s0 = x[i] + coeff * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
	return 2 * sqrt(power > 0 ? power : 0) / samples;
}

#define TONE_FRAMES 50

/* opuscodec_dec_decode for (or concealing, or from the FEC of) one 20 ms frame. */
static int decode(struct opusdec *d, const uint8_t *pkt, size_t len, bool fec, int16_t *pcm,
		  int max)
{
	return opuscodec_dec_decode(d, pkt, len, fec, OPUS_FRAME_SAMPLES, pcm, max);
}

static void test_opus_tone_roundtrip(void **state)
{
	(void)state;
	struct opusenc *e = NULL;
	struct opusdec *d = NULL;
	assert_int_equal(opuscodec_enc_create(32000, 5, &e), 0);
	assert_int_equal(opuscodec_dec_create(&d), 0);
	int16_t *out = calloc((size_t)TONE_FRAMES * OPUS_FRAME_SAMPLES, sizeof(int16_t));
	assert_non_null(out);
	int16_t pcm[OPUS_FRAME_SAMPLES];
	uint8_t pkt[OPUS_MAX_PACKET];
	int16_t dec[OPUS_MAX_FRAME_SAMPLES];
	int total = 0;
	for (int f = 0; f < TONE_FRAMES; f++) {
		for (int i = 0; i < OPUS_FRAME_SAMPLES; i++)
			pcm[i] = (int16_t)lround(8000 * sin(2 * M_PI * 440 * (f * OPUS_FRAME_SAMPLES + i) /
							    OPUS_RATE));
		int n = opuscodec_enc_encode(e, pcm, pkt, sizeof(pkt));
		assert_true(n > 0 && n <= OPUS_MAX_PACKET);
		int got = decode(d, pkt, (size_t)n, false, dec, OPUS_MAX_FRAME_SAMPLES);
		assert_int_equal(got, OPUS_FRAME_SAMPLES);
		memcpy(out + total, dec, sizeof(int16_t) * (size_t)got);
		total += got;
	}
	/* the last 0.5 s (220 whole cycles of 440 Hz), past the codec's start */
	const int16_t *w = out + total - OPUS_RATE / 2;
	double a440 = goertzel(w, OPUS_RATE / 2, 440);
	double a1000 = goertzel(w, OPUS_RATE / 2, 1000);
	double a300 = goertzel(w, OPUS_RATE / 2, 300);
	assert_true(a440 > 8000 * 0.7 && a440 < 8000 * 1.3);
	assert_true(a1000 < a440 / 30);
	assert_true(a300 < a440 / 30);

	/* a lost packet is concealed as one frame of the size asked for */
	int16_t *plc = dec;
	assert_int_equal(decode(d, NULL, 0, false, plc, OPUS_MAX_FRAME_SAMPLES), OPUS_FRAME_SAMPLES);
	/* the concealment carries the tone on */
	double p440 = goertzel(plc, OPUS_FRAME_SAMPLES, 440);
	assert_true(p440 > 8000 * 0.1);

	/* FEC of the previous frame from the next packet: a frame too */
	int n = opuscodec_enc_encode(e, pcm, pkt, sizeof(pkt));
	assert_true(n > 0);
	assert_int_equal(decode(d, pkt, (size_t)n, true, dec, OPUS_MAX_FRAME_SAMPLES), OPUS_FRAME_SAMPLES);

	/* a packet libopus refuses: code 3 with a frame count of 0 */
	static const uint8_t bad[] = { 0x03, 0x00 };
	assert_int_equal(decode(d, bad, sizeof(bad), false, dec, OPUS_MAX_FRAME_SAMPLES), MCU_EPROTO);
	/* room for fewer samples than the packet holds is refused, not overrun */
	assert_int_equal(decode(d, pkt, (size_t)n, false, dec, 480), MCU_EPROTO);

	free(out);
	opuscodec_enc_destroy(e);
	opuscodec_dec_destroy(d);
	opuscodec_enc_destroy(NULL);
	opuscodec_dec_destroy(NULL);
}

static void test_opusenc_bad_config(void **state)
{
	(void)state;
	struct opusenc *e = NULL;
	assert_int_equal(opuscodec_enc_create(5999, 5, &e), MCU_EINVAL);
	assert_int_equal(opuscodec_enc_create(510001, 5, &e), MCU_EINVAL);
	assert_int_equal(opuscodec_enc_create(32000, -1, &e), MCU_EINVAL);
	assert_int_equal(opuscodec_enc_create(32000, 11, &e), MCU_EINVAL);
	assert_null(e);
	assert_int_equal(opuscodec_enc_create(6000, 0, &e), 0);
	opuscodec_enc_destroy(e);
	e = NULL;
	assert_int_equal(opuscodec_enc_create(510000, 10, &e), 0);
	opuscodec_enc_destroy(e);
}

/* A snapshot JPEG: a real JPEG (SOI .. EOI) that decodes back to the size
 * and, in full range, near the colour drawn in limited range. */
static void test_jpeg_snapshot(void **state)
{
	(void)state;
	AVFrame *pic = new_picture(320, 180);
	fill_solid(pic, 81, 90, 240); /* limited-range red */
	uint8_t *jpeg = NULL;
	size_t len = 0;
	assert_int_equal(jpeg_encode(pic, &jpeg, &len), 0);
	assert_true(len > 100);
	assert_int_equal(jpeg[0], 0xFF);
	assert_int_equal(jpeg[1], 0xD8);
	assert_int_equal(jpeg[len - 2], 0xFF);
	assert_int_equal(jpeg[len - 1], 0xD9);

	const AVCodec *dec = avcodec_find_decoder(AV_CODEC_ID_MJPEG);
	AVCodecContext *ctx = avcodec_alloc_context3(dec);
	assert_int_equal(avcodec_open2(ctx, dec, NULL), 0);
	AVPacket *pkt = av_packet_alloc();
	uint8_t *padded = calloc(1, len + AV_INPUT_BUFFER_PADDING_SIZE);
	memcpy(padded, jpeg, len);
	pkt->data = padded;
	pkt->size = (int)len;
	AVFrame *out = av_frame_alloc();
	assert_int_equal(avcodec_send_packet(ctx, pkt), 0);
	assert_int_equal(avcodec_receive_frame(ctx, out), 0);
	assert_int_equal(out->width, 320);
	assert_int_equal(out->height, 180);
	/* Limited Y 81 is full-range (81 - 16) * 255 / 219 = 76. */
	int y = out->data[0][90 * out->linesize[0] + 160];
	assert_true(y > 70 && y < 82);

	AVFrame *empty = av_frame_alloc();
	assert_int_equal(jpeg_encode(empty, &jpeg, &len), MCU_EINVAL);
	av_frame_free(&empty);
	av_frame_free(&out);
	av_packet_free(&pkt);
	free(padded);
	avcodec_free_context(&ctx);
	free(jpeg);
	av_frame_free(&pic);
}

int main(void)
{
	av_log_set_level(AV_LOG_QUIET); /* the garbage test would fill the screen */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_venc_rejects_bad_config),
		cmocka_unit_test(test_venc_idr_first_and_on_request),
		cmocka_unit_test(test_vdec_roundtrip),
		cmocka_unit_test(test_vdec_garbage),
		cmocka_unit_test(test_venc_slice_max_bytes),
		cmocka_unit_test(test_venc_slice_max_bytes_first_au),
		cmocka_unit_test(test_opus_tone_roundtrip),
		cmocka_unit_test(test_opusenc_bad_config),
		cmocka_unit_test(test_jpeg_snapshot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
