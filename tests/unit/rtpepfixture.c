/* rtpepfixture.c - see rtpepfixture.h. */
#include "rtpepfixture.h"

/* ---- sockets ---------------------------------------------------------- */

void rtpepfixture_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void rtpepfixture_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

uint32_t rtpepfixture_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

struct sockaddr_in rtpepfixture_v4(const char *ip, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	assert_int_equal(inet_pton(AF_INET, ip, &sa.sin_addr), 1);
	return sa;
}

/* A UDP socket bound to ip:port (0: any port), or -1 with errno. */
int rtpepfixture_bind_udp(const char *ip, int port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = rtpepfixture_v4(ip, port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* errno of binding ip:port ourselves (0 when it was free). */
int rtpepfixture_bind_errno(const char *ip, int port)
{
	int fd = rtpepfixture_bind_udp(ip, port);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* Returns a band no other run holds (its last port bound in *lock for the run)
 * whose edge-case ports are free now, or -1. */
int rtpepfixture_pick_band(int *lock)
{
	for (int t = 0; t < 100; t++) {
		int base = 40000 + 200 * g_random_int_range(0, 40);
		*lock = rtpepfixture_bind_udp("127.0.0.1", base + 199);
		if (*lock < 0)
			continue;
		bool free_ = true;
		for (int port = base + 100; port <= base + 105 && free_; port++)
			free_ = rtpepfixture_bind_errno("127.0.0.1", port) == 0;
		if (free_)
			return base;
		close(*lock);
	}
	return -1;
}

int rtpepfixture_group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->base = rtpepfixture_pick_band(&f->band_lock);
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

int rtpepfixture_group_teardown(void **state)
{
	struct fixture *f = *state;
	transport_destroy(f->t);
	close(f->band_lock);
	free(f);
	return 0;
}

/* The first free even pair of the band's peer ports on 127.0.0.1. */
void rtpepfixture_peer_open(const struct fixture *f, struct peer *p)
{
	for (int port = f->base + 110; port + 1 < f->base + 199; port += 2) {
		int a = rtpepfixture_bind_udp("127.0.0.1", port);
		if (a < 0)
			continue;
		int b = rtpepfixture_bind_udp("127.0.0.1", port + 1);
		if (b < 0) {
			close(a);
			continue;
		}
		*p = (struct peer){ a, b, port };
		return;
	}
	fail_msg("no free peer port pair from %d", f->base + 110);
}

void rtpepfixture_peer_close(struct peer *p)
{
	if (p->rtp >= 0)
		close(p->rtp);
	if (p->rtcp >= 0)
		close(p->rtcp);
	p->rtp = p->rtcp = -1;
}

void rtpepfixture_send_to(int fd, const char *ip, int port, const uint8_t *buf, size_t len)
{
	struct sockaddr_in to = rtpepfixture_v4(ip, port);
	assert_int_equal(sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)len);
}

/* An RTP packet with a fixed header and payload into buf; returns its length. */
size_t rtpepfixture_make_rtp(uint8_t *buf, uint8_t pt, bool marker, uint16_t seq, uint32_t ts,
		       uint32_t ssrc, const void *payload, size_t len)
{
	buf[0] = 0x80;
	buf[1] = (uint8_t)((marker ? 0x80 : 0) | pt);
	rtpepfixture_put16(buf + 2, seq);
	rtpepfixture_put32(buf + 4, ts);
	rtpepfixture_put32(buf + 8, ssrc);
	memcpy(buf + 12, payload, len);
	return 12 + len;
}

/* Receives one datagram from 127.0.0.1:from_port (0: any port) within ms;
 * returns its length or -1. Datagrams from elsewhere are skipped. */
ssize_t rtpepfixture_recv_within(int fd, uint8_t *buf, size_t cap, int ms, int from_port)
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
ssize_t rtpepfixture_recv_rtcp(int fd, uint8_t *buf, size_t cap, uint8_t type, uint8_t fmt, int ms,
			 int from_port)
{
	int64_t deadline = clock_now_us() + (int64_t)ms * 1000;
	for (;;) {
		int left = (int)((deadline - clock_now_us()) / 1000);
		if (left < 0)
			return -1;
		ssize_t n = rtpepfixture_recv_within(fd, buf, cap, left, from_port);
		if (n >= 8 && buf[0] >> 6 == 2 && buf[1] == type && (buf[0] & 0x1f) == fmt)
			return n;
	}
}

/* Drops whatever is waiting on fd. */
void rtpepfixture_drain(int fd)
{
	uint8_t buf[2048];
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
}

/* ---- the endpoint ------------------------------------------------------ */

/* Sends and receives audio (Opus, pt 111) and video (H.264, pt 96) with a
 * peer at addr; a port of 0 leaves that media out; RTCP on port + 1. */
struct rtpep_params rtpepfixture_params(const char *addr, int audio_port, int video_port)
{
	return (struct rtpep_params){
		.room = "lobby", .name = "desk phone", .profile = PROFILE_SD, .direction = "sendrecv",
		.remote_addr = addr,
		.audio_port = audio_port, .audio_rtcp_port = audio_port ? audio_port + 1 : 0,
		.video_port = video_port, .video_rtcp_port = video_port ? video_port + 1 : 0,
		.sends_audio = true, .receives_audio = true, .sends_video = true, .receives_video = true,
		.audio_pt = 111, .audio_codec = CODEC_OPUS, .video_pt = 96, .packetization_mode = 1,
	};
}

struct rtpep *rtpepfixture_create_ok(const struct endpoint_env *env, const struct rtpep_params *p)
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
int rtpepfixture_pop_within(struct rtpep *r, struct port_packet *out, int ms)
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
uint64_t rtpepfixture_wait_other_in(struct rtpep *r, uint64_t n)
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
uint64_t rtpepfixture_wait_rtcp_in(struct rtpep *r, uint64_t n, bool pull)
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

void rtpepfixture_send_ours(struct rtpep *r, enum port_media kind, uint8_t pt, uint16_t seq, uint32_t ts,
		      uint32_t ssrc, const void *payload, size_t len, int64_t capture_us)
{
	uint8_t buf[1500 + 32];
	size_t n = rtpepfixture_make_rtp(buf, pt, false, seq, ts, ssrc, payload, len);
	rtpep_port_ops()->send_rtp(r, kind, buf, n, sizeof(buf), capture_us);
}

