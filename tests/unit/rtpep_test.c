/* rtpep_test.c - a legacy participant's plain RTP transport over real UDP
 * sockets on loopback: even port pairs from the configured range (the RTCP
 * port bound too), the announced address, inbound RTP parsed and queued
 * (other payload types, other hosts and strays only counted), what the room
 * sends reaching the peer byte for byte, sender reports at the codec's RTP
 * clock, PLI and NACK to the peer's RTCP port, liveness of a receive-only
 * peer judged from ICMP port unreachable, and the errors of create.
 *
 * Every wait polls with a deadline of a few seconds; everything is on
 * 127.0.0.0/8. Each run picks its own band of 200 ports in 40000..47999
 * (endpoints take base..base+99, the range edge cases base+100..base+105,
 * peers pairs from base+110), and receivers skip datagrams from ports
 * other than the expected one: two runs at once (parallel test suites)
 * must not take each other's ports or read each other's reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/clock.h"
#include "mcu/config.h"
#include "mcu/endpoint.h"
#include "base/err.h"
#include "base/log.h"
#include "mixer/port.h"
#include "base/rtcp.h"
#include "base/rtp.h"
#include "mcu/rtpep.h"
#include "mcu/transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 3000            /* a packet on loopback is far quicker */

struct fixture {
	int base;                   /* of this run's port band */
	int band_lock;              /* base + 199 held: the band is ours */
	struct transport *t;
	struct config cfg;
	struct endpoint_env env;
};

/* The peer's side of one media kind: an RTP port and the RTCP port after it. */
struct peer {
	int rtp, rtcp;
	int port;
};

/* ---- sockets ---------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static struct sockaddr_in v4(const char *ip, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	assert_int_equal(inet_pton(AF_INET, ip, &sa.sin_addr), 1);
	return sa;
}

/* A UDP socket bound to ip:port (0: any port), or -1 with errno. */
static int bind_udp(const char *ip, int port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = v4(ip, port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* errno of binding ip:port ourselves (0 when it was free). */
static int bind_errno(const char *ip, int port)
{
	int fd = bind_udp(ip, port);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* Returns a band no other run holds (its last port bound in *lock for the run)
 * whose edge-case ports are free now, or -1. */
static int pick_band(int *lock)
{
	for (int t = 0; t < 100; t++) {
		int base = 40000 + 200 * g_random_int_range(0, 40);
		*lock = bind_udp("127.0.0.1", base + 199);
		if (*lock < 0)
			continue;
		bool free_ = true;
		for (int port = base + 100; port <= base + 105 && free_; port++)
			free_ = bind_errno("127.0.0.1", port) == 0;
		if (free_)
			return base;
		close(*lock);
	}
	return -1;
}

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->base = pick_band(&f->band_lock);
	if (f->base < 0 || transport_create(1, &f->t)) {
		if (f->base >= 0)
			close(f->band_lock);
		free(f);
		return -1;
	}
	config_defaults(&f->cfg);
	f->cfg.rtp_port_min = f->base;
	f->cfg.rtp_port_max = f->base + 99;
	f->env = (struct endpoint_env){ .transport = f->t, .identity = NULL, .cfg = &f->cfg };
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;
	transport_destroy(f->t);
	close(f->band_lock);
	free(f);
	return 0;
}

/* The first free even pair of the band's peer ports on 127.0.0.1. */
static void peer_open(const struct fixture *f, struct peer *p)
{
	for (int port = f->base + 110; port + 1 < f->base + 199; port += 2) {
		int a = bind_udp("127.0.0.1", port);
		if (a < 0)
			continue;
		int b = bind_udp("127.0.0.1", port + 1);
		if (b < 0) {
			close(a);
			continue;
		}
		*p = (struct peer){ a, b, port };
		return;
	}
	fail_msg("no free peer port pair from %d", f->base + 110);
}

static void peer_close(struct peer *p)
{
	if (p->rtp >= 0)
		close(p->rtp);
	if (p->rtcp >= 0)
		close(p->rtcp);
	p->rtp = p->rtcp = -1;
}

static void send_to(int fd, const char *ip, int port, const uint8_t *buf, size_t len)
{
	struct sockaddr_in to = v4(ip, port);
	assert_int_equal(sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)len);
}

/* An RTP packet with a fixed header and payload into buf; returns its length. */
static size_t make_rtp(uint8_t *buf, uint8_t pt, bool marker, uint16_t seq, uint32_t ts,
		       uint32_t ssrc, const void *payload, size_t len)
{
	buf[0] = 0x80;
	buf[1] = (uint8_t)((marker ? 0x80 : 0) | pt);
	put16(buf + 2, seq);
	put32(buf + 4, ts);
	put32(buf + 8, ssrc);
	memcpy(buf + 12, payload, len);
	return 12 + len;
}

/* Receives one datagram from 127.0.0.1:from_port (0: any port) within ms;
 * returns its length or -1. Datagrams from elsewhere are skipped. */
static ssize_t recv_within(int fd, uint8_t *buf, size_t cap, int ms, int from_port)
{
	int64_t deadline = clock_now_us() + (int64_t)ms * 1000;
	for (;;) {
		int64_t left = (deadline - clock_now_us()) / 1000;
		if (left < 0)
			return -1;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, (int)left + 1) <= 0)
			continue;
		struct sockaddr_in sa;
		socklen_t sa_len = sizeof(sa);
		ssize_t n = recvfrom(fd, buf, cap, MSG_DONTWAIT, (struct sockaddr *)&sa, &sa_len);
		if (n < 0 || (from_port && ntohs(sa.sin_port) != from_port) ||
		    sa.sin_addr.s_addr != htonl(INADDR_LOOPBACK))
			continue;
		return n;
	}
}

/* Receives until an RTCP datagram from 127.0.0.1:from_port whose first
 * packet has type and fmt (the count field) arrives within ms; returns its
 * length or -1. */
static ssize_t recv_rtcp(int fd, uint8_t *buf, size_t cap, uint8_t type, uint8_t fmt, int ms,
			 int from_port)
{
	int64_t deadline = clock_now_us() + (int64_t)ms * 1000;
	for (;;) {
		int left = (int)((deadline - clock_now_us()) / 1000);
		if (left < 0)
			return -1;
		ssize_t n = recv_within(fd, buf, cap, left, from_port);
		if (n >= 8 && buf[0] >> 6 == 2 && buf[1] == type && (buf[0] & 0x1f) == fmt)
			return n;
	}
}

/* Drops whatever is waiting on fd. */
static void drain(int fd)
{
	uint8_t buf[2048];
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
}

/* ---- the endpoint ------------------------------------------------------ */

/* Sends and receives audio (Opus, pt 111) and video (H.264, pt 96) with a
 * peer at addr; a port of 0 leaves that media out; RTCP on port + 1. */
static struct rtpep_params params(const char *addr, int audio_port, int video_port)
{
	return (struct rtpep_params){
		.room = "lobby", .name = "desk phone", .profile = PROFILE_SD, .direction = "sendrecv",
		.remote_addr = addr,
		.audio_port = audio_port, .audio_rtcp_port = audio_port ? audio_port + 1 : 0,
		.video_port = video_port, .video_rtcp_port = video_port ? video_port + 1 : 0,
		.sends_audio = true, .receives_audio = true, .sends_video = true, .receives_video = true,
		.audio_pt = 111, .audio_codec = PORT_OPUS, .video_pt = 96, .packetization_mode = 1,
	};
}

static struct rtpep *create_ok(const struct endpoint_env *env, const struct rtpep_params *p)
{
	struct rtpep *r = NULL;
	char err[256] = "";
	int rc = rtpep_create(env, p, &r, err, sizeof(err));
	if (rc)
		fail_msg("rtpep_create: %d (%s)", rc, err);
	assert_non_null(r);
	return r;
}

/* Pops the next inbound packet within ms, reading the sockets as the room
 * thread does at each wake; returns 1 or 0. */
static int pop_within(struct rtpep *r, struct port_packet *out, int ms)
{
	const struct port_ops *ops = rtpep_port_ops();
	int64_t deadline = clock_now_us() + (int64_t)ms * 1000;
	do {
		ops->pull(r);
		if (ops->recv(r, out))
			return 1;
		usleep(1000);
	} while (clock_now_us() < deadline);
	return 0;
}

/* Waits until other_in reaches n (bounded), reading as the room thread
 * does; returns the last value seen. */
static uint64_t wait_other_in(struct rtpep *r, uint64_t n)
{
	struct endpoint_info info;
	int64_t deadline = clock_now_us() + WAIT_MS * 1000LL;
	do {
		rtpep_port_ops()->pull(r);
		rtpep_get_info(r, &info);
		if (info.other_in >= n)
			break;
		usleep(1000);
	} while (clock_now_us() < deadline);
	return info.other_in;
}

/* Waits until rtcp_in reaches n (bounded), reading as the room thread does
 * when pull is set; returns the last value seen. */
static uint64_t wait_rtcp_in(struct rtpep *r, uint64_t n, bool pull)
{
	struct endpoint_info info;
	int64_t deadline = clock_now_us() + WAIT_MS * 1000LL;
	do {
		usleep(1000);
		if (pull)
			rtpep_port_ops()->pull(r);
		rtpep_get_info(r, &info);
	} while (info.rtcp_in < n && clock_now_us() < deadline);
	return info.rtcp_in;
}

static void send_ours(struct rtpep *r, enum port_media kind, uint8_t pt, uint16_t seq, uint32_t ts,
		      uint32_t ssrc, const void *payload, size_t len, int64_t capture_us)
{
	uint8_t buf[1500 + 32];
	size_t n = make_rtp(buf, pt, false, seq, ts, ssrc, payload, len);
	rtpep_port_ops()->send_rtp(r, kind, buf, n, sizeof(buf), capture_us);
}

/* ---- tests ------------------------------------------------------------- */

static void check_local_port(int port, int min, int max)
{
	assert_true(port > 0);
	assert_int_equal(port % 2, 0);
	assert_in_range(port, min, max - 1);
	/* rtpep binds the wildcard address: ours on loopback collides. */
	assert_int_equal(bind_errno("127.0.0.1", port), EADDRINUSE);
	assert_int_equal(bind_errno("127.0.0.1", port + 1), EADDRINUSE);
}

static void test_create_ports(void **state)
{
	struct fixture *f = *state;
	struct rtpep_params p = params("127.0.0.1", 5004, 5006);
	enum { N = 8 };
	struct rtpep *r[N];
	struct rtpep_local l[N];
	for (int i = 0; i < N; i++) {
		r[i] = create_ok(&f->env, &p);
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
		assert_int_equal(bind_errno("127.0.0.1", l[i].audio_port), 0);
		assert_int_equal(bind_errno("127.0.0.1", l[i].audio_port + 1), 0);
		assert_int_equal(bind_errno("127.0.0.1", l[i].video_port), 0);
		assert_int_equal(bind_errno("127.0.0.1", l[i].video_port + 1), 0);
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
	struct rtpep_params p = params("127.0.0.1", 5004, 0);
	struct rtpep *r = create_ok(&env, &p);
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
	p = params("127.0.0.2", 0, 5006);
	p.profile = PROFILE_LD;
	p.direction = "recvonly";
	r = create_ok(&f->env, &p);
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
	p = params("127.0.0.1", 5004, 0);
	p.audio_rtcp_port = 5004;
	r = create_ok(&f->env, &p);
	rtpep_local(r, &l);
	assert_int_equal(l.audio_port % 2, 0);
	assert_int_equal(bind_errno("127.0.0.1", l.audio_port), EADDRINUSE);
	assert_int_equal(bind_errno("127.0.0.1", l.audio_port + 1), 0);
	rtpep_destroy(r);
}

/* Pairs at the edges of the range: a range of exactly one pair, the top
 * pair when the others are taken, an odd lower bound. */
static void test_range_edges(void **state)
{
	struct fixture *f = *state;
	struct config cfg = f->cfg;
	struct endpoint_env env = { .transport = f->t, .cfg = &cfg };
	struct rtpep_params p = params("127.0.0.1", 5004, 0);
	struct rtpep_local l;
	int edge = f->base + 100;

	cfg.rtp_port_min = edge;
	cfg.rtp_port_max = edge + 1;
	struct rtpep *r = create_ok(&env, &p);
	rtpep_local(r, &l);
	assert_int_equal(l.audio_port, edge);
	rtpep_destroy(r);

	/* Two pairs, the lower one taken: the upper one is found. */
	cfg.rtp_port_max = edge + 3;
	int taken = bind_udp("127.0.0.1", edge);
	assert_true(taken >= 0);
	r = create_ok(&env, &p);
	rtpep_local(r, &l);
	assert_int_equal(l.audio_port, edge + 2);
	rtpep_destroy(r);
	close(taken);

	/* An odd lower bound starts at the next even port. */
	cfg.rtp_port_min = edge + 1;
	cfg.rtp_port_max = edge + 4;
	for (int i = 0; i < 4; i++) {
		r = create_ok(&env, &p);
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

	struct rtpep_params p = params("phone.example", 5004, 5006);
	assert_int_equal(rtpep_create(&f->env, &p, &r, err, sizeof(err)), MCU_EINVAL);
	assert_null(r);
	assert_non_null(strstr(err, "phone.example"));
	p.remote_addr = "127.0.0.1:5004";
	err[0] = '\0';
	assert_int_equal(rtpep_create(&f->env, &p, &r, err, sizeof(err)), MCU_EINVAL);
	assert_true(err[0] != '\0');

	/* A profile id that names no profile: refused before any socket. */
	p = params("127.0.0.1", 5004, 5006);
	p.profile = (enum profile_id)PROFILE_COUNT;
	err[0] = '\0';
	assert_int_equal(rtpep_create(&f->env, &p, &r, err, sizeof(err)), MCU_EINVAL);
	assert_null(r);
	assert_non_null(strstr(err, "profile"));

	struct config cfg = f->cfg;
	struct endpoint_env env = { .transport = f->t, .cfg = &cfg };
	p = params("127.0.0.1", 5004, 0);
	int edge = f->base + 100;
	cfg.rtp_port_min = edge;
	cfg.rtp_port_max = edge + 1;

	/* The only pair taken (both ports). */
	int a = bind_udp("127.0.0.1", edge), b = bind_udp("127.0.0.1", edge + 1);
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
	assert_int_equal(bind_errno("127.0.0.1", edge), 0);
	close(b);

	/* Audio finds the only pair, video none. */
	p = params("127.0.0.1", 5004, 5006);
	assert_int_equal(rtpep_create(&env, &p, &r, err, sizeof(err)), MCU_ELIMIT);
	assert_null(r);
	assert_int_equal(bind_errno("127.0.0.1", edge), 0);

	/* A range with no pair at all. */
	cfg.rtp_port_max = edge;
	p = params("127.0.0.1", 5004, 0);
	assert_int_equal(rtpep_create(&env, &p, &r, err, sizeof(err)), MCU_ELIMIT);

	rtpep_destroy(NULL);
}

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
	struct rtpep_params p = params("127.0.0.1", 5004, 5006);
	struct rtpep *r = create_ok(&f->env, &p);
	struct rtpep_local l;
	rtpep_local(r, &l);
	int peer = bind_udp("127.0.0.1", 0), stranger = bind_udp("127.0.0.2", 0);
	assert_true(peer >= 0 && stranger >= 0);
	uint8_t pkt[2048];
	struct port_packet *q = calloc(1, sizeof(*q));
	assert_non_null(q);

	int64_t created_alive = rtpep_last_alive_us(r);
	usleep(20000);
	int64_t sent_us = clock_now_us();
	size_t n = make_rtp(pkt, 111, false, 1000, 48000, 0xA0A0A0A0, "opus frame", 10);
	send_to(peer, "127.0.0.1", l.audio_port, pkt, n);
	assert_int_equal(pop_within(r, q, WAIT_MS), 1);
	check_packet(q, PORT_AUDIO, 111, false, 1000, 48000, 0xA0A0A0A0, "opus frame");
	assert_true(q->arrival_us >= sent_us && q->arrival_us <= clock_now_us());
	int64_t alive = rtpep_last_alive_us(r);
	assert_true(alive > created_alive);
	assert_true(alive >= sent_us);

	n = make_rtp(pkt, 96, true, 65535, 0xFFFFFFF0, 0xB0B0B0B0, "h264 nal", 8);
	send_to(peer, "127.0.0.1", l.video_port, pkt, n);
	assert_int_equal(pop_within(r, q, WAIT_MS), 1);
	check_packet(q, PORT_VIDEO, 96, true, 65535, 0xFFFFFFF0, 0xB0B0B0B0, "h264 nal");

	/* Not queued, only counted: another payload type, video's type on the
	 * audio port, a payload too big for a port_packet, a stranger's
	 * packet, RTP on the RTCP port, something not RTP at all. */
	n = make_rtp(pkt, 0, false, 1001, 48960, 0xA0A0A0A0, "pcmu", 4);
	send_to(peer, "127.0.0.1", l.audio_port, pkt, n);
	n = make_rtp(pkt, 96, false, 1002, 49920, 0xA0A0A0A0, "video?", 6);
	send_to(peer, "127.0.0.1", l.audio_port, pkt, n);
	static const uint8_t big[PORT_MAX_PAYLOAD + 1];
	n = make_rtp(pkt, 111, false, 1003, 50880, 0xA0A0A0A0, big, sizeof(big));
	send_to(peer, "127.0.0.1", l.audio_port, pkt, n);
	n = make_rtp(pkt, 111, false, 1004, 51840, 0xA0A0A0A0, "stranger", 8);
	send_to(stranger, "127.0.0.1", l.audio_port, pkt, n);
	n = make_rtp(pkt, 111, false, 1005, 52800, 0xA0A0A0A0, "on rtcp", 7);
	send_to(peer, "127.0.0.1", l.audio_port + 1, pkt, n);
	memset(pkt, 0, 20);
	send_to(peer, "127.0.0.1", l.audio_port, pkt, 20);
	assert_int_equal(wait_other_in(r, 6), 6);
	/* The next good packet is the first thing queued since. */
	n = make_rtp(pkt, 111, false, 1001, 48960, 0xA0A0A0A0, "next", 4);
	send_to(peer, "127.0.0.1", l.audio_port, pkt, n);
	assert_int_equal(pop_within(r, q, WAIT_MS), 1);
	check_packet(q, PORT_AUDIO, 111, false, 1001, 48960, 0xA0A0A0A0, "next");
	assert_int_equal(rtpep_port_ops()->recv(r, q), 0);

	/* An RTCP report on the RTCP port counts and shows life. */
	int64_t before = rtpep_last_alive_us(r);
	usleep(5000);
	int w = rtcp_write_rr(pkt, sizeof(pkt), 0xA0A0A0A0, NULL, 0);
	assert_true(w > 0);
	send_to(peer, "127.0.0.1", l.audio_port + 1, pkt, (size_t)w);
	assert_int_equal(wait_rtcp_in(r, 1, true), 1);
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
	struct rtpep_params p = params("127.0.0.1", 5004, 5006);
	p.audio_level_ext = 3;
	struct rtpep *r = create_ok(&f->env, &p);
	struct rtpep_local l;
	rtpep_local(r, &l);
	int peer = bind_udp("127.0.0.1", 0);
	assert_true(peer >= 0);
	struct port_packet *q = calloc(1, sizeof(*q));
	assert_non_null(q);
	/* Header with X set, a one-byte extension block: id 3, len 0, level
	 * 25 with the voice bit; then the payload. */
	uint8_t pkt[64];
	size_t n = make_rtp(pkt, 111, false, 7, 960, 0xC0C0C0C0, "", 0);
	pkt[0] |= 0x10;
	const uint8_t ext[] = { 0xBE, 0xDE, 0x00, 0x01, 0x30, 0x80 | 25, 0x00, 0x00 };
	memcpy(pkt + n, ext, sizeof(ext));
	memcpy(pkt + n + sizeof(ext), "opus", 4);
	send_to(peer, "127.0.0.1", l.audio_port, pkt, n + sizeof(ext) + 4);
	assert_int_equal(pop_within(r, q, WAIT_MS), 1);
	assert_int_equal(q->audio_level, 25);
	assert_int_equal(q->len, 4);
	assert_memory_equal(q->payload, "opus", 4);
	/* Another id: not ours, level unknown. */
	pkt[n + 4] = 0x50;
	pkt[3] = 8; /* the next sequence number */
	send_to(peer, "127.0.0.1", l.audio_port, pkt, n + sizeof(ext) + 4);
	assert_int_equal(pop_within(r, q, WAIT_MS), 1);
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
	struct rtpep_params p = params("127.0.0.1", 5004, 5006);
	struct rtpep *r = create_ok(&f->env, &p);
	struct rtpep_local l;
	rtpep_local(r, &l);
	int peer = bind_udp("127.0.0.1", 0), stranger = bind_udp("127.0.0.2", 0);
	assert_true(peer >= 0 && stranger >= 0);
	uint8_t pkt[4096];
	struct port_packet *q = calloc(1, sizeof(*q));
	assert_non_null(q);

	enum { BURST = 100 };
	for (int i = 0; i < BURST; i++) {
		size_t n = make_rtp(pkt, 111, false, (uint16_t)(2000 + i), 960u * (uint32_t)i,
				    0xA1A1A1A1, "a", 1);
		send_to(peer, "127.0.0.1", l.audio_port, pkt, n);
		n = make_rtp(pkt, 96, false, (uint16_t)(5000 + i), 3000u * (uint32_t)i, 0xB1B1B1B1,
			     "v", 1);
		send_to(peer, "127.0.0.1", l.video_port, pkt, n);
		if (i == BURST / 2) {
			send_to(stranger, "127.0.0.1", l.audio_port, pkt, n);
			memset(pkt, 0, sizeof(pkt));
			make_rtp(pkt, 111, false, 1, 1, 0xA1A1A1A1, "x", 1);
			send_to(peer, "127.0.0.1", l.audio_port, pkt, 3000);
		}
	}
	int next[2] = { 2000, 5000 };
	for (int i = 0; i < 2 * BURST; i++) {
		assert_int_equal(pop_within(r, q, WAIT_MS), 1);
		assert_int_equal(q->seq, next[q->kind]++);
	}
	assert_int_equal(next[PORT_AUDIO], 2000 + BURST);
	assert_int_equal(next[PORT_VIDEO], 5000 + BURST);
	assert_int_equal(wait_other_in(r, 2), 2);
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

static void test_send_rtp_and_sr(void **state)
{
	struct fixture *f = *state;
	struct peer pa;
	peer_open(f, &pa);
	struct rtpep_params p = params("127.0.0.1", pa.port, 0);
	struct rtpep *r = create_ok(&f->env, &p);
	struct rtpep_local l;
	rtpep_local(r, &l);

	uint8_t sent[1500], got[2048];
	int64_t capture_us = clock_now_us();
	size_t n = make_rtp(sent, 111, true, 7, 123456, l.audio_ssrc, "our mix!", 8);
	uint8_t buf[1500 + 32];
	memcpy(buf, sent, n);
	rtpep_port_ops()->send_rtp(r, PORT_AUDIO, buf, n, sizeof(buf), capture_us);
	/* From our RTP port (symmetric RTP). */
	ssize_t m = recv_within(pa.rtp, got, sizeof(got), WAIT_MS, l.audio_port);
	assert_int_equal(m, (ssize_t)n);
	assert_memory_equal(got, sent, n);
	n = make_rtp(sent, 111, false, 8, 123456 + 960, l.audio_ssrc, "more", 4);
	memcpy(buf, sent, n);
	capture_us += 20000;
	rtpep_port_ops()->send_rtp(r, PORT_AUDIO, buf, n, sizeof(buf), capture_us);
	m = recv_within(pa.rtp, got, sizeof(got), WAIT_MS, l.audio_port);
	assert_int_equal(m, (ssize_t)n);
	assert_memory_equal(got, sent, n);
	/* Video is absent: nothing goes anywhere. */
	send_ours(r, PORT_VIDEO, 96, 1, 1, l.audio_ssrc, "none", 4, capture_us);

	struct endpoint_info info;
	rtpep_get_info(r, &info);
	assert_int_equal(info.packets_out, 2);
	assert_int_equal(info.bytes_out, 12 + 8 + 12 + 4);

	/* A sender report within the 1 s period, from our RTCP port (one
	 * may have gone between the two sends: take the one counting both). */
	int64_t deadline = clock_now_us() + 1500000;
	do {
		int left = (int)((deadline - clock_now_us()) / 1000);
		m = recv_rtcp(pa.rtcp, got, sizeof(got), RTCP_SR, 0, left > 0 ? left : 0,
			      l.audio_port + 1);
	} while (m >= 28 && get32(got + 20) != 2);
	int64_t sr_us = clock_now_us();
	assert_true(m >= 28);
	assert_int_equal(get32(got + 4), l.audio_ssrc);
	uint64_t ntp = (uint64_t)get32(got + 8) << 32 | get32(got + 12);
	int64_t ntp_diff = (int64_t)((ntp >> 32) - (rtcp_ntp_from_wall_us(clock_wall_us()) >> 32));
	assert_in_range(ntp_diff + 2, 0, 4);
	/* The timestamp now: the last one sent, advanced at 48 kHz. */
	int64_t expect = 123456 + 960 + (sr_us - capture_us) * 48 / 1000;
	int64_t rtp_ts = get32(got + 16);
	if (rtp_ts < expect - 48 * 100 || rtp_ts > expect + 48 * 20)
		fail_msg("SR rtp_ts %lld, expected about %lld", (long long)rtp_ts, (long long)expect);
	assert_int_equal(get32(got + 20), 2);      /* packets */
	assert_int_equal(get32(got + 24), 8 + 4);  /* payload octets */

	peer_close(&pa);
	rtpep_destroy(r);
}

/* PCMU's RTP clock is 8 kHz (so is G.722's, RFC 3551), not Opus's 48 kHz:
 * the SR's timestamp advances at it, and jitter is measured in it (a
 * sender whose timestamps follow real time at 8 kHz has next to none). */
static void test_pcmu_clock(void **state)
{
	struct fixture *f = *state;
	struct peer pa;
	peer_open(f, &pa);
	struct rtpep_params p = params("127.0.0.1", pa.port, 0);
	p.audio_pt = 0;
	p.audio_codec = PORT_PCMU;
	struct rtpep *r = create_ok(&f->env, &p);
	struct rtpep_local l;
	rtpep_local(r, &l);
	int64_t capture_us = clock_now_us();
	send_ours(r, PORT_AUDIO, 0, 1, 5000, l.audio_ssrc, "pcmu", 4, capture_us);
	uint8_t got[2048];
	ssize_t m = recv_rtcp(pa.rtcp, got, sizeof(got), RTCP_SR, 0, 1500, l.audio_port + 1);
	int64_t sr_us = clock_now_us();
	assert_true(m >= 28);
	assert_int_equal(get32(got + 4), l.audio_ssrc);
	int64_t expect = 5000 + (sr_us - capture_us) * 8 / 1000;
	int64_t rtp_ts = get32(got + 16);
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
		size_t n = make_rtp(pkt, 0, false, (uint16_t)(300 + i), ts, 0xE0E0E0E0, "ulaw", 4);
		send_to(pa.rtp, "127.0.0.1", l.audio_port, pkt, n);
		assert_int_equal(pop_within(r, q, WAIT_MS), 1);
		assert_int_equal(q->seq, 300 + i);
		usleep(10000);
	}
	struct endpoint_info info;
	rtpep_get_info(r, &info);
	assert_int_equal(info.audio.packets_in, 20);
	if (info.audio.jitter_ms > 2.0)
		fail_msg("jitter %.2f ms of a perfectly paced 8 kHz stream", info.audio.jitter_ms);
	free(q);
	peer_close(&pa);
	rtpep_destroy(r);
}

static void test_keyframe_and_nack(void **state)
{
	struct fixture *f = *state;
	struct peer pv;
	peer_open(f, &pv);
	struct rtpep_params p = params("127.0.0.1", 0, pv.port);
	struct rtpep *r = create_ok(&f->env, &p);
	struct rtpep_local l;
	rtpep_local(r, &l);
	const struct port_ops *ops = rtpep_port_ops();

	/* Nobody to ask before video arrived: nothing is sent. */
	ops->request_keyframe(r);
	uint16_t seqs[] = { 100, 102 };
	ops->nack(r, seqs, 2);

	uint8_t pkt[2048];
	size_t n = make_rtp(pkt, 96, true, 99, 9000, 0xC0FFEE00, "idr?", 4);
	send_to(pv.rtp, "127.0.0.1", l.video_port, pkt, n);
	struct port_packet *q = calloc(1, sizeof(*q));
	assert_non_null(q);
	assert_int_equal(pop_within(r, q, WAIT_MS), 1);
	assert_int_equal(q->ssrc, 0xC0FFEE00);

	ops->request_keyframe(r);
	ssize_t m = recv_within(pv.rtcp, pkt, sizeof(pkt), WAIT_MS, l.video_port + 1);
	assert_int_equal(m, 12);
	assert_int_equal(pkt[0], 0x80 | 1);       /* V=2, FMT 1: PLI */
	assert_int_equal(pkt[1], RTCP_PSFB);
	assert_int_equal(get32(pkt + 4), l.video_ssrc);
	assert_int_equal(get32(pkt + 8), 0xC0FFEE00);

	ops->nack(r, seqs, 2);
	m = recv_within(pv.rtcp, pkt, sizeof(pkt), WAIT_MS, l.video_port + 1);
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
	assert_int_equal(recv_within(pv.rtcp, pkt, sizeof(pkt), 50, l.video_port + 1), -1);

	free(q);
	peer_close(&pv);
	rtpep_destroy(r);
}

/* Sends one packet of ours every 20 ms for ms; returns the newest
 * rtpep_last_alive_us and fails if it ever differs from *stuck (when not
 * NULL). */
static int64_t send_for(struct rtpep *r, uint32_t ssrc, uint16_t *seq, int ms, const int64_t *stuck)
{
	int64_t end = clock_now_us() + (int64_t)ms * 1000;
	int64_t alive = 0;
	while (clock_now_us() < end) {
		send_ours(r, PORT_AUDIO, 111, *seq, (uint32_t)*seq * 960, ssrc, "tick", 4, clock_now_us());
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
	peer_open(f, &pa);
	struct rtpep_params p = params("127.0.0.1", pa.port, 0);
	p.sends_audio = p.sends_video = false;
	p.direction = "recvonly";
	struct rtpep *r = create_ok(&f->env, &p);
	struct rtpep_local l;
	rtpep_local(r, &l);
	uint16_t seq = 0;

	/* Open ports take 300 ms of media: no life shown. */
	int64_t a0 = rtpep_last_alive_us(r);
	send_for(r, l.audio_ssrc, &seq, 300, &a0);
	drain(pa.rtp);

	/* A receiver report from another host does not count either. */
	uint8_t rr[64];
	int w = rtcp_write_rr(rr, sizeof(rr), 0xA5A5A5A5, NULL, 0);
	assert_true(w > 0);
	int stranger = bind_udp("127.0.0.2", 0);
	assert_true(stranger >= 0);
	send_to(stranger, "127.0.0.1", l.audio_port + 1, rr, (size_t)w);
	usleep(100000);
	assert_true(rtpep_last_alive_us(r) == a0);

	/* Its own receiver report does. */
	int64_t sent_us = clock_now_us();
	send_to(pa.rtcp, "127.0.0.1", l.audio_port + 1, rr, (size_t)w);
	assert_int_equal(wait_rtcp_in(r, 1, false), 1);
	assert_true(rtpep_last_alive_us(r) >= sent_us);
	close(stranger);
	peer_close(&pa);
	rtpep_destroy(r);
}

/* A sender shows life by what it sends, not by taking what we send. */
static void test_liveness_sender(void **state)
{
	struct fixture *f = *state;
	struct peer pa;
	peer_open(f, &pa);
	struct rtpep_params p = params("127.0.0.1", pa.port, 0);
	struct rtpep *r = create_ok(&f->env, &p);
	struct rtpep_local l;
	rtpep_local(r, &l);
	uint16_t seq = 0;
	int64_t a0 = rtpep_last_alive_us(r);
	send_for(r, l.audio_ssrc, &seq, 200, &a0);

	uint8_t pkt[64];
	size_t n = make_rtp(pkt, 111, false, 1, 960, 0xD0D0D0D0, "hi", 2);
	send_to(pa.rtp, "127.0.0.1", l.audio_port, pkt, n);
	struct port_packet *q = calloc(1, sizeof(*q));
	assert_non_null(q);
	assert_int_equal(pop_within(r, q, WAIT_MS), 1);
	assert_true(rtpep_last_alive_us(r) > a0);
	free(q);
	peer_close(&pa);
	rtpep_destroy(r);
}

/* A sender's sockets are read when the room thread pulls, not before, and
 * each packet keeps the time the kernel received it, not the pull's. */
static void test_pull_reads_when_asked(void **state)
{
	struct fixture *f = *state;
	struct rtpep_params p = params("127.0.0.1", 5004, 5006);
	struct rtpep *r = create_ok(&f->env, &p);
	struct rtpep_local l;
	rtpep_local(r, &l);
	const struct port_ops *ops = rtpep_port_ops();
	int peer = bind_udp("127.0.0.1", 0);
	assert_true(peer >= 0);
	struct port_packet *q = calloc(1, sizeof(*q));
	assert_non_null(q);

	int64_t sent_us = clock_now_us();
	uint8_t pkt[64];
	size_t n = make_rtp(pkt, 111, false, 10, 9600, 0xA2A2A2A2, "early", 5);
	send_to(peer, "127.0.0.1", l.audio_port, pkt, n);
	n = make_rtp(pkt, 96, true, 20, 3000, 0xB2B2B2B2, "frame", 5);
	send_to(peer, "127.0.0.1", l.video_port, pkt, n);
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
	struct rtpep_params p = params("127.0.0.1", 5004, 5006);
	p.sends_audio = p.sends_video = false;
	p.direction = "recvonly";
	struct rtpep *r = create_ok(&f->env, &p);
	struct rtpep_local l;
	rtpep_local(r, &l);
	int peer = bind_udp("127.0.0.1", 0);
	assert_true(peer >= 0);
	uint8_t pkt[64];
	int w = rtcp_write_rr(pkt, sizeof(pkt), 0xA3A3A3A3, NULL, 0);
	assert_true(w > 0);
	send_to(peer, "127.0.0.1", l.audio_port + 1, pkt, (size_t)w);
	assert_int_equal(wait_rtcp_in(r, 1, false), 1);
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
	peer_open(f, &pa);
	int port = pa.port;
	struct rtpep_params p = params("127.0.0.1", port, 0);
	struct rtpep *r = create_ok(&f->env, &p);
	struct rtpep_local l;
	rtpep_local(r, &l);
	peer_close(&pa);
	/* A send reports the previous send's refusal and is not sent, so
	 * they alternate: an odd count leaves the last refusal pending. */
	for (int i = 0; i < 21; i++) {
		send_ours(r, PORT_AUDIO, 111, (uint16_t)i, (uint32_t)i * 960, l.audio_ssrc, "x", 1,
			  clock_now_us());
		usleep(2000);
	}
	int peer = bind_udp("127.0.0.1", 0);
	assert_true(peer >= 0);
	struct port_packet *q = calloc(1, sizeof(*q));
	assert_non_null(q);
	for (int i = 0; i < 3; i++) {
		uint8_t pkt[64];
		size_t n = make_rtp(pkt, 111, false, (uint16_t)(40 + i), 960u * (uint32_t)i,
				    0xA4A4A4A4, "ok", 2);
		send_to(peer, "127.0.0.1", l.audio_port, pkt, n);
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
		cmocka_unit_test(test_create_ports),
		cmocka_unit_test(test_create_variants),
		cmocka_unit_test(test_range_edges),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_inbound),
		cmocka_unit_test(test_inbound_audio_level),
		cmocka_unit_test(test_inbound_burst),
		cmocka_unit_test(test_send_rtp_and_sr),
		cmocka_unit_test(test_pcmu_clock),
		cmocka_unit_test(test_keyframe_and_nack),
		cmocka_unit_test(test_liveness_receive_only),
		cmocka_unit_test(test_liveness_sender),
		cmocka_unit_test(test_pull_reads_when_asked),
		cmocka_unit_test(test_receive_only_read_by_transport),
		cmocka_unit_test(test_pull_after_refusals),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
