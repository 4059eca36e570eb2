/* mp4mux_test.c - the MP4 muxer on its own: real H.264 from codecs/venc.h
 * with AAC from codecs/aacenc.h or Opus from codecs/opuscodec.h in, a
 * fragmented MP4 out, read back with libavformat (streams, parameters,
 * timestamps, fragments). Also: a keyframe without SPS/PPS, timestamps that
 * do not grow, a file that cannot be opened, a disk that is full
 * (/dev/full), bad configurations and NULL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "codecs/aacenc.h"
#include "codecs/opuscodec.h"
#include "codecs/venc.h"
#include "base/err.h"
#include "recorder/mp4mux.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define W 160
#define H 96
#define FPS 25
#define FRAME_US (1000000 / FPS)
#define PICTURES 50               /* 2 s */
#define CHUNK 960

struct fx {
	char path[64];
	struct venc *enc;
	AVFrame *pic;
	int64_t frames;
	uint8_t au[256 * 1024];       /* the last access unit, padded */
};

/* A flat picture the encoder can take. */
static AVFrame *flat_picture(void)
{
	AVFrame *p = av_frame_alloc();
	assert_non_null(p);
	p->width = W;
	p->height = H;
	p->format = AV_PIX_FMT_YUV420P;
	assert_int_equal(av_frame_get_buffer(p, 0), 0);
	for (int i = 0; i < 3; i++)
		memset(p->data[i], 100 + 40 * i, (size_t)p->linesize[i] * (i ? H / 2 : H));
	return p;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	strcpy(f->path, "/tmp/mp4mux_test-XXXXXX");
	int fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	struct venc_config vc = {
		.width = W, .height = H, .fps = FPS, .bitrate_kbps = 200,
		.preset = "ultrafast", .threads = 1,
	};
	f->pic = flat_picture();
	assert_int_equal(venc_create(&vc, &f->enc), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	venc_destroy(f->enc);
	av_frame_free(&f->pic);
	unlink(f->path);
	free(f);
	return 0;
}

/* Encodes the next picture into f->au (zero padding after it). */
static size_t encode(struct fx *f, bool *idr)
{
	const uint8_t *au;
	size_t len;
	assert_int_equal(venc_encode(f->enc, f->pic, f->frames * (90000 / FPS), false, &au, &len,
				     idr), 0);
	assert_true(len > 0 && len + AV_INPUT_BUFFER_PADDING_SIZE <= sizeof(f->au));
	memcpy(f->au, au, len);
	memset(f->au + len, 0, AV_INPUT_BUFFER_PADDING_SIZE);
	f->frames++;
	return len;
}

static struct mp4mux_config config(const char *path, enum mp4mux_audio audio,
				   const struct aacenc *aac)
{
	return (struct mp4mux_config){
		.path = path, .width = W, .height = H, .fps = FPS, .audio = audio, .aac = aac,
	};
}

/* aacenc_emit_fn: the muxer takes the packet, the priming one left out as
 * the recorder does. */
static int to_mux(void *user, AVPacket *pkt)
{
	return pkt->pts < 0 ? 0 : mp4mux_write_audio(user, pkt);
}

static void tone(int16_t *pcm, int n, int64_t from)
{
	for (int i = 0; i < n; i++)
		pcm[i] = (int16_t)(8000 * sin(2 * M_PI * 440 * (double)(from + i) / 48000));
}

/* The file has both streams as configured, its video packets at 90 kHz
 * steps of a picture, and fragments (moof boxes). Returns the packets. */
static void check_file(const char *path, enum AVCodecID audio_id, int *video_pkts,
		       int *audio_pkts)
{
	AVFormatContext *ic = NULL;
	assert_int_equal(avformat_open_input(&ic, path, NULL, NULL), 0);
	assert_true(avformat_find_stream_info(ic, NULL) >= 0);
	assert_int_equal(ic->nb_streams, 2);
	AVCodecParameters *vp = ic->streams[0]->codecpar, *ap = ic->streams[1]->codecpar;
	assert_int_equal(vp->codec_id, AV_CODEC_ID_H264);
	assert_int_equal(vp->width, W);
	assert_int_equal(vp->height, H);
	assert_true(vp->extradata_size > 7);
	assert_int_equal(vp->extradata[0], 1);  /* an avcC, made of the SPS/PPS */
	assert_int_equal(ap->codec_id, audio_id);
	assert_int_equal(ap->sample_rate, 48000);
	assert_int_equal(ap->ch_layout.nb_channels, 1);
	AVPacket *pkt = av_packet_alloc();
	assert_non_null(pkt);
	*video_pkts = *audio_pkts = 0;
	int64_t last = -1;
	while (av_read_frame(ic, pkt) >= 0) {
		if (pkt->stream_index == 0) {
			int64_t t = av_rescale_q(pkt->dts, ic->streams[0]->time_base,
						 (AVRational){ 1, 90000 });
			if (*video_pkts > 0)
				assert_int_equal(t - last, 90000 / FPS);
			last = t;
			(*video_pkts)++;
		} else {
			(*audio_pkts)++;
		}
		av_packet_unref(pkt);
	}
	av_packet_free(&pkt);
	avformat_close_input(&ic);

	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	assert_non_null(memmem(buf, n, "moof", 4));
}

static void test_aac(void **state)
{
	struct fx *f = *state;
	struct aacenc *aac = NULL;
	assert_int_equal(aacenc_create(64000, &aac), 0);
	struct mp4mux_config c = config(f->path, MP4MUX_AAC, aac);
	struct mp4mux *m = NULL;
	char why[128];
	assert_int_equal(mp4mux_create(&c, &m, why, sizeof(why)), 0);
	assert_non_null(m);
	assert_string_equal(mp4mux_error(m), "");
	assert_false(mp4mux_started(m));

	/* A keyframe without its parameter sets does not start the file. */
	bool idr;
	size_t len = encode(f, &idr);
	assert_true(idr);
	static const uint8_t bare_idr[] = { 0, 0, 0, 1, 0x65, 0x88, 0x84 };
	assert_int_equal(mp4mux_start(m, bare_idr, sizeof(bare_idr)), 0);
	assert_false(mp4mux_started(m));
	assert_int_equal(mp4mux_start(m, f->au, len), 1);
	assert_true(mp4mux_started(m));

	int16_t pcm[CHUNK];
	int64_t samples = 0;
	for (int i = 0; i < PICTURES; i++) {
		if (i > 0)
			len = encode(f, &idr);
		assert_int_equal(mp4mux_write_video(m, f->au, len, idr, (int64_t)i * FRAME_US), 0);
		/* 40 ms of audio a picture. */
		for (int k = 0; k < 2; k++, samples += CHUNK) {
			tone(pcm, CHUNK, samples);
			assert_int_equal(aacenc_push(aac, pcm, CHUNK, to_mux, m), 0);
		}
	}
	assert_int_equal(aacenc_flush(aac, to_mux, m), 0);
	int64_t dur = mp4mux_duration_us(m);
	assert_true(dur >= 2000000 - 30000 && dur <= 2000000 + 30000);
	assert_int_equal(mp4mux_finish(m), 0);
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(mp4mux_bytes(m), (uint64_t)st.st_size);
	mp4mux_destroy(m);
	aacenc_destroy(aac);

	int v, a;
	check_file(f->path, AV_CODEC_ID_AAC, &v, &a);
	assert_int_equal(v, PICTURES);
	/* 96000 samples: 94 frames (the last short), the delay's one beside. */
	assert_true(a >= 93 && a <= 95);
}

static void test_opus(void **state)
{
	struct fx *f = *state;
	struct opusenc *enc = NULL;
	assert_int_equal(opuscodec_enc_create(32000, 5, &enc), 0);
	struct mp4mux_config c = config(f->path, MP4MUX_OPUS, NULL);
	struct mp4mux *m = NULL;
	assert_int_equal(mp4mux_create(&c, &m, NULL, 0), 0);
	AVPacket *pkt = av_packet_alloc();
	assert_non_null(pkt);
	bool idr;
	int16_t pcm[CHUNK];
	uint8_t data[OPUS_MAX_PACKET + AV_INPUT_BUFFER_PADDING_SIZE] = { 0 };
	int64_t samples = 0;
	for (int i = 0; i < PICTURES; i++) {
		size_t len = encode(f, &idr);
		if (i == 0)
			assert_int_equal(mp4mux_start(m, f->au, len), 1);
		assert_int_equal(mp4mux_write_video(m, f->au, len, idr, (int64_t)i * FRAME_US), 0);
		for (int k = 0; k < 2; k++, samples += CHUNK) {
			tone(pcm, CHUNK, samples);
			int n = opuscodec_enc_encode(enc, pcm, data, OPUS_MAX_PACKET);
			assert_true(n > 0);
			pkt->data = data;
			pkt->size = n;
			pkt->pts = pkt->dts = samples;
			pkt->duration = CHUNK;
			pkt->flags = AV_PKT_FLAG_KEY;
			assert_int_equal(mp4mux_write_audio(m, pkt), 0);
			assert_null(pkt->data);  /* unreferenced */
		}
	}
	assert_int_equal(mp4mux_finish(m), 0);
	mp4mux_destroy(m);
	av_packet_free(&pkt);
	opuscodec_enc_destroy(enc);

	int v, a;
	check_file(f->path, AV_CODEC_ID_OPUS, &v, &a);
	assert_int_equal(v, PICTURES);
	assert_int_equal(a, 2 * PICTURES);
	AVFormatContext *ic = NULL;
	assert_int_equal(avformat_open_input(&ic, f->path, NULL, NULL), 0);
	assert_true(avformat_find_stream_info(ic, NULL) >= 0);
	AVCodecParameters *ap = ic->streams[1]->codecpar;
	assert_int_equal(ap->extradata_size, 19);
	assert_memory_equal(ap->extradata, "OpusHead", 8);
	avformat_close_input(&ic);
}

/* Pictures stamped at the same time still get growing timestamps. */
static void test_video_dts_grows(void **state)
{
	struct fx *f = *state;
	struct mp4mux_config c = config(f->path, MP4MUX_OPUS, NULL);
	struct mp4mux *m = NULL;
	assert_int_equal(mp4mux_create(&c, &m, NULL, 0), 0);
	bool idr;
	for (int i = 0; i < 3; i++) {
		size_t len = encode(f, &idr);
		if (i == 0)
			assert_int_equal(mp4mux_start(m, f->au, len), 1);
		assert_int_equal(mp4mux_write_video(m, f->au, len, idr, 1000), 0);
	}
	assert_int_equal(mp4mux_finish(m), 0);
	mp4mux_destroy(m);
	AVFormatContext *ic = NULL;
	assert_int_equal(avformat_open_input(&ic, f->path, NULL, NULL), 0);
	AVPacket *pkt = av_packet_alloc();
	assert_non_null(pkt);
	/* A tick apart each (the reader may shift them all to start at 0). */
	int n = 0;
	int64_t first = 0;
	while (av_read_frame(ic, pkt) >= 0) {
		int64_t t = av_rescale_q(pkt->dts, ic->streams[0]->time_base,
					 (AVRational){ 1, 90000 });
		if (n == 0)
			first = t;
		assert_int_equal(t - first, n);
		n++;
		av_packet_unref(pkt);
	}
	assert_int_equal(n, 3);
	av_packet_free(&pkt);
	avformat_close_input(&ic);
}

/* A full disk: whichever write meets it first fails with the cause. */
static void test_disk_full(void **state)
{
	struct fx *f = *state;
	struct mp4mux_config c = config("/dev/full", MP4MUX_OPUS, NULL);
	struct mp4mux *m = NULL;
	assert_int_equal(mp4mux_create(&c, &m, NULL, 0), 0);
	bool idr;
	int rc = 0;
	for (int i = 0; i < PICTURES && rc >= 0; i++) {
		size_t len = encode(f, &idr);
		rc = i == 0 ? mp4mux_start(m, f->au, len)
			    : mp4mux_write_video(m, f->au, len, idr, (int64_t)i * FRAME_US);
	}
	if (rc >= 0)
		rc = mp4mux_finish(m);
	assert_int_equal(rc, MCU_EIO);
	assert_non_null(strstr(mp4mux_error(m), "No space left on device"));
	mp4mux_destroy(m);
}

static void test_bad_config_and_open(void **state)
{
	(void)state;
	char why[128];
	struct mp4mux *m = (struct mp4mux *)&m;
	struct mp4mux_config c = config("/nonexistent-dir/x.mp4", MP4MUX_OPUS, NULL);
	assert_int_equal(mp4mux_create(&c, &m, why, sizeof(why)), MCU_EIO);
	assert_null(m);
	assert_int_equal(strncmp(why, "open: ", 6), 0);

	c = config("/tmp/x.mp4", MP4MUX_AAC, NULL);  /* AAC needs its encoder */
	assert_int_equal(mp4mux_create(&c, &m, why, sizeof(why)), MCU_EINVAL);
	c = config("/tmp/x.mp4", MP4MUX_OPUS, NULL);
	c.fps = 0;
	assert_int_equal(mp4mux_create(&c, &m, why, sizeof(why)), MCU_EINVAL);
	c.fps = FPS;
	c.width = 8;
	assert_int_equal(mp4mux_create(&c, &m, why, sizeof(why)), MCU_EINVAL);
	c.width = W;
	c.path = NULL;
	assert_int_equal(mp4mux_create(&c, &m, why, sizeof(why)), MCU_EINVAL);
	assert_int_equal(mp4mux_create(NULL, &m, why, sizeof(why)), MCU_EINVAL);
	assert_int_equal(mp4mux_create(&c, NULL, why, sizeof(why)), MCU_EINVAL);
	assert_null(m);
	mp4mux_destroy(NULL);
}

int main(void)
{
	av_log_set_level(AV_LOG_FATAL);  /* /dev/full's complaints */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_aac, setup, teardown),
		cmocka_unit_test_setup_teardown(test_opus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_video_dts_grows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
		cmocka_unit_test(test_bad_config_and_open),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
