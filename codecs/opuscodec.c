/* opuscodec.c - see opuscodec.h. */
#include "opuscodec.h"
#include "base/err.h"

#include <opus.h>
#include <stdlib.h>

struct opusdec {
	OpusDecoder *dec;
};

struct opusenc {
	OpusEncoder *enc;
};

int opuscodec_dec_create(struct opusdec **out)
{
	struct opusdec *d = calloc(1, sizeof(*d));
	if (!d)
		return MCU_ENOMEM;
	int err = 0;
	d->dec = opus_decoder_create(OPUS_RATE, 1, &err);
	if (!d->dec || err != OPUS_OK) {
		free(d);
		return MCU_ENOMEM;
	}
	*out = d;
	return 0;
}

void opuscodec_dec_destroy(struct opusdec *d)
{
	if (!d)
		return;
	opus_decoder_destroy(d->dec);
	free(d);
}

int opuscodec_dec_decode(struct opusdec *d, const uint8_t *packet, size_t len, bool fec,
		   int conceal_samples, int16_t *pcm, int max)
{
	int frame = packet && !fec ? max : conceal_samples;
	if (frame > max)
		frame = max;
	int n = opus_decode(d->dec, packet, packet ? (opus_int32)len : 0, pcm, frame, fec ? 1 : 0);
	return n < 0 ? MCU_EPROTO : n;
}

int opuscodec_enc_create(int bitrate, int complexity, struct opusenc **out)
{
	if (bitrate < 6000 || bitrate > 510000 || complexity < 0 || complexity > 10)
		return MCU_EINVAL;
	struct opusenc *e = calloc(1, sizeof(*e));
	if (!e)
		return MCU_ENOMEM;
	int err = 0;
	e->enc = opus_encoder_create(OPUS_RATE, 1, OPUS_APPLICATION_VOIP, &err);
	if (!e->enc || err != OPUS_OK) {
		free(e);
		return MCU_ENOMEM;
	}
	opus_encoder_ctl(e->enc, OPUS_SET_BITRATE(bitrate));
	opus_encoder_ctl(e->enc, OPUS_SET_COMPLEXITY(complexity));
	opus_encoder_ctl(e->enc, OPUS_SET_INBAND_FEC(1));
	opus_encoder_ctl(e->enc, OPUS_SET_PACKET_LOSS_PERC(5));
	*out = e;
	return 0;
}

void opuscodec_enc_destroy(struct opusenc *e)
{
	if (!e)
		return;
	opus_encoder_destroy(e->enc);
	free(e);
}

int opuscodec_enc_encode(struct opusenc *e, const int16_t *pcm, uint8_t *out, size_t cap)
{
	int n = opus_encode(e->enc, pcm, OPUS_FRAME_SAMPLES, out, (opus_int32)cap);
	return n < 0 ? MCU_EIO : n;
}
