/*
 * amix.h - the arithmetic of the room's sound: levels, the full mix and
 * mix-minus, a limiter, and active-speaker selection with hangover.
 *
 * Samples are 16-bit signed PCM, 48 kHz mono, one 20 ms frame = 960 samples.
 * Sums are int32 so n speakers never wrap; the limiter brings a sum back into
 * int16 range smoothly instead of clipping, and saturates what is left.
 * Plain data and functions; a speaker selection owns arrays sized by the
 * slots it tracks, which grow as a room fills. Each state struct is owned
 * by one room thread. Thread: any.
 */
#ifndef MCU_AMIX_H
#define MCU_AMIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AMIX_FRAME 960           /* samples per 20 ms at 48 kHz */
#define AMIX_MAX_MIXED 64        /* most speakers one selection mixes at once */

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

/*
 * Active-speaker selection, by slot: one slot per audio sender, as many as
 * the room has (capacity grows with amix_speakers_grow). The arrays are
 * read by the caller (mixed[slot]) and written only here.
 */
struct amix_speakers {
	int max_mixed;                 /* most speakers mixed at once */
	int64_t hangover_us;           /* stays active this long after speech */
	int capacity;                  /* slots tracked: the arrays' length */
	float *smoothed;               /* smoothed loudness, 0..127 (higher = louder) */
	int64_t *last_voice_us;        /* when it last spoke; 0 never */
	bool *mixed;                   /* the current selection */
	bool *active;                  /* scratch of one update */
	int loudest;                   /* slot of the dominant speaker, -1 none */
};

/* Tracks capacity slots (>= 1), all forgotten; max_mixed is clamped to
 * 1..AMIX_MAX_MIXED; hangover in µs. Returns 0, MCU_EINVAL or MCU_ENOMEM
 * (then *s holds nothing to free). */
int amix_speakers_init(struct amix_speakers *s, int capacity, int max_mixed,
		       int64_t hangover_us);

/* Frees the arrays; accepts a zeroed or finished struct. */
void amix_speakers_fini(struct amix_speakers *s);

/* Tracks capacity slots from now on (no-op when it does already); the new
 * slots start forgotten, the others keep their state. Allocates: call on a
 * join, not per frame. Returns 0 or MCU_ENOMEM (s unchanged). */
int amix_speakers_grow(struct amix_speakers *s, int capacity);

/* Forgets a slot (its participant left or the slot is reused). */
void amix_speakers_reset_slot(struct amix_speakers *s, int slot);

/*
 * Whether slot, with this frame's level (as for amix_speakers_update; -1
 * unknown), could be in the selection the next update with now_us makes:
 * it is selected now, the level speaks, or it spoke within the hangover.
 * When this is false the slot's sound of this frame cannot be mixed, so
 * the caller need not decode it. An out-of-range slot is never mixed.
 */
bool amix_speakers_may_mix(const struct amix_speakers *s, int slot, int level, int64_t now_us);

/*
 * One 20 ms step. levels[k] is slot k's RFC 6464 level (0 loud .. 127
 * silent), or -1 when slot k is absent or sent nothing this frame; slots
 * from n (at most capacity) on count as absent. A slot
 * speaks when its level is louder than -50 dBov (level < 50); it is active
 * while it speaks and for hangover_us after. The selection is the up to
 * max_mixed active slots with the highest smoothed loudness, but a slot that
 * is selected keeps its place against a newcomer that is not clearly louder
 * (6 dB), so the mix does not flap. loudest is the selected slot with the
 * highest smoothed loudness. Returns how many are selected.
 */
int amix_speakers_update(struct amix_speakers *s, const int *levels, int n, int64_t now_us);

/*
 * What an Opus packet (RFC 6716) says of itself without decoding it.
 * amix_opus_samples: the samples at 48 kHz it holds (its TOC byte and frame
 * count), 0 when malformed. amix_opus_voice: 1 when the SILK layer's voice
 * activity flag of some frame is set, 0 when none is (the sender's encoder
 * found no speech), -1 when the packet does not say (CELT-only, more than
 * one frame, no payload).
 */
int amix_opus_samples(const uint8_t *pkt, size_t len);
int amix_opus_voice(const uint8_t *pkt, size_t len);

#endif
