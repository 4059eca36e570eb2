/* amix_test.c - audio arithmetic: RFC 6464 levels of known signals, int32
 * sums that do not wrap, mix-minus checked by ear (a Goertzel filter at each
 * talker's tone), the limiter on overload, quiet audio and recovery, and
 * active-speaker selection with hangover and anti-flap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "codecs/acodec.h"
#include "mixer/amix.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000
#define THRESHOLD 29163 /* 0.89 * 32767, the limiter's ceiling */
#define FRAME_US 20000

/* assert_in_range compares as unsigned; differences here can be negative. */
static void assert_between(long v, long lo, long hi)
{
	if (v < lo || v > hi)
		fail_msg("%ld is not within %ld..%ld", v, lo, hi);
}

static void sine(int16_t *pcm, int samples, double freq, double amp, int start)
{
	for (int i = 0; i < samples; i++)
		pcm[i] = (int16_t)lround(amp * sin(2 * M_PI * freq * (start + i) / RATE));
}

/* Amplitude of the component of x at freq (exact for whole cycles). */
static double goertzel(const int32_t *x, int samples, double freq)
{
	double coeff = 2 * cos(2 * M_PI * freq / RATE);
	double s1 = 0, s2 = 0;
	for (int i = 0; i < samples; i++) {
		double s0 = x[i] + coeff * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
	return 2 * sqrt(power > 0 ? power : 0) / samples;
}

static void test_level(void **state)
{
	(void)state;
	int16_t pcm[AMIX_FRAME];

	memset(pcm, 0, sizeof(pcm));
	assert_int_equal(amix_level(pcm, AMIX_FRAME), 127);
	assert_int_equal(amix_level(pcm, 0), 127);
	assert_int_equal(amix_level(NULL, 0), 127);

	for (int i = 0; i < AMIX_FRAME; i++)
		pcm[i] = i & 1 ? 32767 : -32768;
	assert_int_equal(amix_level(pcm, AMIX_FRAME), 0);
	for (int i = 0; i < AMIX_FRAME; i++)
		pcm[i] = (i / 24) & 1 ? 32767 : -32767;
	assert_int_equal(amix_level(pcm, AMIX_FRAME), 0);

	/* A full-scale sine is 3 dB below the square; a sine peaking at
	 * -20 dBFS is 23 below. 1 kHz gives 20 whole cycles a frame. */
	sine(pcm, AMIX_FRAME, 1000, 32767, 0);
	assert_int_equal(amix_level(pcm, AMIX_FRAME), 3);
	sine(pcm, AMIX_FRAME, 1000, 32768 * 0.1, 0);
	assert_in_range(amix_level(pcm, AMIX_FRAME), 22, 24);
	sine(pcm, AMIX_FRAME, 1000, 32768 * 0.01, 0);
	assert_in_range(amix_level(pcm, AMIX_FRAME), 42, 44);

	/* +-1 LSB is -90.3 dBov; quieter than -127 clamps to 127. */
	for (int i = 0; i < AMIX_FRAME; i++)
		pcm[i] = i & 1 ? 1 : -1;
	assert_int_equal(amix_level(pcm, AMIX_FRAME), 90);
	memset(pcm, 0, sizeof(pcm));
	pcm[5] = 1;
	assert_int_equal(amix_level(pcm, AMIX_FRAME), 120);
}

static void test_sum_no_wrap(void **state)
{
	(void)state;
	static int16_t in[8][AMIX_FRAME];
	const int16_t *ptrs[8];
	int32_t sum[AMIX_FRAME];

	for (int k = 0; k < 8; k++) {
		for (int i = 0; i < AMIX_FRAME; i++)
			in[k][i] = i & 1 ? INT16_MAX : INT16_MIN;
		ptrs[k] = in[k];
	}
	amix_sum(ptrs, 8, AMIX_FRAME, sum);
	for (int i = 0; i < AMIX_FRAME; i++)
		assert_int_equal(sum[i], i & 1 ? 8 * 32767 : -8 * 32768);

	for (int i = 0; i < AMIX_FRAME; i++)
		sum[i] = 12345;
	amix_sum(ptrs, 0, AMIX_FRAME, sum);
	for (int i = 0; i < AMIX_FRAME; i++)
		assert_int_equal(sum[i], 0);
}

/* Three talkers at distinct tones; each one's mix-minus must hold the
 * other two at full strength and nothing of its own. 100 ms gives every
 * tone a whole number of cycles, so the filter sees no leakage. */
static void test_mix_minus_tones(void **state)
{
	(void)state;
	enum { FRAMES = 5, LEN = FRAMES * AMIX_FRAME };
	static const double freqs[3] = { 440, 540, 670 };
	const double amp = 8000;
	static int16_t in[3][AMIX_FRAME];
	static int32_t minus[3][LEN], full[LEN];
	const int16_t *ptrs[3] = { in[0], in[1], in[2] };
	int32_t sum[AMIX_FRAME];

	for (int f = 0; f < FRAMES; f++) {
		for (int k = 0; k < 3; k++)
			sine(in[k], AMIX_FRAME, freqs[k], amp, f * AMIX_FRAME);
		amix_sum(ptrs, 3, AMIX_FRAME, sum);
		memcpy(full + f * AMIX_FRAME, sum, sizeof(sum));
		for (int k = 0; k < 3; k++)
			amix_minus(sum, in[k], AMIX_FRAME, minus[k] + f * AMIX_FRAME);
	}
	for (int k = 0; k < 3; k++) {
		assert_true(fabs(goertzel(full, LEN, freqs[k]) - amp) < amp * 0.01);
		for (int j = 0; j < 3; j++) {
			double a = goertzel(minus[k], LEN, freqs[j]);
			if (j == k)
				assert_true(a < 1.0); /* under 1 LSB: rounding noise only */
			else
				assert_true(fabs(a - amp) < amp * 0.01);
		}
	}

	/* A listener that sent nothing hears the whole mix. */
	int32_t out[AMIX_FRAME];
	amix_minus(sum, NULL, AMIX_FRAME, out);
	assert_memory_equal(out, sum, sizeof(out));
}

static void assert_under_threshold(const int16_t *out, int samples)
{
	for (int i = 0; i < samples; i++)
		assert_between(out[i], -THRESHOLD, THRESHOLD);
}

/* 8 full-scale talkers: square, in-phase sines and noise. The very first
 * frame must already be under the threshold (no overshoot on attack). */
static void test_limiter_overload(void **state)
{
	(void)state;
	static int16_t in[8][AMIX_FRAME];
	const int16_t *ptrs[8];
	int32_t sum[AMIX_FRAME];
	int16_t out[AMIX_FRAME];
	uint32_t seed = 12345;

	for (int shape = 0; shape < 3; shape++) {
		struct amix_limiter l;
		amix_limiter_init(&l);
		for (int f = 0; f < 20; f++) {
			for (int k = 0; k < 8; k++) {
				ptrs[k] = in[k];
				for (int i = 0; i < AMIX_FRAME; i++) {
					seed = seed * 1103515245u + 12345u;
					in[k][i] = shape == 0 ? ((i / 50) & 1 ? 32767 : -32768)
						 : shape == 1 ? (int16_t)lround(32767 * sin(2 * M_PI * 300 * (f * AMIX_FRAME + i) / RATE))
						 : (int16_t)(seed >> 16);
				}
			}
			amix_sum(ptrs, 8, AMIX_FRAME, sum);
			amix_limit(&l, sum, AMIX_FRAME, out);
			assert_under_threshold(out, AMIX_FRAME);
			assert_true(l.gain < 1.0f);
		}
	}

	/* Sums far past anything 64 talkers make still stay in range. */
	struct amix_limiter l;
	amix_limiter_init(&l);
	int32_t extreme[4] = { INT32_MAX, INT32_MIN, -1, 1 };
	int16_t eo[4];
	amix_limit(&l, extreme, 4, eo);
	assert_under_threshold(eo, 4);
	assert_true(eo[0] > 29000 && eo[1] < -29000);
}

static void test_limiter_quiet(void **state)
{
	(void)state;
	struct amix_limiter l;
	int16_t a[AMIX_FRAME], b[AMIX_FRAME];
	const int16_t *ptrs[2] = { a, b };
	int32_t sum[AMIX_FRAME];
	int16_t out[AMIX_FRAME];

	amix_limiter_init(&l);
	assert_true(l.gain == 1.0f);
	for (int f = 0; f < 50; f++) {
		sine(a, AMIX_FRAME, 440, 14000, f * AMIX_FRAME);
		sine(b, AMIX_FRAME, 670, 15000, f * AMIX_FRAME);
		amix_sum(ptrs, 2, AMIX_FRAME, sum);
		amix_limit(&l, sum, AMIX_FRAME, out);
		for (int i = 0; i < AMIX_FRAME; i++)
			assert_int_equal(out[i], sum[i]);
		assert_true(l.gain == 1.0f);
	}

	/* Exactly at the threshold still passes untouched; one above does not. */
	int32_t edge[2] = { THRESHOLD, -THRESHOLD };
	amix_limit(&l, edge, 2, out);
	assert_int_equal(out[0], THRESHOLD);
	assert_int_equal(out[1], -THRESHOLD);
	assert_true(l.gain == 1.0f);
	edge[0] = THRESHOLD + 1;
	amix_limit(&l, edge, 2, out);
	assert_under_threshold(out, 2);
	assert_true(l.gain < 1.0f);
}

/* After a loud burst the gain climbs back at about 6 dB per 100 ms: on a
 * steady signal adjacent samples never jump, frames included. */
static void test_limiter_recovery(void **state)
{
	(void)state;
	enum { DC = 20000, FRAMES = 40 };
	struct amix_limiter l;
	int32_t in[AMIX_FRAME];
	int16_t out[AMIX_FRAME];
	float prev_gain;
	int prev_sample;

	amix_limiter_init(&l);
	for (int i = 0; i < AMIX_FRAME; i++)
		in[i] = 8 * 32767;
	amix_limit(&l, in, AMIX_FRAME, out);
	assert_under_threshold(out, AMIX_FRAME);
	assert_true(fabsf(l.gain - (float)THRESHOLD / (8 * 32767)) < 1e-4f);
	prev_gain = l.gain;
	prev_sample = out[AMIX_FRAME - 1];

	for (int i = 0; i < AMIX_FRAME; i++)
		in[i] = DC;
	int frames_to_unity = -1;
	for (int f = 0; f < FRAMES; f++) {
		amix_limit(&l, in, AMIX_FRAME, out);
		/* 20000 * (10^(6/20/4800) - 1) is 2.9 a sample, plus truncation. */
		int step_prev = f == 0 ? out[0] : prev_sample;
		assert_between(out[0] - step_prev, f == 0 ? -DC : 0, f == 0 ? DC : 4);
		for (int i = 1; i < AMIX_FRAME; i++)
			assert_between(out[i] - out[i - 1], 0, 4);
		/* 6 dB per 100 ms is 1.2 dB (x1.148) per frame. */
		assert_true(l.gain >= prev_gain);
		assert_true(l.gain <= prev_gain * 1.149f);
		if (frames_to_unity < 0 && l.gain == 1.0f)
			frames_to_unity = f;
		prev_gain = l.gain;
		prev_sample = out[AMIX_FRAME - 1];
	}
	/* From -19 dB: about 320 ms, i.e. 16 frames. */
	assert_in_range(frames_to_unity, 14, 18);
	for (int i = 0; i < AMIX_FRAME; i++)
		assert_int_equal(out[i], DC);
}

/* Runs frames of the same levels; returns the last update's count. */
static int run(struct amix_speakers *s, const int *levels, int n, int frames,
	       int64_t *now)
{
	int count = 0;
	for (int f = 0; f < frames; f++) {
		*now += FRAME_US;
		count = amix_speakers_update(s, levels, n, *now);
	}
	return count;
}

/* (Re)initialises s, a zeroed or initialised selection, with 8 slots. */
static void spk_init(struct amix_speakers *s, int max_mixed, int64_t hangover_us)
{
	amix_speakers_fini(s);
	assert_int_equal(amix_speakers_init(s, 8, max_mixed, hangover_us), 0);
}

static void test_speakers_pick_loudest(void **state)
{
	(void)state;
	struct amix_speakers s = { 0 };
	int64_t now = 1000000;
	int levels[5] = { 40, 20, 35, 10, 45 };

	spk_init(&s, 2, 500000);
	assert_int_equal(s.loudest, -1);
	assert_int_equal(run(&s, levels, 5, 1, &now), 2);
	assert_true(s.mixed[1] && s.mixed[3]);
	assert_int_equal(run(&s, levels, 5, 20, &now), 2);
	for (int k = 0; k < 5; k++)
		assert_int_equal(s.mixed[k], k == 1 || k == 3);
	assert_int_equal(s.loudest, 3);
	assert_true(s.smoothed[3] > s.smoothed[1]);
	assert_true(s.smoothed[3] > 115 && s.smoothed[3] <= 117);

	/* Nobody speaks (level 50 and up): nobody is selected. */
	int quiet[5] = { 50, 60, 127, 80, 90 };
	struct amix_speakers q = { 0 };
	spk_init(&q, 2, 500000);
	assert_int_equal(run(&q, quiet, 5, 10, &now), 0);
	assert_int_equal(q.loudest, -1);
	amix_speakers_fini(&s);
	amix_speakers_fini(&q);
}

static void test_speakers_hangover(void **state)
{
	(void)state;
	struct amix_speakers s = { 0 };
	int64_t now = 1000000;
	int levels[3] = { 20, 25, 80 }; /* slot 2 is background noise */

	spk_init(&s, 2, 500000);
	assert_int_equal(run(&s, levels, 3, 50, &now), 2);
	int64_t spoke = now;
	levels[0] = 127;
	while (now + FRAME_US - spoke <= 500000) {
		assert_int_equal(run(&s, levels, 3, 1, &now), 2);
		assert_true(s.mixed[0]);
	}
	assert_int_equal(run(&s, levels, 3, 1, &now), 1);
	assert_false(s.mixed[0]);
	assert_true(s.mixed[1]);
	assert_false(s.mixed[2]);
	assert_int_equal(s.loudest, 1);

	/* With a soft talker waiting, the pausing one still keeps its place
	 * for the hangover, and the soft one takes it right after. */
	spk_init(&s, 2, 200000);
	int three[3] = { 20, 25, 45 };
	run(&s, three, 3, 50, &now);
	assert_true(s.mixed[0] && s.mixed[1] && !s.mixed[2]);
	spoke = now;
	three[0] = 127;
	while (now + FRAME_US - spoke <= 200000) {
		run(&s, three, 3, 1, &now);
		assert_true(s.mixed[0]);
		assert_false(s.mixed[2]);
	}
	run(&s, three, 3, 1, &now);
	assert_false(s.mixed[0]);
	assert_true(s.mixed[2]);

	/* Speaking again, it is clearly louder than the soft talker. */
	three[0] = 20;
	run(&s, three, 3, 1, &now);
	assert_true(s.mixed[0]);
	assert_false(s.mixed[2]);
	amix_speakers_fini(&s);
}

static void test_speakers_antiflap(void **state)
{
	(void)state;
	struct amix_speakers s = { 0 };
	int64_t now = 1000000;
	int levels[3] = { 30, 30, 127 };

	spk_init(&s, 2, 500000);
	run(&s, levels, 3, 50, &now);
	assert_true(s.mixed[0] && s.mixed[1]);

	/* 4 dB louder, for a long time: no place for it. */
	levels[2] = 26;
	for (int f = 0; f < 200; f++) {
		assert_int_equal(run(&s, levels, 3, 1, &now), 2);
		assert_true(s.mixed[0] && s.mixed[1] && !s.mixed[2]);
	}
	/* 10 dB louder: in within a few frames, in place of one of them. */
	levels[2] = 20;
	int frames = 0;
	while (!s.mixed[2] && frames < 50) {
		assert_int_equal(run(&s, levels, 3, 1, &now), 2);
		frames++;
	}
	assert_true(s.mixed[2]);
	assert_in_range(frames, 1, 5);
	assert_int_equal(s.mixed[0] + s.mixed[1], 1);
	assert_int_equal(s.loudest, 2);

	/* The one it displaced, as loud as before, does not push back in. */
	for (int f = 0; f < 100; f++) {
		run(&s, levels, 3, 1, &now);
		assert_true(s.mixed[2]);
		assert_int_equal(s.mixed[0] + s.mixed[1], 1);
	}
	amix_speakers_fini(&s);
}

static void test_speakers_absent(void **state)
{
	(void)state;
	struct amix_speakers s = { 0 };
	int64_t now = 1000000;
	int levels[4] = { -1, -1, -1, -1 };

	spk_init(&s, 4, 500000);
	assert_int_equal(run(&s, levels, 4, 10, &now), 0);
	for (int k = 0; k < s.capacity; k++)
		assert_false(s.mixed[k]);
	assert_int_equal(s.loudest, -1);

	/* One absent slot among speakers, with room for all. */
	int mixed[4] = { 10, -1, 30, 40 };
	assert_int_equal(run(&s, mixed, 4, 10, &now), 3);
	assert_false(s.mixed[1]);

	/* A selected slot that stops sending drops out although its
	 * hangover has not run: there is nothing of it to mix. */
	mixed[0] = -1;
	assert_int_equal(run(&s, mixed, 4, 1, &now), 2);
	assert_false(s.mixed[0]);
	assert_int_equal(s.loudest, 2);
	amix_speakers_fini(&s);
}

static void test_speakers_reset_slot(void **state)
{
	(void)state;
	struct amix_speakers s = { 0 };
	int64_t now = 1000000;
	int levels[2] = { 10, 30 };

	spk_init(&s, 2, 500000);
	run(&s, levels, 2, 20, &now);
	assert_int_equal(s.loudest, 0);

	amix_speakers_reset_slot(&s, 0);
	assert_false(s.mixed[0]);
	assert_true(s.smoothed[0] == 0.0f);
	assert_true(s.last_voice_us[0] == 0);
	assert_int_equal(s.loudest, 1);

	/* A silent newcomer in the slot inherits no hangover. */
	levels[0] = 127;
	assert_int_equal(run(&s, levels, 2, 1, &now), 1);
	assert_false(s.mixed[0]);

	amix_speakers_reset_slot(&s, 1);
	assert_int_equal(s.loudest, -1);
	amix_speakers_reset_slot(&s, -1);
	amix_speakers_reset_slot(&s, s.capacity);
	amix_speakers_fini(&s);
}

static void test_speakers_bounds(void **state)
{
	(void)state;
	struct amix_speakers s = { 0 };
	int64_t now = 1000000;
	enum { N = AMIX_MAX_MIXED + 1 };
	int levels[N];

	for (int k = 0; k < N; k++)
		levels[k] = 10 + k % 30;
	assert_int_equal(amix_speakers_init(&s, 0, 2, 0), MCU_EINVAL);
	assert_int_equal(amix_speakers_init(&s, N, AMIX_MAX_MIXED + 5, 0), 0);
	assert_int_equal(s.max_mixed, AMIX_MAX_MIXED);
	assert_int_equal(run(&s, levels, N, 3, &now), AMIX_MAX_MIXED);
	/* n past the capacity is cut to it. */
	assert_int_equal(run(&s, levels, N + 100, 3, &now), AMIX_MAX_MIXED);
	amix_speakers_fini(&s);
	assert_int_equal(amix_speakers_init(&s, N, 0, 0), 0);
	assert_int_equal(s.max_mixed, 1);
	assert_int_equal(run(&s, levels, N, 3, &now), 1);
	assert_int_equal(s.loudest, 0);
	assert_int_equal(run(&s, levels, 0, 1, &now), 0);
	assert_int_equal(s.loudest, -1);
	assert_int_equal(run(&s, NULL, 5, 1, &now), 0);
	amix_speakers_fini(&s);
	amix_speakers_fini(&s); /* twice is harmless */
	assert_int_equal(s.capacity, 0);
}

/* Every sender is a candidate however many there are: the 70th of 200
 * slots, grown from 8, is selected when it speaks, and growing keeps the
 * state of the slots that were there. */
static void test_speakers_many(void **state)
{
	(void)state;
	struct amix_speakers s = { 0 };
	int64_t now = 1000000;
	enum { N = 200 };
	int levels[N];

	spk_init(&s, 3, 500000);
	for (int k = 0; k < N; k++)
		levels[k] = 127;
	levels[2] = 20;
	assert_int_equal(run(&s, levels, N, 5, &now), 1); /* cut to capacity 8 */
	float kept = s.smoothed[2];
	assert_int_equal(amix_speakers_grow(&s, N), 0);
	assert_int_equal(s.capacity, N);
	assert_true(s.mixed[2]);
	assert_true(s.smoothed[2] == kept);
	assert_int_equal(s.loudest, 2);
	assert_false(s.mixed[N - 1]);
	assert_int_equal(amix_speakers_grow(&s, 16), 0); /* never shrinks */
	assert_int_equal(s.capacity, N);

	levels[69] = 10;
	levels[150] = 30;
	assert_int_equal(run(&s, levels, N, 5, &now), 3);
	assert_true(s.mixed[2] && s.mixed[69] && s.mixed[150]);
	assert_int_equal(s.loudest, 69);

	/* A fourth, louder than all, replaces the quietest: max_mixed holds. */
	levels[199] = 3;
	assert_int_equal(run(&s, levels, N, 10, &now), 3);
	assert_true(s.mixed[199] && s.mixed[69] && s.mixed[2] && !s.mixed[150]);
	amix_speakers_fini(&s);
}

static void test_speakers_may_mix(void **state)
{
	(void)state;
	struct amix_speakers s = { 0 };
	int64_t now = 1000000;
	int levels[3] = { 20, 127, 127 };

	spk_init(&s, 1, 500000);
	/* Unknown level, or speaking: it may be mixed. Quiet and never
	 * spoke: it cannot. Out of range: never mixed. */
	assert_true(amix_speakers_may_mix(&s, 1, -1, now));
	assert_true(amix_speakers_may_mix(&s, 1, 49, now));
	assert_false(amix_speakers_may_mix(&s, 1, 50, now));
	assert_false(amix_speakers_may_mix(&s, -1, 10, now));
	assert_false(amix_speakers_may_mix(&s, 8, 10, now));

	run(&s, levels, 3, 5, &now);
	assert_true(s.mixed[0]);
	/* Mixed: it matters even when quiet. */
	assert_true(amix_speakers_may_mix(&s, 0, 127, now));

	/* Slot 1 speaks once while 0 holds the only seat: afterwards it is
	 * quiet but within its hangover, so a seat may come free for it. */
	levels[1] = 40;
	run(&s, levels, 3, 1, &now);
	assert_false(s.mixed[1]);
	levels[1] = 127;
	assert_true(amix_speakers_may_mix(&s, 1, 127, now));
	assert_true(amix_speakers_may_mix(&s, 1, 127, now + 480000));
	assert_false(amix_speakers_may_mix(&s, 1, 127, now + 500001));
	assert_false(amix_speakers_may_mix(&s, 2, 127, now));
	amix_speakers_fini(&s);
}

/* Opus packets made by libopus: silence, a tone, and what the header
 * alone says of them. */
static void test_opus_peek(void **state)
{
	(void)state;
	struct aenc *enc = NULL;
	uint8_t pkt[ACODEC_MAX_PACKET];
	int16_t pcm[AMIX_FRAME];

	assert_int_equal(acodec_enc_create(CODEC_OPUS, 32000, &enc), 0);
	int voiced[2] = { 0, 0 };
	for (int f = 0; f < 100; f++) {
		bool tone = f >= 50;
		for (int i = 0; i < AMIX_FRAME; i++)
			pcm[i] = tone ? (int16_t)(8000 * sin(2 * M_PI * 440 * (f * AMIX_FRAME + i) / 48000.0)) : 0;
		int n = acodec_enc_encode(enc, pcm, pkt, sizeof(pkt));
		assert_true(n > 1);
		assert_int_equal(amix_opus_samples(pkt, (size_t)n), AMIX_FRAME);
		int v = amix_opus_voice(pkt, (size_t)n);
		assert_true(v == 0 || v == 1);
		if (f % 50 >= 5) /* past the encoder's first frames of each */
			voiced[tone] += v;
	}
	acodec_enc_destroy(enc);
	assert_int_equal(voiced[0], 0);
	assert_int_equal(voiced[1], 45);

	/* Made-up headers: TOC config << 3 | stereo << 2 | code. */
	uint8_t p[4] = { 9 << 3, 0x80, 0, 0 };      /* SILK WB 20 ms, VAD set */
	assert_int_equal(amix_opus_voice(p, 2), 1);
	assert_int_equal(amix_opus_samples(p, 2), 960);
	p[1] = 0x7f;                                /* VAD clear, other bits set */
	assert_int_equal(amix_opus_voice(p, 2), 0);
	p[0] = 11 << 3;                             /* SILK WB 60 ms: three flags */
	p[1] = 0x20;
	assert_int_equal(amix_opus_voice(p, 2), 1);
	assert_int_equal(amix_opus_samples(p, 2), 2880);
	p[1] = 0x1f;
	assert_int_equal(amix_opus_voice(p, 2), 0);
	p[0] = 10 << 3;                             /* 40 ms: two flags */
	p[1] = 0x20;
	assert_int_equal(amix_opus_voice(p, 2), 0);
	p[0] = 15 << 3 | 4;                         /* hybrid FB 20 ms stereo */
	p[1] = 0x80;
	assert_int_equal(amix_opus_voice(p, 2), 1);
	p[0] = 31 << 3;                             /* CELT FB 20 ms: no flag */
	assert_int_equal(amix_opus_voice(p, 2), -1);
	assert_int_equal(amix_opus_samples(p, 2), 960);
	p[0] = 9 << 3 | 1;                          /* two frames */
	assert_int_equal(amix_opus_voice(p, 3), -1);
	assert_int_equal(amix_opus_samples(p, 3), 1920);
	p[0] = 9 << 3 | 3;                          /* code 3: count in byte 1 */
	p[1] = 3;
	assert_int_equal(amix_opus_samples(p, 4), 2880);
	p[1] = 7;                                   /* 140 ms: too long */
	assert_int_equal(amix_opus_samples(p, 4), 0);
	assert_int_equal(amix_opus_samples(p, 1), 0);
	assert_int_equal(amix_opus_samples(NULL, 0), 0);
	p[0] = 9 << 3;
	assert_int_equal(amix_opus_voice(p, 1), -1); /* TOC only (DTX) */
	assert_int_equal(amix_opus_voice(NULL, 5), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_level),
		cmocka_unit_test(test_sum_no_wrap),
		cmocka_unit_test(test_mix_minus_tones),
		cmocka_unit_test(test_limiter_overload),
		cmocka_unit_test(test_limiter_quiet),
		cmocka_unit_test(test_limiter_recovery),
		cmocka_unit_test(test_speakers_pick_loudest),
		cmocka_unit_test(test_speakers_hangover),
		cmocka_unit_test(test_speakers_antiflap),
		cmocka_unit_test(test_speakers_absent),
		cmocka_unit_test(test_speakers_reset_slot),
		cmocka_unit_test(test_speakers_bounds),
		cmocka_unit_test(test_speakers_many),
		cmocka_unit_test(test_speakers_may_mix),
		cmocka_unit_test(test_opus_peek),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
