/*
 * amix.h - the arithmetic of the room's sound: levels, the full mix and
 * mix-minus, a limiter, and active-speaker selection with hangover.
 *
 * Samples are 16-bit signed PCM, 48 kHz mono, one 20 ms frame = 960 samples.
 * Sums are int32 so n speakers never wrap; the limiter brings a sum back into
 * int16 range smoothly instead of clipping, and saturates what is left.
 * Plain data and pure functions; each state struct is owned by one room
 * thread. Thread: any.
 */
#ifndef MCU_AMIX_H
#define MCU_AMIX_H

#include <stdbool.h>
#include <stdint.h>

#define AMIX_FRAME 960           /* samples per 20 ms at 48 kHz */
#define AMIX_MAX_INPUTS 64       /* participants one selection tracks */

/* Level of a frame as RFC 6464 reports it: -dBov, 0 (loudest) .. 127
 * (silence, or quieter than -127 dBov). */
int amix_level(const int16_t *pcm, int samples);

/* sum[i] = the sum of inputs[k][i] for k < n (n may be 0: all zeros). */
void amix_sum(const int16_t *const *inputs, int n, int samples, int32_t *sum);

/* out[i] = sum[i] - own[i]: what a mixed speaker hears. */
void amix_minus(const int32_t *sum, const int16_t *own, int samples, int32_t *out);

/* A limiter's state: one per output stream (the full mix, each mix-minus). */
struct amix_limiter {
	float gain;                  /* current gain, 1.0 when idle */
};

void amix_limiter_init(struct amix_limiter *l);

/*
 * Writes in[] to out[] as int16. When a frame's peak would exceed the
 * threshold (about -1 dBFS), the gain drops at once to bring the peak under
 * it; afterwards it recovers towards 1.0 slowly (about 100 ms per 6 dB),
 * changing smoothly within a frame. Whatever still exceeds int16 saturates.
 */
void amix_limit(struct amix_limiter *l, const int32_t *in, int samples, int16_t *out);

/* Active-speaker selection over up to AMIX_MAX_INPUTS inputs, by slot. */
struct amix_speakers {
	int max_mixed;                       /* most speakers mixed at once */
	int64_t hangover_us;                 /* stays active this long after speech */
	float smoothed[AMIX_MAX_INPUTS];     /* smoothed loudness, 0..127 (higher = louder) */
	int64_t last_voice_us[AMIX_MAX_INPUTS]; /* when it last spoke; 0 never */
	bool mixed[AMIX_MAX_INPUTS];         /* the current selection */
	int loudest;                         /* slot of the dominant speaker, -1 none */
};

/* max_mixed in 1..AMIX_MAX_INPUTS; hangover in µs. */
void amix_speakers_init(struct amix_speakers *s, int max_mixed, int64_t hangover_us);

/* Forgets a slot (its participant left or the slot is reused). */
void amix_speakers_reset_slot(struct amix_speakers *s, int slot);

/*
 * One 20 ms step. levels[k] is slot k's RFC 6464 level (0 loud .. 127
 * silent), or -1 when slot k is absent or sent nothing this frame. A slot
 * speaks when its level is louder than -50 dBov (level < 50); it is active
 * while it speaks and for hangover_us after. The selection is the up to
 * max_mixed active slots with the highest smoothed loudness, but a slot that
 * is selected keeps its place against a newcomer that is not clearly louder
 * (6 dB), so the mix does not flap. loudest is the selected slot with the
 * highest smoothed loudness. Returns how many are selected.
 */
int amix_speakers_update(struct amix_speakers *s, const int *levels, int n, int64_t now_us);

#endif
