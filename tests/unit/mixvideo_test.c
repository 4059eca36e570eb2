/* mixvideo_test.c - the room's video driven through fake ports
 * (mixfixture.h) in real time: one sender's H.264 decoded, composed,
 * encoded once for the sd profile and sent to a receiver, whose first frame
 * is an IDR showing the sender's colour; keyframe requests from the receiver
 * make IDRs, at most one per keyframe_min_interval_ms; the new sender is
 * asked for one. Every wait is bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mixfixture.h"

#include "base/clock.h"
#include "base/log.h"
#include "base/profile.h"
#include "base/rtp.h"
#include "codecs/h264pkt.h"
#include "codecs/vdec.h"

#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <stdlib.h>
#include <string.h>

/* ---- video ---------------------------------------------------------- */
/* One access unit as the receiver rebuilds it. */
struct rframe {
	uint32_t ts;
	int64_t sent_us;       /* when its first packet was sent */
	uint8_t *au;           /* len + VDEC_PADDING bytes */
	int len;
	bool keyframe;
};

/* Splits what R was sent into frames (by marker), checking the headers. */
static int split_frames(struct mixfixture_fake *r, struct rframe *frames, int max)
{
	assert_int_equal(r->bad_sends, 0);
	assert_true(r->n_sent > 0);
	int n = 0, first = 0;
	for (int i = 0; i < r->n_sent; i++) {
		const struct mixfixture_sent *s = &r->sent[i];
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
	assert_int_equal(mix_create(&mixfixture_config, &m), 0);
	struct mixfixture_vsender s;
	mixfixture_vsender_init(&s);
	struct mixfixture_fake *r = mixfixture_video_receiver("R");
	/* R2 joins a profile already running: it too must start at an IDR */
	struct mixfixture_fake *r2 = mixfixture_video_receiver("R2");
	r2->info.video_ssrc = R_SSRC + 1;
	assert_int_equal(mix_add(m, &s.f->info, &mixfixture_fake_ops, s.f), 0);

	struct mix_stats st;
	int64_t t_one = 0, t_always = 0, t_always_end = 0;
	int64_t t0 = clock_now_us();
	for (int k = 0; k < RUN_FRAMES; k++) {
		mixfixture_sleep_until(t0 + (int64_t)k * 1000000 / 30);
		mixfixture_send_video_frame(&s);
		if (k == R_JOINS) {
			assert_int_equal(mix_add(m, &r->info, &mixfixture_fake_ops, r), 0);
			assert_int_equal(mix_profile_of(m, r), PROFILE_SD);
		}
		if (k == R2_JOINS)
			assert_int_equal(mix_add(m, &r2->info, &mixfixture_fake_ops, r2), 0);
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
	mixfixture_sleep_ms(150);
	assert_int_equal(mix_remove(m, r), 0);
	assert_int_equal(mix_remove(m, r2), 0);
	assert_int_equal(mix_remove(m, s.f), 0);
	mix_get_stats(m, &st);
	mix_destroy(m);

	/* the new sender was asked for a keyframe */
	assert_true(atomic_load(&s.f->keyframe_reqs) >= 1);
	/* the sender was sent nothing; the receiver only video */
	assert_int_equal(atomic_load(&s.f->sends), 0);
	assert_int_equal(mixfixture_fake_count(r, PORT_AUDIO), 0);

	static struct rframe frames[RUN_FRAMES * 2];
	int n = split_frames(r, frames, RUN_FRAMES * 2);
	/* about 30 fps from R's join on; generous bounds */
	assert_true(t_always_end + LATE_US + 300000 < clock_now_us());
	assert_true(n >= 40 && n <= RUN_FRAMES - R_JOINS + 10);

	/* R starts at an IDR that already shows the sender's picture, and
	 * every frame after decodes cleanly */
	assert_true(frames[0].keyframe);
	struct vdec *d = NULL;
	assert_int_equal(vdec_create(CODEC_H264, &d), 0);
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
	assert_int_equal(vdec_create(CODEC_H264, &d), 0);
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
	mixfixture_fake_free(r2);
	mixfixture_fake_free(r);
	mixfixture_vsender_fini(&s);
}

int main(void)
{
	log_set_level(LOG_WARN);
	av_log_set_level(AV_LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_video),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
