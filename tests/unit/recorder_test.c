/* recorder_test.c - the recorder end to end: real H.264 from codecs/venc.h
 * and a 440 Hz sine (AAC) or real Opus packets in, a fragmented MP4 and its
 * sidecar out, checked with libavformat and jansson. Also: a file read while
 * the recording runs, video before the first keyframe, a queue drop that
 * waits for the next keyframe, a directory that cannot be made, a write
 * error (RLIMIT_FSIZE standing in for a full disk), a sidecar that cannot
 * be written and the NULL cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "codecs/opuscodec.h"
#include "codecs/venc.h"
#include "base/clock.h"
#include "base/err.h"
#include "recorder/recorder.h"

#include <ftw.h>
#include <jansson.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define W 320
#define H 180
#define FPS 30
#define FRAME_US (1000000 / FPS)
#define CHUNK 960                 /* samples per PCM push: 20 ms */
#define CHUNK_US 20000
#define T0 5000000000LL           /* an arbitrary room clock, µs */

/* assert_in_range compares as unsigned; these values can be negative. */
static void assert_near(double v, double want, double tol)
{
	if (fabs(v - want) > tol)
		fail_msg("%.4f is not within %.3f of %.4f", v, tol, want);
}

/* ---- fixtures --------------------------------------------------------- */

struct fx {
	char dir[64];                 /* a fresh mkdtemp directory */
	struct venc *enc;
	AVFrame *pic;
	struct opusenc *opus;
	double phase;                 /* of the sine, radians */
	int64_t frames;               /* pictures encoded */
};

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	strcpy(f->dir, "/tmp/recorder_test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	struct venc_config vc = {
		.width = W, .height = H, .fps = FPS, .bitrate_kbps = 300,
		.preset = "ultrafast", .threads = 1, .keyint_max = 0,
	};
	assert_int_equal(venc_create(&vc, &f->enc), 0);
	f->pic = av_frame_alloc();
	assert_non_null(f->pic);
	f->pic->format = AV_PIX_FMT_YUV420P;
	f->pic->width = W;
	f->pic->height = H;
	assert_int_equal(av_frame_get_buffer(f->pic, 0), 0);
	/* Solid orange. */
	for (int r = 0; r < H; r++)
		memset(f->pic->data[0] + (size_t)r * f->pic->linesize[0], 150, W);
	for (int r = 0; r < H / 2; r++) {
		memset(f->pic->data[1] + (size_t)r * f->pic->linesize[1], 60, W / 2);
		memset(f->pic->data[2] + (size_t)r * f->pic->linesize[2], 200, W / 2);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	venc_destroy(f->enc);
	opuscodec_enc_destroy(f->opus);
	av_frame_free(&f->pic);
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static struct recorder_config config(const char *dir, enum recorder_audio audio)
{
	return (struct recorder_config){
		.dir = dir, .room = "lobby", .width = W, .height = H, .fps = FPS,
		.audio = audio, .queue_packets = 1024,
	};
}

/* Encodes the next picture; the access unit is borrowed until the next call. */
static void encode(struct fx *f, bool force_idr, const uint8_t **au, size_t *len, bool *idr)
{
	assert_int_equal(venc_encode(f->enc, f->pic, f->frames * (90000 / FPS), force_idr, au,
				     len, idr), 0);
	assert_true(*len > 0);
	f->frames++;
}

static void sine(struct fx *f, int16_t *pcm, int n)
{
	for (int i = 0; i < n; i++) {
		pcm[i] = (int16_t)(12000 * sin(f->phase));
		f->phase += 2 * M_PI * 440 / 48000;
	}
}

/*
 * Pushes media in capture order from from_us (inclusive) to to_us
 * (exclusive): a picture every FRAME_US from video_us (an IDR every second)
 * and 20 ms of audio every CHUNK_US from audio_us. Pictures encoded for
 * times before video_us are never pushed. Returns the pictures pushed.
 * Pushes are spaced a little so a slow (sanitized) recorder thread keeps
 * up with the queue.
 */
struct clocks {
	int64_t video_us, audio_us;
	int idr_every;                /* pictures between forced IDRs, 0: none */
	int pushed_pictures;
};

static void push_until(struct fx *f, struct recorder *r, enum recorder_audio audio,
		       struct clocks *c, int64_t to_us)
{
	for (int n = 0;; n++) {
		bool video = c->video_us <= c->audio_us;
		int64_t t = video ? c->video_us : c->audio_us;
		if (t >= to_us)
			return;
		if (video) {
			const uint8_t *au;
			size_t len;
			bool idr;
			bool force = c->idr_every && c->pushed_pictures % c->idr_every == 0;
			encode(f, force, &au, &len, &idr);
			assert_int_equal(idr, force || f->frames == 1);
			recorder_push_video(r, au, len, idr, t);
			c->pushed_pictures++;
			c->video_us += FRAME_US;
		} else {
			int16_t pcm[CHUNK];
			sine(f, pcm, CHUNK);
			if (audio == RECORDER_AAC) {
				recorder_push_pcm(r, pcm, CHUNK, t);
			} else {
				uint8_t pkt[OPUS_MAX_PACKET];
				int len = opuscodec_enc_encode(f->opus, pcm, pkt, sizeof(pkt));
				assert_true(len > 0);
				recorder_push_opus(r, pkt, (size_t)len, t);
			}
			c->audio_us += CHUNK_US;
		}
		if (n % 32 == 31)
			usleep(1000);
	}
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

/* Waits (up to 5 s) until the recording has written duration_s of media. */
static void wait_duration(struct recorder *r, double duration_s)
{
	struct recorder_status st;
	for (int i = 0; i < 500; i++) {
		recorder_get_status(r, &st);
		if (st.duration_s >= duration_s)
			return;
		sleep_ms(10);
	}
	fail_msg("recording stuck at %.3f s", st.duration_s);
}

static void wait_state(struct recorder *r, enum recorder_state want)
{
	struct recorder_status st;
	for (int i = 0; i < 500; i++) {
		recorder_get_status(r, &st);
		if (st.state == want)
			return;
		sleep_ms(10);
	}
	fail_msg("state %s, not %s", recorder_state_name(st.state), recorder_state_name(want));
}

/* ---- reading recordings back ------------------------------------------- */

struct probe {
	bool has_video, has_audio;
	int width, height;
	enum AVCodecID vcodec, acodec;
	int sample_rate, channels;
	double duration, vstart, astart;
	int vpackets, apackets;
	bool first_video_key;
	int64_t first_video_pts;      /* in the stream's time base */
};

static double secs(int64_t ts, AVRational tb)
{
	return ts == AV_NOPTS_VALUE ? NAN : (double)ts * av_q2d(tb);
}

/* Opens path with libavformat, as ffprobe would, and demuxes every packet. */
static void probe(const char *path, struct probe *p)
{
	memset(p, 0, sizeof(*p));
	AVFormatContext *ic = NULL;
	assert_int_equal(avformat_open_input(&ic, path, NULL, NULL), 0);
	assert_true(avformat_find_stream_info(ic, NULL) >= 0);
	p->duration = ic->duration == AV_NOPTS_VALUE ? NAN : (double)ic->duration / AV_TIME_BASE;
	for (unsigned i = 0; i < ic->nb_streams; i++) {
		const AVStream *st = ic->streams[i];
		const AVCodecParameters *par = st->codecpar;
		if (par->codec_type == AVMEDIA_TYPE_VIDEO) {
			p->has_video = true;
			p->vcodec = par->codec_id;
			p->width = par->width;
			p->height = par->height;
			p->vstart = secs(st->start_time, st->time_base);
		} else if (par->codec_type == AVMEDIA_TYPE_AUDIO) {
			p->has_audio = true;
			p->acodec = par->codec_id;
			p->sample_rate = par->sample_rate;
			p->channels = par->ch_layout.nb_channels;
			p->astart = secs(st->start_time, st->time_base);
		}
	}
	AVPacket *pkt = av_packet_alloc();
	assert_non_null(pkt);
	while (av_read_frame(ic, pkt) >= 0) {
		if (ic->streams[pkt->stream_index]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
			if (p->vpackets++ == 0) {
				p->first_video_key = pkt->flags & AV_PKT_FLAG_KEY;
				p->first_video_pts = pkt->pts;
			}
		} else {
			p->apackets++;
		}
		av_packet_unref(pkt);
	}
	av_packet_free(&pkt);
	avformat_close_input(&ic);
}

static uint64_t file_size(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_size;
}

static void copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	assert_non_null(in);
	assert_non_null(out);
	char buf[16384];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

static json_t *load_sidecar(const char *mp4)
{
	char path[512];
	snprintf(path, sizeof(path), "%s.json", mp4);
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);
	if (!j)
		fail_msg("%s: %s", path, err.text);
	return j;
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		fail_msg("\"%s\" is not a string", key);
	return json_string_value(v);
}

/* The file name is {room}-{YYYYmmddTHHMMSSZ}.mp4 from the wall clock now. */
static void check_name(const char *file, int64_t wall_before)
{
	struct tm tm = { 0 };
	char tail[8] = "";
	assert_int_equal(strlen(file), strlen("lobby-20261123T071500Z.mp4"));
	assert_int_equal(sscanf(file, "lobby-%4d%2d%2dT%2d%2d%2dZ%7s", &tm.tm_year, &tm.tm_mon,
				&tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, tail), 7);
	assert_string_equal(tail, ".mp4");
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	int64_t t = (int64_t)timegm(&tm);
	assert_true(t >= wall_before / 1000000 && t <= wall_before / 1000000 + 5);
}

static void path_of(const struct fx *f, const char *sub, const struct recorder_status *st,
		    char *out, size_t size)
{
	snprintf(out, size, "%s/%s/%s", f->dir, sub, st->file);
}

/* ---- tests --------------------------------------------------------------- */

/* AAC: a 3 s recording with a participant; video and audio pushed before
 * the first keyframe are dropped; both streams start together. */
static void test_aac_recording(void **state)
{
	struct fx *f = *state;
	char dir[128], path[512];
	snprintf(dir, sizeof(dir), "%s/deep/rec", f->dir);  /* made by the recorder */
	struct recorder_config cfg = config(dir, RECORDER_AAC);
	int64_t wall0 = clock_wall_us();
	struct recorder *r = NULL;
	assert_int_equal(recorder_create(&cfg, &r), 0);
	recorder_note(r, "p1", "Alice", true, wall0);

	/* Before the keyframe: an IDR that is not pushed (the room had not
	 * started the recorder), 4 P pictures and 150 ms of audio. */
	const uint8_t *au;
	size_t len;
	bool idr;
	encode(f, false, &au, &len, &idr);
	assert_true(idr);
	int64_t start = T0 + 5 * FRAME_US;
	struct clocks c = { .video_us = T0 + FRAME_US, .audio_us = T0 - 5000, .idr_every = 0 };
	push_until(f, r, RECORDER_AAC, &c, start);
	/* The keyframe; then audio captured 10 ms before it (mixed earlier,
	 * pushed later), which the recorder trims to the start; then an IDR a
	 * second: 3 s in all. */
	encode(f, true, &au, &len, &idr);
	recorder_push_video(r, au, len, true, start);
	int16_t pcm[CHUNK];
	sine(f, pcm, CHUNK);
	recorder_push_pcm(r, pcm, CHUNK, start - 10000);
	c = (struct clocks){ .video_us = start + FRAME_US, .audio_us = start + 10000,
			     .idr_every = FPS, .pushed_pictures = 1 };
	push_until(f, r, RECORDER_AAC, &c, start + 3 * FPS * FRAME_US);
	int pictures = c.pushed_pictures;
	assert_int_equal(pictures, 3 * FPS);
	recorder_note(r, "p1", "Alice", false, clock_wall_us());
	recorder_note(r, "p2", "Bob", true, clock_wall_us());

	struct recorder_status st;
	recorder_get_status(r, &st);
	check_name(st.file, wall0);
	assert_true(st.started_wall_us >= wall0 - 1000000 && st.started_wall_us <= wall0 + 1000000);
	struct recorder_status final;
	recorder_stop(r, &final);
	/* The finished recording's own account: done, the whole 3 s, its bytes. */
	assert_string_equal(final.file, st.file);
	assert_int_equal(final.state, RECORDER_DONE);
	assert_true(final.duration_s > 2.9 && final.duration_s < 3.1);
	assert_true(final.bytes > 0);

	path_of(f, "deep/rec", &st, path, sizeof(path));
	struct probe p;
	probe(path, &p);
	assert_true(p.has_video);
	assert_int_equal(p.vcodec, AV_CODEC_ID_H264);
	assert_int_equal(p.width, W);
	assert_int_equal(p.height, H);
	assert_true(p.has_audio);
	assert_int_equal(p.acodec, AV_CODEC_ID_AAC);
	assert_int_equal(p.sample_rate, 48000);
	assert_int_equal(p.channels, 1);
	assert_near(p.duration, 3.0, 0.2);
	assert_near(p.vstart, 0, 0.1);
	assert_near(p.astart, p.vstart, 0.1);
	/* Only what came from the keyframe on. */
	assert_int_equal(p.vpackets, pictures);
	assert_true(p.first_video_key);
	assert_int_equal(p.first_video_pts, 0);
	assert_true(p.apackets >= 3 * 48000 / 1024 - 2);

	json_t *j = load_sidecar(path);
	assert_string_equal(jstr(j, "room"), "lobby");
	assert_string_equal(jstr(j, "file"), st.file);
	assert_string_equal(jstr(j, "state"), "done");
	assert_int_equal(strlen(jstr(j, "started")), strlen("2026-11-22T13:45:01Z"));
	assert_int_equal(strlen(jstr(j, "ended")), strlen("2026-11-22T13:45:01Z"));
	assert_near(json_number_value(json_object_get(j, "duration_s")), 3.0, 0.2);
	assert_int_equal(json_integer_value(json_object_get(j, "bytes")), file_size(path));
	json_t *parts = json_object_get(j, "participants");
	assert_int_equal(json_array_size(parts), 2);
	json_t *p1 = json_array_get(parts, 0), *p2 = json_array_get(parts, 1);
	assert_string_equal(jstr(p1, "id"), "p1");
	assert_string_equal(jstr(p1, "name"), "Alice");
	jstr(p1, "joined");
	jstr(p1, "left");
	assert_string_equal(jstr(p2, "name"), "Bob");
	jstr(p2, "joined");
	assert_true(json_is_null(json_object_get(p2, "left")));
	json_decref(j);

	/* Nothing half-written is left beside them. */
	char tmp[512];
	snprintf(tmp, sizeof(tmp), "%s/.%s.json.tmp", dir, st.file);
	assert_int_not_equal(access(tmp, F_OK), 0);
}

/* Opus: the packets are copied into the file as they are. */
static void test_opus_recording(void **state)
{
	struct fx *f = *state;
	char path[512];
	assert_int_equal(opuscodec_enc_create(32000, 5, &f->opus), 0);
	struct recorder_config cfg = config(f->dir, RECORDER_OPUS);
	struct recorder *r = NULL;
	assert_int_equal(recorder_create(&cfg, &r), 0);
	/* Audio starts 100 ms after the video: its first pts is that offset. */
	struct clocks c = { .video_us = T0, .audio_us = T0 + 100000, .idr_every = FPS };
	push_until(f, r, RECORDER_OPUS, &c, T0 + 2 * FPS * FRAME_US);
	struct recorder_status st;
	recorder_get_status(r, &st);
	recorder_stop(r, NULL);

	path_of(f, ".", &st, path, sizeof(path));
	struct probe p;
	probe(path, &p);
	assert_int_equal(p.vcodec, AV_CODEC_ID_H264);
	assert_int_equal(p.width, W);
	assert_int_equal(p.height, H);
	assert_true(p.has_audio);
	assert_int_equal(p.acodec, AV_CODEC_ID_OPUS);
	assert_int_equal(p.sample_rate, 48000);
	assert_int_equal(p.channels, 1);
	assert_near(p.duration, 2.0, 0.2);
	assert_near(p.vstart, 0, 0.1);
	assert_near(p.astart, 0.1, 0.1);
	assert_int_equal(p.vpackets, 2 * FPS);
	assert_int_equal(p.apackets, (2 * FPS * FRAME_US - 100000 + CHUNK_US - 1) / CHUNK_US);
	json_t *j = load_sidecar(path);
	assert_string_equal(jstr(j, "state"), "done");
	json_decref(j);
}

/* Crash safety: a copy of the file taken while the recording runs already
 * demuxes; the sidecar meanwhile says "recording" with "ended" null. */
static void test_readable_while_recording(void **state)
{
	struct fx *f = *state;
	char path[512], copy[512];
	struct recorder_config cfg = config(f->dir, RECORDER_AAC);
	struct recorder *r = NULL;
	assert_int_equal(recorder_create(&cfg, &r), 0);
	struct clocks c = { .video_us = T0, .audio_us = T0, .idr_every = FPS };
	push_until(f, r, RECORDER_AAC, &c, T0 + 2500000);
	/* Fragments are cut at the keyframes at 1 s and 2 s. */
	wait_duration(r, 2.3);
	struct recorder_status st;
	recorder_get_status(r, &st);
	assert_int_equal(st.state, RECORDER_RECORDING);
	assert_true(st.bytes > 0);
	path_of(f, ".", &st, path, sizeof(path));
	assert_true(file_size(path) >= st.bytes);
	snprintf(copy, sizeof(copy), "%s/copy.mp4", f->dir);
	copy_file(path, copy);

	json_t *j = load_sidecar(path);
	assert_string_equal(jstr(j, "state"), "recording");
	assert_true(json_is_null(json_object_get(j, "ended")));
	json_decref(j);

	struct probe p;
	probe(copy, &p);
	assert_int_equal(p.vcodec, AV_CODEC_ID_H264);
	assert_int_equal(p.acodec, AV_CODEC_ID_AAC);
	assert_true(p.vpackets >= 2 * FPS);  /* the first two fragments at least */
	assert_true(p.apackets >= 80);      /* less the encoder's delay */
	assert_true(p.first_video_key);
	recorder_stop(r, NULL);
}

/* An access unit larger than the queue's ring is dropped and counted; the
 * video after it waits for the next keyframe, so nothing in the file
 * refers to a picture that is not there. */
static void test_drop_waits_for_keyframe(void **state)
{
	struct fx *f = *state;
	char path[512];
	struct recorder_config cfg = config(f->dir, RECORDER_AAC);
	struct recorder *r = NULL;
	assert_int_equal(recorder_create(&cfg, &r), 0);
	struct clocks c = { .video_us = T0, .audio_us = T0, .idr_every = 0 };
	push_until(f, r, RECORDER_AAC, &c, T0 + 500000);
	int before = c.pushed_pictures;

	size_t huge_len = 5u << 20;  /* beyond the 4 MiB ring of a 320x180 recorder */
	uint8_t *huge = calloc(1, huge_len);
	assert_non_null(huge);
	huge[3] = 1;
	huge[4] = 0x41;  /* a non-IDR slice */
	recorder_push_video(r, huge, huge_len, false, c.video_us);
	free(huge);
	c.video_us += FRAME_US;
	push_until(f, r, RECORDER_AAC, &c, T0 + 1000000);  /* P pictures: dropped */
	int lost = c.pushed_pictures - before;
	struct recorder_status st;
	recorder_get_status(r, &st);
	assert_int_equal(st.dropped, 1 + lost);
	c.idr_every = 1000;                                  /* an IDR now */
	c.pushed_pictures = 0;
	push_until(f, r, RECORDER_AAC, &c, T0 + 1500000);
	int after = c.pushed_pictures;
	recorder_stop(r, NULL);

	path_of(f, ".", &st, path, sizeof(path));
	struct probe p;
	probe(path, &p);
	assert_int_equal(p.vpackets, before + after);
	assert_near(p.duration, 1.5, 0.2);
}

/* A marker NAL unit (type 30, which decoders ignore) carrying a number in
 * four 7-bit bytes, so no start code can appear inside. */
static size_t put_marker(uint8_t *p, uint32_t n)
{
	const uint8_t m[9] = { 0, 0, 0, 1, 0x1e, (uint8_t)(0x80 | (n >> 21)),
			       (uint8_t)(0x80 | ((n >> 14) & 0x7f)),
			       (uint8_t)(0x80 | ((n >> 7) & 0x7f)), (uint8_t)(0x80 | (n & 0x7f)) };
	memcpy(p, m, sizeof(m));
	return sizeof(m);
}

/* Finds the marker in a sample as the mov muxer stores it (4-byte lengths). */
static long get_marker(const uint8_t *p, int size)
{
	for (int i = 0; i + 4 <= size;) {
		uint32_t len = (uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 |
			       (uint32_t)p[i + 2] << 8 | p[i + 3];
		i += 4;
		if (len == 5 && i + 5 <= size && (p[i] & 0x1f) == 30)
			return (long)(p[i + 1] & 0x7f) << 21 | (long)(p[i + 2] & 0x7f) << 14 |
			       (long)(p[i + 3] & 0x7f) << 7 | (p[i + 4] & 0x7f);
		i += (int)len;
	}
	return -1;
}

/* Floods a small queue as fast as possible: the oldest items go and are
 * counted, and the file never holds a picture after a gap that is not a
 * keyframe (each pushed picture carries its number in a marker NAL). */
static void test_flood_drops_whole_gops(void **state)
{
	struct fx *f = *state;
	char path[512];
	struct recorder_config cfg = config(f->dir, RECORDER_AAC);
	cfg.queue_packets = 64;
	struct recorder *r = NULL;
	assert_int_equal(recorder_create(&cfg, &r), 0);

	const uint8_t *au;
	size_t len;
	bool idr;
	encode(f, false, &au, &len, &idr);
	static uint8_t key[16384], delta[4096];
	assert_true(len + 9 <= sizeof(key));
	memcpy(key, au, len);
	size_t delta_len = sizeof(delta) - 9;
	memset(delta, 0x5a, delta_len);
	memcpy(delta, (const uint8_t[]){ 0, 0, 0, 1, 0x41 }, 5);
	int16_t pcm[CHUNK];
	sine(f, pcm, CHUNK);
	const int pictures = 4000, gop = 10;
	for (int i = 0; i < pictures; i++) {
		bool k = i % gop == 0;
		uint8_t *buf = k ? key : delta;
		size_t n = (k ? len : delta_len) + put_marker((k ? key + len : delta + delta_len),
							      (uint32_t)i);
		int64_t t = T0 + (int64_t)i * FRAME_US;
		recorder_push_video(r, buf, n, k, t);
		recorder_push_pcm(r, pcm, CHUNK, t);
		recorder_push_pcm(r, pcm, CHUNK, t + CHUNK_US);
	}
	struct recorder_status st;
	recorder_get_status(r, &st);
	recorder_stop(r, NULL);
	assert_true(st.dropped > 0);

	path_of(f, ".", &st, path, sizeof(path));
	AVFormatContext *ic = NULL;
	assert_int_equal(avformat_open_input(&ic, path, NULL, NULL), 0);
	AVPacket *pkt = av_packet_alloc();
	assert_non_null(pkt);
	long prev = -1;
	int kept = 0, gaps = 0;
	while (av_read_frame(ic, pkt) >= 0) {
		if (ic->streams[pkt->stream_index]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
			long n = get_marker(pkt->data, pkt->size);
			assert_true(n > prev);
			assert_int_equal(n % gop == 0, (pkt->flags & AV_PKT_FLAG_KEY) != 0);
			if (n != prev + 1) {
				gaps++;
				assert_true(pkt->flags & AV_PKT_FLAG_KEY);
			}
			prev = n;
			kept++;
		}
		av_packet_unref(pkt);
	}
	av_packet_free(&pkt);
	avformat_close_input(&ic);
	assert_true(kept > 0);
	assert_true(kept < pictures);
	assert_true(gaps > 0);
}

/* A directory that cannot be made (a path under a regular file) ends the
 * recording as failed; pushes and notes go on harmlessly. */
static void test_unwritable_dir(void **state)
{
	struct fx *f = *state;
	char file[128], dir[160];
	snprintf(file, sizeof(file), "%s/plain", f->dir);
	FILE *fp = fopen(file, "w");
	assert_non_null(fp);
	fclose(fp);
	snprintf(dir, sizeof(dir), "%s/rec", file);
	struct recorder_config cfg = config(dir, RECORDER_AAC);
	struct recorder *r = NULL;
	assert_int_equal(recorder_create(&cfg, &r), 0);
	wait_state(r, RECORDER_FAILED);
	struct clocks c = { .video_us = T0, .audio_us = T0, .idr_every = FPS };
	push_until(f, r, RECORDER_AAC, &c, T0 + 300000);
	recorder_note(r, "p1", "Alice", true, clock_wall_us());
	struct recorder_status st;
	recorder_get_status(r, &st);
	assert_int_equal(st.state, RECORDER_FAILED);
	assert_int_equal(st.bytes, 0);
	recorder_stop(r, NULL);
}

/* A write error in the middle (the file may not grow past 1 MiB, as on
 * a full disk): state failed, the sidecar says so, the fragments written
 * before the error still play, and later pushes are dropped. */
static void test_write_error(void **state)
{
	struct fx *f = *state;
	char path[512];
	struct rlimit old, lim;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
	struct recorder_config cfg = config(f->dir, RECORDER_AAC);
	struct recorder *r = NULL;
	assert_int_equal(recorder_create(&cfg, &r), 0);
	lim = old;
	lim.rlim_cur = 1 << 20;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);

	/* A real keyframe, then 24 KiB "pictures" (the muxer does not look
	 * inside slices): 0.7 MiB a second, so the second fragment fails. */
	const uint8_t *au;
	size_t len;
	bool idr;
	encode(f, false, &au, &len, &idr);
	recorder_push_video(r, au, len, true, T0);
	uint8_t big[24 << 10];
	memset(big, 0x5a, sizeof(big));
	memcpy(big, (const uint8_t[]){ 0, 0, 0, 1, 0x41 }, 5);
	int16_t pcm[CHUNK] = { 0 };
	for (int i = 1; i < 4 * FPS; i++) {
		/* A keyframe each second cuts fragments. */
		recorder_push_video(r, i % FPS ? big : au, i % FPS ? sizeof(big) : len,
				    i % FPS == 0, T0 + (int64_t)i * FRAME_US);
		recorder_push_pcm(r, pcm, CHUNK, T0 + (int64_t)i * FRAME_US);
		if (i % 8 == 0)
			sleep_ms(2);
	}
	wait_state(r, RECORDER_FAILED);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, old_handler);
	struct recorder_status st;
	recorder_get_status(r, &st);
	uint64_t dropped = st.dropped;
	recorder_push_video(r, au, len, true, T0 + 5000000);  /* dropped at the door */
	recorder_stop(r, NULL);

	path_of(f, ".", &st, path, sizeof(path));
	json_t *j = load_sidecar(path);
	assert_string_equal(jstr(j, "state"), "failed");
	json_decref(j);
	assert_true(file_size(path) <= 1 << 20);
	assert_int_equal(st.dropped, dropped);
	struct probe p;
	av_log_set_level(AV_LOG_FATAL);  /* the fake slices upset the decoder */
	probe(path, &p);
	av_log_set_level(AV_LOG_ERROR);
	assert_true(p.vpackets >= FPS);  /* the first fragment survived */
}

/* The first sidecar cannot be written (directories squat on its temporary
 * names for the seconds the file may be named after): the recording fails
 * before any media and leaves no file, since a file without a sidecar
 * would be listed as a whole one. */
static void test_sidecar_unwritable(void **state)
{
	struct fx *f = *state;
	time_t now = time(NULL);
	for (time_t t = now - 1; t <= now + 5; t++) {
		struct tm tm;
		char stamp[32], tmp[160];
		gmtime_r(&t, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		snprintf(tmp, sizeof(tmp), "%s/.lobby-%s.mp4.json.tmp", f->dir, stamp);
		assert_int_equal(mkdir(tmp, 0700), 0);
	}
	struct recorder_config cfg = config(f->dir, RECORDER_AAC);
	struct recorder *r = NULL;
	assert_int_equal(recorder_create(&cfg, &r), 0);
	wait_state(r, RECORDER_FAILED);
	struct clocks c = { .video_us = T0, .audio_us = T0, .idr_every = FPS };
	push_until(f, r, RECORDER_AAC, &c, T0 + 300000);
	struct recorder_status st;
	recorder_stop(r, &st);
	assert_int_equal(st.state, RECORDER_FAILED);
	char path[512];
	path_of(f, ".", &st, path, sizeof(path));
	assert_int_equal(access(path, F_OK), -1);
	strcat(path, ".json");
	assert_int_equal(access(path, F_OK), -1);
}

/* Stopped before any keyframe: an empty file, a sidecar that says so. */
static void test_no_keyframe(void **state)
{
	struct fx *f = *state;
	char path[512];
	struct recorder_config cfg = config(f->dir, RECORDER_AAC);
	struct recorder *r = NULL;
	assert_int_equal(recorder_create(&cfg, &r), 0);
	int16_t pcm[CHUNK] = { 0 };
	recorder_push_pcm(r, pcm, CHUNK, T0);
	uint8_t p_slice[] = { 0, 0, 0, 1, 0x41, 0x9a, 0x00 };
	recorder_push_video(r, p_slice, sizeof(p_slice), false, T0);
	struct recorder_status st;
	recorder_get_status(r, &st);
	recorder_stop(r, NULL);
	assert_int_equal(st.dropped, 0);  /* not started: nothing was queued */
	path_of(f, ".", &st, path, sizeof(path));
	assert_int_equal(file_size(path), 0);
	json_t *j = load_sidecar(path);
	assert_string_equal(jstr(j, "state"), "done");
	assert_near(json_number_value(json_object_get(j, "duration_s")), 0, 1e-9);
	json_decref(j);
}

static void test_null_and_bad_config(void **state)
{
	(void)state;
	recorder_stop(NULL, NULL);
	recorder_push_video(NULL, (const uint8_t *)"x", 1, true, 0);
	recorder_push_pcm(NULL, NULL, 0, 0);
	recorder_push_opus(NULL, NULL, 0, 0);
	recorder_note(NULL, "a", "b", true, 0);
	struct recorder_status st;
	memset(&st, 0xff, sizeof(st));
	recorder_get_status(NULL, &st);
	assert_int_equal(st.bytes, 0);
	assert_string_equal(st.file, "");
	assert_string_equal(recorder_state_name(RECORDER_RECORDING), "recording");
	assert_string_equal(recorder_state_name(RECORDER_DONE), "done");
	assert_string_equal(recorder_state_name(RECORDER_FAILED), "failed");

	struct recorder *r = (struct recorder *)&st;
	struct recorder_config c = config("/tmp", RECORDER_AAC);
	assert_int_equal(recorder_create(NULL, &r), MCU_EINVAL);
	assert_null(r);
	c.queue_packets = 63;
	assert_int_equal(recorder_create(&c, &r), MCU_EINVAL);
	c = config("/tmp", RECORDER_AAC);
	c.room = "../etc";
	assert_int_equal(recorder_create(&c, &r), MCU_EINVAL);
	c.room = "";
	assert_int_equal(recorder_create(&c, &r), MCU_EINVAL);
	c = config(NULL, RECORDER_AAC);
	assert_int_equal(recorder_create(&c, &r), MCU_EINVAL);
	c = config("/tmp", (enum recorder_audio)7);
	assert_int_equal(recorder_create(&c, &r), MCU_EINVAL);
	c = config("/tmp", RECORDER_AAC);
	c.fps = 0;
	assert_int_equal(recorder_create(&c, &r), MCU_EINVAL);
	assert_int_equal(recorder_create(&c, NULL), MCU_EINVAL);
}

int main(void)
{
	av_log_set_level(AV_LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_aac_recording, setup, teardown),
		cmocka_unit_test_setup_teardown(test_opus_recording, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readable_while_recording, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_waits_for_keyframe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flood_drops_whole_gops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sidecar_unwritable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_keyframe, setup, teardown),
		cmocka_unit_test(test_null_and_bad_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
