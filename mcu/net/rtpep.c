/*
 * rtpep.c - see rtpep.h.
 *
 * DESIGN: per media kind an RTP socket and (unless muxed) an RTCP socket,
 * non-blocking, bound to the wildcard address on a port pair from the
 * range, with IP_RECVERR so an ICMP "port unreachable" for what we send
 * surfaces as an error on the socket, and with kernel receive timestamps.
 * Each readable socket is drained with recvmmsg in batches: RTP from the
 * offer's address goes to the endpoint's RTP session (rtpsession.h), which
 * parses, counts and queues it for the room (no allocation per packet);
 * RTCP is only counted.
 *
 * Who reads depends on whether the peer sends. A sender's sockets are read
 * by the room thread itself, at each of its wakes (port op pull): the room
 * consumes media only then, so reading earlier would gain nothing, and a
 * transport thread woken per datagram batch cost the room about 5% more
 * CPU on this project's machines (issue #7's benchmark). The kernel's
 * timestamp keeps each packet's arrival time exact for the jitter figures.
 * A receive-only endpoint's sockets (RTCP and refusals only, rarely) are
 * read by the fdset of one transport thread (fdset.h). Either way one
 * thread touches the receive state.
 *
 * The room thread sends with sendto under send_lock, which also guards the
 * session's send side, from which the transport thread's 1 s SR timer (a
 * timerfd in the same fdset) writes our sender reports.
 */
#include "rtpep.h"
#include "base/clock.h"
#include "mcu/config.h"
#include "base/err.h"
#include "fdset.h"
#include "base/log.h"
#include "mcu/participant.h"
#include "base/rtp.h"
#include "rtpsession.h"
#include "transport.h"
#include "udpsock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define RX_SIZE 2048
#define RX_BATCH 8                /* datagrams per recvmmsg */
#define RX_PER_WAKEUP 256         /* then the other sockets get their turn */
#define RTCP_INTERVAL_S 1
/* What a socket the room thread reads may hold between two of its wakes:
 * a few ticks of a sender's keyframe burst, with the kernel's per-datagram
 * overhead (the kernel caps it at net.core.rmem_max). */
#define ROOM_READ_RCVBUF (1 << 20)

/* What a socket's fdset callback needs to know about it. */
struct rtp_watch {
	struct rtpep *r;
	enum port_media kind;
	bool rtcp_only;
	struct fdset_watch *w;        /* NULL when not watched (room_reads) */
};

/* One media kind's sockets and where its peer is. */
struct rtp_media {
	bool present;
	int rtp_fd, rtcp_fd;          /* rtcp_fd == rtp_fd when muxed; -1 when absent */
	int local_port;
	struct sockaddr_storage rtp_to, rtcp_to;
	socklen_t to_len;
	struct rtp_watch rtp_w, rtcp_w;
	uint32_t ssrc;                /* what we send with */
	uint32_t rate;                /* its RTP clock, Hz */
};

struct rtpep {
	char id[ENDPOINT_ID_LEN + 1];
	char room[65], name[65], direction[10];
	int64_t joined_wall_us;
	struct port_info port;
	struct sockaddr_storage peer;    /* the offer's address (port ignored) */
	bool peer_sends;
	char local_addr[64];

	GMainContext *ctx;
	struct fdset *set;
	int timer_fd;                    /* the 1 s SR timer (timerfd); -1 until made */
	struct fdset_watch *timer_w;
	struct rtp_media media[2];       /* by enum port_media */
	bool room_reads;                 /* the room thread reads the sockets (pull) */
	/* Its receive side is the reading thread's (see DESIGN), its queue
	 * the room's, its send side under send_lock. */
	struct rtpsession *session;

	/* The reading thread: receive scratch. */
	struct mmsghdr rx_msg[RX_BATCH];
	struct iovec rx_iov[RX_BATCH];
	struct sockaddr_storage rx_from[RX_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} rx_ctrl[RX_BATCH];
	uint8_t rx[RX_BATCH][RX_SIZE];

	/* Room thread (and the SR timer, under send_lock). */
	GMutex send_lock;
	uint8_t txbuf[1500];
};

static uint32_t random_ssrc(void)
{
	uint32_t v = 0;
	while (!v)
		v = g_random_int();
	return v;
}

/* The local address that routes to the peer: what the answer announces. */
static void route_address(struct rtpep *r, const struct config *cfg, socklen_t peer_len)
{
	if (cfg->rtp_address[0])
		snprintf(r->local_addr, sizeof(r->local_addr), "%s", cfg->rtp_address);
	else
		udpsock_route_address(&r->peer, peer_len, r->local_addr, sizeof(r->local_addr));
}

/* ---- receiving (the room thread or a transport thread) --------------- */

/* Takes what IP_RECVERR queued (ICMP errors for what we sent): they say
 * nothing of the peer's life, which only its own packets prove, but left
 * queued they would be reported ahead of every read. */
static void drain_errors(int fd)
{
	uint8_t buf[256];
	char ctrl[512];
	for (int i = 0; i < 16; i++) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl,
				      .msg_controllen = sizeof(ctrl) };
		if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			break;
	}
}

/* When the kernel received msg, on the monotonic clock: its timestamp
 * (wall clock) moved by the wall clock's distance to now. A datagram waits
 * up to a tick when the room thread reads, which must not show as jitter. */
static int64_t arrival_of(const struct mmsghdr *msg, int64_t now, int64_t wall_now)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg->msg_hdr); c;
	     c = CMSG_NXTHDR((struct msghdr *)&msg->msg_hdr, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
			continue;
		struct timespec ts;
		memcpy(&ts, CMSG_DATA(c), sizeof(ts));
		int64_t waited = wall_now - ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
		return waited > 0 ? now - waited : now;
	}
	return now;
}

/* One datagram of a batch: from the offer's host, within the rate cap, then
 * RTCP counted or RTP of this socket's kind taken (rtpsession.h). */
static void take_datagram(struct rtpep *r, enum port_media kind, bool rtcp_only,
			  const struct mmsghdr *msg, const uint8_t *pkt, int64_t now,
			  int64_t wall_now)
{
	size_t n = msg->msg_len;
	if ((msg->msg_hdr.msg_flags & MSG_TRUNC) ||
	    !udpsock_same_host(msg->msg_hdr.msg_name, &r->peer)) {
		rtpsession_count_other(r->session);
		return;
	}
	if (!rtpsession_admit(r->session, now))
		return;
	int64_t arrival_us = arrival_of(msg, now, wall_now);
	enum rtp_demux d = rtp_demux(pkt, n);
	if (d == RTP_DEMUX_RTCP)
		rtpsession_note_rtcp(r->session, arrival_us);
	else if (d == RTP_DEMUX_RTP && !rtcp_only)
		rtpsession_recv_rtp_on(r->session, kind, pkt, n, arrival_us);
	else
		rtpsession_count_other(r->session);
}

/* Reads what one socket has (up to RX_PER_WAKEUP datagrams), RX_BATCH at a
 * time: a batch that comes back short means the socket is empty, which
 * spares the call that would only say EAGAIN. */
static void read_socket(struct rtpep *r, int fd, enum port_media kind, bool rtcp_only)
{
	bool retried = false;
	for (int got = 0; got < RX_PER_WAKEUP;) {
		for (int i = 0; i < RX_BATCH; i++) {
			r->rx_msg[i].msg_hdr.msg_namelen = sizeof(r->rx_from[i]);
			r->rx_msg[i].msg_hdr.msg_controllen = sizeof(r->rx_ctrl[i]);
			r->rx_msg[i].msg_hdr.msg_flags = 0;
		}
		int n = recvmmsg(fd, r->rx_msg, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || retried)
				return;
			/* A refusal of what we sent (IP_RECVERR) is reported
			 * once, ahead of what is queued: take its queued copy
			 * (the room thread has no fdset to report it) and read
			 * on. */
			drain_errors(fd);
			retried = true;
			continue;
		}
		int64_t now = clock_now_us(), wall_now = clock_wall_us();
		for (int i = 0; i < n; i++)
			take_datagram(r, kind, rtcp_only, &r->rx_msg[i], r->rx[i], now, wall_now);
		got += n;
		if (n < RX_BATCH)
			return;
	}
}

static void on_ready(int fd, unsigned events, void *arg)
{
	struct rtp_watch *w = arg;
	if (events & FDSET_ERR)
		drain_errors(fd);
	if (events & FDSET_IN)
		read_socket(w->r, fd, w->kind, w->rtcp_only);
}

/* Points each batch slot's header at its buffer and address, once. */
static void init_rx(struct rtpep *r)
{
	for (int i = 0; i < RX_BATCH; i++) {
		r->rx_iov[i] = (struct iovec){ r->rx[i], RX_SIZE };
		r->rx_msg[i].msg_hdr = (struct msghdr){
			.msg_name = &r->rx_from[i], .msg_namelen = sizeof(r->rx_from[i]),
			.msg_iov = &r->rx_iov[i], .msg_iovlen = 1,
			.msg_control = r->rx_ctrl[i].buf, .msg_controllen = sizeof(r->rx_ctrl[i]),
		};
	}
}

static int watch(struct rtpep *r, int fd, enum port_media kind, bool rtcp_only,
		 struct rtp_watch *w)
{
	*w = (struct rtp_watch){ .r = r, .kind = kind, .rtcp_only = rtcp_only };
	return fdset_add(r->set, fd, on_ready, w, &w->w);
}

/* ---- sending -------------------------------------------------------- */

/* Caller holds send_lock. */
static void send_to(struct rtpep *r, int fd, const struct sockaddr_storage *to, socklen_t to_len,
		    const uint8_t *pkt, size_t len)
{
	ssize_t n = sendto(fd, pkt, len, MSG_DONTWAIT, (const struct sockaddr *)to, to_len);
	if (n >= 0)
		rtpsession_count_out(r->session, (size_t)n);
}

static void port_send_rtp(void *port, enum port_media kind, uint8_t *pkt, size_t len, size_t cap,
			  int64_t capture_us)
{
	(void)cap;
	struct rtpep *r = port;
	struct rtp_media *m = &r->media[kind];
	if (!m->present || len < 12)
		return;
	g_mutex_lock(&r->send_lock);
	rtpsession_sent_rtp(r->session, kind, pkt, len, capture_us);
	send_to(r, m->rtp_fd, &m->rtp_to, m->to_len, pkt, len);
	g_mutex_unlock(&r->send_lock);
}

/* Caller holds send_lock. */
static void send_rtcp(struct rtpep *r, struct rtp_media *m, size_t len)
{
	send_to(r, m->rtcp_fd, &m->rtcp_to, m->to_len, r->txbuf, len);
}

/* Nothing is sent before its video came (the session writes nothing). */
static void port_request_keyframe(void *port)
{
	struct rtpep *r = port;
	struct rtp_media *m = &r->media[PORT_VIDEO];
	if (!m->present)
		return;
	g_mutex_lock(&r->send_lock);
	size_t len = rtpsession_write_pli(r->session, r->txbuf, sizeof(r->txbuf));
	if (len)
		send_rtcp(r, m, len);
	g_mutex_unlock(&r->send_lock);
}

static void port_nack(void *port, const uint16_t *seqs, int n)
{
	struct rtpep *r = port;
	struct rtp_media *m = &r->media[PORT_VIDEO];
	if (!m->present)
		return;
	g_mutex_lock(&r->send_lock);
	size_t len = rtpsession_write_nack(r->session, seqs, n, r->txbuf, sizeof(r->txbuf));
	if (len)
		send_rtcp(r, m, len);
	g_mutex_unlock(&r->send_lock);
}

/* The room thread's read of a sender's sockets, at each of its wakes. */
static void port_pull(void *port)
{
	struct rtpep *r = port;
	if (!r->room_reads)
		return;
	for (int k = 0; k < 2; k++) {
		const struct rtp_media *m = &r->media[k];
		if (!m->present)
			continue;
		read_socket(r, m->rtp_fd, (enum port_media)k, false);
		if (m->rtcp_fd != m->rtp_fd)
			read_socket(r, m->rtcp_fd, (enum port_media)k, true);
	}
}

static int port_recv(void *port, struct port_packet *out)
{
	struct rtpep *r = port;
	return rtpsession_pop(r->session, out);
}

static void port_feedback(void *port, struct port_feedback *out)
{
	(void)port;
	memset(out, 0, sizeof(*out));
	out->loss_fraction = -1; /* legacy endpoints send no feedback */
}

static bool port_ready(void *port)
{
	(void)port;
	return true; /* nothing to negotiate: media flows from the answer on */
}

static const struct port_ops rtpep_ops = {
	.pull = port_pull,
	.recv = port_recv,
	.send_rtp = port_send_rtp,
	.request_keyframe = port_request_keyframe,
	.nack = port_nack,
	.feedback = port_feedback,
	.ready = port_ready,
};

/* A sender report per media we send, each alone on its RTCP port, so the
 * endpoint can sync its streams. No report blocks: what it sends us is
 * only counted. */
static void on_rtcp_timer(int fd, unsigned events, void *arg)
{
	(void)events;
	struct rtpep *r = arg;
	uint64_t expired;
	if (read(fd, &expired, sizeof(expired)) != sizeof(expired))
		return; /* not due yet */
	int64_t now = clock_now_us(), wall = clock_wall_us();
	g_mutex_lock(&r->send_lock);
	for (int k = 0; k < 2; k++) {
		struct rtp_media *m = &r->media[k];
		if (!m->present)
			continue;
		size_t len = rtpsession_write_sr(r->session, (enum port_media)k, now, wall, r->txbuf,
						 sizeof(r->txbuf));
		if (len)
			send_rtcp(r, m, len);
	}
	g_mutex_unlock(&r->send_lock);
}

/* The SR timer: a timerfd in the fdset rather than a GLib timeout, which
 * GLib would walk at every iteration of the context. */
static int start_timer(struct rtpep *r)
{
	r->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (r->timer_fd < 0)
		return MCU_EIO;
	struct itimerspec every = { .it_interval = { RTCP_INTERVAL_S, 0 },
				    .it_value = { RTCP_INTERVAL_S, 0 } };
	if (timerfd_settime(r->timer_fd, 0, &every, NULL) < 0)
		return MCU_EIO;
	return fdset_add(r->set, r->timer_fd, on_rtcp_timer, r, &r->timer_w);
}

/* ---- life ----------------------------------------------------------- */

static int open_media(struct rtpep *r, const struct config *cfg, enum port_media kind, int port,
		      int rtcp_port, const char *addr, char *err, size_t err_size)
{
	struct rtp_media *m = &r->media[kind];
	m->rtp_fd = m->rtcp_fd = -1;
	if (!port)
		return 0;
	socklen_t len;
	if (udpsock_addr(addr, port, &m->rtp_to, &len) || udpsock_addr(addr, rtcp_port, &m->rtcp_to, &len)) {
		snprintf(err, err_size, "'%s' is not an IP address", addr);
		return MCU_EINVAL;
	}
	m->to_len = len;
	int rc = udpsock_bind_pair(cfg->rtp_port_min, cfg->rtp_port_max, m->rtp_to.ss_family,
				  rtcp_port == port, &m->rtp_fd, &m->rtcp_fd, &m->local_port);
	if (rc == MCU_ERESOURCE) {
		snprintf(err, err_size, "the server is out of file descriptors");
		return rc;
	}
	if (rc) {
		snprintf(err, err_size, "no free UDP port pair in %d..%d", cfg->rtp_port_min,
			 cfg->rtp_port_max);
		return rc;
	}
	m->present = true;
	m->ssrc = random_ssrc();
	m->rate = kind == PORT_VIDEO ? 90000 : codec_audio_rtp_clock(r->port.audio_codec);
	return 0;
}

/* The RTP session, once the media are open: each kind present arrives with
 * its one payload type, at its clock rate. Returns 0 or MCU_ENOMEM. */
static int make_session(struct rtpep *r, const struct rtpep_params *p, int max_packet_rate)
{
	struct rtpsession_params sp = {
		.pts = { [PORT_AUDIO] = { p->audio_pt }, [PORT_VIDEO] = { p->video_pt } },
		.audio_level_ext = p->audio_level_ext,
		.max_packet_rate = max_packet_rate,
	};
	for (int k = 0; k < 2; k++) {
		sp.ssrc[k] = r->media[k].ssrc;
		sp.rate[k] = r->media[k].rate;
		sp.n_pts[k] = r->media[k].present ? 1 : 0;
	}
	return rtpsession_create(&sp, &r->session);
}

static void fill_identity(struct rtpep *r, const struct rtpep_params *p)
{
	endpoint_new_id(r->id);
	snprintf(r->room, sizeof(r->room), "%s", p->room ? p->room : "");
	snprintf(r->name, sizeof(r->name), "%s", p->name ? p->name : "");
	snprintf(r->direction, sizeof(r->direction), "%s", p->direction ? p->direction : "sendrecv");
	r->joined_wall_us = clock_wall_us();
	r->peer_sends = p->sends_audio || p->sends_video;
	struct port_info *pi = &r->port;
	memcpy(pi->id, r->id, sizeof(pi->id));
	pi->sends_audio = p->sends_audio && p->audio_port;
	pi->receives_audio = p->receives_audio && p->audio_port;
	pi->sends_video = p->sends_video && p->video_port;
	pi->receives_video = p->receives_video && p->video_port;
	pi->profile = (int)p->profile;
	pi->packetization_mode = p->packetization_mode;
	pi->audio_pt = p->audio_pt;
	pi->audio_codec = p->audio_codec;
	pi->video_pt = p->video_pt;
	pi->video_pts[0] = p->video_pt;
	pi->video_codecs[0] = CODEC_H264;
	pi->n_video_pts = p->video_port ? 1 : 0;
}

int rtpep_create(const struct endpoint_env *env, const struct rtpep_params *p,
		 struct rtpep **out, char *err, size_t err_size)
{
	/* Every snapshot names the profile from the table by this id. */
	if (!profile_get(p->profile)) {
		snprintf(err, err_size, "no profile has id %d", (int)p->profile);
		return MCU_EINVAL;
	}
	struct rtpep *r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, err_size, "out of memory");
		return MCU_ENOMEM;
	}
	g_mutex_init(&r->send_lock);
	r->media[0].rtp_fd = r->media[0].rtcp_fd = r->media[1].rtp_fd = r->media[1].rtcp_fd = -1;
	r->timer_fd = -1;
	fill_identity(r, p);
	socklen_t peer_len;
	int rc = udpsock_addr(p->remote_addr, 0, &r->peer, &peer_len);
	if (rc) {
		snprintf(err, err_size, "the offer's address '%s' is not an IP address", p->remote_addr);
		goto fail;
	}
	rc = open_media(r, env->cfg, PORT_AUDIO, p->audio_port, p->audio_rtcp_port,
			p->remote_addr, err, err_size);
	if (!rc)
		rc = open_media(r, env->cfg, PORT_VIDEO, p->video_port, p->video_rtcp_port,
				p->remote_addr, err, err_size);
	if (rc)
		goto fail;
	rc = make_session(r, p, env->cfg->max_packet_rate);
	if (rc) {
		snprintf(err, err_size, "out of memory");
		goto fail;
	}
	route_address(r, env->cfg, peer_len);
	r->port.audio_ssrc = r->media[PORT_AUDIO].ssrc;
	r->port.video_ssrc = r->media[PORT_VIDEO].ssrc;
	init_rx(r);
	r->ctx = transport_next_context(env->transport);
	r->set = transport_fdset(env->transport, r->ctx);
	r->room_reads = r->peer_sends;
	for (int k = 0; k < 2 && !rc; k++) {
		struct rtp_media *m = &r->media[k];
		if (!m->present)
			continue;
		if (r->room_reads) {
			int size = ROOM_READ_RCVBUF;
			setsockopt(m->rtp_fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
			continue;
		}
		rc = watch(r, m->rtp_fd, (enum port_media)k, false, &m->rtp_w);
		if (!rc && m->rtcp_fd != m->rtp_fd)
			rc = watch(r, m->rtcp_fd, (enum port_media)k, true, &m->rtcp_w);
	}
	if (!rc)
		rc = start_timer(r);
	if (rc) {
		snprintf(err, err_size, "cannot serve the sockets: %s", err_str(rc));
		goto fail;
	}
	LOG_I("rtpep", "room=%s ep=%s created (%s, %s, to %s, audio %d video %d)", r->room, r->id,
	      r->direction, profile_get(p->profile)->name, p->remote_addr, p->audio_port, p->video_port);
	*out = r;
	return 0;
fail:
	rtpep_destroy(r);
	return rc;
}

static void unwatch(struct rtpep *r, struct rtp_watch *w)
{
	fdset_remove(r->set, w->w);
	w->w = NULL;
}

/* First phase of the close, on the transport thread: no callback after it,
 * not even for an event of the batch its fdset is dispatching. */
static void teardown_on_thread(void *arg)
{
	struct rtpep *r = arg;
	fdset_remove(r->set, r->timer_w);
	r->timer_w = NULL;
	for (int k = 0; k < 2; k++) {
		unwatch(r, &r->media[k].rtp_w);
		unwatch(r, &r->media[k].rtcp_w);
	}
}

void rtpep_destroy(struct rtpep *r)
{
	if (!r)
		return;
	if (r->ctx)
		transport_call_sync(r->ctx, teardown_on_thread, r);
	for (int k = 0; k < 2; k++) {
		struct rtp_media *m = &r->media[k];
		if (m->rtcp_fd >= 0 && m->rtcp_fd != m->rtp_fd)
			close(m->rtcp_fd);
		if (m->rtp_fd >= 0)
			close(m->rtp_fd);
	}
	if (r->timer_fd >= 0)
		close(r->timer_fd);
	rtpsession_destroy(r->session);
	g_mutex_clear(&r->send_lock);
	free(r);
}

const char *rtpep_id(const struct rtpep *r)
{
	return r->id;
}

void rtpep_local(const struct rtpep *r, struct rtpep_local *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->addr, sizeof(out->addr), "%s", r->local_addr);
	out->audio_port = r->media[PORT_AUDIO].present ? r->media[PORT_AUDIO].local_port : 0;
	out->video_port = r->media[PORT_VIDEO].present ? r->media[PORT_VIDEO].local_port : 0;
	out->audio_ssrc = r->media[PORT_AUDIO].ssrc;
	out->video_ssrc = r->media[PORT_VIDEO].ssrc;
}

void rtpep_get_info(struct rtpep *r, struct endpoint_info *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->id, r->id, sizeof(out->id));
	memcpy(out->name, r->name, sizeof(out->name));
	snprintf(out->profile, sizeof(out->profile), "%s",
		 profile_get((enum profile_id)r->port.profile)->name);
	memcpy(out->direction, r->direction, sizeof(out->direction));
	out->legacy = true;
	out->receiving_profile = -1;
	out->joined_wall_us = r->joined_wall_us;
	out->ice_state = "";
	out->dtls_state = "";
	out->srtp_profile = "";
	rtpsession_info(r->session, out);
}

const struct port_ops *rtpep_port_ops(void)
{
	return &rtpep_ops;
}

void rtpep_port_info(const struct rtpep *r, struct port_info *out)
{
	*out = r->port;
}

int64_t rtpep_last_alive_us(struct rtpep *r)
{
	return rtpsession_alive_us(r->session);
}

/* ---- the participant contract (participant.h) ------------------------ */

static const char *part_id(const void *self)
{
	return rtpep_id(self);
}

static void part_info(void *self, struct endpoint_info *out)
{
	rtpep_get_info(self, out);
}

static void part_port_info(const void *self, struct port_info *out)
{
	rtpep_port_info(self, out);
}

/* Alive while its media or RTCP comes (see rtpep.h). */
static const char *part_gone(void *self, int64_t now_us, const struct config *cfg)
{
	if (now_us - rtpep_last_alive_us(self) > (int64_t)cfg->rtp_timeout_s * 1000000)
		return "silent (plain RTP)";
	return NULL;
}

static void part_destroy(void *self)
{
	rtpep_destroy(self);
}

/* No ICE: the registry answers trickles and restarts with "not found". */
static const struct participant_ops participant_ops = {
	.id = part_id, .info = part_info, .port_info = part_port_info,
	.port_ops = &rtpep_ops, .gone = part_gone, .destroy = part_destroy,
};

const struct participant_ops *rtpep_participant_ops(void)
{
	return &participant_ops;
}
