/* rtpep_test.c - a legacy participant's plain RTP transport over real UDP
 * sockets on loopback: even port pairs from the configured range (the RTCP
 * port bound too), the announced address, the errors of create, what the
 * room sends reaching the peer byte for byte, sender reports at the codec's
 * RTP clock, and PLI and NACK to the peer's RTCP port (rtpepfixture.h has
 * the ports and peers). */
#include "rtpepfixture.h"

static void check_local_port(int port, int min, int max)
{
	assert_true(port > 0);
	assert_int_equal(port % 2, 0);
	assert_in_range(port, min, max - 1);
	/* rtpep binds the wildcard address: ours on loopback collides. */
	assert_int_equal(rtpepfixture_bind_errno("127.0.0.1", port), EADDRINUSE);
	assert_int_equal(rtpepfixture_bind_errno("127.0.0.1", port + 1), EADDRINUSE);
}

static void test_create_ports(void **state)
{
	struct fixture *f = *state;
	struct rtpep_params p = rtpepfixture_params("127.0.0.1", 5004, 5006);
	enum { N = 8 };
	struct rtpep *r[N];
	struct rtpep_local l[N];
	for (int i = 0; i < N; i++) {
		r[i] = rtpepfixture_create_ok(&f->env, &p);
		rtpep_local(r[i], &l[i]);
		assert_string_equal(l[i].addr, "127.0.0.1");
		check_local_port(l[i].audio_port, f->base, f->base + 99);
		check_local_port(l[i].video_port, f->base, f->base + 99);
		assert_int_not_equal(l[i].audio_port, l[i].video_port);
		for (int j = 0; j < i; j++) {
			assert_int_not_equal(l[i].audio_port, l[j].audio_port);
			assert_int_not_equal(l[i].audio_port, l[j].video_port);
			assert_int_not_equal(l[i].video_port, l[j].video_port);
		}
		assert_int_not_equal(l[i].audio_ssrc, 0);
		assert_int_not_equal(l[i].video_ssrc, 0);

		const char *id = rtpep_id(r[i]);
		assert_int_equal(strlen(id), ENDPOINT_ID_LEN);
		assert_int_equal(strspn(id, "0123456789abcdef"), ENDPOINT_ID_LEN);
		struct port_info pi;
		rtpep_port_info(r[i], &pi);
		assert_string_equal(pi.id, id);
		assert_int_equal(pi.audio_ssrc, l[i].audio_ssrc);
		assert_int_equal(pi.video_ssrc, l[i].video_ssrc);
		assert_true(pi.sends_audio && pi.sends_video && pi.receives_audio && pi.receives_video);
		assert_int_equal(pi.audio_pt, 111);
		assert_int_equal(pi.video_pt, 96);
		assert_int_equal(pi.n_video_pts, 1);
		assert_int_equal(pi.video_pts[0], 96);
		assert_int_equal(pi.profile, PROFILE_SD);
		assert_int_equal(pi.packetization_mode, 1);

		struct endpoint_info info;
		rtpep_get_info(r[i], &info);
		assert_true(info.legacy);
		assert_string_equal(info.id, id);
		assert_string_equal(info.name, "desk phone");
		assert_string_equal(info.profile, "sd");
		assert_string_equal(info.direction, "sendrecv");
		assert_int_equal(info.audio.packets_in + info.video.packets_in + info.packets_out, 0);
	}
	for (int i = 1; i < N; i++)
		assert_string_not_equal(rtpep_id(r[i]), rtpep_id(r[0]));
	const struct port_ops *ops = rtpep_port_ops();
	assert_true(ops->ready(r[0]));
	struct port_feedback fb;
	ops->feedback(r[0], &fb);
	assert_int_equal(fb.loss_fraction, -1);
	assert_false(fb.keyframe);
	assert_int_equal(fb.n_nacks, 0);
	for (int i = 0; i < N; i++)
		rtpep_destroy(r[i]);
	/* Every socket is closed again. */
	for (int i = 0; i < N; i++) {
		assert_int_equal(rtpepfixture_bind_errno("127.0.0.1", l[i].audio_port), 0);
		assert_int_equal(rtpepfixture_bind_errno("127.0.0.1", l[i].audio_port + 1), 0);
		assert_int_equal(rtpepfixture_bind_errno("127.0.0.1", l[i].video_port), 0);
		assert_int_equal(rtpepfixture_bind_errno("127.0.0.1", l[i].video_port + 1), 0);
	}
}

static void test_create_variants(void **state)
{
	struct fixture *f = *state;
	struct rtpep_local l;

	/* The configured address is announced whatever the route. */
	struct config cfg = f->cfg;
	snprintf(cfg.rtp_address, sizeof(cfg.rtp_address), "192.0.2.7");
	struct endpoint_env env = { .transport = f->t, .cfg = &cfg };
	struct rtpep_params p = rtpepfixture_params("127.0.0.1", 5004, 0);
	struct rtpep *r = rtpepfixture_create_ok(&env, &p);
	rtpep_local(r, &l);
	assert_string_equal(l.addr, "192.0.2.7");
	check_local_port(l.audio_port, f->base, f->base + 99);
	assert_int_equal(l.video_port, 0);
	assert_int_equal(l.video_ssrc, 0);
	struct port_info pi;
	rtpep_port_info(r, &pi);
	assert_false(pi.sends_video || pi.receives_video);
	assert_int_equal(pi.n_video_pts, 0);
	rtpep_destroy(r);

	/* Another loopback peer routes from 127.0.0.1 too. */
	p = rtpepfixture_params("127.0.0.2", 0, 5006);
	p.profile = PROFILE_LD;
	p.direction = "recvonly";
	r = rtpepfixture_create_ok(&f->env, &p);
	rtpep_local(r, &l);
	assert_string_equal(l.addr, "127.0.0.1");
	assert_int_equal(l.audio_port, 0);
	check_local_port(l.video_port, f->base, f->base + 99);
	rtpep_port_info(r, &pi);
	assert_int_equal(pi.profile, PROFILE_LD);
	struct endpoint_info info;
	rtpep_get_info(r, &info);
	assert_string_equal(info.direction, "recvonly");
	assert_string_equal(info.profile, "ld");
	rtpep_destroy(r);

	/* RTCP muxed on the RTP port (rtcp port == port): no second socket. */
	p = rtpepfixture_params("127.0.0.1", 5004, 0);
	p.audio_rtcp_port = 5004;
	r = rtpepfixture_create_ok(&f->env, &p);
	rtpep_local(r, &l);
	assert_int_equal(l.audio_port % 2, 0);
	assert_int_equal(rtpepfixture_bind_errno("127.0.0.1", l.audio_port), EADDRINUSE);
	assert_int_equal(rtpepfixture_bind_errno("127.0.0.1", l.audio_port + 1), 0);
	rtpep_destroy(r);
}

/* Pairs at the edges of the range: a range of exactly one pair, the top
 * pair when the others are taken, an odd lower bound. */
static void test_range_edges(void **state)
{
	struct fixture *f = *state;
	struct config cfg = f->cfg;
	struct endpoint_env env = { .transport = f->t, .cfg = &cfg };
	struct rtpep_params p = rtpepfixture_params("127.0.0.1", 5004, 0);
	struct rtpep_local l;
	int edge = f->base + 100;

	cfg.rtp_port_min = edge;
	cfg.rtp_port_max = edge + 1;
	struct rtpep *r = rtpepfixture_create_ok(&env, &p);
	rtpep_local(r, &l);
	assert_int_equal(l.audio_port, edge);
	rtpep_destroy(r);

	/* Two pairs, the lower one taken: the upper one is found. */
	cfg.rtp_port_max = edge + 3;
	int taken = rtpepfixture_bind_udp("127.0.0.1", edge);
	assert_true(taken >= 0);
	r = rtpepfixture_create_ok(&env, &p);
	rtpep_local(r, &l);
	assert_int_equal(l.audio_port, edge + 2);
	rtpep_destroy(r);
	close(taken);

	/* An odd lower bound starts at the next even port. */
	cfg.rtp_port_min = edge + 1;
	cfg.rtp_port_max = edge + 4;
	for (int i = 0; i < 4; i++) {
		r = rtpepfixture_create_ok(&env, &p);
		rtpep_local(r, &l);
		assert_int_equal(l.audio_port, edge + 2);
		rtpep_destroy(r);
	}
}

static void test_errors(void **state)
{
	struct fixture *f = *state;
	struct rtpep *r = NULL;
	char err[256] = "";

	struct rtpep_params p = rtpepfixture_params("phone.example", 5004, 5006);
	assert_int_equal(rtpep_create(&f->env, &p, &r, err, sizeof(err)), MCU_EINVAL);
	assert_null(r);
	assert_non_null(strstr(err, "phone.example"));
	p.remote_addr = "127.0.0.1:5004";
	err[0] = '\0';
	assert_int_equal(rtpep_create(&f->env, &p, &r, err, sizeof(err)), MCU_EINVAL);
	assert_true(err[0] != '\0');

	/* A profile id that names no profile: refused before any socket. */
	p = rtpepfixture_params("127.0.0.1", 5004, 5006);
	p.profile = (enum profile_id)PROFILE_COUNT;
	err[0] = '\0';
	assert_int_equal(rtpep_create(&f->env, &p, &r, err, sizeof(err)), MCU_EINVAL);
	assert_null(r);
	assert_non_null(strstr(err, "profile"));

	struct config cfg = f->cfg;
	struct endpoint_env env = { .transport = f->t, .cfg = &cfg };
	p = rtpepfixture_params("127.0.0.1", 5004, 0);
	int edge = f->base + 100;
	cfg.rtp_port_min = edge;
	cfg.rtp_port_max = edge + 1;

	/* The only pair taken (both ports). */
	int a = rtpepfixture_bind_udp("127.0.0.1", edge), b = rtpepfixture_bind_udp("127.0.0.1", edge + 1);
	assert_true(a >= 0 && b >= 0);
	err[0] = '\0';
	assert_int_equal(rtpep_create(&env, &p, &r, err, sizeof(err)), MCU_ELIMIT);
	assert_null(r);
	char edge_text[16];
	snprintf(edge_text, sizeof(edge_text), "%d", edge);
	assert_non_null(strstr(err, edge_text));
	close(a);

	/* Only its RTCP port taken: still no pair, and the RTP socket that
	 * was opened on the way is closed again. */
	assert_int_equal(rtpep_create(&env, &p, &r, err, sizeof(err)), MCU_ELIMIT);
	assert_int_equal(rtpepfixture_bind_errno("127.0.0.1", edge), 0);
	close(b);

	/* Audio finds the only pair, video none. */
	p = rtpepfixture_params("127.0.0.1", 5004, 5006);
	assert_int_equal(rtpep_create(&env, &p, &r, err, sizeof(err)), MCU_ELIMIT);
	assert_null(r);
	assert_int_equal(rtpepfixture_bind_errno("127.0.0.1", edge), 0);

	/* A range with no pair at all. */
	cfg.rtp_port_max = edge;
	p = rtpepfixture_params("127.0.0.1", 5004, 0);
	assert_int_equal(rtpep_create(&env, &p, &r, err, sizeof(err)), MCU_ELIMIT);

	rtpep_destroy(NULL);
}

static void test_send_rtp_and_sr(void **state)
{
	struct fixture *f = *state;
	struct peer pa;
	rtpepfixture_peer_open(f, &pa);
	struct rtpep_params p = rtpepfixture_params("127.0.0.1", pa.port, 0);
	struct rtpep *r = rtpepfixture_create_ok(&f->env, &p);
	struct rtpep_local l;
	rtpep_local(r, &l);

	uint8_t sent[1500], got[2048];
	int64_t capture_us = clock_now_us();
	size_t n = rtpepfixture_make_rtp(sent, 111, true, 7, 123456, l.audio_ssrc, "our mix!", 8);
	uint8_t buf[1500 + 32];
	memcpy(buf, sent, n);
	rtpep_port_ops()->send_rtp(r, PORT_AUDIO, buf, n, sizeof(buf), capture_us);
	/* From our RTP port (symmetric RTP). */
	ssize_t m = rtpepfixture_recv_within(pa.rtp, got, sizeof(got), WAIT_MS, l.audio_port);
	assert_int_equal(m, (ssize_t)n);
	assert_memory_equal(got, sent, n);
	n = rtpepfixture_make_rtp(sent, 111, false, 8, 123456 + 960, l.audio_ssrc, "more", 4);
	memcpy(buf, sent, n);
	capture_us += 20000;
	rtpep_port_ops()->send_rtp(r, PORT_AUDIO, buf, n, sizeof(buf), capture_us);
	m = rtpepfixture_recv_within(pa.rtp, got, sizeof(got), WAIT_MS, l.audio_port);
	assert_int_equal(m, (ssize_t)n);
	assert_memory_equal(got, sent, n);
	/* Video is absent: nothing goes anywhere. */
	rtpepfixture_send_ours(r, PORT_VIDEO, 96, 1, 1, l.audio_ssrc, "none", 4, capture_us);

	struct endpoint_info info;
	rtpep_get_info(r, &info);
	assert_int_equal(info.packets_out, 2);
	assert_int_equal(info.bytes_out, 12 + 8 + 12 + 4);

	/* A sender report within the 1 s period, from our RTCP port (one
	 * may have gone between the two sends: take the one counting both). */
	int64_t deadline = clock_now_us() + 1500000;
	do {
		int left = (int)((deadline - clock_now_us()) / 1000);
		m = rtpepfixture_recv_rtcp(pa.rtcp, got, sizeof(got), RTCP_SR, 0, left > 0 ? left : 0,
			      l.audio_port + 1);
	} while (m >= 28 && rtpepfixture_get32(got + 20) != 2);
	int64_t sr_us = clock_now_us();
	assert_true(m >= 28);
	assert_int_equal(rtpepfixture_get32(got + 4), l.audio_ssrc);
	uint64_t ntp = (uint64_t)rtpepfixture_get32(got + 8) << 32 | rtpepfixture_get32(got + 12);
	int64_t ntp_diff = (int64_t)((ntp >> 32) - (rtcp_ntp_from_wall_us(clock_wall_us()) >> 32));
	assert_in_range(ntp_diff + 2, 0, 4);
	/* The timestamp now: the last one sent, advanced at 48 kHz. */
	int64_t expect = 123456 + 960 + (sr_us - capture_us) * 48 / 1000;
	int64_t rtp_ts = rtpepfixture_get32(got + 16);
	if (rtp_ts < expect - 48 * 100 || rtp_ts > expect + 48 * 20)
		fail_msg("SR rtp_ts %lld, expected about %lld", (long long)rtp_ts, (long long)expect);
	assert_int_equal(rtpepfixture_get32(got + 20), 2);      /* packets */
	assert_int_equal(rtpepfixture_get32(got + 24), 8 + 4);  /* payload octets */

	rtpepfixture_peer_close(&pa);
	rtpep_destroy(r);
}

/* PCMU's RTP clock is 8 kHz (so is G.722's, RFC 3551), not Opus's 48 kHz:
 * the SR's timestamp advances at it, and jitter is measured in it (a
 * sender whose timestamps follow real time at 8 kHz has next to none). */
static void test_pcmu_clock(void **state)
{
	struct fixture *f = *state;
	struct peer pa;
	rtpepfixture_peer_open(f, &pa);
	struct rtpep_params p = rtpepfixture_params("127.0.0.1", pa.port, 0);
	p.audio_pt = 0;
	p.audio_codec = CODEC_PCMU;
	struct rtpep *r = rtpepfixture_create_ok(&f->env, &p);
	struct rtpep_local l;
	rtpep_local(r, &l);
	int64_t capture_us = clock_now_us();
	rtpepfixture_send_ours(r, PORT_AUDIO, 0, 1, 5000, l.audio_ssrc, "pcmu", 4, capture_us);
	uint8_t got[2048];
	ssize_t m = rtpepfixture_recv_rtcp(pa.rtcp, got, sizeof(got), RTCP_SR, 0, 1500, l.audio_port + 1);
	int64_t sr_us = clock_now_us();
	assert_true(m >= 28);
	assert_int_equal(rtpepfixture_get32(got + 4), l.audio_ssrc);
	int64_t expect = 5000 + (sr_us - capture_us) * 8 / 1000;
	int64_t rtp_ts = rtpepfixture_get32(got + 16);
	if (rtp_ts < expect - 8 * 100 || rtp_ts > expect + 8 * 20)
		fail_msg("SR rtp_ts %lld, expected about %lld at 8 kHz", (long long)rtp_ts,
			 (long long)expect);

	/* Timestamps stamped with the real send time: no jitter at 8 kHz,
	 * about 6 ms if arrivals were counted at 48 kHz. */
	struct port_packet *q = calloc(1, sizeof(*q));
	assert_non_null(q);
	int64_t t0 = clock_now_us();
	for (int i = 0; i < 20; i++) {
		uint8_t pkt[64];
		uint32_t ts = (uint32_t)((clock_now_us() - t0) * 8 / 1000);
		size_t n = rtpepfixture_make_rtp(pkt, 0, false, (uint16_t)(300 + i), ts, 0xE0E0E0E0, "ulaw", 4);
		rtpepfixture_send_to(pa.rtp, "127.0.0.1", l.audio_port, pkt, n);
		assert_int_equal(rtpepfixture_pop_within(r, q, WAIT_MS), 1);
		assert_int_equal(q->seq, 300 + i);
		usleep(10000);
	}
	struct endpoint_info info;
	rtpep_get_info(r, &info);
	assert_int_equal(info.audio.packets_in, 20);
	if (info.audio.jitter_ms > 2.0)
		fail_msg("jitter %.2f ms of a perfectly paced 8 kHz stream", info.audio.jitter_ms);
	free(q);
	rtpepfixture_peer_close(&pa);
	rtpep_destroy(r);
}

static void test_keyframe_and_nack(void **state)
{
	struct fixture *f = *state;
	struct peer pv;
	rtpepfixture_peer_open(f, &pv);
	struct rtpep_params p = rtpepfixture_params("127.0.0.1", 0, pv.port);
	struct rtpep *r = rtpepfixture_create_ok(&f->env, &p);
	struct rtpep_local l;
	rtpep_local(r, &l);
	const struct port_ops *ops = rtpep_port_ops();

	/* Nobody to ask before video arrived: nothing is sent. */
	ops->request_keyframe(r);
	uint16_t seqs[] = { 100, 102 };
	ops->nack(r, seqs, 2);

	uint8_t pkt[2048];
	size_t n = rtpepfixture_make_rtp(pkt, 96, true, 99, 9000, 0xC0FFEE00, "idr?", 4);
	rtpepfixture_send_to(pv.rtp, "127.0.0.1", l.video_port, pkt, n);
	struct port_packet *q = calloc(1, sizeof(*q));
	assert_non_null(q);
	assert_int_equal(rtpepfixture_pop_within(r, q, WAIT_MS), 1);
	assert_int_equal(q->ssrc, 0xC0FFEE00);

	ops->request_keyframe(r);
	ssize_t m = rtpepfixture_recv_within(pv.rtcp, pkt, sizeof(pkt), WAIT_MS, l.video_port + 1);
	assert_int_equal(m, 12);
	assert_int_equal(pkt[0], 0x80 | 1);       /* V=2, FMT 1: PLI */
	assert_int_equal(pkt[1], RTCP_PSFB);
	assert_int_equal(rtpepfixture_get32(pkt + 4), l.video_ssrc);
	assert_int_equal(rtpepfixture_get32(pkt + 8), 0xC0FFEE00);

	ops->nack(r, seqs, 2);
	m = rtpepfixture_recv_within(pv.rtcp, pkt, sizeof(pkt), WAIT_MS, l.video_port + 1);
	assert_true(m > 0);
	size_t pos = 0;
	struct rtcp_packet rp;
	assert_int_equal(rtcp_next(pkt, (size_t)m, &pos, &rp), 1);
	assert_int_equal(rp.type, RTCP_RTPFB);
	assert_int_equal(rp.count, 1);
	assert_int_equal(rp.sender_ssrc, l.video_ssrc);
	assert_int_equal(rp.media_ssrc, 0xC0FFEE00);
	uint16_t asked[8];
	assert_int_equal(rtcp_read_nack(pkt, &rp, asked, 8), 2);
	assert_int_equal(asked[0], 100);
	assert_int_equal(asked[1], 102);
	/* Nothing else came: the calls before video sent nothing. */
	assert_int_equal(rtpepfixture_recv_within(pv.rtcp, pkt, sizeof(pkt), 50, l.video_port + 1), -1);

	free(q);
	rtpepfixture_peer_close(&pv);
	rtpep_destroy(r);
}

/* Sends one packet of ours every 20 ms for ms; returns the newest
 * rtpep_last_alive_us and fails if it ever differs from *stuck (when not
 * NULL). */
int main(void)
{
	log_set_level(LOG_WARN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_ports),
		cmocka_unit_test(test_create_variants),
		cmocka_unit_test(test_range_edges),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_send_rtp_and_sr),
		cmocka_unit_test(test_pcmu_clock),
		cmocka_unit_test(test_keyframe_and_nack),
	};
	return cmocka_run_group_tests(tests, rtpepfixture_group_setup, rtpepfixture_group_teardown);
}
