/* mixaudio_test.c - the room's audio driven through fake ports
 * (mixfixture.h) in real time: three talkers with distinct tones; each hears
 * the other two and not itself (mix-minus, judged with a Goertzel filter on
 * what it was sent, decoded), on its own SSRC, payload type and sequence
 * numbers; more senders than the room's first slots, most of them silent.
 * Every wait is bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mixfixture.h"

#include "base/clock.h"
#include "base/log.h"
#include "base/rtp.h"
#include "codecs/opuscodec.h"

#include <libavutil/log.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- audio ---------------------------------------------------------- */

#define TALK_FRAMES 75       /* 1.5 s */
#define WINDOW_FRAMES 40     /* 0.8 s: whole cycles of every tone */

/* Amplitude of the component of x at freq (exact for whole cycles). */
static double goertzel(const int16_t *x, int samples, double freq)
{
	double coeff = 2 * cos(2 * M_PI * freq / OPUS_RATE);
	double s1 = 0, s2 = 0;
	for (int i = 0; i < samples; i++) {
		double s0 = x[i] + coeff * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
	return 2 * sqrt(power > 0 ? power : 0) / samples;
}

/* What listener t heard: its packets checked, decoded, and the amplitude
 * of each tone over a steady window starting 0.4 s after talk_start. */
static void check_listener(struct mixfixture_talker *t, int64_t talk_start, const double *freqs,
			   int n_freqs, double *amps)
{
	struct mixfixture_fake *f = t->f;
	assert_int_equal(f->bad_sends, 0);
	assert_true(f->n_sent >= TALK_FRAMES - 5);
	struct opusdec *d = NULL;
	assert_int_equal(opuscodec_dec_create(&d), 0);
	int16_t *pcm = calloc((size_t)f->n_sent * OPUS_MAX_FRAME_SAMPLES, sizeof(int16_t));
	assert_non_null(pcm);
	int total = 0, start = -1;
	for (int i = 0; i < f->n_sent; i++) {
		const struct mixfixture_sent *s = &f->sent[i];
		assert_int_equal(s->kind, PORT_AUDIO);
		assert_int_equal(s->pt, 111);
		assert_int_equal(s->ssrc, f->info.audio_ssrc);
		assert_false(s->marker);
		if (i > 0) {
			assert_int_equal(s->seq, (uint16_t)(f->sent[i - 1].seq + 1));
			assert_true(rtp_ts_after(s->ts, f->sent[i - 1].ts));
			assert_true(s->capture_us > f->sent[i - 1].capture_us);
		}
		if (start < 0 && s->capture_us >= talk_start + 400000)
			start = total;
		int got = opuscodec_dec_decode(d, s->payload, s->len, false, OPUS_FRAME_SAMPLES, pcm + total,
					 OPUS_MAX_FRAME_SAMPLES);
		assert_int_equal(got, OPUS_FRAME_SAMPLES);
		total += got;
	}
	assert_true(start >= 0);
	assert_true(start + WINDOW_FRAMES * OPUS_FRAME_SAMPLES <= total);
	for (int k = 0; k < n_freqs; k++)
		amps[k] = goertzel(pcm + start, WINDOW_FRAMES * OPUS_FRAME_SAMPLES, freqs[k]);
	free(pcm);
	opuscodec_dec_destroy(d);
}

static void test_audio_mix_minus(void **state)
{
	(void)state;
	struct mix *m = NULL;
	assert_int_equal(mix_create(&mixfixture_config, &m), 0);
	static const double freqs[3] = { 440, 540, 670 };
	static const char *names[3] = { "A", "B", "C" };
	static const uint16_t first_seq[3] = { 100, 65500, 30000 }; /* B wraps */
	struct mixfixture_talker t[3];
	for (int i = 0; i < 3; i++) {
		t[i] = (struct mixfixture_talker){ .f = mixfixture_fake_new(names[i]),
						   .freq = freqs[i], .seq = first_seq[i],
						   .ts = 12345u * (unsigned)i };
		t[i].f->info.sends_audio = true;
		t[i].f->info.receives_audio = true;
		t[i].f->info.audio_pt = 111;
		t[i].f->info.audio_ssrc = 0xA0000001u + (uint32_t)i;
		assert_int_equal(opuscodec_enc_create(32000, 5, &t[i].enc), 0);
		assert_int_equal(mix_add(m, &t[i].f->info, &mixfixture_fake_ops, t[i].f), 0);
	}

	int64_t t0 = clock_now_us();
	struct mix_stats st_mid;
	for (int k = 0; k < TALK_FRAMES; k++) {
		int64_t at = t0 + (int64_t)k * FRAME_US;
		mixfixture_sleep_until(at);
		for (int i = 0; i < 3; i++)
			mixfixture_talk(&t[i], k, clock_now_us());
		if (k == 50)
			mix_get_stats(m, &st_mid);
	}
	mixfixture_sleep_ms(100);
	for (int i = 0; i < 3; i++)
		assert_int_equal(mix_remove(m, t[i].f), 0);

	/* three decoders; three mix-minus encoders and no full mix, since
	 * every listener is a mixed speaker */
	assert_int_equal(st_mid.participants, 3);
	assert_int_equal(st_mid.audio_decoders, 3);
	assert_int_equal(st_mid.audio_encoders, 3);
	assert_int_equal(st_mid.video_encoders, 0);
	assert_int_equal(st_mid.video_decoders, 0);
	assert_true(st_mid.ticks > 40);
	/* Each port was asked to read its input at the room's wakes (a tick
	 * every 20 ms over 1.5 s), before its packets were taken. */
	for (int i = 0; i < 3; i++)
		if (atomic_load(&t[i].f->pulls) < TALK_FRAMES / 2 ||
		    atomic_load(&t[i].f->pulls) > atomic_load(&t[i].f->recvs))
			fail_msg("%s: %d pulls, %d recvs", names[i], atomic_load(&t[i].f->pulls),
				 atomic_load(&t[i].f->recvs));

	for (int i = 0; i < 3; i++) {
		double amps[3];
		check_listener(&t[i], t0, freqs, 3, amps);
		double own = amps[i], quietest = 1e9;
		for (int k = 0; k < 3; k++)
			if (k != i && amps[k] < quietest)
				quietest = amps[k];
		print_message("%s hears 440: %.0f  540: %.0f  670: %.0f\n", names[i], amps[0], amps[1],
			      amps[2]);
		/* the others are heard at about the level they spoke */
		assert_true(quietest > TONE_AMP * 0.5);
		/* and itself not at all: 20 dB below the quieter of them */
		if (own > quietest / 10)
			fail_msg("%s hears its own %.0f Hz at %.0f vs %.0f", names[i], freqs[i], own,
				 quietest);
	}

	mix_destroy(m);
	for (int i = 0; i < 3; i++) {
		opuscodec_enc_destroy(t[i].enc);
		mixfixture_fake_free(t[i].f);
	}
}

/* A sender's packet: payload copied, level as its RFC 6464 header would
 * say (-1 none). */
static void push_audio(struct mixfixture_fake *f, uint16_t seq, uint32_t ts, const uint8_t *payload,
		       size_t len, int level)
{
	struct port_packet *p = calloc(1, sizeof(*p));
	assert_non_null(p);
	p->kind = PORT_AUDIO;
	p->pt = 111;
	p->seq = seq;
	p->ts = ts;
	p->ssrc = 0x1000 + f->info.audio_ssrc;
	p->audio_level = level;
	p->arrival_us = clock_now_us();
	memcpy(p->payload, payload, len);
	p->len = len;
	mixfixture_fake_push(f, p);
	free(p);
}

#define MANY 80              /* audio senders, more than the first 64 slots */
#define SILENT_LOOP 10

/*
 * A room of MANY senders, most sending Opus silence with no level: the
 * 70th talks (440 Hz) and is mixed; the 76th sends a tone but its level
 * header says it is quiet (540 Hz), so it is neither decoded nor mixed;
 * the 77th's header says it speaks (670 Hz). A receive-only listener hears
 * 440 and 670 and not 540, and most quiet senders' packets are not decoded.
 */
static void test_audio_many_senders(void **state)
{
	(void)state;
	struct mix *m = NULL;
	struct mix_config cfg = mixfixture_config;
	cfg.max_mixed_speakers = 3;
	assert_int_equal(mix_create(&cfg, &m), 0);

	/* Silence, encoded once and replayed by every quiet sender. */
	struct opusenc *enc = NULL;
	assert_int_equal(opuscodec_enc_create(32000, 5, &enc), 0);
	uint8_t silent[SILENT_LOOP][OPUS_MAX_PACKET];
	int silent_len[SILENT_LOOP];
	int16_t zeros[OPUS_FRAME_SAMPLES] = { 0 };
	for (int k = 0; k < 2 * SILENT_LOOP; k++) {
		int n = opuscodec_enc_encode(enc, zeros, silent[k % SILENT_LOOP], OPUS_MAX_PACKET);
		assert_true(n > 0);
		silent_len[k % SILENT_LOOP] = n;
	}
	opuscodec_enc_destroy(enc);

	static const int talker_at[3] = { 69, 75, 76 };
	static const int talker_level[3] = { -1, 100, 10 };
	static const double freqs[3] = { 440, 540, 670 };
	struct mixfixture_fake *f[MANY];
	struct mixfixture_talker t[3];
	for (int i = 0; i < MANY; i++) {
		char id[16];
		snprintf(id, sizeof(id), "S%d", i);
		f[i] = mixfixture_fake_new(id);
		f[i]->info.sends_audio = true;
		f[i]->info.audio_pt = 111;
		f[i]->info.audio_ssrc = 0xB0000000u + (uint32_t)i;
		assert_int_equal(mix_add(m, &f[i]->info, &mixfixture_fake_ops, f[i]), 0);
	}
	for (int k = 0; k < 3; k++) {
		t[k] = (struct mixfixture_talker){ .f = f[talker_at[k]], .freq = freqs[k] };
		assert_int_equal(opuscodec_enc_create(32000, 5, &t[k].enc), 0);
	}
	struct mixfixture_talker l = { .f = mixfixture_fake_new("L") };
	l.f->info.receives_audio = true;
	l.f->info.audio_pt = 111;
	l.f->info.audio_ssrc = 0xC0000001u;
	assert_int_equal(mix_add(m, &l.f->info, &mixfixture_fake_ops, l.f), 0);

	/* The tones encoded beforehand: the loop only sends, so that it keeps
	 * time on a busy machine (late, it would send bursts). */
	static uint8_t tone[3][TALK_FRAMES][OPUS_MAX_PACKET];
	static int tone_len[3][TALK_FRAMES];
	for (int c = 0; c < 3; c++)
		for (int k = 0; k < TALK_FRAMES; k++) {
			int16_t pcm[OPUS_FRAME_SAMPLES];
			for (int i = 0; i < OPUS_FRAME_SAMPLES; i++)
				pcm[i] = (int16_t)lround(TONE_AMP * sin(2 * M_PI * freqs[c] *
					(double)(k * OPUS_FRAME_SAMPLES + i) / OPUS_RATE));
			tone_len[c][k] = opuscodec_enc_encode(t[c].enc, pcm, tone[c][k], OPUS_MAX_PACKET);
			assert_true(tone_len[c][k] > 0);
		}

	int64_t t0 = clock_now_us();
	struct mix_stats st_mid;
	for (int k = 0; k < TALK_FRAMES; k++) {
		mixfixture_sleep_until(t0 + (int64_t)k * FRAME_US);
		int next_talker = 0;
		for (int i = 0; i < MANY; i++) {
			uint16_t seq = (uint16_t)(1000 + k);
			uint32_t ts = (uint32_t)k * OPUS_FRAME_SAMPLES;
			if (next_talker < 3 && i == talker_at[next_talker]) {
				push_audio(f[i], seq, ts, tone[next_talker][k],
					   (size_t)tone_len[next_talker][k], talker_level[next_talker]);
				next_talker++;
			} else {
				push_audio(f[i], seq, ts, silent[k % SILENT_LOOP],
					   (size_t)silent_len[k % SILENT_LOOP], -1);
			}
		}
		if (k == 50)
			mix_get_stats(m, &st_mid);
	}
	mixfixture_sleep_ms(100);
	for (int i = 0; i < MANY; i++)
		assert_int_equal(mix_remove(m, f[i]), 0);
	assert_int_equal(mix_remove(m, l.f), 0);

	assert_int_equal(st_mid.participants, MANY + 1);
	/* Those that speak are decoded, and of the quiet ones with no level
	 * one packet in five (a probe for loud sounds that are not speech);
	 * the rest are skipped. */
	assert_in_range(st_mid.audio_decoders, 2, 2 + (MANY - 3) / 5 + 1);
	assert_true(st_mid.audio_skipped > 30 * (MANY - 3));

	double amps[3];
	check_listener(&l, t0, freqs, 3, amps);
	print_message("L hears 440: %.0f  540: %.0f  670: %.0f\n", amps[0], amps[1], amps[2]);
	/* The 70th sender is mixed; the one whose header says quiet is not.
	 * (Loose bounds: on a loaded machine a late room drops stale audio.) */
	assert_true(amps[0] > TONE_AMP * 0.25);
	assert_true(amps[2] > TONE_AMP * 0.25);
	assert_true(amps[1] < TONE_AMP * 0.05);

	mix_destroy(m);
	for (int k = 0; k < 3; k++)
		opuscodec_enc_destroy(t[k].enc);
	for (int i = 0; i < MANY; i++)
		mixfixture_fake_free(f[i]);
	mixfixture_fake_free(l.f);
}

int main(void)
{
	log_set_level(LOG_WARN);
	av_log_set_level(AV_LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audio_mix_minus),
		cmocka_unit_test(test_audio_many_senders),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
