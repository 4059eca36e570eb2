/*
 * mixfixture.c - see mixfixture.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mixfixture.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/profile.h"
#include "base/rtp.h"
#include "codecs/h264pkt.h"
#include "codecs/opuscodec.h"
#include "codecs/venc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- time ----------------------------------------------------------- */

void mixfixture_sleep_until(int64_t deadline_us)
{
	struct timespec ts = { .tv_sec = deadline_us / 1000000,
			       .tv_nsec = (long)(deadline_us % 1000000) * 1000 };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
	}
}

void mixfixture_sleep_ms(int ms)
{
	mixfixture_sleep_until(clock_now_us() + (int64_t)ms * 1000);
}

/* ---- the fake port -------------------------------------------------- */

#define INQ_CAP 512

struct mixfixture_fake *mixfixture_fake_new(const char *id)
{
	struct mixfixture_fake *f = calloc(1, sizeof(*f));
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

void mixfixture_fake_free(struct mixfixture_fake *f)
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
void mixfixture_fake_push(struct mixfixture_fake *f, const struct port_packet *pkt)
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
	struct mixfixture_fake *f = port;
	atomic_fetch_add(&f->calls, 1);
	atomic_fetch_add(&f->pulls, 1);
}

static int op_recv(void *port, struct port_packet *out)
{
	struct mixfixture_fake *f = port;
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
	struct mixfixture_fake *f = port;
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
			struct mixfixture_sent *grown = realloc(f->sent, (size_t)c * sizeof(*grown));
			if (!grown)
				abort();
			f->sent = grown;
			f->cap_sent = c;
		}
		f->sent[f->n_sent++] = (struct mixfixture_sent){
			.kind = kind, .pt = h.payload_type, .marker = h.marker, .seq = h.seq,
			.ts = h.timestamp, .ssrc = h.ssrc, .capture_us = capture_us,
			.sent_us = clock_now_us(), .len = h.payload_len, .payload = copy,
		};
	}
	pthread_mutex_unlock(&f->lock);
}

static void op_request_keyframe(void *port)
{
	struct mixfixture_fake *f = port;
	atomic_fetch_add(&f->calls, 1);
	atomic_fetch_add(&f->keyframe_reqs, 1);
}

static void op_nack(void *port, const uint16_t *seqs, int n)
{
	(void)seqs;
	(void)n;
	struct mixfixture_fake *f = port;
	atomic_fetch_add(&f->calls, 1);
	atomic_fetch_add(&f->nacks, 1);
}

static void op_feedback(void *port, struct port_feedback *out)
{
	struct mixfixture_fake *f = port;
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
	struct mixfixture_fake *f = port;
	atomic_fetch_add(&f->calls, 1);
	atomic_fetch_add(&f->readies, 1);
	return true;
}

const struct port_ops mixfixture_fake_ops = {
	.pull = op_pull,
	.recv = op_recv,
	.send_rtp = op_send_rtp,
	.request_keyframe = op_request_keyframe,
	.nack = op_nack,
	.feedback = op_feedback,
	.ready = op_ready,
};

int mixfixture_fake_count(struct mixfixture_fake *f, enum port_media kind)
{
	pthread_mutex_lock(&f->lock);
	int n = 0;
	for (int i = 0; i < f->n_sent; i++)
		n += f->sent[i].kind == kind;
	pthread_mutex_unlock(&f->lock);
	return n;
}

/* Waits up to timeout_ms for f to have been sent at least n packets of kind. */
bool mixfixture_wait_sent(struct mixfixture_fake *f, enum port_media kind, int n, int timeout_ms)
{
	int64_t end = clock_now_us() + (int64_t)timeout_ms * 1000;
	while (mixfixture_fake_count(f, kind) < n) {
		if (clock_now_us() > end)
			return false;
		mixfixture_sleep_ms(5);
	}
	return true;
}

const struct mix_config mixfixture_config = {
	.room = "t",
	.layout = LAYOUT_GRID,
	.max_mixed_speakers = 8,
	.video_timeout_ms = 2000,
	.keyframe_min_interval_ms = 500,
	.x264_preset = "ultrafast",
	.encoder_threads = 1,
	.audio_bitrate = 32000,
};

/* ---- an audio talker ------------------------------------------------ */

void mixfixture_talk(struct mixfixture_talker *t, int k, int64_t now)
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
	mixfixture_fake_push(t->f, p);
	free(p);
}
/* ---- a video sender ------------------------------------------------- */

static int emit_to_sender(void *user, const uint8_t *payload, size_t len, bool marker)
{
	struct mixfixture_vsender *s = user;
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
	mixfixture_fake_push(s->f, p);
	free(p);
	return 0;
}

/* Encodes the sender's next picture (an IDR when the room asked for one
 * since the last) and queues its RTP packets. */
void mixfixture_send_video_frame(struct mixfixture_vsender *s)
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

void mixfixture_vsender_init(struct mixfixture_vsender *s)
{
	memset(s, 0, sizeof(*s));
	s->f = mixfixture_fake_new("S");
	s->f->info.sends_video = true;
	s->f->info.video_pts[0] = S_PT;
	s->f->info.video_codecs[0] = CODEC_H264;
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

void mixfixture_vsender_fini(struct mixfixture_vsender *s)
{
	venc_destroy(s->enc);
	av_frame_free(&s->pic);
	mixfixture_fake_free(s->f);
}

struct mixfixture_fake *mixfixture_video_receiver(const char *id)
{
	struct mixfixture_fake *r = mixfixture_fake_new(id);
	r->info.receives_video = true;
	r->info.profile = PROFILE_SD;
	r->info.video_pt = R_PT;
	r->info.video_ssrc = R_SSRC;
	return r;
}
