/*
 * lgnet.c - see lgnet.h.
 *
 * DESIGN: one media thread sleeps in epoll_pwait2 until the earliest send
 * deadline of any stream or a readable socket. A video frame goes out as one
 * sendmmsg of all its payloads (a camera's burst), an audio frame as one
 * packet; each deadline is start + frames * period, so pacing never drifts.
 * A stream that falls more than 200 ms behind (the thread was descheduled)
 * restarts its schedule at once and counts it, instead of bursting to catch
 * up. Receiving drains each readable socket with recvmmsg. Counters are
 * written only by the media thread and read by anyone (relaxed atomics);
 * event lists are appended by the media thread and published by their count.
 * The endpoint table is fixed at creation: the control thread fills an entry
 * and then publishes the count, so the media thread never sees a half-made
 * endpoint.
 */
#include "lgnet.h"
#include "codecs/h264pkt.h"
#include "codecs/opuscodec.h"
#include "codecs/vdec.h"
#include "base/err.h"
#include "base/rtcp.h"
#include "base/rtp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libavutil/frame.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BURST 1024            /* payloads of one video frame */
#define RTP_HDR_MAX 20            /* 12 + an 8-byte extension block (audio level) */
#define RX_BATCH 32
#define RX_ROUNDS 16              /* batches per readable socket per wake */
#define RX_BUF 1600
#define MAX_EVENTS 512
#define LATE_US 200000
#define SOCK_BUF (1 << 20)
#define AU_CAP (1 << 20)
#define QUIET_FRAMES 10           /* 200 ms of quiet before a click counts */
#define CLICK_LEVEL 9000
#define DARK_LUMA 80
#define BRIGHT_LUMA 150
#define DARK_FRAMES 3
#define REPORT_US 1000000         /* RTCP receiver reports: one per second per media */

struct lgevents {
	int64_t t[MAX_EVENTS];
	_Atomic int n;
};

struct lgstream {
	int fd, port;
	struct sockaddr_in to;
	const struct lgclip *clip;
	uint32_t ssrc, ts0;
	uint16_t seq;
	int64_t start_us, due_us, frames;
	/* Receive side (media thread writes). */
	bool rx_started, rx_key;
	uint16_t rx_next;
	uint32_t rx_ts;
	_Atomic uint64_t packets, bytes, frames_in, keyframes, lost, rtcp, plis;
	_Atomic int64_t first_us, last_us, first_key_us;
	_Atomic uint64_t sent_frames, sent_packets;
	struct lgevents sent_ev, rx_ev;
};

/* Decoding receiver of video: frame assembly, the decoder, flash state. */
struct lgvdec {
	struct h264_depack d;
	uint8_t *au;
	struct vdec *dec;
	uint32_t ts;
	bool in_au, need_key;
	int dark;
};

struct lgadec {
	struct opusdec *dec;
	int quiet;
	int16_t pcm[OPUS_MAX_FRAME_SAMPLES];
};

struct lgep {
	struct lgep_config cfg;
	struct lgstream s[2];
	_Atomic int sending;          /* 1: send; set by the control thread */
	_Atomic int reporting;        /* 1: send receiver reports; likewise */
	bool started;                 /* media thread: its schedule is set */
	int64_t report_due_us;        /* media thread */
	struct lgvdec *vd;
	struct lgadec *ad;
	_Atomic uint64_t pictures, late;
	_Atomic int64_t first_picture_us;
};

struct lgnet {
	struct lgep *eps;
	int max_eps;
	_Atomic int n_eps;
	int epfd;
	unsigned seed;
	pthread_t thread;
	bool running;
	_Atomic int stop;
	/* Media thread scratch. */
	uint8_t hdr[MAX_BURST][RTP_HDR_MAX];
	struct mmsghdr msgs[MAX_BURST];
	struct iovec iov[MAX_BURST][2];
	uint8_t rxbuf[RX_BATCH][RX_BUF];
	struct mmsghdr rxmsgs[RX_BATCH];
	struct iovec rxiov[RX_BATCH];
};

int64_t lgnet_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#define RELAXED memory_order_relaxed
#define INC(field, v) atomic_fetch_add_explicit(&(field), (v), RELAXED)
#define SET(field, v) atomic_store_explicit(&(field), (v), RELAXED)
#define GET(field) atomic_load_explicit(&(field), RELAXED)

static void add_event(struct lgevents *e, int64_t t)
{
	int n = atomic_load_explicit(&e->n, RELAXED);
	if (n >= MAX_EVENTS)
		return;
	e->t[n] = t;
	atomic_store_explicit(&e->n, n + 1, memory_order_release);
}

/* ---- sending (media thread) ------------------------------------------ */

/* The RTP header of one packet; audio carries its RFC 6464 level (extmap
 * LG_AUDIO_LEVEL_EXT, one-byte form) as browsers send it. Returns its size. */
static size_t write_header(uint8_t *h, int k, const struct lgpkt *p, uint16_t seq, uint32_t ts,
			   uint32_t ssrc)
{
	rtp_write_header(h, 12, k == LG_VIDEO ? 96 : 111, p->marker, seq, ts, ssrc);
	if (k == LG_VIDEO)
		return 12;
	h[0] |= 0x10;
	const uint8_t ext[8] = { 0xBE, 0xDE, 0x00, 0x01, LG_AUDIO_LEVEL_EXT << 4,
				 (uint8_t)((p->level < 50 ? 0x80 : 0) | p->level), 0, 0 };
	memcpy(h + 12, ext, sizeof(ext));
	return RTP_HDR_MAX;
}

static void send_frame(struct lgnet *n, struct lgep *ep, int k, int64_t now)
{
	struct lgstream *st = &ep->s[k];
	const struct lgclip *c = st->clip;
	int f = (int)(st->frames % c->n_frames);
	uint32_t ts = st->ts0 + (uint32_t)st->frames * c->ts_step;
	int first = (int)c->first[f], count = (int)c->first[f + 1] - first;
	if (count > MAX_BURST)
		count = MAX_BURST;
	for (int i = 0; i < count; i++) {
		const struct lgpkt *p = &c->pkts[first + i];
		size_t hlen = write_header(n->hdr[i], k, p, st->seq++, ts, st->ssrc);
		n->iov[i][0] = (struct iovec){ n->hdr[i], hlen };
		n->iov[i][1] = (struct iovec){ c->data + p->off, p->len };
		n->msgs[i].msg_hdr = (struct msghdr){ .msg_name = &st->to, .msg_namelen = sizeof(st->to),
						      .msg_iov = n->iov[i], .msg_iovlen = 2 };
	}
	int64_t sent_at = lgnet_now_us();
	for (int done = 0, tries = 0; done < count && tries < 4; tries++) {
		int r = sendmmsg(st->fd, n->msgs + done, (unsigned)(count - done), 0);
		if (r > 0)
			done += r;
	}
	if (f == c->event_frame)
		add_event(&st->sent_ev, sent_at + (int64_t)c->event_offset * 1000000 / OPUS_RATE);
	INC(st->sent_frames, 1);
	INC(st->sent_packets, (uint64_t)count);
	st->frames++;
	st->due_us = st->start_us + st->frames * (1000000 + ep->cfg.slow_ppm[k]) / c->fps;
	if (now - st->due_us > LATE_US) {
		/* Descheduled for long: start over rather than burst. */
		st->start_us = now;
		st->frames = 0;
		st->ts0 = ts + c->ts_step;
		st->due_us = now;
		INC(ep->late, 1);
	}
}

/* Sends what is due; returns the earliest next deadline (or limit). */
static int64_t send_due(struct lgnet *n, struct lgep *ep, int64_t now, int64_t limit)
{
	if (!atomic_load_explicit(&ep->sending, memory_order_acquire)) {
		ep->started = false;
		return limit;
	}
	if (!ep->started) {
		ep->started = true;
		for (int k = 0; k < 2; k++) {
			struct lgstream *st = &ep->s[k];
			if (!st->clip)
				continue;
			/* Whole-ms phases: many streams then share a wake-up. */
			int64_t period = 1000000 / st->clip->fps;
			st->start_us = now + (int64_t)(rand_r(&n->seed) % (unsigned)(period / 1000)) * 1000;
			st->due_us = st->start_us;
			st->frames = 0;
		}
	}
	for (int k = 0; k < 2; k++) {
		struct lgstream *st = &ep->s[k];
		if (!st->clip)
			continue;
		for (int guard = 0; st->due_us <= now && guard < 8; guard++)
			send_frame(n, ep, k, now);
		if (st->due_us < limit)
			limit = st->due_us;
	}
	return limit;
}

/* ---- receiving (media thread) ---------------------------------------- */

static bool has_idr(const uint8_t *p, size_t len)
{
	if (len < 2)
		return false;
	int type = p[0] & 0x1f;
	if (type == H264_NAL_IDR)
		return true;
	if (type == H264_NAL_FU_A)
		return (p[1] & 0x80) && (p[1] & 0x1f) == H264_NAL_IDR;
	if (type == H264_NAL_STAP_A) {
		for (size_t i = 1; i + 2 < len;) {
			size_t n = (size_t)p[i] << 8 | p[i + 1];
			if (n && i + 2 < len && (p[i + 2] & 0x1f) == H264_NAL_IDR)
				return true;
			i += 2 + n;
		}
	}
	return false;
}

static int luma_mean(const struct AVFrame *f, const struct lgep_config *c)
{
	int x0 = c->luma_x, y0 = c->luma_y;
	int x1 = c->luma_w ? x0 + c->luma_w : f->width, y1 = c->luma_h ? y0 + c->luma_h : f->height;
	if (x1 > f->width)
		x1 = f->width;
	if (y1 > f->height)
		y1 = f->height;
	uint64_t sum = 0, cnt = 0;
	for (int y = y0; y < y1; y += 4)
		for (int x = x0; x < x1; x += 4) {
			sum += f->data[0][(size_t)y * (size_t)f->linesize[0] + (size_t)x];
			cnt++;
		}
	return cnt ? (int)(sum / cnt) : 0;
}

static void picture(struct lgep *ep, const struct AVFrame *pic, int64_t arrival)
{
	struct lgvdec *v = ep->vd;
	int64_t now = lgnet_now_us();
	if (!GET(ep->first_picture_us))
		SET(ep->first_picture_us, now);
	INC(ep->pictures, 1);
	int y = luma_mean(pic, &ep->cfg);
	if (y < DARK_LUMA) {
		v->dark++;
	} else if (y > BRIGHT_LUMA) {
		if (v->dark >= DARK_FRAMES)
			add_event(&ep->s[LG_VIDEO].rx_ev, arrival);
		v->dark = 0;
	}
}

static void decode_video(struct lgep *ep, const struct rtp_header *h, const uint8_t *payload,
			 bool gap, int64_t now)
{
	struct lgvdec *v = ep->vd;
	if (gap)
		v->need_key = true;
	if (!v->in_au || h->timestamp != v->ts) {
		h264pkt_depack_begin(&v->d, v->au, AU_CAP);
		v->in_au = true;
		v->ts = h->timestamp;
	}
	h264pkt_depack_add(&v->d, payload, h->payload_len);
	if (!h->marker)
		return;
	v->in_au = false;
	int len = h264pkt_depack_end(&v->d);
	if (len <= 0 || (v->need_key && !v->d.keyframe))
		return;
	memset(v->au + len, 0, VDEC_PADDING);
	struct AVFrame *pic = NULL;
	if (vdec_decode(v->dec, v->au, (size_t)len, &pic)) {
		v->need_key = true;
		return;
	}
	if (v->d.keyframe)
		v->need_key = false;
	if (pic)
		picture(ep, pic, now);
}

static void decode_audio(struct lgep *ep, const uint8_t *payload, size_t len, int64_t now)
{
	struct lgadec *a = ep->ad;
	int n = opuscodec_dec_decode(a->dec, payload, len, false, 0, a->pcm, OPUS_MAX_FRAME_SAMPLES);
	int peak = 0, loud = -1;
	for (int i = 0; i < n; i++) {
		int v = abs(a->pcm[i]);
		if (v > peak)
			peak = v;
		if (loud < 0 && v >= CLICK_LEVEL)
			loud = i;
	}
	if (loud >= 0 && a->quiet >= QUIET_FRAMES)
		add_event(&ep->s[LG_AUDIO].rx_ev, now + (int64_t)loud * 1000000 / OPUS_RATE);
	a->quiet = peak < CLICK_LEVEL / 2 ? a->quiet + 1 : 0;
}

static void take_packet(struct lgep *ep, int k, const uint8_t *pkt, size_t len, int64_t now)
{
	struct lgstream *st = &ep->s[k];
	if (len >= 2 && pkt[1] >= 192 && pkt[1] <= 223) {
		INC(st->rtcp, 1);
		if (pkt[1] == RTCP_PSFB && (pkt[0] & 0x1f) == 1)
			INC(st->plis, 1);
		return;
	}
	struct rtp_header h;
	if (rtp_parse(pkt, len, &h))
		return;
	const uint8_t *payload = pkt + h.payload_offset;
	bool gap = false;
	if (!st->rx_started) {
		st->rx_started = true;
		SET(st->first_us, now);
	} else if (h.seq != st->rx_next) {
		uint16_t d = (uint16_t)(h.seq - st->rx_next);
		if (d >= 0x8000)
			return; /* late or duplicate */
		INC(st->lost, d);
		gap = true;
	}
	st->rx_next = (uint16_t)(h.seq + 1);
	INC(st->packets, 1);
	INC(st->bytes, h.payload_len);
	SET(st->last_us, now);
	if (k == LG_VIDEO) {
		if (h.timestamp != st->rx_ts)
			st->rx_key = false;
		st->rx_ts = h.timestamp;
		if (has_idr(payload, h.payload_len))
			st->rx_key = true;
		if (h.marker) {
			INC(st->frames_in, 1);
			if (st->rx_key) {
				INC(st->keyframes, 1);
				if (!GET(st->first_key_us))
					SET(st->first_key_us, now);
			}
		}
		if (ep->vd)
			decode_video(ep, &h, payload, gap, now);
	} else {
		if (ep->ad)
			decode_audio(ep, payload, h.payload_len, now);
	}
}

static void receive(struct lgnet *n, struct lgep *ep, int k)
{
	for (int round = 0; round < RX_ROUNDS; round++) {
		for (int i = 0; i < RX_BATCH; i++) {
			n->rxiov[i] = (struct iovec){ n->rxbuf[i], RX_BUF };
			n->rxmsgs[i].msg_hdr = (struct msghdr){ .msg_iov = &n->rxiov[i], .msg_iovlen = 1 };
		}
		int got = recvmmsg(ep->s[k].fd, n->rxmsgs, RX_BATCH, MSG_DONTWAIT, NULL);
		if (got <= 0)
			return;
		int64_t now = lgnet_now_us();
		for (int i = 0; i < got; i++)
			take_packet(ep, k, n->rxbuf[i], n->rxmsgs[i].msg_len, now);
		if (got < RX_BATCH)
			return;
	}
}

/* A receiver report per media when due (a bare RR, no report blocks: the
 * server counts it as a sign of life); returns the earliest next deadline. */
static int64_t report_due(struct lgep *ep, int64_t now, int64_t limit)
{
	if (!atomic_load_explicit(&ep->reporting, memory_order_acquire))
		return limit;
	if (ep->report_due_us <= now) {
		ep->report_due_us = now + REPORT_US;
		for (int k = 0; k < 2; k++) {
			struct lgstream *st = &ep->s[k];
			uint8_t rr[16];
			int w = rtcp_write_rr(rr, sizeof(rr), st->ssrc, NULL, 0);
			if (st->fd >= 0 && st->to.sin_port && w > 0)
				sendto(st->fd, rr, (size_t)w, MSG_DONTWAIT, (const struct sockaddr *)&st->to,
				       sizeof(st->to));
		}
	}
	return ep->report_due_us < limit ? ep->report_due_us : limit;
}

static void *media_thread(void *arg)
{
	struct lgnet *n = arg;
	struct epoll_event evs[64];
	while (!atomic_load(&n->stop)) {
		int64_t now = lgnet_now_us();
		int64_t next = now + 20000;
		int count = atomic_load_explicit(&n->n_eps, memory_order_acquire);
		for (int i = 0; i < count; i++) {
			next = send_due(n, &n->eps[i], now, next);
			next = report_due(&n->eps[i], now, next);
		}
		int64_t wait = next - lgnet_now_us();
		if (wait < 0)
			wait = 0;
		struct timespec ts = { .tv_sec = wait / 1000000, .tv_nsec = (long)(wait % 1000000) * 1000 };
		int got = epoll_pwait2(n->epfd, evs, 64, &ts, NULL);
		for (int i = 0; i < got; i++) {
			uint64_t tag = evs[i].data.u64;
			receive(n, &n->eps[tag >> 1], (int)(tag & 1));
		}
	}
	return NULL;
}

/* ---- control --------------------------------------------------------- */

int lgnet_create(int max_eps, unsigned seed, struct lgnet **out)
{
	struct lgnet *n = calloc(1, sizeof(*n));
	if (!n)
		return MCU_ENOMEM;
	n->eps = calloc((size_t)max_eps, sizeof(*n->eps));
	n->max_eps = max_eps;
	n->seed = seed;
	n->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!n->eps || n->epfd < 0) {
		int rc = n->eps ? MCU_EIO : MCU_ENOMEM;
		lgnet_destroy(n);
		return rc;
	}
	*out = n;
	return 0;
}

int lgnet_start(struct lgnet *n)
{
	if (pthread_create(&n->thread, NULL, media_thread, n))
		return MCU_EIO;
	n->running = true;
	return 0;
}

static void free_decoders(struct lgep *ep)
{
	if (ep->vd) {
		vdec_destroy(ep->vd->dec);
		free(ep->vd->au);
		free(ep->vd);
		ep->vd = NULL;
	}
	if (ep->ad) {
		opuscodec_dec_destroy(ep->ad->dec);
		free(ep->ad);
		ep->ad = NULL;
	}
}

void lgnet_destroy(struct lgnet *n)
{
	if (!n)
		return;
	if (n->running) {
		atomic_store(&n->stop, 1);
		pthread_join(n->thread, NULL);
	}
	int count = atomic_load(&n->n_eps);
	for (int i = 0; i < count; i++) {
		for (int k = 0; k < 2; k++)
			if (n->eps[i].s[k].fd >= 0)
				close(n->eps[i].s[k].fd);
		free_decoders(&n->eps[i]);
	}
	if (n->epfd >= 0)
		close(n->epfd);
	free(n->eps);
	free(n);
}

/* A UDP socket on 127.0.0.1, any port, watched by the media thread. */
static int open_stream(struct lgnet *n, int index, int k, struct lgstream *st)
{
	st->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (st->fd < 0)
		return MCU_EIO;
	int size = SOCK_BUF;
	if (setsockopt(st->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(st->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	if (bind(st->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(st->fd, (struct sockaddr *)&sa, &len))
		return MCU_EIO;
	st->port = ntohs(sa.sin_port);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)index << 1 | (uint64_t)k };
	return epoll_ctl(n->epfd, EPOLL_CTL_ADD, st->fd, &ev) ? MCU_EIO : 0;
}

static int make_decoders(struct lgep *ep)
{
	if (ep->cfg.decode_video) {
		ep->vd = calloc(1, sizeof(*ep->vd));
		if (!ep->vd || !(ep->vd->au = malloc(AU_CAP + VDEC_PADDING)) ||
		    vdec_create(CODEC_H264, &ep->vd->dec))
			return MCU_ENOMEM;
		ep->vd->need_key = true;
	}
	if (ep->cfg.decode_audio) {
		ep->ad = calloc(1, sizeof(*ep->ad));
		if (!ep->ad || opuscodec_dec_create(&ep->ad->dec))
			return MCU_ENOMEM;
	}
	return 0;
}

int lgnet_add(struct lgnet *n, const struct lgep_config *cfg, int *video_port, int *audio_port)
{
	int i = atomic_load(&n->n_eps);
	if (i >= n->max_eps)
		return MCU_ELIMIT;
	struct lgep *ep = &n->eps[i];
	memset(ep, 0, sizeof(*ep));
	ep->cfg = *cfg;
	ep->s[0].fd = ep->s[1].fd = -1;
	ep->s[LG_VIDEO].clip = cfg->video;
	ep->s[LG_AUDIO].clip = cfg->audio;
	bool has[2] = { cfg->video_port || cfg->video, cfg->audio_port || cfg->audio };
	int rc = make_decoders(ep);
	for (int k = 0; !rc && k < 2; k++) {
		struct lgstream *st = &ep->s[k];
		st->ssrc = (uint32_t)rand_r(&n->seed) | 1u;
		st->seq = (uint16_t)rand_r(&n->seed);
		st->ts0 = (uint32_t)rand_r(&n->seed);
		if (has[k])
			rc = open_stream(n, i, k, st);
	}
	if (rc) {
		for (int k = 0; k < 2; k++)
			if (ep->s[k].fd >= 0) {
				epoll_ctl(n->epfd, EPOLL_CTL_DEL, ep->s[k].fd, NULL);
				close(ep->s[k].fd);
			}
		free_decoders(ep);
		memset(ep, 0, sizeof(*ep));
		return rc;
	}
	*video_port = has[LG_VIDEO] ? ep->s[LG_VIDEO].port : 0;
	*audio_port = has[LG_AUDIO] ? ep->s[LG_AUDIO].port : 0;
	atomic_store_explicit(&n->n_eps, i + 1, memory_order_release);
	return i;
}

void lgnet_report_to(struct lgnet *n, int ep, int video_port, int audio_port)
{
	struct lgep *e = &n->eps[ep];
	int ports[2] = { video_port, audio_port };
	for (int k = 0; k < 2; k++)
		e->s[k].to = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)ports[k]),
						   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	atomic_store_explicit(&e->reporting, 1, memory_order_release);
}

void lgnet_send_to(struct lgnet *n, int ep, int video_port, int audio_port)
{
	struct lgep *e = &n->eps[ep];
	lgnet_report_to(n, ep, video_port, audio_port);
	if (!video_port)
		e->s[LG_VIDEO].clip = NULL;
	if (!audio_port)
		e->s[LG_AUDIO].clip = NULL;
	atomic_store_explicit(&e->sending, 1, memory_order_release);
}

void lgnet_stop(struct lgnet *n, int ep)
{
	atomic_store_explicit(&n->eps[ep].sending, 0, memory_order_release);
	atomic_store_explicit(&n->eps[ep].reporting, 0, memory_order_release);
}

void lgnet_get_stats(struct lgnet *n, int ep, struct lgep_stats *out)
{
	struct lgep *e = &n->eps[ep];
	memset(out, 0, sizeof(*out));
	for (int k = 0; k < 2; k++) {
		struct lgstream *st = &e->s[k];
		struct lgrx_stats *r = &out->rx[k];
		r->packets = GET(st->packets);
		r->bytes = GET(st->bytes);
		r->frames = GET(st->frames_in);
		r->keyframes = GET(st->keyframes);
		r->lost = GET(st->lost);
		r->rtcp = GET(st->rtcp);
		r->plis = GET(st->plis);
		r->first_us = GET(st->first_us);
		r->last_us = GET(st->last_us);
		r->first_key_us = GET(st->first_key_us);
		out->sent_frames[k] = GET(st->sent_frames);
		out->sent_packets[k] = GET(st->sent_packets);
	}
	out->late_resyncs = GET(e->late);
	out->pictures = GET(e->pictures);
	out->first_picture_us = GET(e->first_picture_us);
}

int lgnet_events(struct lgnet *n, int ep, enum lgmedia_kind kind, bool sent, int64_t *out, int max)
{
	struct lgevents *e = sent ? &n->eps[ep].s[kind].sent_ev : &n->eps[ep].s[kind].rx_ev;
	int count = atomic_load_explicit(&e->n, memory_order_acquire);
	if (count > max)
		count = max;
	memcpy(out, e->t, (size_t)count * sizeof(*out));
	return count;
}
