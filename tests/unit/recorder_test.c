/* recorder_test.c - the recorder end to end: real H.264 from codecs/venc.h
 * and a 440 Hz sine (AAC) or real Opus packets in, a fragmented MP4 and its
 * sidecar out, checked with libavformat and jansson (recorderfixture.h).
 * Also: a file read while the recording runs, video before the first
 * keyframe, a queue drop that waits for the next keyframe and a flood that
 * drops whole GOPs. How recordings fail: recorderfail_test.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "recorderfixture.h"

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

/* Waits (up to 5 s) until the recording has written duration_s of media. */
static void wait_duration(struct recorder *r, double duration_s)
{
	struct recorder_status st;
	for (int i = 0; i < 500; i++) {
		recorder_get_status(r, &st);
		if (st.duration_s >= duration_s)
			return;
		recorderfixture_sleep_ms(10);
	}
	fail_msg("recording stuck at %.3f s", st.duration_s);
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
/* ---- tests --------------------------------------------------------------- */

/* AAC: a 3 s recording with a participant; video and audio pushed before
 * the first keyframe are dropped; both streams start together. */
static void test_aac_recording(void **state)
{
	struct recorderfixture_fx *f = *state;
	char dir[128], path[512];
	snprintf(dir, sizeof(dir), "%s/deep/rec", f->dir);  /* made by the recorder */
	struct recorder_config cfg = recorderfixture_config(dir, RECORDER_AAC);
	int64_t wall0 = clock_wall_us();
	struct recorder *r = NULL;
	assert_int_equal(recorder_create(&cfg, &r), 0);
	recorder_note(r, "p1", "Alice", true, wall0);

	/* Before the keyframe: an IDR that is not pushed (the room had not
	 * started the recorder), 4 P pictures and 150 ms of audio. */
	const uint8_t *au;
	size_t len;
	bool idr;
	recorderfixture_encode(f, false, &au, &len, &idr);
	assert_true(idr);
	int64_t start = T0 + 5 * FRAME_US;
	struct recorderfixture_clocks c = { .video_us = T0 + FRAME_US, .audio_us = T0 - 5000,
					    .idr_every = 0 };
	recorderfixture_push_until(f, r, RECORDER_AAC, &c, start);
	/* The keyframe; then audio captured 10 ms before it (mixed earlier,
	 * pushed later), which the recorder trims to the start; then an IDR a
	 * second: 3 s in all. */
	recorderfixture_encode(f, true, &au, &len, &idr);
	recorder_push_video(r, au, len, true, start);
	int16_t pcm[CHUNK];
	recorderfixture_sine(f, pcm, CHUNK);
	recorder_push_pcm(r, pcm, CHUNK, start - 10000);
	c = (struct recorderfixture_clocks){ .video_us = start + FRAME_US, .audio_us = start + 10000,
					     .idr_every = FPS, .pushed_pictures = 1 };
	recorderfixture_push_until(f, r, RECORDER_AAC, &c, start + 3 * FPS * FRAME_US);
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

	recorderfixture_path_of(f, "deep/rec", &st, path, sizeof(path));
	struct recorderfixture_probe p;
	recorderfixture_probe(path, &p);
	assert_true(p.has_video);
	assert_int_equal(p.vcodec, AV_CODEC_ID_H264);
	assert_int_equal(p.width, W);
	assert_int_equal(p.height, H);
	assert_true(p.has_audio);
	assert_int_equal(p.acodec, AV_CODEC_ID_AAC);
	assert_int_equal(p.sample_rate, 48000);
	assert_int_equal(p.channels, 1);
	recorderfixture_assert_near(p.duration, 3.0, 0.2);
	recorderfixture_assert_near(p.vstart, 0, 0.1);
	recorderfixture_assert_near(p.astart, p.vstart, 0.1);
	/* Only what came from the keyframe on. */
	assert_int_equal(p.vpackets, pictures);
	assert_true(p.first_video_key);
	assert_int_equal(p.first_video_pts, 0);
	assert_true(p.apackets >= 3 * 48000 / 1024 - 2);

	json_t *j = recorderfixture_load_sidecar(path);
	assert_string_equal(recorderfixture_jstr(j, "room"), "lobby");
	assert_string_equal(recorderfixture_jstr(j, "file"), st.file);
	assert_string_equal(recorderfixture_jstr(j, "state"), "done");
	assert_int_equal(strlen(recorderfixture_jstr(j, "started")), strlen("2026-11-22T13:45:01Z"));
	assert_int_equal(strlen(recorderfixture_jstr(j, "ended")), strlen("2026-11-22T13:45:01Z"));
	recorderfixture_assert_near(json_number_value(json_object_get(j, "duration_s")), 3.0, 0.2);
	assert_int_equal(json_integer_value(json_object_get(j, "bytes")), recorderfixture_file_size(path));
	json_t *parts = json_object_get(j, "participants");
	assert_int_equal(json_array_size(parts), 2);
	json_t *p1 = json_array_get(parts, 0), *p2 = json_array_get(parts, 1);
	assert_string_equal(recorderfixture_jstr(p1, "id"), "p1");
	assert_string_equal(recorderfixture_jstr(p1, "name"), "Alice");
	recorderfixture_jstr(p1, "joined");
	recorderfixture_jstr(p1, "left");
	assert_string_equal(recorderfixture_jstr(p2, "name"), "Bob");
	recorderfixture_jstr(p2, "joined");
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
	struct recorderfixture_fx *f = *state;
	char path[512];
	assert_int_equal(opuscodec_enc_create(32000, 5, &f->opus), 0);
	struct recorder_config cfg = recorderfixture_config(f->dir, RECORDER_OPUS);
	struct recorder *r = NULL;
	assert_int_equal(recorder_create(&cfg, &r), 0);
	/* Audio starts 100 ms after the video: its first pts is that offset. */
	struct recorderfixture_clocks c = { .video_us = T0, .audio_us = T0 + 100000, .idr_every = FPS };
	recorderfixture_push_until(f, r, RECORDER_OPUS, &c, T0 + 2 * FPS * FRAME_US);
	struct recorder_status st;
	recorder_get_status(r, &st);
	recorder_stop(r, NULL);

	recorderfixture_path_of(f, ".", &st, path, sizeof(path));
	struct recorderfixture_probe p;
	recorderfixture_probe(path, &p);
	assert_int_equal(p.vcodec, AV_CODEC_ID_H264);
	assert_int_equal(p.width, W);
	assert_int_equal(p.height, H);
	assert_true(p.has_audio);
	assert_int_equal(p.acodec, AV_CODEC_ID_OPUS);
	assert_int_equal(p.sample_rate, 48000);
	assert_int_equal(p.channels, 1);
	recorderfixture_assert_near(p.duration, 2.0, 0.2);
	recorderfixture_assert_near(p.vstart, 0, 0.1);
	recorderfixture_assert_near(p.astart, 0.1, 0.1);
	assert_int_equal(p.vpackets, 2 * FPS);
	assert_int_equal(p.apackets, (2 * FPS * FRAME_US - 100000 + CHUNK_US - 1) / CHUNK_US);
	json_t *j = recorderfixture_load_sidecar(path);
	assert_string_equal(recorderfixture_jstr(j, "state"), "done");
	json_decref(j);
}

/* Crash safety: a copy of the file taken while the recording runs already
 * demuxes; the sidecar meanwhile says "recording" with "ended" null. */
static void test_readable_while_recording(void **state)
{
	struct recorderfixture_fx *f = *state;
	char path[512], copy[512];
	struct recorder_config cfg = recorderfixture_config(f->dir, RECORDER_AAC);
	struct recorder *r = NULL;
	assert_int_equal(recorder_create(&cfg, &r), 0);
	struct recorderfixture_clocks c = { .video_us = T0, .audio_us = T0, .idr_every = FPS };
	recorderfixture_push_until(f, r, RECORDER_AAC, &c, T0 + 2500000);
	/* Fragments are cut at the keyframes at 1 s and 2 s. */
	wait_duration(r, 2.3);
	struct recorder_status st;
	recorder_get_status(r, &st);
	assert_int_equal(st.state, RECORDER_RECORDING);
	assert_true(st.bytes > 0);
	recorderfixture_path_of(f, ".", &st, path, sizeof(path));
	assert_true(recorderfixture_file_size(path) >= st.bytes);
	snprintf(copy, sizeof(copy), "%s/copy.mp4", f->dir);
	copy_file(path, copy);

	json_t *j = recorderfixture_load_sidecar(path);
	assert_string_equal(recorderfixture_jstr(j, "state"), "recording");
	assert_true(json_is_null(json_object_get(j, "ended")));
	json_decref(j);

	struct recorderfixture_probe p;
	recorderfixture_probe(copy, &p);
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
	struct recorderfixture_fx *f = *state;
	char path[512];
	struct recorder_config cfg = recorderfixture_config(f->dir, RECORDER_AAC);
	struct recorder *r = NULL;
	assert_int_equal(recorder_create(&cfg, &r), 0);
	struct recorderfixture_clocks c = { .video_us = T0, .audio_us = T0, .idr_every = 0 };
	recorderfixture_push_until(f, r, RECORDER_AAC, &c, T0 + 500000);
	int before = c.pushed_pictures;

	size_t huge_len = 5u << 20;  /* beyond the 4 MiB ring of a 320x180 recorder */
	uint8_t *huge = calloc(1, huge_len);
	assert_non_null(huge);
	huge[3] = 1;
	huge[4] = 0x41;  /* a non-IDR slice */
	recorder_push_video(r, huge, huge_len, false, c.video_us);
	free(huge);
	c.video_us += FRAME_US;
	recorderfixture_push_until(f, r, RECORDER_AAC, &c, T0 + 1000000);  /* P pictures: dropped */
	int lost = c.pushed_pictures - before;
	struct recorder_status st;
	recorder_get_status(r, &st);
	assert_int_equal(st.dropped, 1 + lost);
	c.idr_every = 1000;                                  /* an IDR now */
	c.pushed_pictures = 0;
	recorderfixture_push_until(f, r, RECORDER_AAC, &c, T0 + 1500000);
	int after = c.pushed_pictures;
	recorder_stop(r, NULL);

	recorderfixture_path_of(f, ".", &st, path, sizeof(path));
	struct recorderfixture_probe p;
	recorderfixture_probe(path, &p);
	assert_int_equal(p.vpackets, before + after);
	recorderfixture_assert_near(p.duration, 1.5, 0.2);
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
	struct recorderfixture_fx *f = *state;
	char path[512];
	struct recorder_config cfg = recorderfixture_config(f->dir, RECORDER_AAC);
	cfg.queue_packets = 64;
	struct recorder *r = NULL;
	assert_int_equal(recorder_create(&cfg, &r), 0);

	const uint8_t *au;
	size_t len;
	bool idr;
	recorderfixture_encode(f, false, &au, &len, &idr);
	static uint8_t key[16384], delta[4096];
	assert_true(len + 9 <= sizeof(key));
	memcpy(key, au, len);
	size_t delta_len = sizeof(delta) - 9;
	memset(delta, 0x5a, delta_len);
	memcpy(delta, (const uint8_t[]){ 0, 0, 0, 1, 0x41 }, 5);
	int16_t pcm[CHUNK];
	recorderfixture_sine(f, pcm, CHUNK);
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

	recorderfixture_path_of(f, ".", &st, path, sizeof(path));
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
/* A test that gets a struct recorderfixture_fx in *state. */
#define WITH_FX(test) \
	cmocka_unit_test_setup_teardown(test, recorderfixture_setup, recorderfixture_teardown)

int main(void)
{
	av_log_set_level(AV_LOG_ERROR);
	const struct CMUnitTest tests[] = {
		WITH_FX(test_aac_recording),
		WITH_FX(test_opus_recording),
		WITH_FX(test_readable_while_recording),
		WITH_FX(test_drop_waits_for_keyframe),
		WITH_FX(test_flood_drops_whole_gops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
