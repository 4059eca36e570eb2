/*
 * amix.c - see amix.h: levels, sums, mix-minus, limiter, speaker selection.
 *
 * DESIGN
 *  - Level: 0 dBov is the RMS of a full-scale square wave (32768), as RFC
 *    6464 says, so a full-scale sine reads 3 and digital silence 127.
 *  - Limiter: it sees a whole frame before writing it, so it can lower the
 *    gain from the frame's first sample: nothing ever passes the threshold
 *    (the price is a gain step at the start of a loud frame, which a
 *    ramp would avoid only by letting the frame's first peaks through).
 *    Release is a per-sample exponential towards 1.0, capped so the ramp
 *    never takes this frame's peak past the threshold either. Samples are
 *    truncated towards zero after the gain, for the same reason.
 *  - Speakers: loudness is 127 - level, i.e. dB above -127 dBov, so the 6 dB
 *    anti-flap margin is 6 units. The smoothing rises fast (a new speaker
 *    is heard within a few frames) and falls slowly (a speaker pausing
 *    between words keeps most of its loudness through the hangover).
 */
#include "amix.h"
#include "base/err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FULL_SCALE 32768.0
#define SILENCE_LEVEL 127

/* 0.89 of int16 full scale, about -1 dBFS, as an integer so that a test
 * can compare samples with it exactly. */
#define LIMIT_THRESHOLD 29163

/* Release of 6 dB per 100 ms at 48 kHz: 10^(6 / 20 / 4800) per sample. */
#define RELEASE_PER_SAMPLE 1.0001439219

#define SPEAK_LEVEL 50           /* louder than -50 dBov speaks */
#define FLAP_MARGIN 6.0f         /* dB a newcomer must beat a selected slot by */
#define SMOOTH_ATTACK 0.5f       /* per 20 ms frame: ~30 ms time constant */
#define SMOOTH_DECAY 0.02f       /* per 20 ms frame: ~1 s time constant */

int amix_level(const int16_t *pcm, int samples)
{
	if (!pcm || samples <= 0)
		return SILENCE_LEVEL;
	/* 2^30 per sample at most: int64 holds 2^33 samples. */
	int64_t energy = 0;
	for (int i = 0; i < samples; i++)
		energy += (int64_t)pcm[i] * pcm[i];
	if (energy == 0)
		return SILENCE_LEVEL;
	double ms = (double)energy / samples / (FULL_SCALE * FULL_SCALE);
	long level = lround(-10.0 * log10(ms));
	if (level < 0)
		return 0;
	if (level > SILENCE_LEVEL)
		return SILENCE_LEVEL;
	return (int)level;
}

void amix_sum(const int16_t *const *inputs, int n, int samples, int32_t *sum)
{
	if (samples <= 0)
		return;
	memset(sum, 0, (size_t)samples * sizeof(*sum));
	/* One input at a time: each pass reads one contiguous array. */
	for (int k = 0; k < n; k++) {
		const int16_t *in = inputs[k];
		for (int i = 0; i < samples; i++)
			sum[i] += in[i];
	}
}

/* own may be NULL (a listener that sent nothing this frame hears all). */
void amix_minus(const int32_t *sum, const int16_t *own, int samples, int32_t *out)
{
	if (samples <= 0)
		return;
	if (!own) {
		memmove(out, sum, (size_t)samples * sizeof(*out));
		return;
	}
	for (int i = 0; i < samples; i++)
		out[i] = sum[i] - own[i];
}

void amix_limiter_init(struct amix_limiter *l)
{
	l->gain = 1.0f;
}

static int16_t sat16(int64_t v)
{
	if (v > INT16_MAX)
		return INT16_MAX;
	if (v < INT16_MIN)
		return INT16_MIN;
	return (int16_t)v;
}

void amix_limit(struct amix_limiter *l, const int32_t *in, int samples, int16_t *out)
{
	int64_t peak = 0;
	for (int i = 0; i < samples; i++) {
		int64_t a = in[i] < 0 ? -(int64_t)in[i] : in[i];
		if (a > peak)
			peak = a;
	}
	/* The most gain this frame can take without passing the threshold.
	 * Capping every sample's gain by it is both the attack (a gain above
	 * it drops to it on the first sample) and the limit on release. */
	double cap = peak > LIMIT_THRESHOLD ? (double)LIMIT_THRESHOLD / (double)peak : 1.0;
	double g = l->gain;

	for (int i = 0; i < samples; i++) {
		g *= RELEASE_PER_SAMPLE;
		if (g > cap)
			g = cap;
		/* A cast truncates towards zero: |result| <= |in[i]| * g. */
		out[i] = sat16((int64_t)((double)in[i] * g));
	}
	if (samples > 0)
		l->gain = (float)g;
}

static void pick_loudest(struct amix_speakers *s)
{
	s->loudest = -1;
	for (int k = 0; k < s->capacity; k++) {
		if (s->mixed[k] && (s->loudest < 0 ||
				    s->smoothed[k] > s->smoothed[s->loudest]))
			s->loudest = k;
	}
}

/* The arrays of capacity slots, copied from *from's first from->capacity
 * (when from), the rest zero; into *to's pointers only when all are made. */
static int alloc_slots(struct amix_speakers *to, const struct amix_speakers *from, int capacity)
{
	size_t n = (size_t)capacity;
	float *smoothed = calloc(n, sizeof(*smoothed));
	int64_t *last = calloc(n, sizeof(*last));
	bool *mixed = calloc(n, sizeof(*mixed));
	bool *active = calloc(n, sizeof(*active));
	if (!smoothed || !last || !mixed || !active) {
		free(smoothed);
		free(last);
		free(mixed);
		free(active);
		return MCU_ENOMEM;
	}
	if (from && from->capacity > 0) {
		size_t old = (size_t)from->capacity;
		memcpy(smoothed, from->smoothed, old * sizeof(*smoothed));
		memcpy(last, from->last_voice_us, old * sizeof(*last));
		memcpy(mixed, from->mixed, old * sizeof(*mixed));
	}
	to->smoothed = smoothed;
	to->last_voice_us = last;
	to->mixed = mixed;
	to->active = active;
	to->capacity = capacity;
	return 0;
}

int amix_speakers_init(struct amix_speakers *s, int capacity, int max_mixed,
		       int64_t hangover_us)
{
	memset(s, 0, sizeof(*s));
	s->loudest = -1;
	if (capacity < 1)
		return MCU_EINVAL;
	if (max_mixed < 1)
		max_mixed = 1;
	if (max_mixed > AMIX_MAX_MIXED)
		max_mixed = AMIX_MAX_MIXED;
	s->max_mixed = max_mixed;
	s->hangover_us = hangover_us;
	return alloc_slots(s, NULL, capacity);
}

void amix_speakers_fini(struct amix_speakers *s)
{
	free(s->smoothed);
	free(s->last_voice_us);
	free(s->mixed);
	free(s->active);
	s->smoothed = NULL;
	s->last_voice_us = NULL;
	s->mixed = NULL;
	s->active = NULL;
	s->capacity = 0;
	s->loudest = -1;
}

int amix_speakers_grow(struct amix_speakers *s, int capacity)
{
	if (capacity <= s->capacity)
		return 0;
	struct amix_speakers grown = *s;
	if (alloc_slots(&grown, s, capacity))
		return MCU_ENOMEM;
	amix_speakers_fini(s);
	*s = grown;
	return 0;
}

void amix_speakers_reset_slot(struct amix_speakers *s, int slot)
{
	if (slot < 0 || slot >= s->capacity)
		return;
	s->smoothed[slot] = 0.0f;
	s->last_voice_us[slot] = 0;
	s->mixed[slot] = false;
	if (s->loudest == slot)
		pick_loudest(s);
}

bool amix_speakers_may_mix(const struct amix_speakers *s, int slot, int level, int64_t now_us)
{
	if (slot < 0 || slot >= s->capacity)
		return false;
	if (s->mixed[slot] || level < 0 || level < SPEAK_LEVEL)
		return true;
	return s->last_voice_us[slot] != 0 && now_us - s->last_voice_us[slot] <= s->hangover_us;
}

/* Smooths slot k's loudness and says whether it is active this frame. */
static bool track_slot(struct amix_speakers *s, int k, int level, int64_t now_us)
{
	float loud = level < 0 ? 0.0f : (float)(SILENCE_LEVEL - level);
	float a = loud > s->smoothed[k] ? SMOOTH_ATTACK : SMOOTH_DECAY;
	s->smoothed[k] += a * (loud - s->smoothed[k]);
	if (level < 0)
		return false; /* nothing to mix from it this frame */
	if (level < SPEAK_LEVEL)
		s->last_voice_us[k] = now_us != 0 ? now_us : 1; /* 0 means never */
	return s->last_voice_us[k] != 0 &&
	       now_us - s->last_voice_us[k] <= s->hangover_us;
}

/* The loudest active unselected slot (want_mixed false) or the quietest
 * selected one (true); ties go to the lower slot so results are stable. */
static int extreme(const struct amix_speakers *s, const bool *active, int n,
		   bool want_mixed)
{
	int best = -1;
	for (int k = 0; k < n; k++) {
		if (s->mixed[k] != want_mixed || (!want_mixed && !active[k]))
			continue;
		if (best < 0 ||
		    (want_mixed ? s->smoothed[k] < s->smoothed[best]
				: s->smoothed[k] > s->smoothed[best]))
			best = k;
	}
	return best;
}

int amix_speakers_update(struct amix_speakers *s, const int *levels, int n, int64_t now_us)
{
	bool *active = s->active;
	if (n < 0 || !levels)
		n = 0;
	if (n > s->capacity)
		n = s->capacity;

	int count = 0;
	for (int k = 0; k < s->capacity; k++) {
		active[k] = k < n && track_slot(s, k, levels[k], now_us);
		s->mixed[k] = s->mixed[k] && active[k];
		count += s->mixed[k];
	}
	for (; count > s->max_mixed; count--)
		s->mixed[extreme(s, active, n, true)] = false;
	while (count < s->max_mixed) {
		int k = extreme(s, active, n, false);
		if (k < 0)
			break;
		s->mixed[k] = true;
		count++;
	}
	/* Each swap raises the selection's total loudness by at least the
	 * margin, and that total is bounded, so this ends. */
	for (;;) {
		int in = extreme(s, active, n, false);
		int out = extreme(s, active, n, true);
		if (in < 0 || out < 0 ||
		    s->smoothed[in] < s->smoothed[out] + FLAP_MARGIN)
			break;
		s->mixed[out] = false;
		s->mixed[in] = true;
	}
	pick_loudest(s);
	return count;
}

/* Samples at 48 kHz of one frame of TOC configuration config (RFC 6716,
 * 3.1): SILK-only 10/20/40/60 ms, hybrid 10/20 ms, CELT-only 2.5/5/10/20 ms. */
static int opus_frame_samples(int config)
{
	static const int silk[4] = { 480, 960, 1920, 2880 };
	static const int celt[4] = { 120, 240, 480, 960 };
	if (config < 12)
		return silk[config & 3];
	if (config < 16)
		return config & 1 ? 960 : 480;
	return celt[config & 3];
}

int amix_opus_samples(const uint8_t *pkt, size_t len)
{
	if (!pkt || len < 1)
		return 0;
	int code = pkt[0] & 3;
	int frames = code == 0 ? 1 : code < 3 ? 2 : len >= 2 ? pkt[1] & 0x3f : 0;
	int samples = frames * opus_frame_samples(pkt[0] >> 3);
	return samples <= 5760 ? samples : 0; /* 120 ms at most */
}

/*
 * A SILK or hybrid packet's payload starts with the SILK header bits: one
 * voice activity flag per SILK frame of the Opus frame (one for 10 and
 * 20 ms, two for 40, three for 60), then the LBRR flag, each range coded
 * with probability 1/2 (RFC 6716, 4.2.3). The range coder starts with a
 * range of 2^31 and these first symbols halve it exactly, so they are the
 * top bits of the first payload byte. For stereo these are the mid
 * channel's flags, which carry the sum.
 */
int amix_opus_voice(const uint8_t *pkt, size_t len)
{
	if (!pkt || len < 2 || (pkt[0] & 3) != 0)
		return -1;
	int config = pkt[0] >> 3;
	if (config >= 16)
		return -1; /* CELT-only: no voice activity flag */
	int flags = config < 12 && (config & 3) >= 2 ? (config & 3) : 1;
	uint8_t mask = (uint8_t)(0xff00 >> flags);
	return (pkt[1] & mask) != 0;
}
