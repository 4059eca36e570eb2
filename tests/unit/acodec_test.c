/* acodec_test.c - the audio codec layer: G.711 mu-law and A-law on known
 * values, sign symmetry, monotonic magnitude and round-trip error within a
 * step; a 440 Hz and a 1000 Hz tone through every codec's encoder and
 * decoder (with the 48 kHz resamplers), found by a Goertzel filter; exact
 * packet sizes and sample counts; concealment, garbage, and room checks.
 * The codecs' names, parsers and RTP clocks are codec_test.c's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* The source itself, not just the header: the G.711 coders are static
 * helpers and this is where their known values get checked. The test's own
 * definitions keep the archive's acodec.o from being linked in as well. */
#include "codecs/acodec.c"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TONE_AMP 8000
#define TONE_FRAMES 25             /* 0.5 s */
#define SETTLE (RATE_48K / 10)     /* skip 0.1 s: codec and resampler start-up */

/* Amplitude of freq in pcm (n samples at 48 kHz): Goertzel's power, scaled
 * so that a sine of amplitude A over whole cycles gives A. */
static double goertzel(const int16_t *pcm, int n, double freq)
{
	double k = 2 * cos(2 * M_PI * freq / RATE_48K);
	double s1 = 0, s2 = 0;
	for (int i = 0; i < n; i++) {
		double s0 = pcm[i] + k * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	double power = s1 * s1 + s2 * s2 - k * s1 * s2;
	return 2 * sqrt(power > 0 ? power : 0) / n;
}

static void test_g711_known_values(void **state)
{
	(void)state;
	assert_int_equal(ulaw_encode(0), 0xFF);
	assert_int_equal(ulaw_encode(-1), 0x7F);
	assert_int_equal(ulaw_decode(0xFF), 0);
	assert_int_equal(ulaw_decode(0x7F), 0);
	assert_int_equal(ulaw_encode(32767), 0x80);  /* clipped to the top code */
	assert_int_equal(ulaw_encode(-32768), 0x00);
	assert_int_equal(ulaw_decode(0x80), 32124);
	assert_int_equal(ulaw_decode(0x00), -32124);
	assert_int_equal(ulaw_encode(ulaw_decode(0xF0)), 0xF0);

	assert_int_equal(alaw_encode(0), 0xD5);
	assert_int_equal(alaw_encode(-1), 0x55);  /* ones' complement: -1 is -0 */
	assert_int_equal(alaw_decode(0xD5), 8);
	assert_int_equal(alaw_decode(0x55), -8);
	assert_int_equal(alaw_encode(32767), 0xAA);
	assert_int_equal(alaw_encode(-32768), 0x2A);
	assert_int_equal(alaw_decode(0xAA), 32256);
	assert_int_equal(alaw_decode(0x2A), -32256);
}

static void test_g711_symmetry_and_order(void **state)
{
	(void)state;
	/* decoding: flipping the sign bit negates */
	for (int c = 0; c < 256; c++) {
		assert_int_equal(ulaw_decode((uint8_t)(c ^ 0x80)), -ulaw_decode((uint8_t)c));
		assert_int_equal(alaw_decode((uint8_t)(c ^ 0x80)), -alaw_decode((uint8_t)c));
	}
	/* encoding: mu-law on magnitudes, A-law on ones' complement */
	for (int x = 1; x <= 32767; x++)
		assert_int_equal(ulaw_encode((int16_t)-x), ulaw_encode((int16_t)x) ^ 0x80);
	for (int x = 0; x <= 32767; x++)
		assert_int_equal(alaw_encode((int16_t)~x), alaw_encode((int16_t)x) ^ 0x80);
	/* magnitude codes 0..127 decode to strictly growing values */
	for (int i = 1; i < 128; i++) {
		assert_true(ulaw_decode((uint8_t)(0xFF - i)) > ulaw_decode((uint8_t)(0xFF - i + 1)));
		assert_true(alaw_decode((uint8_t)((0x80 | i) ^ 0x55)) >
			    alaw_decode((uint8_t)((0x80 | (i - 1)) ^ 0x55)));
	}
	/* and the round trip never goes down as the input goes up */
	int prev_u = -32768, prev_a = -32768;
	for (int x = -32768; x <= 32767; x++) {
		int u = ulaw_decode(ulaw_encode((int16_t)x));
		int a = alaw_decode(alaw_encode((int16_t)x));
		assert_true(u >= prev_u);
		assert_true(a >= prev_a);
		prev_u = u;
		prev_a = a;
	}
}

static void test_g711_roundtrip_error(void **state)
{
	(void)state;
	for (int x = -32768; x <= 32767; x++) {
		uint8_t u = ulaw_encode((int16_t)x);
		int useg = ((uint8_t)~u >> 4) & 7;
		int ustep = 8 << useg;
		int uerr = abs(ulaw_decode(u) - x);
		/* beyond the clip level the error is the clipping, still under a step */
		assert_true(uerr <= (abs(x) <= ULAW_CLIP ? ustep / 2 : ustep));

		uint8_t a = alaw_encode((int16_t)x);
		int aseg = ((a ^ 0x55) >> 4) & 7;
		int astep = aseg ? 8 << aseg : 16;
		/* +1: negatives sit one below the mirrored step's middle */
		assert_true(abs(alaw_decode(a) - x) <= astep / 2 + 1);
	}
}

/* Encodes TONE_FRAMES of a freq tone through codec, checks every packet's
 * size, decodes each and checks the tone is there and other is not. */
static void run_tone(enum codec_audio codec, double freq, double other)
{
	struct aenc *e = NULL;
	struct adec *d = NULL;
	assert_int_equal(acodec_enc_create(codec, 32000, &e), 0);
	assert_int_equal(acodec_dec_create(codec, &d), 0);
	int16_t *out = calloc((size_t)TONE_FRAMES * ACODEC_FRAME_48K, sizeof(int16_t));
	assert_non_null(out);
	int16_t pcm[ACODEC_FRAME_48K];
	uint8_t pkt[ACODEC_MAX_PACKET];
	int16_t dec[OPUS_MAX_FRAME_SAMPLES];
	int total = 0;
	for (int f = 0; f < TONE_FRAMES; f++) {
		for (int i = 0; i < ACODEC_FRAME_48K; i++)
			pcm[i] = (int16_t)lround(TONE_AMP * sin(2 * M_PI * freq *
								(f * ACODEC_FRAME_48K + i) / RATE_48K));
		int n = acodec_enc_encode(e, pcm, pkt, sizeof(pkt));
		if (codec == CODEC_OPUS)
			assert_true(n >= 1 && n <= OPUS_MAX_PACKET);
		else
			assert_int_equal(n, CODED_BYTES);
		int got = acodec_dec_decode(d, pkt, (size_t)n, false, dec, OPUS_MAX_FRAME_SAMPLES);
		/* one 20 ms packet, 20 ms of 48 kHz, from the very first */
		assert_int_equal(got, ACODEC_FRAME_48K);
		memcpy(out + total, dec, sizeof(int16_t) * (size_t)got);
		total += got;
	}
	/* 0.4 s: whole cycles of 440, 700 and 1000 Hz */
	const int16_t *w = out + SETTLE;
	int n = total - SETTLE;
	double a = goertzel(w, n, freq);
	double b = goertzel(w, n, other);
	print_message("%s %.0f Hz: %.0f, at %.0f Hz: %.1f\n", codec_audio_name(codec), freq, a, other, b);
	assert_true(a > TONE_AMP * 0.7 && a < TONE_AMP * 1.3);
	assert_true(b < a / 30);
	free(out);
	acodec_enc_destroy(e);
	acodec_dec_destroy(d);
}

static void test_tone_opus(void **state)
{
	(void)state;
	run_tone(CODEC_OPUS, 440, 700);
	run_tone(CODEC_OPUS, 1000, 700);
}

static void test_tone_g722(void **state)
{
	(void)state;
	run_tone(CODEC_G722, 440, 700);
	run_tone(CODEC_G722, 1000, 700);
}

static void test_tone_pcmu(void **state)
{
	(void)state;
	run_tone(CODEC_PCMU, 440, 700);
	run_tone(CODEC_PCMU, 1000, 700);
}

static void test_tone_pcma(void **state)
{
	(void)state;
	run_tone(CODEC_PCMA, 440, 700);
	run_tone(CODEC_PCMA, 1000, 700);
}

/* Silence in, silence's code out: the primed start adds only zeros. */
static void test_encode_silence_codes(void **state)
{
	(void)state;
	static const int16_t zero[ACODEC_FRAME_48K];
	static const struct { enum codec_audio codec; uint8_t code; } cases[] = {
		{ CODEC_PCMU, 0xFF }, { CODEC_PCMA, 0xD5 },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct aenc *e = NULL;
		assert_int_equal(acodec_enc_create(cases[c].codec, 0, &e), 0);
		uint8_t pkt[CODED_BYTES];
		for (int f = 0; f < 3; f++) {
			assert_int_equal(acodec_enc_encode(e, zero, pkt, sizeof(pkt)), CODED_BYTES);
			for (int i = 0; i < CODED_BYTES; i++)
				assert_int_equal(pkt[i], cases[c].code);
		}
		/* too little room is refused, not overrun */
		assert_int_equal(acodec_enc_encode(e, zero, pkt, CODED_BYTES - 1), MCU_EIO);
		acodec_enc_destroy(e);
	}
	struct aenc *e = NULL;
	assert_int_equal(acodec_enc_create(CODEC_G722, 0, &e), 0);
	uint8_t pkt[CODED_BYTES];
	assert_int_equal(acodec_enc_encode(e, zero, pkt, sizeof(pkt) - 1), MCU_EIO);
	assert_int_equal(acodec_enc_encode(e, zero, pkt, sizeof(pkt)), CODED_BYTES);
	acodec_enc_destroy(e);
}

static void test_conceal(void **state)
{
	(void)state;
	int16_t pcm[OPUS_MAX_FRAME_SAMPLES];
	uint8_t pkt[CODED_BYTES];
	memset(pkt, 0xFF, sizeof(pkt));
	for (int c = 0; c < CODEC_AUDIO_COUNT; c++) {
		struct adec *d = NULL;
		assert_int_equal(acodec_dec_create((enum codec_audio)c, &d), 0);
		/* a lost frame before anything arrived, and FEC (others: conceal) */
		assert_int_equal(acodec_dec_decode(d, NULL, 0, false, pcm, OPUS_MAX_FRAME_SAMPLES),
				 ACODEC_FRAME_48K);
		if (c != CODEC_OPUS) {
			for (int i = 0; i < ACODEC_FRAME_48K; i++)
				assert_int_equal(pcm[i], 0);
			assert_int_equal(acodec_dec_decode(d, pkt, sizeof(pkt), true, pcm,
						     OPUS_MAX_FRAME_SAMPLES), ACODEC_FRAME_48K);
		}
		/* too little room for a concealed frame */
		assert_int_equal(acodec_dec_decode(d, NULL, 0, false, pcm, ACODEC_FRAME_48K - 1),
				 MCU_ELIMIT);
		/* an empty payload holds nothing */
		assert_int_equal(acodec_dec_decode(d, pkt, 0, false, pcm, OPUS_MAX_FRAME_SAMPLES), 0);
		acodec_dec_destroy(d);
	}
}

static void test_opus_garbage_and_room(void **state)
{
	(void)state;
	struct adec *d = NULL;
	struct aenc *e = NULL;
	assert_int_equal(acodec_dec_create(CODEC_OPUS, &d), 0);
	int16_t pcm[OPUS_MAX_FRAME_SAMPLES];
	static const uint8_t garbage[][3] = {
		{ 0xFF, 0xFF, 0xFF }, { 0x03, 0x00, 0x00 }, { 0x4B, 0x9A, 0x11 }, { 0x00, 0x00, 0x00 },
	};
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		/* an exact heap copy, so ASan sees any read past it */
		uint8_t *p = malloc(3);
		assert_non_null(p);
		memcpy(p, garbage[i], 3);
		int rc = acodec_dec_decode(d, p, 3, false, pcm, OPUS_MAX_FRAME_SAMPLES);
		assert_true(rc == MCU_EPROTO || (rc >= 0 && rc <= OPUS_MAX_FRAME_SAMPLES));
		free(p);
	}
	assert_int_equal(acodec_dec_decode(d, garbage[0], 3, false, pcm, OPUS_MAX_FRAME_SAMPLES),
			 MCU_EPROTO);

	/* a 20 ms packet wants room for 960 samples */
	assert_int_equal(acodec_enc_create(CODEC_OPUS, 32000, &e), 0);
	static const int16_t zero[ACODEC_FRAME_48K];
	uint8_t pkt[OPUS_MAX_PACKET];
	int n = acodec_enc_encode(e, zero, pkt, sizeof(pkt));
	assert_true(n > 0);
	assert_int_equal(acodec_dec_decode(d, pkt, (size_t)n, false, pcm, 480), MCU_ELIMIT);
	assert_int_equal(acodec_dec_decode(d, pkt, (size_t)n, false, pcm, ACODEC_FRAME_48K),
			 ACODEC_FRAME_48K);
	acodec_enc_destroy(e);
	acodec_dec_destroy(d);
}

/* ffmpeg and others send G.711 in long packets: 1024 samples is 128 ms. */
static void test_long_pcmu_packet(void **state)
{
	(void)state;
	enum { LONG = 1024, OUT = LONG * 6 };
	struct adec *d = NULL;
	assert_int_equal(acodec_dec_create(CODEC_PCMU, &d), 0);
	uint8_t *pkt = malloc(LONG);
	int16_t *pcm = malloc(sizeof(int16_t) * OUT);
	assert_non_null(pkt);
	assert_non_null(pcm);
	for (int i = 0; i < LONG; i++)
		pkt[i] = ulaw_encode((int16_t)lround(TONE_AMP * sin(2 * M_PI * 1000 * i / 8000.0)));
	/* refused whole, before anything is consumed */
	assert_int_equal(acodec_dec_decode(d, pkt, LONG, false, pcm, OUT - 1), MCU_ELIMIT);
	assert_int_equal(acodec_dec_decode(d, pkt, LONG, false, pcm, OUT), OUT);
	assert_int_equal(acodec_dec_decode(d, pkt, LONG, false, pcm, OUT), OUT);
	/* 1024 samples at 8 kHz are 128 whole cycles of 1000 Hz */
	double a = goertzel(pcm, OUT, 1000);
	assert_true(a > TONE_AMP * 0.7 && a < TONE_AMP * 1.3);
	assert_true(goertzel(pcm, OUT, 700) < a / 30);
	free(pkt);
	free(pcm);
	acodec_dec_destroy(d);

	/* G.722: two samples a byte at 16 kHz, also 6 per byte at 48 kHz,
	 * and a payload longer than ACODEC_MAX_PACKET still decodes whole */
	enum { BIG = ACODEC_MAX_PACKET + 100 };
	assert_int_equal(acodec_dec_create(CODEC_G722, &d), 0);
	pkt = calloc(1, BIG);
	pcm = malloc(sizeof(int16_t) * BIG * 6);
	assert_non_null(pkt);
	assert_non_null(pcm);
	assert_int_equal(acodec_dec_decode(d, pkt, 7, false, pcm, 42), 42);
	assert_int_equal(acodec_dec_decode(d, pkt, BIG, false, pcm, BIG * 6 - 1), MCU_ELIMIT);
	assert_int_equal(acodec_dec_decode(d, pkt, BIG, false, pcm, BIG * 6), BIG * 6);
	free(pkt);
	free(pcm);
	acodec_dec_destroy(d);
}

static void test_create_destroy(void **state)
{
	(void)state;
	acodec_dec_destroy(NULL);
	acodec_enc_destroy(NULL);
	struct adec *d = NULL;
	struct aenc *e = NULL;
	assert_int_equal(acodec_dec_create((enum codec_audio)CODEC_AUDIO_COUNT, &d), MCU_EUNSUPPORTED);
	assert_int_equal(acodec_enc_create((enum codec_audio)-1, 32000, &e), MCU_EUNSUPPORTED);
	/* Opus checks its bitrate; the others ignore it */
	assert_int_equal(acodec_enc_create(CODEC_OPUS, 10, &e), MCU_EINVAL);
	assert_null(d);
	assert_null(e);
	for (int c = 0; c < CODEC_AUDIO_COUNT; c++) {
		assert_int_equal(acodec_dec_create((enum codec_audio)c, &d), 0);
		assert_int_equal(acodec_enc_create((enum codec_audio)c, c == CODEC_OPUS ? 24000 : -5, &e), 0);
		assert_non_null(d);
		assert_non_null(e);
		acodec_dec_destroy(d);
		acodec_enc_destroy(e);
		d = NULL;
		e = NULL;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_g711_known_values),
		cmocka_unit_test(test_g711_symmetry_and_order),
		cmocka_unit_test(test_g711_roundtrip_error),
		cmocka_unit_test(test_tone_opus),
		cmocka_unit_test(test_tone_g722),
		cmocka_unit_test(test_tone_pcmu),
		cmocka_unit_test(test_tone_pcma),
		cmocka_unit_test(test_encode_silence_codes),
		cmocka_unit_test(test_conceal),
		cmocka_unit_test(test_opus_garbage_and_room),
		cmocka_unit_test(test_long_pcmu_packet),
		cmocka_unit_test(test_create_destroy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
