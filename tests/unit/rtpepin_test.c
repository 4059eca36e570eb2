/* rtpepin_test.c - what a legacy participant sends us: inbound RTP parsed
 * and queued (other payload types, other hosts and strays only counted),
 * audio levels, bursts, the room thread's pull, and liveness: a receive-only
 * peer lives by its RTCP alone, a sender by its media (rtpepfixture.h has
 * the ports and peers). */
#include "rtpepfixture.h"

static void check_packet(const struct port_packet *q, enum port_media kind, uint8_t pt, bool marker,
			 uint16_t seq, uint32_t ts, uint32_t ssrc, const char *payload)
{
	assert_int_equal(q->kind, kind);
	assert_int_equal(q->pt, pt);
	assert_int_equal(q->marker, marker);
	assert_int_equal(q->seq, seq);
	assert_int_equal(q->ts, ts);
	assert_int_equal(q->ssrc, ssrc);
	assert_int_equal(q->audio_level, -1);
	assert_int_equal(q->len, strlen(payload));
	assert_memory_equal(q->payload, payload, strlen(payload));
}

static void test_inbound(void **state)
{
	struct fixture *f = *state;
	struct rtpep_params p = rtpepfixture_params("127.0.0.1", 5004, 5006);
	struct rtpep *r = rtpepfixture_create_ok(&f->env, &p);
	struct rtpep_local l;
	rtpep_local(r, &l);
	int peer = rtpepfixture_bind_udp("127.0.0.1", 0), stranger = rtpepfixture_bind_udp("127.0.0.2", 0);
	assert_true(peer >= 0 && stranger >= 0);
	uint8_t pkt[2048];
	struct port_packet *q = calloc(1, sizeof(*q));
	assert_non_null(q);

	int64_t created_alive = rtpep_last_alive_us(r);
	usleep(20000);
	int64_t sent_us = clock_now_us();
	size_t n = rtpepfixture_make_rtp(pkt, 111, false, 1000, 48000, 0xA0A0A0A0, "opus frame", 10);
	rtpepfixture_send_to(peer, "127.0.0.1", l.audio_port, pkt, n);
	assert_int_equal(rtpepfixture_pop_within(r, q, WAIT_MS), 1);
	check_packet(q, PORT_AUDIO, 111, false, 1000, 48000, 0xA0A0A0A0, "opus frame");
	assert_true(q->arrival_us >= sent_us && q->arrival_us <= clock_now_us());
	int64_t alive = rtpep_last_alive_us(r);
	assert_true(alive > created_alive);
	assert_true(alive >= sent_us);

	n = rtpepfixture_make_rtp(pkt, 96, true, 65535, 0xFFFFFFF0, 0xB0B0B0B0, "h264 nal", 8);
	rtpepfixture_send_to(peer, "127.0.0.1", l.video_port, pkt, n);
	assert_int_equal(rtpepfixture_pop_within(r, q, WAIT_MS), 1);
	check_packet(q, PORT_VIDEO, 96, true, 65535, 0xFFFFFFF0, 0xB0B0B0B0, "h264 nal");

	/* Not queued, only counted: another payload type, video's type on the
	 * audio port, a payload too big for a port_packet, a stranger's
	 * packet, RTP on the RTCP port, something not RTP at all. */
	n = rtpepfixture_make_rtp(pkt, 0, false, 1001, 48960, 0xA0A0A0A0, "pcmu", 4);
	rtpepfixture_send_to(peer, "127.0.0.1", l.audio_port, pkt, n);
	n = rtpepfixture_make_rtp(pkt, 96, false, 1002, 49920, 0xA0A0A0A0, "video?", 6);
	rtpepfixture_send_to(peer, "127.0.0.1", l.audio_port, pkt, n);
	static const uint8_t big[PORT_MAX_PAYLOAD + 1];
	n = rtpepfixture_make_rtp(pkt, 111, false, 1003, 50880, 0xA0A0A0A0, big, sizeof(big));
	rtpepfixture_send_to(peer, "127.0.0.1", l.audio_port, pkt, n);
	n = rtpepfixture_make_rtp(pkt, 111, false, 1004, 51840, 0xA0A0A0A0, "stranger", 8);
	rtpepfixture_send_to(stranger, "127.0.0.1", l.audio_port, pkt, n);
	n = rtpepfixture_make_rtp(pkt, 111, false, 1005, 52800, 0xA0A0A0A0, "on rtcp", 7);
	rtpepfixture_send_to(peer, "127.0.0.1", l.audio_port + 1, pkt, n);
	memset(pkt, 0, 20);
	rtpepfixture_send_to(peer, "127.0.0.1", l.audio_port, pkt, 20);
	assert_int_equal(rtpepfixture_wait_other_in(r, 6), 6);
	/* The next good packet is the first thing queued since. */
	n = rtpepfixture_make_rtp(pkt, 111, false, 1001, 48960, 0xA0A0A0A0, "next", 4);
	rtpepfixture_send_to(peer, "127.0.0.1", l.audio_port, pkt, n);
	assert_int_equal(rtpepfixture_pop_within(r, q, WAIT_MS), 1);
	check_packet(q, PORT_AUDIO, 111, false, 1001, 48960, 0xA0A0A0A0, "next");
	assert_int_equal(rtpep_port_ops()->recv(r, q), 0);

	/* An RTCP report on the RTCP port counts and shows life. */
	int64_t before = rtpep_last_alive_us(r);
	usleep(5000);
	int w = rtcp_write_rr(pkt, sizeof(pkt), 0xA0A0A0A0, NULL, 0);
	assert_true(w > 0);
	rtpepfixture_send_to(peer, "127.0.0.1", l.audio_port + 1, pkt, (size_t)w);
	assert_int_equal(rtpepfixture_wait_rtcp_in(r, 1, true), 1);
	assert_true(rtpep_last_alive_us(r) > before);
	struct endpoint_info info;
	rtpep_get_info(r, &info);

	assert_int_equal(info.other_in, 6);
	assert_int_equal(info.audio.ssrc, 0xA0A0A0A0);
	assert_int_equal(info.audio.packets_in, 2);
	assert_int_equal(info.audio.bytes_in, 10 + 4);
	assert_int_equal(info.video.ssrc, 0xB0B0B0B0);
	assert_int_equal(info.video.packets_in, 1);
	assert_int_equal(info.video.bytes_in, 8);
	assert_int_equal(info.queue_dropped, 0);
	assert_int_equal(info.packets_out, 0);

	free(q);
	close(peer);
	close(stranger);
	rtpep_destroy(r);
}

/* With the offer's audio level extmap, a packet's RFC 6464 level reaches
 * the room; without it, or on video, the level stays unknown. */
static void test_inbound_audio_level(void **state)
{
	struct fixture *f = *state;
	struct rtpep_params p = rtpepfixture_params("127.0.0.1", 5004, 5006);
	p.audio_level_ext = 3;
	struct rtpep *r = rtpepfixture_create_ok(&f->env, &p);
	struct rtpep_local l;
	rtpep_local(r, &l);
	int peer = rtpepfixture_bind_udp("127.0.0.1", 0);
	assert_true(peer >= 0);
	struct port_packet *q = calloc(1, sizeof(*q));
	assert_non_null(q);
	/* Header with X set, a one-byte extension block: id 3, len 0, level
	 * 25 with the voice bit; then the payload. */
	uint8_t pkt[64];
	size_t n = rtpepfixture_make_rtp(pkt, 111, false, 7, 960, 0xC0C0C0C0, "", 0);
	pkt[0] |= 0x10;
	const uint8_t ext[] = { 0xBE, 0xDE, 0x00, 0x01, 0x30, 0x80 | 25, 0x00, 0x00 };
	memcpy(pkt + n, ext, sizeof(ext));
	memcpy(pkt + n + sizeof(ext), "opus", 4);
	rtpepfixture_send_to(peer, "127.0.0.1", l.audio_port, pkt, n + sizeof(ext) + 4);
	assert_int_equal(rtpepfixture_pop_within(r, q, WAIT_MS), 1);
	assert_int_equal(q->audio_level, 25);
	assert_int_equal(q->len, 4);
	assert_memory_equal(q->payload, "opus", 4);
	/* Another id: not ours, level unknown. */
	pkt[n + 4] = 0x50;
	pkt[3] = 8; /* the next sequence number */
	rtpepfixture_send_to(peer, "127.0.0.1", l.audio_port, pkt, n + sizeof(ext) + 4);
	assert_int_equal(rtpepfixture_pop_within(r, q, WAIT_MS), 1);
	assert_int_equal(q->audio_level, -1);
	free(q);
	close(peer);
	rtpep_destroy(r);
}

/* A burst bigger than a receive batch, interleaved on two sockets, is
 * taken whole and in order; a datagram too big for the receive buffer
 * (truncated by the kernel) is only counted, and so is the stranger's in
 * the middle of a batch. */
static void test_inbound_burst(void **state)
{
	struct fixture *f = *state;
	struct rtpep_params p = rtpepfixture_params("127.0.0.1", 5004, 5006);
	struct rtpep *r = rtpepfixture_create_ok(&f->env, &p);
	struct rtpep_local l;
	rtpep_local(r, &l);
	int peer = rtpepfixture_bind_udp("127.0.0.1", 0), stranger = rtpepfixture_bind_udp("127.0.0.2", 0);
	assert_true(peer >= 0 && stranger >= 0);
	uint8_t pkt[4096];
	struct port_packet *q = calloc(1, sizeof(*q));
	assert_non_null(q);

	enum { BURST = 100 };
	for (int i = 0; i < BURST; i++) {
		size_t n = rtpepfixture_make_rtp(pkt, 111, false, (uint16_t)(2000 + i), 960u * (uint32_t)i,
				    0xA1A1A1A1, "a", 1);
		rtpepfixture_send_to(peer, "127.0.0.1", l.audio_port, pkt, n);
		n = rtpepfixture_make_rtp(pkt, 96, false, (uint16_t)(5000 + i), 3000u * (uint32_t)i, 0xB1B1B1B1,
			     "v", 1);
		rtpepfixture_send_to(peer, "127.0.0.1", l.video_port, pkt, n);
		if (i == BURST / 2) {
			rtpepfixture_send_to(stranger, "127.0.0.1", l.audio_port, pkt, n);
			memset(pkt, 0, sizeof(pkt));
			rtpepfixture_make_rtp(pkt, 111, false, 1, 1, 0xA1A1A1A1, "x", 1);
			rtpepfixture_send_to(peer, "127.0.0.1", l.audio_port, pkt, 3000);
		}
	}
	int next[2] = { 2000, 5000 };
	for (int i = 0; i < 2 * BURST; i++) {
		assert_int_equal(rtpepfixture_pop_within(r, q, WAIT_MS), 1);
		assert_int_equal(q->seq, next[q->kind]++);
	}
	assert_int_equal(next[PORT_AUDIO], 2000 + BURST);
	assert_int_equal(next[PORT_VIDEO], 5000 + BURST);
	assert_int_equal(rtpepfixture_wait_other_in(r, 2), 2);
	struct endpoint_info info;
	rtpep_get_info(r, &info);
	assert_int_equal(info.audio.packets_in, BURST);
	assert_int_equal(info.video.packets_in, BURST);
	assert_int_equal(info.queue_dropped, 0);
	assert_int_equal(info.rate_limited, 0);

	free(q);
	close(peer);
	close(stranger);
	rtpep_destroy(r);
}

static int64_t send_for(struct rtpep *r, uint32_t ssrc, uint16_t *seq, int ms, const int64_t *stuck)
{
	int64_t end = clock_now_us() + (int64_t)ms * 1000;
	int64_t alive = 0;
	while (clock_now_us() < end) {
		rtpepfixture_send_ours(r, PORT_AUDIO, 111, *seq, (uint32_t)*seq * 960, ssrc, "tick", 4, clock_now_us());
		(*seq)++;
		usleep(20000);
		alive = rtpep_last_alive_us(r);
		if (stuck && alive != *stuck)
			fail_msg("alive moved from %lld to %lld while refused", (long long)*stuck,
				 (long long)alive);
	}
	return alive;
}

/* A receive-only endpoint shows life only by its RTCP, from its own
 * address: that its ports take what we send proves nothing. */
static void test_liveness_receive_only(void **state)
{
	struct fixture *f = *state;
	struct peer pa;
	rtpepfixture_peer_open(f, &pa);
	struct rtpep_params p = rtpepfixture_params("127.0.0.1", pa.port, 0);
	p.sends_audio = p.sends_video = false;
	p.direction = "recvonly";
	struct rtpep *r = rtpepfixture_create_ok(&f->env, &p);
	struct rtpep_local l;
	rtpep_local(r, &l);
	uint16_t seq = 0;

	/* Open ports take 300 ms of media: no life shown. */
	int64_t a0 = rtpep_last_alive_us(r);
	send_for(r, l.audio_ssrc, &seq, 300, &a0);
	rtpepfixture_drain(pa.rtp);

	/* A receiver report from another host does not count either. */
	uint8_t rr[64];
	int w = rtcp_write_rr(rr, sizeof(rr), 0xA5A5A5A5, NULL, 0);
	assert_true(w > 0);
	int stranger = rtpepfixture_bind_udp("127.0.0.2", 0);
	assert_true(stranger >= 0);
	rtpepfixture_send_to(stranger, "127.0.0.1", l.audio_port + 1, rr, (size_t)w);
	usleep(100000);
	assert_true(rtpep_last_alive_us(r) == a0);

	/* Its own receiver report does. */
	int64_t sent_us = clock_now_us();
	rtpepfixture_send_to(pa.rtcp, "127.0.0.1", l.audio_port + 1, rr, (size_t)w);
	assert_int_equal(rtpepfixture_wait_rtcp_in(r, 1, false), 1);
	assert_true(rtpep_last_alive_us(r) >= sent_us);
	close(stranger);
	rtpepfixture_peer_close(&pa);
	rtpep_destroy(r);
}

/* A sender shows life by what it sends, not by taking what we send. */
static void test_liveness_sender(void **state)
{
	struct fixture *f = *state;
	struct peer pa;
	rtpepfixture_peer_open(f, &pa);
	struct rtpep_params p = rtpepfixture_params("127.0.0.1", pa.port, 0);
	struct rtpep *r = rtpepfixture_create_ok(&f->env, &p);
	struct rtpep_local l;
	rtpep_local(r, &l);
	uint16_t seq = 0;
	int64_t a0 = rtpep_last_alive_us(r);
	send_for(r, l.audio_ssrc, &seq, 200, &a0);

	uint8_t pkt[64];
	size_t n = rtpepfixture_make_rtp(pkt, 111, false, 1, 960, 0xD0D0D0D0, "hi", 2);
	rtpepfixture_send_to(pa.rtp, "127.0.0.1", l.audio_port, pkt, n);
	struct port_packet *q = calloc(1, sizeof(*q));
	assert_non_null(q);
	assert_int_equal(rtpepfixture_pop_within(r, q, WAIT_MS), 1);
	assert_true(rtpep_last_alive_us(r) > a0);
	free(q);
	rtpepfixture_peer_close(&pa);
	rtpep_destroy(r);
}

/* A sender's sockets are read when the room thread pulls, not before, and
 * each packet keeps the time the kernel received it, not the pull's. */
static void test_pull_reads_when_asked(void **state)
{
	struct fixture *f = *state;
	struct rtpep_params p = rtpepfixture_params("127.0.0.1", 5004, 5006);
	struct rtpep *r = rtpepfixture_create_ok(&f->env, &p);
	struct rtpep_local l;
	rtpep_local(r, &l);
	const struct port_ops *ops = rtpep_port_ops();
	int peer = rtpepfixture_bind_udp("127.0.0.1", 0);
	assert_true(peer >= 0);
	struct port_packet *q = calloc(1, sizeof(*q));
	assert_non_null(q);

	int64_t sent_us = clock_now_us();
	uint8_t pkt[64];
	size_t n = rtpepfixture_make_rtp(pkt, 111, false, 10, 9600, 0xA2A2A2A2, "early", 5);
	rtpepfixture_send_to(peer, "127.0.0.1", l.audio_port, pkt, n);
	n = rtpepfixture_make_rtp(pkt, 96, true, 20, 3000, 0xB2B2B2B2, "frame", 5);
	rtpepfixture_send_to(peer, "127.0.0.1", l.video_port, pkt, n);
	usleep(40000);
	struct endpoint_info info;
	rtpep_get_info(r, &info);
	assert_int_equal(info.audio.packets_in, 0);
	assert_int_equal(info.video.packets_in, 0);
	assert_int_equal(ops->recv(r, q), 0);

	int64_t pulled_us = clock_now_us();
	ops->pull(r);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(ops->recv(r, q), 1);
		assert_true(q->arrival_us >= sent_us);
		if (q->arrival_us > pulled_us - 30000)
			fail_msg("arrival %lld us before the pull, sent 40 ms before it",
				 (long long)(pulled_us - q->arrival_us));
	}
	assert_int_equal(ops->recv(r, q), 0);
	rtpep_get_info(r, &info);
	assert_int_equal(info.audio.packets_in, 1);
	assert_int_equal(info.video.packets_in, 1);
	/* The arrival shows life as of when it came. */
	assert_true(rtpep_last_alive_us(r) < pulled_us - 30000);

	free(q);
	close(peer);
	rtpep_destroy(r);
}

/* A receive-only endpoint's sockets stay with its transport thread: its
 * RTCP counts without any pull. */
static void test_receive_only_read_by_transport(void **state)
{
	struct fixture *f = *state;
	struct rtpep_params p = rtpepfixture_params("127.0.0.1", 5004, 5006);
	p.sends_audio = p.sends_video = false;
	p.direction = "recvonly";
	struct rtpep *r = rtpepfixture_create_ok(&f->env, &p);
	struct rtpep_local l;
	rtpep_local(r, &l);
	int peer = rtpepfixture_bind_udp("127.0.0.1", 0);
	assert_true(peer >= 0);
	uint8_t pkt[64];
	int w = rtcp_write_rr(pkt, sizeof(pkt), 0xA3A3A3A3, NULL, 0);
	assert_true(w > 0);
	rtpepfixture_send_to(peer, "127.0.0.1", l.audio_port + 1, pkt, (size_t)w);
	assert_int_equal(rtpepfixture_wait_rtcp_in(r, 1, false), 1);
	close(peer);
	rtpep_destroy(r);
}

/* Refusals of what we send a sender whose ports closed queue errors on
 * the sockets the room thread reads: they are taken, and its media still
 * comes through. */
static void test_pull_after_refusals(void **state)
{
	struct fixture *f = *state;
	struct peer pa;
	rtpepfixture_peer_open(f, &pa);
	int port = pa.port;
	struct rtpep_params p = rtpepfixture_params("127.0.0.1", port, 0);
	struct rtpep *r = rtpepfixture_create_ok(&f->env, &p);
	struct rtpep_local l;
	rtpep_local(r, &l);
	rtpepfixture_peer_close(&pa);
	/* A send reports the previous send's refusal and is not sent, so
	 * they alternate: an odd count leaves the last refusal pending. */
	for (int i = 0; i < 21; i++) {
		rtpepfixture_send_ours(r, PORT_AUDIO, 111, (uint16_t)i, (uint32_t)i * 960, l.audio_ssrc, "x", 1,
			  clock_now_us());
		usleep(2000);
	}
	int peer = rtpepfixture_bind_udp("127.0.0.1", 0);
	assert_true(peer >= 0);
	struct port_packet *q = calloc(1, sizeof(*q));
	assert_non_null(q);
	for (int i = 0; i < 3; i++) {
		uint8_t pkt[64];
		size_t n = rtpepfixture_make_rtp(pkt, 111, false, (uint16_t)(40 + i), 960u * (uint32_t)i,
				    0xA4A4A4A4, "ok", 2);
		rtpepfixture_send_to(peer, "127.0.0.1", l.audio_port, pkt, n);
		usleep(20000);
		/* One pull, as one wake of the room: the refusal reported
		 * ahead of the packet does not hold it back a tick. */
		rtpep_port_ops()->pull(r);
		assert_int_equal(rtpep_port_ops()->recv(r, q), 1);
		assert_int_equal(q->seq, 40 + i);
	}
	free(q);
	close(peer);
	rtpep_destroy(r);
}

int main(void)
{
	log_set_level(LOG_WARN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inbound),
		cmocka_unit_test(test_inbound_audio_level),
		cmocka_unit_test(test_inbound_burst),
		cmocka_unit_test(test_liveness_receive_only),
		cmocka_unit_test(test_liveness_sender),
		cmocka_unit_test(test_pull_reads_when_asked),
		cmocka_unit_test(test_receive_only_read_by_transport),
		cmocka_unit_test(test_pull_after_refusals),
	};
	return cmocka_run_group_tests(tests, rtpepfixture_group_setup, rtpepfixture_group_teardown);
}
