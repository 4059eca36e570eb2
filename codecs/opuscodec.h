/*
 * opuscodec.h - Opus decoders (one per audio sender) and encoders (the
 * room's full mix, and one per mixed speaker), 48 kHz mono, 20 ms frames.
 *
 * Thin wrappers that translate libopus errors into the project's codes and
 * fix the settings the room needs: in-band FEC and packet-loss concealment
 * on decode; VoIP tuning with FEC on encode. Owned by one room thread.
 */
#ifndef MCU_OPUSCODEC_H
#define MCU_OPUSCODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OPUS_RATE 48000
#define OPUS_FRAME_SAMPLES 960    /* 20 ms at 48 kHz */
#define OPUS_MAX_FRAME_SAMPLES 5760 /* 120 ms, the longest Opus packet */
#define OPUS_MAX_PACKET 1275

struct opusdec;
struct opusenc;

/* Returns 0 or MCU_ENOMEM. */
int opuscodec_dec_create(struct opusdec **out);
void opuscodec_dec_destroy(struct opusdec *d);  /* accepts NULL */

/*
 * Decodes one packet into pcm (room for max samples, mono). packet NULL
 * conceals one lost frame of `conceal_samples`; fec true decodes the FEC
 * copy of the previous frame carried in packet. Returns the samples written
 * or MCU_EPROTO for a packet libopus refuses.
 */
int opuscodec_dec_decode(struct opusdec *d, const uint8_t *packet, size_t len, bool fec,
		   int conceal_samples, int16_t *pcm, int max);

/* bitrate in bit/s; complexity 0..10. Returns 0, MCU_EINVAL or MCU_ENOMEM. */
int opuscodec_enc_create(int bitrate, int complexity, struct opusenc **out);
void opuscodec_enc_destroy(struct opusenc *e);  /* accepts NULL */

/* Encodes OPUS_FRAME_SAMPLES samples into out (cap bytes). Returns the
 * packet's length or MCU_EIO. */
int opuscodec_enc_encode(struct opusenc *e, const int16_t *pcm, uint8_t *out, size_t cap);

#endif
