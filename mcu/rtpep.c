/*
 * rtpep.c - see rtpep.h.
 *
 * DESIGN: per media kind an RTP socket and (unless muxed) an RTCP socket,
 * non-blocking, bound to the wildcard address on a port pair from the
 * range, with IP_RECVERR so an ICMP "port unreachable" for what we send
 * surfaces as an error on the socket, and with kernel receive timestamps.
 * Each readable socket is drained with recvmmsg in batches: RTP from the
 * offer's address is parsed, counted and queued for the room (no
 * allocation per packet); RTCP is only counted.
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
 * sender-report state the transport thread reads for its 1 s SR timer, a
 * timerfd in the same fdset.
 */
#include "rtpep.h"
#include "base/clock.h"
#include "config.h"
#include "base/err.h"
#include "fdset.h"
#include "base/log.h"
#include "participant.h"
#include "pktq.h"
#include "ratecap.h"
#include "base/rtcp.h"
#include "base/rtp.h"
#include "rtpstats.h"
#include "transport.h"
#include "udpsock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <stdatomic.h>
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
#define INBOUND_QUEUE 512
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
	struct rtpstats rx;           /* the reading thread */
	uint32_t ssrc;                /* what we send with */
	/* Under send_lock. */
	uint32_t packets, octets, last_ts;
	int64_t last_capture_us;
	int rate;
};

struct rtpep {
	char id[ENDPOINT_ID_LEN + 1];
	char room[65], name[65], direction[10];
	int64_t joined_wall_us;
	struct port_info port;
	struct sockaddr_storage peer;    /* the offer's address (port ignored) */
	bool peer_sends;
	int audio_level_ext;             /* RFC 6464 extmap id; 0: none */
	char local_addr[64];

	GMainContext *ctx;
	struct fdset *set;
	int timer_fd;                    /* the 1 s SR timer (timerfd); -1 until made */
	struct fdset_watch *timer_w;
	struct rtp_media media[2];       /* by enum port_media */
	struct pktq *inq;
	bool room_reads;                 /* the room thread reads the sockets (pull) */

	/* The reading thread (see DESIGN): receive scratch and what it writes
	 * per packet. */
	struct port_packet inbound;
	struct mmsghdr rx_msg[RX_BATCH];
	struct iovec rx_iov[RX_BATCH];
	struct sockaddr_storage rx_from[RX_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} rx_ctrl[RX_BATCH];
	uint8_t rx[RX_BATCH][RX_SIZE];
	struct ratecap cap;              /* inbound packet rate, all sockets */
	_Atomic uint64_t rate_limited;
	_Atomic int64_t alive_us;        /* its last media or RTCP; read by the reaper */
	_Atomic uint64_t packets_in[2], bytes_in[2], rtcp_in, other_in;
	_Atomic uint64_t lost[2], jitter_us[2];
	_Atomic uint32_t ssrc_in[2];

	/* Room thread (and the SR timer, under send_lock). */
	GMutex send_lock;
	_Atomic uint64_t packets_out, bytes_out;
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

static void take_rtp(struct rtpep *r, enum port_media kind, const uint8_t *pkt, size_t len,
		     int64_t arrival_us)
{
	struct rtp_header h;
	struct rtp_media *m = &r->media[kind];
	int expected_pt = kind == PORT_AUDIO ? r->port.audio_pt : r->port.video_pt;
	if (rtp_parse(pkt, len, &h) || h.payload_type != expected_pt ||
	    h.payload_len > PORT_MAX_PAYLOAD) {
		atomic_fetch_add(&r->other_in, 1);
		return;
	}
	if (!m->rx.started || m->rx.ssrc != h.ssrc)
		rtpstats_init(&m->rx, h.ssrc, (uint32_t)m->rate);
	rtpstats_update(&m->rx, h.seq, h.timestamp, (uint32_t)h.payload_len, arrival_us);
	atomic_store(&r->ssrc_in[kind], h.ssrc);
	atomic_store(&r->packets_in[kind], m->rx.received);
	atomic_store(&r->bytes_in[kind], m->rx.bytes);
	atomic_store(&r->lost[kind], rtpstats_lost(&m->rx));
	atomic_store(&r->jitter_us[kind], (uint64_t)(rtpstats_jitter_ms(&m->rx) * 1000.0));
	atomic_store(&r->alive_us, arrival_us);
	struct port_packet *q = &r->inbound;
	q->kind = kind;
	q->pt = h.payload_type;
	q->marker = h.marker;
	q->seq = h.seq;
	q->ts = h.timestamp;
	q->ssrc = h.ssrc;
	q->audio_level = -1;
	const uint8_t *ext = NULL;
	size_t ext_len = 0;
	if (kind == PORT_AUDIO && r->audio_level_ext &&
	    !rtp_find_extension(pkt, &h, r->audio_level_ext, &ext, &ext_len) && ext_len >= 1)
		q->audio_level = ext[0] & 0x7f;
	q->arrival_us = arrival_us;
	q->len = h.payload_len;
	memcpy(q->payload, pkt + h.payload_offset, h.payload_len);
	pktq_push(r->inq, q);
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
 * RTCP counted or RTP of this socket's kind taken. */
static void take_datagram(struct rtpep *r, enum port_media kind, bool rtcp_only,
			  const struct mmsghdr *msg, const uint8_t *pkt, int64_t now,
			  int64_t wall_now)
{
	size_t n = msg->msg_len;
	if ((msg->msg_hdr.msg_flags & MSG_TRUNC) ||
	    !udpsock_same_host(msg->msg_hdr.msg_name, &r->peer)) {
		atomic_fetch_add(&r->other_in, 1);
		return;
	}
	if (!ratecap_take(&r->cap, now)) {
		atomic_store(&r->rate_limited, r->cap.dropped);
		return;
	}
	int64_t arrival_us = arrival_of(msg, now, wall_now);
	enum rtp_demux d = rtp_demux(pkt, n);
	if (d == RTP_DEMUX_RTCP) {
		atomic_fetch_add(&r->rtcp_in, 1);
		atomic_store(&r->alive_us, arrival_us);
	} else if (d == RTP_DEMUX_RTP && !rtcp_only) {
		take_rtp(r, kind, pkt, n, arrival_us);
	} else {
		atomic_fetch_add(&r->other_in, 1);
	}
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
	if (n < 0)
		return;
	atomic_fetch_add(&r->packets_out, 1);
	atomic_fetch_add(&r->bytes_out, (uint64_t)n);
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
	m->last_ts = (uint32_t)pkt[4] << 24 | (uint32_t)pkt[5] << 16 | (uint32_t)pkt[6] << 8 | pkt[7];
	m->last_capture_us = capture_us;
	m->packets++;
	m->octets += (uint32_t)(len - 12);
	send_to(r, m->rtp_fd, &m->rtp_to, m->to_len, pkt, len);
	g_mutex_unlock(&r->send_lock);
}

/* Caller holds send_lock. */
static void send_rtcp(struct rtpep *r, struct rtp_media *m, size_t len)
{
	send_to(r, m->rtcp_fd, &m->rtcp_to, m->to_len, r->txbuf, len);
}

static void port_request_keyframe(void *port)
{
	struct rtpep *r = port;
	struct rtp_media *m = &r->media[PORT_VIDEO];
	uint32_t media = atomic_load(&r->ssrc_in[PORT_VIDEO]);
	if (!m->present || !media)
		return;
	g_mutex_lock(&r->send_lock);
	int w = rtcp_write_pli(r->txbuf, sizeof(r->txbuf), m->ssrc, media);
	if (w > 0)
		send_rtcp(r, m, (size_t)w);
	g_mutex_unlock(&r->send_lock);
}

static void port_nack(void *port, const uint16_t *seqs, int n)
{
	struct rtpep *r = port;
	struct rtp_media *m = &r->media[PORT_VIDEO];
	uint32_t media = atomic_load(&r->ssrc_in[PORT_VIDEO]);
	if (!m->present || !media)
		return;
	g_mutex_lock(&r->send_lock);
	int w = rtcp_write_nack(r->txbuf, sizeof(r->txbuf), m->ssrc, media, seqs, n);
	if (w > 0)
		send_rtcp(r, m, (size_t)w);
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
	return pktq_pop(r->inq, out);
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

/* A sender report per media we send, so the endpoint can sync its streams. */
static void on_rtcp_timer(int fd, unsigned events, void *arg)
{
	(void)events;
	struct rtpep *r = arg;
	uint64_t expired;
	if (read(fd, &expired, sizeof(expired)) != sizeof(expired))
		return; /* not due yet */
	int64_t now = clock_now_us();
	uint64_t ntp = rtcp_ntp_from_wall_us(clock_wall_us());
	g_mutex_lock(&r->send_lock);
	for (int k = 0; k < 2; k++) {
		struct rtp_media *m = &r->media[k];
		if (!m->present || !m->packets)
			continue;
		struct rtcp_sr sr = {
			.ssrc = m->ssrc, .ntp = ntp,
			.rtp_ts = m->last_ts + (uint32_t)((now - m->last_capture_us) * m->rate / 1000000),
			.packets = m->packets, .octets = m->octets,
		};
		int w = rtcp_write_sr(r->txbuf, sizeof(r->txbuf), &sr, NULL, 0);
		if (w > 0)
			send_rtcp(r, m, (size_t)w);
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
	/* The RTP clock: 8 kHz for G.722 (RFC 3551), PCMU and PCMA. */
	m->rate = kind == PORT_VIDEO ? 90000 : r->port.audio_codec == CODEC_OPUS ? 48000 : 8000;
	return 0;
}

static void fill_identity(struct rtpep *r, const struct rtpep_params *p)
{
	endpoint_new_id(r->id);
	snprintf(r->room, sizeof(r->room), "%s", p->room ? p->room : "");
	snprintf(r->name, sizeof(r->name), "%s", p->name ? p->name : "");
	snprintf(r->direction, sizeof(r->direction), "%s", p->direction ? p->direction : "sendrecv");
	r->joined_wall_us = clock_wall_us();
	r->peer_sends = p->sends_audio || p->sends_video;
	r->audio_level_ext = p->audio_level_ext;
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
	rc = pktq_create(INBOUND_QUEUE, &r->inq);
	if (!rc)
		rc = open_media(r, env->cfg, PORT_AUDIO, p->audio_port, p->audio_rtcp_port,
				p->remote_addr, err, err_size);
	if (!rc)
		rc = open_media(r, env->cfg, PORT_VIDEO, p->video_port, p->video_rtcp_port,
				p->remote_addr, err, err_size);
	if (rc)
		goto fail;
	route_address(r, env->cfg, peer_len);
	r->port.audio_ssrc = r->media[PORT_AUDIO].ssrc;
	r->port.video_ssrc = r->media[PORT_VIDEO].ssrc;
	atomic_store(&r->alive_us, clock_now_us());
	ratecap_init(&r->cap, env->cfg->max_packet_rate, env->cfg->max_packet_rate / 4.0);
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
	pktq_destroy(r->inq);
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

static void read_kind(struct rtpep *r, int k, struct endpoint_media_stats *out)
{
	out->ssrc = atomic_load(&r->ssrc_in[k]);
	out->packets_in = atomic_load(&r->packets_in[k]);
	out->bytes_in = atomic_load(&r->bytes_in[k]);
	out->lost = atomic_load(&r->lost[k]);
	out->jitter_ms = (double)atomic_load(&r->jitter_us[k]) / 1000.0;
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
	read_kind(r, PORT_AUDIO, &out->audio);
	read_kind(r, PORT_VIDEO, &out->video);
	out->rtcp_in = atomic_load(&r->rtcp_in);
	out->other_in = atomic_load(&r->other_in);
	out->queue_dropped = pktq_dropped(r->inq);
	out->rate_limited = atomic_load(&r->rate_limited);
	out->packets_out = atomic_load(&r->packets_out);
	out->bytes_out = atomic_load(&r->bytes_out);
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
	return atomic_load(&r->alive_us);
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
