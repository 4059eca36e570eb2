/*
 * acodec.h - the audio codecs a room speaks: Opus (WebRTC and modern legacy
 * endpoints), G.722, and G.711 PCMU/PCMA (legacy endpoints).
 *
 * Whatever the codec, the room sees 48 kHz mono 16-bit PCM: a decoder turns
 * packets into it (resampling 8 or 16 kHz up), an encoder turns one 20 ms
 * frame of it (960 samples) into one packet (resampling down first).
 * Resampling uses libswresample. Each object is owned by one room thread.
 * The codecs' ids, names and RTP clock rates are base/codec.h's.
 */
#ifndef MCU_ACODEC_H
#define MCU_ACODEC_H

#include "base/codec.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACODEC_FRAME_48K 960      /* samples of one 20 ms frame at 48 kHz */
#define ACODEC_MAX_PACKET 1500

struct adec;
struct aenc;

/* Returns 0, MCU_EUNSUPPORTED or MCU_ENOMEM. */
int acodec_dec_create(enum codec_audio codec, struct adec **out);
void acodec_dec_destroy(struct adec *d);  /* accepts NULL */

/*
 * Decodes one packet into pcm (48 kHz mono, room for max samples).
 * packet NULL conceals one lost 20 ms frame (Opus PLC; silence for the
 * others). fec true decodes the Opus in-band FEC copy of the previous frame
 * carried in packet (other codecs: conceal). Returns the samples written
 * (may be 0 while a resampler fills), or MCU_EPROTO for a packet the codec
 * refuses, or MCU_ELIMIT when max is too small for the packet.
 */
int acodec_dec_decode(struct adec *d, const uint8_t *packet, size_t len, bool fec, int16_t *pcm,
		int max);

/* bitrate in bit/s for Opus (ignored by the others). Returns 0,
 * MCU_EINVAL, MCU_EUNSUPPORTED or MCU_ENOMEM. */
int acodec_enc_create(enum codec_audio codec, int bitrate, struct aenc **out);
void acodec_enc_destroy(struct aenc *e);  /* accepts NULL */

/* Encodes ACODEC_FRAME_48K samples (48 kHz mono) into one 20 ms packet in
 * out (cap bytes). Returns its length, or MCU_EIO. The packet's RTP
 * timestamp advances by codec_audio_rtp_clock(codec) / 50. */
int acodec_enc_encode(struct aenc *e, const int16_t *pcm, uint8_t *out, size_t cap);

#endif
