/* rtpepfixture.h - what the plain-RTP endpoint's tests share: a band of
 * loopback ports of their own, a transport, peers (an RTP port and the RTCP
 * port after it), sending and receiving with deadlines, endpoints made
 * with the usual parameters, and waits on what they count. Every wait polls
 * with a deadline of a few seconds; everything is on 127.0.0.0/8. Each run
 * picks its own band of 200 ports in 40000..47999 (endpoints take
 * base..base+99, the range edge cases base+100..base+105, peers pairs from
 * base+110), and receivers skip datagrams from ports other than the
 * expected one: two runs at once must not take each other's ports or read
 * each other's reports. */
#ifndef TESTS_RTPEPFIXTURE_H
#define TESTS_RTPEPFIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/clock.h"
#include "mcu/config.h"
#include "mcu/net/endpoint.h"
#include "base/err.h"
#include "base/log.h"
#include "mixer/port.h"
#include "base/rtcp.h"
#include "base/rtp.h"
#include "mcu/net/rtpep.h"
#include "mcu/net/transport.h"

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


void rtpepfixture_put16(uint8_t *p, uint16_t v);
void rtpepfixture_put32(uint8_t *p, uint32_t v);
uint32_t rtpepfixture_get32(const uint8_t *p);
struct sockaddr_in rtpepfixture_v4(const char *ip, int port);
int rtpepfixture_bind_udp(const char *ip, int port);
int rtpepfixture_bind_errno(const char *ip, int port);
int rtpepfixture_pick_band(int *lock);
int rtpepfixture_group_setup(void **state);
int rtpepfixture_group_teardown(void **state);
void rtpepfixture_peer_open(const struct fixture *f, struct peer *p);
void rtpepfixture_peer_close(struct peer *p);
void rtpepfixture_send_to(int fd, const char *ip, int port, const uint8_t *buf, size_t len);
size_t rtpepfixture_make_rtp(uint8_t *buf, uint8_t pt, bool marker, uint16_t seq, uint32_t ts,
		       uint32_t ssrc, const void *payload, size_t len);
ssize_t rtpepfixture_recv_within(int fd, uint8_t *buf, size_t cap, int ms, int from_port);
ssize_t rtpepfixture_recv_rtcp(int fd, uint8_t *buf, size_t cap, uint8_t type, uint8_t fmt, int ms,
			 int from_port);
void rtpepfixture_drain(int fd);
struct rtpep_params rtpepfixture_params(const char *addr, int audio_port, int video_port);
struct rtpep *rtpepfixture_create_ok(const struct endpoint_env *env, const struct rtpep_params *p);
int rtpepfixture_pop_within(struct rtpep *r, struct port_packet *out, int ms);
uint64_t rtpepfixture_wait_other_in(struct rtpep *r, uint64_t n);
uint64_t rtpepfixture_wait_rtcp_in(struct rtpep *r, uint64_t n, bool pull);
void rtpepfixture_send_ours(struct rtpep *r, enum port_media kind, uint8_t pt, uint16_t seq, uint32_t ts,
		      uint32_t ssrc, const void *payload, size_t len, int64_t capture_us);

#endif
