/*
 * mixfixture.h - what the unit tests of the room's mixer (mix_test,
 * mixaudio_test, mixvideo_test) share: a fake port that queues what a test
 * pushes for the room to receive and records every RTP packet the room sends
 * it; an audio talker (an Opus tone) and a video sender (H.264 of one
 * colour) that push into a fake; sleeps to absolute monotonic deadlines; and
 * the room's configuration.
 *
 * The helpers fail the running cmocka test (fail_msg, assert_*) rather than
 * return errors: they are for cmocka tests only. Test thread unless said.
 */
#ifndef MCU_TESTS_MIXFIXTURE_H
#define MCU_TESTS_MIXFIXTURE_H

#include "mixer/mix.h"
#include "mixer/port.h"

#include <libavutil/frame.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct opusenc;
struct venc;

/* ---- time ----------------------------------------------------------- */

/* Sleeps until the monotonic clock (clock_now_us()) reads deadline_us. */
void mixfixture_sleep_until(int64_t deadline_us);
void mixfixture_sleep_ms(int ms);

/* ---- the fake port -------------------------------------------------- */

/* One RTP packet the room sent to a port. */
struct mixfixture_sent {
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

struct mixfixture_fake {
	struct port_info info;
	pthread_mutex_t lock;  /* guards everything below but the atomics */

	struct port_packet *inq;   /* INQ_CAP packets, a ring */
	int in_head, in_count;

	struct mixfixture_sent *sent;
	int n_sent, cap_sent;
	int bad_sends;             /* cap too small or not RTP */

	struct port_feedback fb;   /* handed out (and cleared) by feedback() */
	bool keyframe_always;      /* every feedback() asks for a keyframe */

	atomic_int calls;          /* every op */
	atomic_int sends, recvs, pulls, feedbacks, readies, nacks, keyframe_reqs;
};

/* A new fake port named id (sd profile, packetization mode 1), to be
 * added with mixfixture_fake_ops; mixfixture_fake_free() accepts NULL. */
struct mixfixture_fake *mixfixture_fake_new(const char *id);
void mixfixture_fake_free(struct mixfixture_fake *f);

/* Queues one inbound packet (the transport's part). */
void mixfixture_fake_push(struct mixfixture_fake *f, const struct port_packet *pkt);

/* The port_ops of every fake: port is the struct mixfixture_fake. Room thread. */
extern const struct port_ops mixfixture_fake_ops;

/* How many packets of kind f has been sent. Any thread. */
int mixfixture_fake_count(struct mixfixture_fake *f, enum port_media kind);

/* Waits up to timeout_ms for f to have been sent at least n packets of kind. */
bool mixfixture_wait_sent(struct mixfixture_fake *f, enum port_media kind, int n, int timeout_ms);

/* The room every test makes: grid layout, ultrafast x264, one encoder thread. */
extern const struct mix_config mixfixture_config;

/* ---- an audio talker ------------------------------------------------ */

#define TONE_AMP 6000.0
#define FRAME_US 20000

struct mixfixture_talker {
	struct mixfixture_fake *f;
	double freq;
	struct opusenc *enc;
	uint16_t seq;
	uint32_t ts;
};

/* Encodes frame k of t's tone (20 ms at 48 kHz) and pushes it into t->f as
 * having arrived at now (µs). */
void mixfixture_talk(struct mixfixture_talker *t, int k, int64_t now);

/* ---- a video sender ------------------------------------------------- */

#define VW 640
#define VH 360
#define COL_Y 145    /* a green */
#define COL_U 54
#define COL_V 34
#define S_PT 102
#define R_PT 96
#define R_SSRC 0x52525252u
#define FRAME_90K 3000

struct mixfixture_vsender {
	struct mixfixture_fake *f;
	struct venc *enc;
	AVFrame *pic;
	uint8_t scratch[1200];
	uint16_t seq;
	int keyframe_reqs_seen;
	int k;
	uint32_t ts;
};

/* Encodes the sender's next picture (an IDR when the room asked for one
 * since the last) and queues its RTP packets. */
void mixfixture_send_video_frame(struct mixfixture_vsender *s);

/* s's fake "S" sends video (pt S_PT); its encoder makes VW x VH pictures of
 * the colour COL_Y/U/V. mixfixture_vsender_fini() frees the fake too. */
void mixfixture_vsender_init(struct mixfixture_vsender *s);
void mixfixture_vsender_fini(struct mixfixture_vsender *s);

/* A new fake named id that receives video (sd, pt R_PT, ssrc R_SSRC). */
struct mixfixture_fake *mixfixture_video_receiver(const char *id);

#endif
