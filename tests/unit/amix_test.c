/* amix_test.c - audio arithmetic: RFC 6464 levels of known signals, int32
 * sums that do not wrap, mix-minus checked by ear (a Goertzel filter at each
 * talker's tone), the limiter on overload, quiet audio and recovery, and
 * active-speaker selection with hangover and anti-flap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mcu/err.h"
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

static void test_speakers_pick_loudest(void **state)
{
	(void)state;
	struct amix_speakers s;
	int64_t now = 1000000;
	int levels[5] = { 40, 20, 35, 10, 45 };

	amix_speakers_init(&s, 2, 500000);
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
	struct amix_speakers q;
	amix_speakers_init(&q, 2, 500000);
	assert_int_equal(run(&q, quiet, 5, 10, &now), 0);
	assert_int_equal(q.loudest, -1);
}

static void test_speakers_hangover(void **state)
{
	(void)state;
	struct amix_speakers s;
	int64_t now = 1000000;
	int levels[3] = { 20, 25, 80 }; /* slot 2 is background noise */

	amix_speakers_init(&s, 2, 500000);
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
	amix_speakers_init(&s, 2, 200000);
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
}

static void test_speakers_antiflap(void **state)
{
	(void)state;
	struct amix_speakers s;
	int64_t now = 1000000;
	int levels[3] = { 30, 30, 127 };

	amix_speakers_init(&s, 2, 500000);
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
}

static void test_speakers_absent(void **state)
{
	(void)state;
	struct amix_speakers s;
	int64_t now = 1000000;
	int levels[4] = { -1, -1, -1, -1 };

	amix_speakers_init(&s, 4, 500000);
	assert_int_equal(run(&s, levels, 4, 10, &now), 0);
	for (int k = 0; k < AMIX_MAX_INPUTS; k++)
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
}

static void test_speakers_reset_slot(void **state)
{
	(void)state;
	struct amix_speakers s;
	int64_t now = 1000000;
	int levels[2] = { 10, 30 };

	amix_speakers_init(&s, 2, 500000);
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
	amix_speakers_reset_slot(&s, AMIX_MAX_INPUTS);
}

static void test_speakers_bounds(void **state)
{
	(void)state;
	struct amix_speakers s;
	int64_t now = 1000000;
	int levels[AMIX_MAX_INPUTS + 1];

	for (int k = 0; k <= AMIX_MAX_INPUTS; k++)
		levels[k] = 10 + k % 30;
	amix_speakers_init(&s, AMIX_MAX_INPUTS + 5, 0);
	assert_int_equal(s.max_mixed, AMIX_MAX_INPUTS);
	assert_int_equal(run(&s, levels, AMIX_MAX_INPUTS + 1, 3, &now), AMIX_MAX_INPUTS);
	amix_speakers_init(&s, 0, 0);
	assert_int_equal(s.max_mixed, 1);
	assert_int_equal(run(&s, levels, AMIX_MAX_INPUTS, 3, &now), 1);
	assert_int_equal(s.loudest, 0);
	assert_int_equal(run(&s, levels, 0, 1, &now), 0);
	assert_int_equal(s.loudest, -1);
	assert_int_equal(run(&s, NULL, 5, 1, &now), 0);
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
