/* mix_test.c - the room's mixer driven through fake ports in real time:
 *  - audio: three talkers with distinct tones; each hears the other two and
 *    not itself (mix-minus, judged with a Goertzel filter on what it was
 *    sent, decoded), on its own SSRC, payload type and sequence numbers;
 *  - video: one sender's H.264 decoded, composed, encoded once for the sd
 *    profile and sent to a receiver, whose first frame is an IDR showing the
 *    sender's colour; keyframe requests from the receiver make IDRs, at most
 *    one per keyframe_min_interval_ms; the new sender is asked for one;
 *  - participants: a removed port is never touched again, removing an
 *    unknown port or adding one twice is refused, and destroying a room with
 *    participants frees everything (run under ASan for the leak check).
 * Every wait is bounded; the whole file runs in well under 15 s. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "codecs/h264pkt.h"
#include "codecs/opuscodec.h"
#include "codecs/profile.h"
#include "codecs/vdec.h"
#include "codecs/venc.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "mixer/port.h"
#include "base/rtp.h"
#include "mixer/mix.h"

#include <dirent.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- time ----------------------------------------------------------- */

static void sleep_until(int64_t deadline_us)
{
	struct timespec ts = { .tv_sec = deadline_us / 1000000,
			       .tv_nsec = (long)(deadline_us % 1000000) * 1000 };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
	}
}

static void sleep_ms(int ms)
{
	sleep_until(clock_now_us() + (int64_t)ms * 1000);
}

/* ---- the fake port -------------------------------------------------- */

#define INQ_CAP 512

/* One RTP packet the room sent to a port. */
struct sent_pkt {
	enum port_media kind;
	uint8_t pt;
	bool marker;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	int64_t capture_us;
	int64_t sent_us;       /* when send_rtp ran */
	size_t len;            /* payload bytes */
	uint8_t *payload;
};

struct fake {
	struct port_info info;
	pthread_mutex_t lock;  /* guards everything below but the atomics */

	struct port_packet *inq;   /* INQ_CAP packets, a ring */
	int in_head, in_count;

	struct sent_pkt *sent;
	int n_sent, cap_sent;
	int bad_sends;             /* cap too small or not RTP */

	struct port_feedback fb;   /* handed out (and cleared) by feedback() */
	bool keyframe_always;      /* every feedback() asks for a keyframe */

	atomic_int calls;          /* every op */
	atomic_int sends, recvs, pulls, feedbacks, readies, nacks, keyframe_reqs;
};

static struct fake *fake_new(const char *id)
{
	struct fake *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->inq = calloc(INQ_CAP, sizeof(*f->inq));
	assert_non_null(f->inq);
	snprintf(f->info.id, sizeof(f->info.id), "%s", id);
	f->info.profile = PROFILE_SD;
	f->info.packetization_mode = 1;
	f->fb.loss_fraction = -1;
	pthread_mutex_init(&f->lock, NULL);
	return f;
}

static void fake_free(struct fake *f)
{
	if (!f)
		return;
	for (int i = 0; i < f->n_sent; i++)
		free(f->sent[i].payload);
	free(f->sent);
	free(f->inq);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* Queues one inbound packet (the transport's part). Test thread. */
static void fake_push(struct fake *f, const struct port_packet *pkt)
{
	pthread_mutex_lock(&f->lock);
	if (f->in_count == INQ_CAP) { /* a test that floods has a bug */
		pthread_mutex_unlock(&f->lock);
		fail_msg("%s: inbound queue full", f->info.id);
	}
	f->inq[(f->in_head + f->in_count) % INQ_CAP] = *pkt;
	f->in_count++;
	pthread_mutex_unlock(&f->lock);
}

static void op_pull(void *port)
{
	struct fake *f = port;
	atomic_fetch_add(&f->calls, 1);
	atomic_fetch_add(&f->pulls, 1);
}

static int op_recv(void *port, struct port_packet *out)
{
	struct fake *f = port;
	atomic_fetch_add(&f->calls, 1);
	atomic_fetch_add(&f->recvs, 1);
	pthread_mutex_lock(&f->lock);
	int got = f->in_count > 0;
	if (got) {
		*out = f->inq[f->in_head];
		f->in_head = (f->in_head + 1) % INQ_CAP;
		f->in_count--;
	}
	pthread_mutex_unlock(&f->lock);
	return got;
}

static void op_send_rtp(void *port, enum port_media kind, uint8_t *pkt, size_t len, size_t cap,
			int64_t capture_us)
{
	struct fake *f = port;
	atomic_fetch_add(&f->calls, 1);
	atomic_fetch_add(&f->sends, 1);
	struct rtp_header h;
	bool ok = cap >= len + 32 && rtp_parse(pkt, len, &h) == 0;
	uint8_t *copy = NULL;
	if (ok) {
		copy = malloc(h.payload_len ? h.payload_len : 1);
		if (!copy)
			abort();
		memcpy(copy, pkt + h.payload_offset, h.payload_len);
		/* the transport may change the buffer: make sure nothing relies
		 * on it staying as it was */
		memset(pkt, 0xA5, cap);
	}
	pthread_mutex_lock(&f->lock);
	if (!ok) {
		f->bad_sends++;
	} else {
		if (f->n_sent == f->cap_sent) {
			int c = f->cap_sent ? f->cap_sent * 2 : 256;
			struct sent_pkt *grown = realloc(f->sent, (size_t)c * sizeof(*grown));
			if (!grown)
				abort();
			f->sent = grown;
			f->cap_sent = c;
		}
		f->sent[f->n_sent++] = (struct sent_pkt){
			.kind = kind, .pt = h.payload_type, .marker = h.marker, .seq = h.seq,
			.ts = h.timestamp, .ssrc = h.ssrc, .capture_us = capture_us,
			.sent_us = clock_now_us(), .len = h.payload_len, .payload = copy,
		};
	}
	pthread_mutex_unlock(&f->lock);
}

static void op_request_keyframe(void *port)
{
	struct fake *f = port;
	atomic_fetch_add(&f->calls, 1);
	atomic_fetch_add(&f->keyframe_reqs, 1);
}

static void op_nack(void *port, const uint16_t *seqs, int n)
{
	(void)seqs;
	(void)n;
	struct fake *f = port;
	atomic_fetch_add(&f->calls, 1);
	atomic_fetch_add(&f->nacks, 1);
}

static void op_feedback(void *port, struct port_feedback *out)
{
	struct fake *f = port;
	atomic_fetch_add(&f->calls, 1);
	atomic_fetch_add(&f->feedbacks, 1);
	pthread_mutex_lock(&f->lock);
	*out = f->fb;
	if (f->keyframe_always)
		out->keyframe = true;
	f->fb = (struct port_feedback){ .loss_fraction = -1 };
	pthread_mutex_unlock(&f->lock);
}

static bool op_ready(void *port)
{
	struct fake *f = port;
	atomic_fetch_add(&f->calls, 1);
	atomic_fetch_add(&f->readies, 1);
	return true;
}

static const struct port_ops fake_ops = {
	.pull = op_pull,
	.recv = op_recv,
	.send_rtp = op_send_rtp,
	.request_keyframe = op_request_keyframe,
	.nack = op_nack,
	.feedback = op_feedback,
	.ready = op_ready,
};

static int fake_count(struct fake *f, enum port_media kind)
{
	pthread_mutex_lock(&f->lock);
	int n = 0;
	for (int i = 0; i < f->n_sent; i++)
		n += f->sent[i].kind == kind;
	pthread_mutex_unlock(&f->lock);
	return n;
}

/* Waits up to timeout_ms for f to have been sent at least n packets of kind. */
static bool wait_sent(struct fake *f, enum port_media kind, int n, int timeout_ms)
{
	int64_t end = clock_now_us() + (int64_t)timeout_ms * 1000;
	while (fake_count(f, kind) < n) {
		if (clock_now_us() > end)
			return false;
		sleep_ms(5);
	}
	return true;
}

static const struct mix_config test_config = {
	.room = "t",
	.layout = LAYOUT_GRID,
	.max_mixed_speakers = 8,
	.video_timeout_ms = 2000,
	.keyframe_min_interval_ms = 500,
	.x264_preset = "ultrafast",
	.encoder_threads = 1,
	.audio_bitrate = 32000,
};

/* ---- audio ---------------------------------------------------------- */

#define TONE_AMP 6000.0
#define FRAME_US 20000
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

struct talker {
	struct fake *f;
	double freq;
	struct opusenc *enc;
	uint16_t seq;
	uint32_t ts;
};

static void talk(struct talker *t, int k, int64_t now)
{
	int16_t pcm[OPUS_FRAME_SAMPLES];
	for (int i = 0; i < OPUS_FRAME_SAMPLES; i++)
		pcm[i] = (int16_t)lround(TONE_AMP * sin(2 * M_PI * t->freq *
							(double)(k * OPUS_FRAME_SAMPLES + i) / OPUS_RATE));
	struct port_packet *p = calloc(1, sizeof(*p));
	assert_non_null(p);
	int n = opuscodec_enc_encode(t->enc, pcm, p->payload, sizeof(p->payload));
	assert_true(n > 0);
	p->kind = PORT_AUDIO;
	p->pt = 111;
	p->seq = t->seq++;
	p->ts = t->ts;
	t->ts += OPUS_FRAME_SAMPLES;
	p->ssrc = 0x1000 + t->f->info.audio_ssrc;
	p->audio_level = -1; /* the room measures it */
	p->arrival_us = now;
	p->len = (size_t)n;
	fake_push(t->f, p);
	free(p);
}

/* What listener t heard: its packets checked, decoded, and the amplitude
 * of each tone over a steady window starting 0.4 s after talk_start. */
static void check_listener(struct talker *t, int64_t talk_start, const double *freqs, int n_freqs,
			   double *amps)
{
	struct fake *f = t->f;
	assert_int_equal(f->bad_sends, 0);
	assert_true(f->n_sent >= TALK_FRAMES - 5);
	struct opusdec *d = NULL;
	assert_int_equal(opuscodec_dec_create(&d), 0);
	int16_t *pcm = calloc((size_t)f->n_sent * OPUS_MAX_FRAME_SAMPLES, sizeof(int16_t));
	assert_non_null(pcm);
	int total = 0, start = -1;
	for (int i = 0; i < f->n_sent; i++) {
		const struct sent_pkt *s = &f->sent[i];
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
	assert_int_equal(mix_create(&test_config, &m), 0);
	static const double freqs[3] = { 440, 540, 670 };
	static const char *names[3] = { "A", "B", "C" };
	static const uint16_t first_seq[3] = { 100, 65500, 30000 }; /* B wraps */
	struct talker t[3];
	for (int i = 0; i < 3; i++) {
		t[i] = (struct talker){ .f = fake_new(names[i]), .freq = freqs[i],
					.seq = first_seq[i], .ts = 12345u * (unsigned)i };
		t[i].f->info.sends_audio = true;
		t[i].f->info.receives_audio = true;
		t[i].f->info.audio_pt = 111;
		t[i].f->info.audio_ssrc = 0xA0000001u + (uint32_t)i;
		assert_int_equal(opuscodec_enc_create(32000, 5, &t[i].enc), 0);
		assert_int_equal(mix_add(m, &t[i].f->info, &fake_ops, t[i].f), 0);
	}

	int64_t t0 = clock_now_us();
	struct mix_stats st_mid;
	for (int k = 0; k < TALK_FRAMES; k++) {
		int64_t at = t0 + (int64_t)k * FRAME_US;
		sleep_until(at);
		for (int i = 0; i < 3; i++)
			talk(&t[i], k, clock_now_us());
		if (k == 50)
			mix_get_stats(m, &st_mid);
	}
	sleep_ms(100);
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
		fake_free(t[i].f);
	}
}

/* A sender's packet: payload copied, level as its RFC 6464 header would
 * say (-1 none). */
static void push_audio(struct fake *f, uint16_t seq, uint32_t ts, const uint8_t *payload,
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
	fake_push(f, p);
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
	struct mix_config cfg = test_config;
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
	struct fake *f[MANY];
	struct talker t[3];
	for (int i = 0; i < MANY; i++) {
		char id[16];
		snprintf(id, sizeof(id), "S%d", i);
		f[i] = fake_new(id);
		f[i]->info.sends_audio = true;
		f[i]->info.audio_pt = 111;
		f[i]->info.audio_ssrc = 0xB0000000u + (uint32_t)i;
		assert_int_equal(mix_add(m, &f[i]->info, &fake_ops, f[i]), 0);
	}
	for (int k = 0; k < 3; k++) {
		t[k] = (struct talker){ .f = f[talker_at[k]], .freq = freqs[k] };
		assert_int_equal(opuscodec_enc_create(32000, 5, &t[k].enc), 0);
	}
	struct talker l = { .f = fake_new("L") };
	l.f->info.receives_audio = true;
	l.f->info.audio_pt = 111;
	l.f->info.audio_ssrc = 0xC0000001u;
	assert_int_equal(mix_add(m, &l.f->info, &fake_ops, l.f), 0);

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
		sleep_until(t0 + (int64_t)k * FRAME_US);
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
	sleep_ms(100);
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
		fake_free(f[i]);
	fake_free(l.f);
}

/* ---- video ---------------------------------------------------------- */

#define VW 640
#define VH 360
#define COL_Y 145    /* a green */
#define COL_U 54
#define COL_V 34
#define S_PT 102
#define R_PT 96
#define R_SSRC 0x52525252u
#define FRAME_90K 3000

struct vsender {
	struct fake *f;
	struct venc *enc;
	AVFrame *pic;
	uint8_t scratch[1200];
	uint16_t seq;
	int keyframe_reqs_seen;
	int k;
	uint32_t ts;
};

static int emit_to_sender(void *user, const uint8_t *payload, size_t len, bool marker)
{
	struct vsender *s = user;
	struct port_packet *p = calloc(1, sizeof(*p));
	if (!p)
		return MCU_ENOMEM;
	p->kind = PORT_VIDEO;
	p->pt = S_PT;
	p->marker = marker;
	p->seq = s->seq++;
	p->ts = s->ts;
	p->ssrc = 0x5555;
	p->audio_level = -1;
	p->arrival_us = clock_now_us();
	p->len = len;
	memcpy(p->payload, payload, len);
	fake_push(s->f, p);
	free(p);
	return 0;
}

/* Encodes the sender's next picture (an IDR when the room asked for one
 * since the last) and queues its RTP packets. */
static void send_video_frame(struct vsender *s)
{
	int reqs = atomic_load(&s->f->keyframe_reqs);
	bool force = reqs != s->keyframe_reqs_seen;
	s->keyframe_reqs_seen = reqs;
	const uint8_t *au;
	size_t len;
	bool idr;
	s->ts = 90000u * 7 + (uint32_t)s->k * FRAME_90K;
	assert_int_equal(venc_encode(s->enc, s->pic, (int64_t)s->k * FRAME_90K, force, &au, &len, &idr), 0);
	assert_true(len > 0);
	assert_int_equal(h264pkt_pack(au, len, sizeof(s->scratch), 1, s->scratch, emit_to_sender, s), 0);
	s->k++;
}

static void vsender_init(struct vsender *s)
{
	memset(s, 0, sizeof(*s));
	s->f = fake_new("S");
	s->f->info.sends_video = true;
	s->f->info.video_pts[0] = S_PT;
	s->f->info.video_codecs[0] = PORT_H264;
	s->f->info.n_video_pts = 1;
	s->seq = 4000;
	struct venc_config vc = { .width = VW, .height = VH, .fps = 30, .bitrate_kbps = 700,
				  .preset = "ultrafast", .threads = 1 };
	assert_int_equal(venc_create(&vc, &s->enc), 0);
	s->pic = av_frame_alloc();
	assert_non_null(s->pic);
	s->pic->format = AV_PIX_FMT_YUV420P;
	s->pic->width = VW;
	s->pic->height = VH;
	assert_int_equal(av_frame_get_buffer(s->pic, 0), 0);
	for (int r = 0; r < VH; r++)
		memset(s->pic->data[0] + (size_t)r * s->pic->linesize[0], COL_Y, VW);
	for (int r = 0; r < VH / 2; r++) {
		memset(s->pic->data[1] + (size_t)r * s->pic->linesize[1], COL_U, VW / 2);
		memset(s->pic->data[2] + (size_t)r * s->pic->linesize[2], COL_V, VW / 2);
	}
}

static void vsender_fini(struct vsender *s)
{
	venc_destroy(s->enc);
	av_frame_free(&s->pic);
	fake_free(s->f);
}

static struct fake *video_receiver(const char *id)
{
	struct fake *r = fake_new(id);
	r->info.receives_video = true;
	r->info.profile = PROFILE_SD;
	r->info.video_pt = R_PT;
	r->info.video_ssrc = R_SSRC;
	return r;
}

/* One access unit as the receiver rebuilds it. */
struct rframe {
	uint32_t ts;
	int64_t sent_us;       /* when its first packet was sent */
	uint8_t *au;           /* len + VDEC_PADDING bytes */
	int len;
	bool keyframe;
};

/* Splits what R was sent into frames (by marker), checking the headers. */
static int split_frames(struct fake *r, struct rframe *frames, int max)
{
	assert_int_equal(r->bad_sends, 0);
	assert_true(r->n_sent > 0);
	int n = 0, first = 0;
	for (int i = 0; i < r->n_sent; i++) {
		const struct sent_pkt *s = &r->sent[i];
		assert_int_equal(s->kind, PORT_VIDEO);
		assert_int_equal(s->pt, R_PT);
		assert_int_equal(s->ssrc, r->info.video_ssrc);
		assert_true(s->len <= 1200);
		if (i > 0)
			assert_int_equal(s->seq, (uint16_t)(r->sent[i - 1].seq + 1));
		if (i > first)
			assert_int_equal(s->ts, r->sent[first].ts); /* one frame, one ts */
		if (!s->marker)
			continue;
		assert_true(n < max);
		struct rframe *fr = &frames[n++];
		size_t cap = 0;
		for (int k = first; k <= i; k++)
			cap += r->sent[k].len + 64;
		fr->au = malloc(cap + VDEC_PADDING);
		assert_non_null(fr->au);
		struct h264_depack d;
		h264pkt_depack_begin(&d, fr->au, cap);
		for (int k = first; k <= i; k++)
			assert_int_equal(h264pkt_depack_add(&d, r->sent[k].payload, r->sent[k].len), 0);
		fr->len = h264pkt_depack_end(&d);
		assert_true(fr->len > 0);
		memset(fr->au + fr->len, 0, VDEC_PADDING);
		fr->keyframe = d.keyframe;
		assert_int_equal(h264pkt_is_keyframe(fr->au, (size_t)fr->len), d.keyframe);
		if (d.keyframe) {
			assert_true(d.has_sps);
			assert_true(d.has_pps);
		}
		fr->ts = s->ts;
		fr->sent_us = r->sent[first].sent_us;
		first = i + 1;
	}
	return n;
}

static void assert_colour_at_centre(const AVFrame *pic)
{
	int x = VW / 2, y = VH / 2;
	long yv = pic->data[0][(size_t)y * pic->linesize[0] + x];
	long u = pic->data[1][(size_t)(y / 2) * pic->linesize[1] + x / 2];
	long v = pic->data[2][(size_t)(y / 2) * pic->linesize[2] + x / 2];
	if (labs(yv - COL_Y) > 10 || labs(u - COL_U) > 10 || labs(v - COL_V) > 10)
		fail_msg("centre is YUV %ld/%ld/%ld, want %d/%d/%d", yv, u, v, COL_Y, COL_U, COL_V);
}

#define RUN_FRAMES 120         /* 4 s at 30 fps */
#define R_JOINS 9              /* after 0.3 s: the sender's picture is decoded */
#define R2_JOINS 24            /* 0.8 s */
#define ONE_REQUEST 45         /* 1.5 s */
#define ALWAYS_FROM 63         /* 2.1 s: R asks at every feedback ... */
#define ALWAYS_UNTIL 87        /* ... until 2.9 s */
/* A request made just before the asking stops is honoured up to
 * keyframe_min_interval_ms later; after that the stream is quiet. */
#define LATE_US 600000

static void test_video(void **state)
{
	(void)state;
	struct mix *m = NULL;
	assert_int_equal(mix_create(&test_config, &m), 0);
	struct vsender s;
	vsender_init(&s);
	struct fake *r = video_receiver("R");
	/* R2 joins a profile already running: it too must start at an IDR */
	struct fake *r2 = video_receiver("R2");
	r2->info.video_ssrc = R_SSRC + 1;
	assert_int_equal(mix_add(m, &s.f->info, &fake_ops, s.f), 0);

	struct mix_stats st;
	int64_t t_one = 0, t_always = 0, t_always_end = 0;
	int64_t t0 = clock_now_us();
	for (int k = 0; k < RUN_FRAMES; k++) {
		sleep_until(t0 + (int64_t)k * 1000000 / 30);
		send_video_frame(&s);
		if (k == R_JOINS) {
			assert_int_equal(mix_add(m, &r->info, &fake_ops, r), 0);
			assert_int_equal(mix_profile_of(m, r), PROFILE_SD);
		}
		if (k == R2_JOINS)
			assert_int_equal(mix_add(m, &r2->info, &fake_ops, r2), 0);
		if (k == 30) {
			mix_get_stats(m, &st);
			assert_int_equal(st.participants, 3);
			assert_int_equal(st.video_encoders, 1);
			assert_int_equal(st.profiles_mask, 1u << PROFILE_SD);
			assert_int_equal(st.video_decoders, 1);
			assert_int_equal(st.video_senders, 1);
			assert_int_equal(st.audio_decoders, 0);
			assert_true(st.frames_encoded > 0);
			assert_true(st.keyframes >= 1);
		}
		pthread_mutex_lock(&r->lock);
		if (k == ONE_REQUEST) {
			r->fb.keyframe = true;
			t_one = clock_now_us();
		}
		if (k == ALWAYS_FROM) {
			r->keyframe_always = true;
			t_always = clock_now_us();
		}
		if (k == ALWAYS_UNTIL) {
			r->keyframe_always = false;
			t_always_end = clock_now_us();
		}
		pthread_mutex_unlock(&r->lock);
	}
	sleep_ms(150);
	assert_int_equal(mix_remove(m, r), 0);
	assert_int_equal(mix_remove(m, r2), 0);
	assert_int_equal(mix_remove(m, s.f), 0);
	mix_get_stats(m, &st);
	mix_destroy(m);

	/* the new sender was asked for a keyframe */
	assert_true(atomic_load(&s.f->keyframe_reqs) >= 1);
	/* the sender was sent nothing; the receiver only video */
	assert_int_equal(atomic_load(&s.f->sends), 0);
	assert_int_equal(fake_count(r, PORT_AUDIO), 0);

	static struct rframe frames[RUN_FRAMES * 2];
	int n = split_frames(r, frames, RUN_FRAMES * 2);
	/* about 30 fps from R's join on; generous bounds */
	assert_true(t_always_end + LATE_US + 300000 < clock_now_us());
	assert_true(n >= 40 && n <= RUN_FRAMES - R_JOINS + 10);

	/* R starts at an IDR that already shows the sender's picture, and
	 * every frame after decodes cleanly */
	assert_true(frames[0].keyframe);
	struct vdec *d = NULL;
	assert_int_equal(vdec_create(VCODEC_H264, &d), 0);
	int pictures = 0;
	for (int i = 0; i < n; i++) {
		AVFrame *pic = NULL;
		assert_int_equal(vdec_decode(d, frames[i].au, (size_t)frames[i].len, &pic), 0);
		if (i == 0)
			assert_non_null(pic);
		if (!pic)
			continue;
		pictures++;
		assert_int_equal(pic->width, VW);
		assert_int_equal(pic->height, VH);
		if (i == 0 || i == n - 1)
			assert_colour_at_centre(pic);
		if (i > 0)
			assert_true(rtp_ts_after(frames[i].ts, frames[i - 1].ts));
	}
	assert_true(pictures >= n - 1);
	assert_int_equal(vdec_errors(d), 0);
	vdec_destroy(d);

	/* keyframes: the joins', one for the single request, then one per
	 * 500 ms while R keeps asking, never two closer than that, and none
	 * once nobody asks */
	int idr_one = 0, idr_always = 0, idr_quiet = 0;
	uint32_t prev_ts = 0;
	bool have_prev = false;
	for (int i = 0; i < n; i++) {
		if (!frames[i].keyframe)
			continue;
		int64_t at = frames[i].sent_us;
		if (at > t_one && at < t_always)
			idr_one++;
		else if (at > t_always && at < t_always_end + LATE_US)
			idr_always++;
		else if (at > t_always_end + LATE_US)
			idr_quiet++;
		if (have_prev && (uint32_t)(frames[i].ts - prev_ts) < 45000 - 2)
			fail_msg("IDRs %u apart (90 kHz), below keyframe_min_interval_ms",
				 (unsigned)(frames[i].ts - prev_ts));
		prev_ts = frames[i].ts;
		have_prev = true;
	}
	print_message("IDRs: one request %d, asking always %d, afterwards %d (keyframes %lu)\n",
		      idr_one, idr_always, idr_quiet, (unsigned long)st.keyframes);
	assert_int_equal(idr_one, 1);
	assert_true(idr_always >= 2); /* 0.8 s of asking: 2 or 3 (4 with the late one) */
	assert_int_equal(idr_quiet, 0);
	/* the room counted what R got (every keyframe of sd went to R) */
	assert_true(st.keyframes >= (uint64_t)(1 + idr_one + idr_always));

	for (int i = 0; i < n; i++)
		free(frames[i].au);

	/* R2 got the same pictures on its own numbering, from an IDR on */
	n = split_frames(r2, frames, RUN_FRAMES * 2);
	assert_true(n >= 20);
	assert_true(frames[0].keyframe);
	assert_int_equal(vdec_create(VCODEC_H264, &d), 0);
	for (int i = 0; i < n; i++) {
		AVFrame *pic = NULL;
		assert_int_equal(vdec_decode(d, frames[i].au, (size_t)frames[i].len, &pic), 0);
		if (i == 0) {
			assert_non_null(pic);
			assert_colour_at_centre(pic);
		}
		free(frames[i].au);
	}
	assert_int_equal(vdec_errors(d), 0);
	vdec_destroy(d);
	fake_free(r2);
	fake_free(r);
	vsender_fini(&s);
}

/* ---- participants --------------------------------------------------- */

static int snapshot(struct fake *f)
{
	return atomic_load(&f->calls);
}

static void test_remove(void **state)
{
	(void)state;
	struct mix *m = NULL;
	assert_int_equal(mix_create(&test_config, &m), 0);
	/* P listens to audio and ld video and talks; Q only listens */
	struct fake *p = fake_new("P");
	p->info.sends_audio = true;
	p->info.receives_audio = true;
	p->info.receives_video = true;
	p->info.profile = PROFILE_LD;
	p->info.audio_pt = 111;
	p->info.audio_ssrc = 0x50;
	p->info.video_pt = 96;
	p->info.video_ssrc = 0x51;
	struct fake *q = fake_new("Q");
	q->info.receives_audio = true;
	q->info.audio_pt = 111;
	q->info.audio_ssrc = 0x60;
	assert_int_equal(mix_add(m, &p->info, &fake_ops, p), 0);
	assert_int_equal(mix_add(m, &q->info, &fake_ops, q), 0);
	assert_int_equal(mix_profile_of(m, p), PROFILE_LD);
	assert_int_equal(mix_profile_of(m, q), PROFILE_SD);

	/* adding a port twice is refused, and the room keeps one of it */
	assert_int_equal(mix_add(m, &q->info, &fake_ops, q), MCU_EEXIST);

	assert_true(wait_sent(p, PORT_AUDIO, 5, 3000));
	assert_true(wait_sent(p, PORT_VIDEO, 1, 3000));
	/* a packet P sent that the room has not taken yet */
	struct opusenc *enc = NULL;
	assert_int_equal(opuscodec_enc_create(32000, 5, &enc), 0);
	int16_t pcm[OPUS_FRAME_SAMPLES] = { 0 };
	struct port_packet *pkt = calloc(1, sizeof(*pkt));
	assert_non_null(pkt);
	pkt->kind = PORT_AUDIO;
	pkt->pt = 111;
	pkt->audio_level = -1;
	int len = opuscodec_enc_encode(enc, pcm, pkt->payload, sizeof(pkt->payload));
	assert_true(len > 0);
	pkt->len = (size_t)len;

	struct mix_stats st;
	mix_get_stats(m, &st);
	assert_int_equal(st.participants, 2);

	fake_push(p, pkt);
	assert_int_equal(mix_remove(m, p), 0);
	int calls = snapshot(p), sends = atomic_load(&p->sends);
	int q_sends = atomic_load(&q->sends);
	sleep_ms(200);
	assert_int_equal(atomic_load(&p->sends), sends);
	assert_int_equal(snapshot(p), calls); /* no op at all */
	/* the room goes on for the others */
	assert_true(atomic_load(&q->sends) >= q_sends + 5);
	mix_get_stats(m, &st);
	assert_int_equal(st.participants, 1);
	assert_int_equal(mix_profile_of(m, p), -1);

	/* removing it again, or a port never added: not found */
	assert_int_equal(mix_remove(m, p), MCU_ENOTFOUND);
	int stranger;
	assert_int_equal(mix_remove(m, &stranger), MCU_ENOTFOUND);
	assert_int_equal(mix_profile_of(m, &stranger), -1);

	/* and it may come back */
	assert_int_equal(mix_add(m, &p->info, &fake_ops, p), 0);
	assert_true(wait_sent(p, PORT_AUDIO, sends + 3, 3000));
	assert_int_equal(mix_remove(m, p), 0);
	assert_int_equal(mix_remove(m, q), 0);
	calls = snapshot(p);
	int q_calls = snapshot(q);
	sleep_ms(100);
	assert_int_equal(snapshot(p), calls);
	assert_int_equal(snapshot(q), q_calls);
	mix_get_stats(m, &st);
	assert_int_equal(st.participants, 0);

	mix_destroy(m);
	free(pkt);
	opuscodec_enc_destroy(enc);
	fake_free(p);
	fake_free(q);
}

/* Is a thread of this process named name (top -H, perf)? */
static bool thread_named(const char *name)
{
	DIR *d = opendir("/proc/self/task");
	assert_non_null(d);
	bool found = false;
	for (struct dirent *e; !found && (e = readdir(d));) {
		char path[300], comm[32] = "";
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
		found = !strcmp(comm, name);
	}
	closedir(d);
	return found;
}

static void test_bad_arguments(void **state)
{
	(void)state;
	struct mix *m = NULL;
	struct mix_config c = test_config;
	c.max_mixed_speakers = 0;
	assert_int_equal(mix_create(&c, &m), MCU_EINVAL);
	c.max_mixed_speakers = 65;
	assert_int_equal(mix_create(&c, &m), MCU_EINVAL);
	c = test_config;
	c.encoder_threads = 0;
	assert_int_equal(mix_create(&c, &m), MCU_EINVAL);
	assert_null(m);
	mix_destroy(NULL);

	assert_int_equal(mix_create(&test_config, &m), 0);
	assert_true(thread_named("room t"));
	struct fake *f = fake_new("F");
	f->info.receives_audio = true;
	assert_int_equal(mix_add(m, NULL, &fake_ops, f), MCU_EINVAL);
	assert_int_equal(mix_add(m, &f->info, NULL, f), MCU_EINVAL);
	assert_int_equal(mix_add(m, &f->info, &fake_ops, NULL), MCU_EINVAL);
	f->info.profile = -1;
	assert_int_equal(mix_add(m, &f->info, &fake_ops, f), MCU_EINVAL);
	f->info.profile = PROFILE_COUNT;
	assert_int_equal(mix_add(m, &f->info, &fake_ops, f), MCU_EINVAL);
	struct mix_stats st;
	mix_get_stats(m, &st);
	assert_int_equal(st.participants, 0);
	assert_int_equal(atomic_load(&f->calls), 0);
	mix_destroy(m);
	assert_false(thread_named("room t"));
	fake_free(f);
}

/* Destroying a room with everyone still in frees them all (ASan's leak
 * check at exit) and leaves the ports alone afterwards. */
static void test_destroy_with_participants(void **state)
{
	(void)state;
	struct mix *m = NULL;
	assert_int_equal(mix_create(&test_config, &m), 0);
	struct vsender s;
	vsender_init(&s);
	s.f->info.sends_audio = true;
	struct fake *r = video_receiver("R");
	r->info.receives_audio = true;
	r->info.audio_pt = 111;
	r->info.audio_ssrc = 0x77;
	struct talker a = { .f = s.f, .freq = 440 };
	assert_int_equal(opuscodec_enc_create(32000, 5, &a.enc), 0);
	assert_int_equal(mix_add(m, &s.f->info, &fake_ops, s.f), 0);
	assert_int_equal(mix_add(m, &r->info, &fake_ops, r), 0);

	int64_t t0 = clock_now_us();
	struct mix_stats talking;
	for (int k = 0; k < 15; k++) { /* 0.3 s of audio and video */
		sleep_until(t0 + (int64_t)k * FRAME_US);
		talk(&a, k, clock_now_us());
		if (k % 2 == 0)
			send_video_frame(&s);
		if (k == 12) /* audio_decoders counts decoding now: while it talks */
			mix_get_stats(m, &talking);
	}
	assert_true(wait_sent(r, PORT_VIDEO, 1, 3000));
	assert_true(wait_sent(r, PORT_AUDIO, 1, 3000));
	struct mix_stats st;
	mix_get_stats(m, &st);
	assert_int_equal(st.participants, 2);
	assert_int_equal(st.video_decoders, 1);
	assert_int_equal(talking.audio_decoders, 1);

	mix_destroy(m);
	int s_calls = snapshot(s.f), r_calls = snapshot(r);
	sleep_ms(50);
	assert_int_equal(snapshot(s.f), s_calls);
	assert_int_equal(snapshot(r), r_calls);

	opuscodec_enc_destroy(a.enc);
	fake_free(r);
	vsender_fini(&s);
}

int main(void)
{
	log_set_level(LOG_WARN);
	av_log_set_level(AV_LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audio_mix_minus),
		cmocka_unit_test(test_audio_many_senders),
		cmocka_unit_test(test_video),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_destroy_with_participants),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
