/* mix_test.c - the room's participants driven through fake ports
 * (mixfixture.h) in real time: a removed port is never touched again,
 * removing an unknown port or adding one twice is refused, and destroying a
 * room with participants frees everything (run under ASan for the leak
 * check); while the room thread is stalled (the test hook), every wait for
 * it ends at command_timeout_ms: an add is given up and leaves nothing, a
 * removal stays queued and is done once the thread wakes, and recorder
 * changes are made in order. The room's audio and video: mixaudio_test.c,
 * mixvideo_test.c. Every wait is bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mixfixture.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/profile.h"
#include "codecs/opuscodec.h"

#include <dirent.h>
#include <libavutil/log.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- participants --------------------------------------------------- */

static int snapshot(struct mixfixture_fake *f)
{
	return atomic_load(&f->calls);
}

static void test_remove(void **state)
{
	(void)state;
	struct mix *m = NULL;
	assert_int_equal(mix_create(&mixfixture_config, &m), 0);
	/* P listens to audio and ld video and talks; Q only listens */
	struct mixfixture_fake *p = mixfixture_fake_new("P");
	p->info.sends_audio = true;
	p->info.receives_audio = true;
	p->info.receives_video = true;
	p->info.profile = PROFILE_LD;
	p->info.audio_pt = 111;
	p->info.audio_ssrc = 0x50;
	p->info.video_pt = 96;
	p->info.video_ssrc = 0x51;
	struct mixfixture_fake *q = mixfixture_fake_new("Q");
	q->info.receives_audio = true;
	q->info.audio_pt = 111;
	q->info.audio_ssrc = 0x60;
	assert_int_equal(mix_add(m, &p->info, &mixfixture_fake_ops, p), 0);
	assert_int_equal(mix_add(m, &q->info, &mixfixture_fake_ops, q), 0);
	assert_int_equal(mix_profile_of(m, p), PROFILE_LD);
	assert_int_equal(mix_profile_of(m, q), PROFILE_SD);

	/* adding a port twice is refused, and the room keeps one of it */
	assert_int_equal(mix_add(m, &q->info, &mixfixture_fake_ops, q), MCU_EEXIST);

	assert_true(mixfixture_wait_sent(p, PORT_AUDIO, 5, 3000));
	assert_true(mixfixture_wait_sent(p, PORT_VIDEO, 1, 3000));
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

	mixfixture_fake_push(p, pkt);
	assert_int_equal(mix_remove(m, p), 0);
	int calls = snapshot(p), sends = atomic_load(&p->sends);
	int q_sends = atomic_load(&q->sends);
	mixfixture_sleep_ms(200);
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
	assert_int_equal(mix_add(m, &p->info, &mixfixture_fake_ops, p), 0);
	assert_true(mixfixture_wait_sent(p, PORT_AUDIO, sends + 3, 3000));
	assert_int_equal(mix_remove(m, p), 0);
	assert_int_equal(mix_remove(m, q), 0);
	calls = snapshot(p);
	int q_calls = snapshot(q);
	mixfixture_sleep_ms(100);
	assert_int_equal(snapshot(p), calls);
	assert_int_equal(snapshot(q), q_calls);
	mix_get_stats(m, &st);
	assert_int_equal(st.participants, 0);

	mix_destroy(m);
	free(pkt);
	opuscodec_enc_destroy(enc);
	mixfixture_fake_free(p);
	mixfixture_fake_free(q);
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
	struct mix_config c = mixfixture_config;
	c.max_mixed_speakers = 0;
	assert_int_equal(mix_create(&c, &m), MCU_EINVAL);
	c.max_mixed_speakers = 65;
	assert_int_equal(mix_create(&c, &m), MCU_EINVAL);
	c = mixfixture_config;
	c.encoder_threads = 0;
	assert_int_equal(mix_create(&c, &m), MCU_EINVAL);
	assert_null(m);
	mix_destroy(NULL);

	assert_int_equal(mix_create(&mixfixture_config, &m), 0);
	assert_true(thread_named("room t"));
	struct mixfixture_fake *f = mixfixture_fake_new("F");
	f->info.receives_audio = true;
	assert_int_equal(mix_add(m, NULL, &mixfixture_fake_ops, f), MCU_EINVAL);
	assert_int_equal(mix_add(m, &f->info, NULL, f), MCU_EINVAL);
	assert_int_equal(mix_add(m, &f->info, &mixfixture_fake_ops, NULL), MCU_EINVAL);
	f->info.profile = -1;
	assert_int_equal(mix_add(m, &f->info, &mixfixture_fake_ops, f), MCU_EINVAL);
	f->info.profile = PROFILE_COUNT;
	assert_int_equal(mix_add(m, &f->info, &mixfixture_fake_ops, f), MCU_EINVAL);
	struct mix_stats st;
	mix_get_stats(m, &st);
	assert_int_equal(st.participants, 0);
	assert_int_equal(atomic_load(&f->calls), 0);
	mix_destroy(m);
	assert_false(thread_named("room t"));
	mixfixture_fake_free(f);
}

/* Destroying a room with everyone still in frees them all (ASan's leak
 * check at exit) and leaves the ports alone afterwards. */
static void test_destroy_with_participants(void **state)
{
	(void)state;
	struct mix *m = NULL;
	assert_int_equal(mix_create(&mixfixture_config, &m), 0);
	struct mixfixture_vsender s;
	mixfixture_vsender_init(&s);
	s.f->info.sends_audio = true;
	struct mixfixture_fake *r = mixfixture_video_receiver("R");
	r->info.receives_audio = true;
	r->info.audio_pt = 111;
	r->info.audio_ssrc = 0x77;
	struct mixfixture_talker a = { .f = s.f, .freq = 440 };
	assert_int_equal(opuscodec_enc_create(32000, 5, &a.enc), 0);
	assert_int_equal(mix_add(m, &s.f->info, &mixfixture_fake_ops, s.f), 0);
	assert_int_equal(mix_add(m, &r->info, &mixfixture_fake_ops, r), 0);

	int64_t t0 = clock_now_us();
	struct mix_stats talking;
	for (int k = 0; k < 15; k++) { /* 0.3 s of audio and video */
		mixfixture_sleep_until(t0 + (int64_t)k * FRAME_US);
		mixfixture_talk(&a, k, clock_now_us());
		if (k % 2 == 0)
			mixfixture_send_video_frame(&s);
		if (k == 12) /* audio_decoders counts decoding now: while it talks */
			mix_get_stats(m, &talking);
	}
	assert_true(mixfixture_wait_sent(r, PORT_VIDEO, 1, 3000));
	assert_true(mixfixture_wait_sent(r, PORT_AUDIO, 1, 3000));
	struct mix_stats st;
	mix_get_stats(m, &st);
	assert_int_equal(st.participants, 2);
	assert_int_equal(st.video_decoders, 1);
	assert_int_equal(talking.audio_decoders, 1);

	mix_destroy(m);
	int s_calls = snapshot(s.f), r_calls = snapshot(r);
	mixfixture_sleep_ms(50);
	assert_int_equal(snapshot(s.f), s_calls);
	assert_int_equal(snapshot(r), r_calls);

	opuscodec_enc_destroy(a.enc);
	mixfixture_fake_free(r);
	mixfixture_vsender_fini(&s);
}

/* ---- a stuck room thread -------------------------------------------- */

static void test_stalled_room(void **state)
{
	(void)state;
	struct mix_config cfg = mixfixture_config;
	cfg.command_timeout_ms = 300;
	struct mix *m = NULL;
	assert_int_equal(mix_create(&cfg, &m), 0);
	struct mixfixture_fake *p = mixfixture_fake_new("P");
	p->info.receives_audio = true;
	p->info.audio_pt = 111;
	struct mixfixture_fake *q = mixfixture_fake_new("Q");
	q->info = p->info;
	assert_int_equal(mix_add(m, &p->info, &mixfixture_fake_ops, p), 0);
	assert_true(mix_holds(m, p));
	assert_false(mix_holds(m, q));
	struct mix_stats st;
	for (int i = 0; i < 100 && (mix_get_stats(m, &st), st.participants != 1); i++)
		mixfixture_sleep_ms(10); /* published once the thread went round */

	mix_stall(m, 5000);
	mixfixture_sleep_ms(50);
	int64_t t0 = clock_now_us();
	/* an add while it sleeps: given up at the timeout, nothing left */
	assert_int_equal(mix_add(m, &q->info, &mixfixture_fake_ops, q), MCU_ETIMEDOUT);
	int64_t waited = clock_now_us() - t0;
	assert_true(waited >= 250000 && waited < 4000000); /* before it wakes */
	assert_false(mix_holds(m, q));
	/* a removal: not given up, done when the thread wakes */
	assert_int_equal(mix_remove(m, p), MCU_ETIMEDOUT);
	assert_true(mix_holds(m, p));
	/* recorder changes are asked for at once and made in order (a dummy
	 * pointer: the room has no output yet, so nothing is teed into it) */
	uint64_t on = mix_set_recorder(m, (struct recorder *)&cfg, false);
	uint64_t off = mix_set_recorder(m, NULL, false);
	assert_true(off > on);
	assert_false(mix_recorder_applied(m, off, 0));
	mix_get_stats(m, &st); /* answers while stalled */
	assert_int_equal(st.participants, 1);

	assert_true(mix_recorder_applied(m, off, 10000));
	for (int i = 0; i < 250 && mix_holds(m, p); i++)
		mixfixture_sleep_ms(20);
	assert_false(mix_holds(m, p));
	int calls = snapshot(p);
	mixfixture_sleep_ms(100);
	assert_int_equal(snapshot(p), calls);
	/* awake again: commands are answered at once */
	assert_int_equal(mix_add(m, &q->info, &mixfixture_fake_ops, q), 0);
	assert_int_equal(mix_remove(m, q), 0);

	/* a removal still queued when the room ends is freed with it */
	assert_int_equal(mix_add(m, &q->info, &mixfixture_fake_ops, q), 0);
	mix_stall(m, 600);
	mixfixture_sleep_ms(50);
	assert_int_equal(mix_remove(m, q), MCU_ETIMEDOUT);
	assert_int_equal(mix_destroy(m), 0);
	mixfixture_fake_free(p);
	mixfixture_fake_free(q);
}

/* Late ticks are counted per medium; the CPU of the room's work is
 * counted, the test hook's spinning included. */
static void test_late_ticks_and_cpu(void **state)
{
	(void)state;
	struct mix *m = NULL;
	assert_int_equal(mix_create(&mixfixture_config, &m), 0);
	mixfixture_sleep_ms(200);
	struct mix_stats st;
	mix_get_stats(m, &st);
	assert_int_equal(st.audio_misses, 0);
	assert_int_equal(st.video_misses, 0);
	uint64_t cpu0 = st.cpu_us;
	mix_stall(m, 300);
	mixfixture_sleep_ms(500);
	mix_get_stats(m, &st);
	assert_true(st.audio_misses >= 1 && st.video_misses >= 1);
	assert_int_equal(st.overruns, st.audio_misses + st.video_misses);
	mix_burn(m, 20); /* 20 ms of every 33: 0.4 s of CPU within a second or so */
	for (int i = 0; i < 100 && st.cpu_us - cpu0 < 400000; i++) {
		mixfixture_sleep_ms(100);
		mix_get_stats(m, &st);
	}
	mix_burn(m, 0);
	assert_true(st.cpu_us - cpu0 >= 400000);
	mix_destroy(m);
}

int main(void)
{
	log_set_level(LOG_WARN);
	av_log_set_level(AV_LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_destroy_with_participants),
		cmocka_unit_test(test_stalled_room),
		cmocka_unit_test(test_late_ticks_and_cpu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
