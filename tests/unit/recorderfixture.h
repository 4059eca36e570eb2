/*
 * recorderfixture.h - what the unit tests of the recorder (recorder_test,
 * recorderfail_test) share: a fresh directory, a video encoder and an Opus
 * encoder per test (cmocka setup and teardown), media pushed in capture
 * order, waits on the recorder's state, and the recording read back with
 * libavformat and its sidecar with jansson.
 *
 * The helpers fail the running cmocka test (fail_msg, assert_*) rather than
 * return errors: they are for cmocka tests only.
 */
#ifndef MCU_TESTS_RECORDERFIXTURE_H
#define MCU_TESTS_RECORDERFIXTURE_H

#include "recorder/recorder.h"

#include <jansson.h>
#include <libavcodec/codec_id.h>
#include <libavutil/frame.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct opusenc;
struct venc;

#define W 320
#define H 180
#define FPS 30
#define FRAME_US (1000000 / FPS)
#define CHUNK 960                 /* samples per PCM push: 20 ms */
#define CHUNK_US 20000
#define T0 5000000000LL           /* an arbitrary room clock, µs */

/* assert_in_range compares as unsigned; these values can be negative. */
void recorderfixture_assert_near(double v, double want, double tol);

/* ---- fixtures --------------------------------------------------------- */

struct recorderfixture_fx {
	char dir[64];                 /* a fresh mkdtemp directory */
	struct venc *enc;
	AVFrame *pic;
	struct opusenc *opus;
	double phase;                 /* of the sine, radians */
	int64_t frames;               /* pictures encoded */
};

/* cmocka setup: a struct recorderfixture_fx in *state, its directory
 * made; teardown removes the directory and frees the rest. */
int recorderfixture_setup(void **state);
int recorderfixture_teardown(void **state);

/* The recorder's configuration for room "lobby" writing into dir. */
struct recorder_config recorderfixture_config(const char *dir, enum recorder_audio audio);

/* Encodes f's next picture (an IDR when force_idr); *au is borrowed until
 * the next call. */
void recorderfixture_encode(struct recorderfixture_fx *f, bool force_idr,
			    const uint8_t **au, size_t *len, bool *idr);

/* n samples more of f's 440 Hz sine at 48 kHz. */
void recorderfixture_sine(struct recorderfixture_fx *f, int16_t *pcm, int n);

/*
 * Pushes media in capture order from from_us (inclusive) to to_us
 * (exclusive): a picture every FRAME_US from video_us (an IDR every second)
 * and 20 ms of audio every CHUNK_US from audio_us. Pictures encoded for
 * times before video_us are never pushed. Returns the pictures pushed.
 * Pushes are spaced a little so a slow (sanitized) recorder thread keeps
 * up with the queue.
 */
struct recorderfixture_clocks {
	int64_t video_us, audio_us;
	int idr_every;                /* pictures between forced IDRs, 0: none */
	int pushed_pictures;
};

void recorderfixture_push_until(struct recorderfixture_fx *f, struct recorder *r,
				enum recorder_audio audio, struct recorderfixture_clocks *c,
				int64_t to_us);

void recorderfixture_sleep_ms(int ms);

/* Waits (up to 5 s) until the recorder is in state want. */
void recorderfixture_wait_state(struct recorder *r, enum recorder_state want);

/* ---- reading recordings back ------------------------------------------- */

struct recorderfixture_probe {
	bool has_video, has_audio;
	int width, height;
	enum AVCodecID vcodec, acodec;
	int sample_rate, channels;
	double duration, vstart, astart;
	int vpackets, apackets;
	bool first_video_key;
	int64_t first_video_pts;      /* in the stream's time base */
};

/* Opens path with libavformat, as ffprobe would, and demuxes every packet. */
void recorderfixture_probe(const char *path, struct recorderfixture_probe *p);

uint64_t recorderfixture_file_size(const char *path);

/* The sidecar of mp4 (its path plus ".json"); the caller json_decref()s it. */
json_t *recorderfixture_load_sidecar(const char *mp4);

/* o's string member key; fails the test if it is not a string. */
const char *recorderfixture_jstr(json_t *o, const char *key);

/* Writes f's directory / sub / st->file into out. */
void recorderfixture_path_of(const struct recorderfixture_fx *f, const char *sub,
			     const struct recorder_status *st, char *out, size_t size);

#endif
