/* recorderfail_test.c - how the recorder fails (recorderfixture.h): a
 * directory that cannot be made, a write error (RLIMIT_FSIZE standing in for
 * a full disk), a sidecar that cannot be written, no keyframe ever, and the
 * NULL and bad configuration cases. */
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

static void test_unwritable_dir(void **state)
{
	struct recorderfixture_fx *f = *state;
	char file[128], dir[160];
	snprintf(file, sizeof(file), "%s/plain", f->dir);
	FILE *fp = fopen(file, "w");
	assert_non_null(fp);
	fclose(fp);
	snprintf(dir, sizeof(dir), "%s/rec", file);
	struct recorder_config cfg = recorderfixture_config(dir, RECORDER_AAC);
	struct recorder *r = NULL;
	assert_int_equal(recorder_create(&cfg, &r), 0);
	recorderfixture_wait_state(r, RECORDER_FAILED);
	struct recorderfixture_clocks c = { .video_us = T0, .audio_us = T0, .idr_every = FPS };
	recorderfixture_push_until(f, r, RECORDER_AAC, &c, T0 + 300000);
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
	struct recorderfixture_fx *f = *state;
	char path[512];
	struct rlimit old, lim;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
	struct recorder_config cfg = recorderfixture_config(f->dir, RECORDER_AAC);
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
	recorderfixture_encode(f, false, &au, &len, &idr);
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
			recorderfixture_sleep_ms(2);
	}
	recorderfixture_wait_state(r, RECORDER_FAILED);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, old_handler);
	struct recorder_status st;
	recorder_get_status(r, &st);
	uint64_t dropped = st.dropped;
	recorder_push_video(r, au, len, true, T0 + 5000000);  /* dropped at the door */
	recorder_stop(r, NULL);

	recorderfixture_path_of(f, ".", &st, path, sizeof(path));
	json_t *j = recorderfixture_load_sidecar(path);
	assert_string_equal(recorderfixture_jstr(j, "state"), "failed");
	json_decref(j);
	assert_true(recorderfixture_file_size(path) <= 1 << 20);
	assert_int_equal(st.dropped, dropped);
	struct recorderfixture_probe p;
	av_log_set_level(AV_LOG_FATAL);  /* the fake slices upset the decoder */
	recorderfixture_probe(path, &p);
	av_log_set_level(AV_LOG_ERROR);
	assert_true(p.vpackets >= FPS);  /* the first fragment survived */
}

/* The first sidecar cannot be written (directories squat on its temporary
 * names for the seconds the file may be named after): the recording fails
 * before any media and leaves no file, since a file without a sidecar
 * would be listed as a whole one. */
static void test_sidecar_unwritable(void **state)
{
	struct recorderfixture_fx *f = *state;
	time_t now = time(NULL);
	for (time_t t = now - 1; t <= now + 5; t++) {
		struct tm tm;
		char stamp[32], tmp[160];
		gmtime_r(&t, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		snprintf(tmp, sizeof(tmp), "%s/.lobby-%s.mp4.json.tmp", f->dir, stamp);
		assert_int_equal(mkdir(tmp, 0700), 0);
	}
	struct recorder_config cfg = recorderfixture_config(f->dir, RECORDER_AAC);
	struct recorder *r = NULL;
	assert_int_equal(recorder_create(&cfg, &r), 0);
	recorderfixture_wait_state(r, RECORDER_FAILED);
	struct recorderfixture_clocks c = { .video_us = T0, .audio_us = T0, .idr_every = FPS };
	recorderfixture_push_until(f, r, RECORDER_AAC, &c, T0 + 300000);
	struct recorder_status st;
	recorder_stop(r, &st);
	assert_int_equal(st.state, RECORDER_FAILED);
	char path[512];
	recorderfixture_path_of(f, ".", &st, path, sizeof(path));
	assert_int_equal(access(path, F_OK), -1);
	strcat(path, ".json");
	assert_int_equal(access(path, F_OK), -1);
}

/* Stopped before any keyframe: an empty file, a sidecar that says so. */
static void test_no_keyframe(void **state)
{
	struct recorderfixture_fx *f = *state;
	char path[512];
	struct recorder_config cfg = recorderfixture_config(f->dir, RECORDER_AAC);
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
	recorderfixture_path_of(f, ".", &st, path, sizeof(path));
	assert_int_equal(recorderfixture_file_size(path), 0);
	json_t *j = recorderfixture_load_sidecar(path);
	assert_string_equal(recorderfixture_jstr(j, "state"), "done");
	recorderfixture_assert_near(json_number_value(json_object_get(j, "duration_s")), 0, 1e-9);
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
	struct recorder_config c = recorderfixture_config("/tmp", RECORDER_AAC);
	assert_int_equal(recorder_create(NULL, &r), MCU_EINVAL);
	assert_null(r);
	c.queue_packets = 63;
	assert_int_equal(recorder_create(&c, &r), MCU_EINVAL);
	c = recorderfixture_config("/tmp", RECORDER_AAC);
	c.room = "../etc";
	assert_int_equal(recorder_create(&c, &r), MCU_EINVAL);
	c.room = "";
	assert_int_equal(recorder_create(&c, &r), MCU_EINVAL);
	c = recorderfixture_config(NULL, RECORDER_AAC);
	assert_int_equal(recorder_create(&c, &r), MCU_EINVAL);
	c = recorderfixture_config("/tmp", (enum recorder_audio)7);
	assert_int_equal(recorder_create(&c, &r), MCU_EINVAL);
	c = recorderfixture_config("/tmp", RECORDER_AAC);
	c.fps = 0;
	assert_int_equal(recorder_create(&c, &r), MCU_EINVAL);
	assert_int_equal(recorder_create(&c, NULL), MCU_EINVAL);
}

/* A test that gets a struct recorderfixture_fx in *state. */
#define WITH_FX(test) \
	cmocka_unit_test_setup_teardown(test, recorderfixture_setup, recorderfixture_teardown)

int main(void)
{
	av_log_set_level(AV_LOG_ERROR);
	const struct CMUnitTest tests[] = {
		WITH_FX(test_unwritable_dir),
		WITH_FX(test_write_error),
		WITH_FX(test_sidecar_unwritable),
		WITH_FX(test_no_keyframe),
		cmocka_unit_test(test_null_and_bad_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
