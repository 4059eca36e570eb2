/*
 * rtpsession.c - see rtpsession.h.
 *
 * DESIGN: the receive statistics are plain data of the reading thread; each
 * packet publishes their figures into atomics, which the API reads from any
 * thread. One port_packet of scratch carries a packet into the queue, so
 * nothing is allocated per packet.
 */
#include "rtpsession.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/rtcp.h"
#include "base/rtp.h"
#include "endpoint.h"
#include "pktq.h"
#include "ratecap.h"
#include "rtcpreport.h"
#include "rtpstats.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define INBOUND_QUEUE 512         /* packets: a keyframe burst with room to spare */

/* One kind's receive figures, published for other threads. */
struct media_counters {
	_Atomic uint32_t ssrc;
	_Atomic uint64_t packets, bytes, lost, jitter_us;
};

struct rtpsession {
	struct rtpsession_params p;
	struct pktq *inq;
	struct rtcpreport *reports;   /* receive side: the reading thread; send side: send lock */

	/* The reading thread only. */
	struct rtpstats rx[2];        /* by enum port_media */
	struct ratecap cap;
	struct port_packet inbound;   /* scratch for one packet to the room */

	/* Published for other threads. */
	struct media_counters in[2];
	_Atomic uint64_t rtcp_in, other_in, rate_limited, packets_out, bytes_out;
	_Atomic int64_t alive_us;
};

int rtpsession_create(const struct rtpsession_params *p, struct rtpsession **out)
{
	for (int k = 0; k < 2; k++)
		if (p->n_pts[k] < 0 || p->n_pts[k] > PORT_MAX_PTS)
			return MCU_EINVAL;
	struct rtpsession *s = calloc(1, sizeof(*s));
	if (!s)
		return MCU_ENOMEM;
	s->p = *p;
	ratecap_init(&s->cap, p->max_packet_rate, p->max_packet_rate / 4.0);
	atomic_store(&s->alive_us, clock_now_us());
	int rc = pktq_create(INBOUND_QUEUE, &s->inq);
	if (!rc)
		rc = rtcpreport_create(p->ssrc, p->rate, &s->reports);
	if (rc) {
		rtpsession_destroy(s);
		return rc;
	}
	*out = s;
	return 0;
}

void rtpsession_destroy(struct rtpsession *s)
{
	if (!s)
		return;
	pktq_destroy(s->inq);
	rtcpreport_destroy(s->reports);
	free(s);
}

bool rtpsession_admit(struct rtpsession *s, int64_t now_us)
{
	if (ratecap_take(&s->cap, now_us))
		return true;
	atomic_store(&s->rate_limited, s->cap.dropped);
	return false;
}

static bool has_pt(const struct rtpsession *s, int kind, int pt)
{
	for (int i = 0; i < s->p.n_pts[kind]; i++)
		if (s->p.pts[kind][i] == pt)
			return true;
	return false;
}

/* Counts a parsed packet of kind and queues it for the room. */
static void take(struct rtpsession *s, int kind, const uint8_t *pkt, const struct rtp_header *h,
		 int64_t arrival_us)
{
	struct rtpstats *rx = &s->rx[kind];
	if (!rx->started || rx->ssrc != h->ssrc)
		rtpstats_init(rx, h->ssrc, s->p.rate[kind]);
	rtpstats_update(rx, h->seq, h->timestamp, (uint32_t)h->payload_len, arrival_us);
	struct media_counters *c = &s->in[kind];
	atomic_store(&c->ssrc, rx->ssrc);
	atomic_store(&c->packets, rx->received);
	atomic_store(&c->bytes, rx->bytes);
	atomic_store(&c->lost, rtpstats_lost(rx));
	atomic_store(&c->jitter_us, (uint64_t)(rtpstats_jitter_ms(rx) * 1000.0));
	atomic_store(&s->alive_us, arrival_us);

	struct port_packet *q = &s->inbound;
	q->kind = (enum port_media)kind;
	q->pt = h->payload_type;
	q->marker = h->marker;
	q->seq = h->seq;
	q->ts = h->timestamp;
	q->ssrc = h->ssrc;
	q->audio_level = -1;
	const uint8_t *ext;
	size_t ext_len;
	if (kind == PORT_AUDIO && s->p.audio_level_ext &&
	    !rtp_find_extension(pkt, h, s->p.audio_level_ext, &ext, &ext_len) && ext_len >= 1)
		q->audio_level = ext[0] & 0x7f;
	q->arrival_us = arrival_us;
	q->len = h->payload_len;
	memcpy(q->payload, pkt + h->payload_offset, h->payload_len);
	pktq_push(s->inq, q);
}

/* kind < 0: told by the payload type. */
static int recv_rtp(struct rtpsession *s, int kind, const uint8_t *pkt, size_t len,
		    int64_t arrival_us)
{
	struct rtp_header h;
	int rc = rtp_parse(pkt, len, &h);
	if (!rc && kind < 0)
		kind = has_pt(s, PORT_AUDIO, h.payload_type) ? PORT_AUDIO
		     : has_pt(s, PORT_VIDEO, h.payload_type) ? PORT_VIDEO : -1;
	if (!rc && (kind < 0 || !has_pt(s, kind, h.payload_type)))
		rc = MCU_ENOTFOUND;
	if (!rc && h.payload_len > PORT_MAX_PAYLOAD)
		rc = MCU_ELIMIT;
	if (rc) {
		atomic_fetch_add(&s->other_in, 1);
		return rc;
	}
	take(s, kind, pkt, &h, arrival_us);
	return 0;
}

int rtpsession_recv_rtp(struct rtpsession *s, const uint8_t *pkt, size_t len, int64_t arrival_us)
{
	return recv_rtp(s, -1, pkt, len, arrival_us);
}

int rtpsession_recv_rtp_on(struct rtpsession *s, enum port_media kind, const uint8_t *pkt,
			   size_t len, int64_t arrival_us)
{
	return recv_rtp(s, kind, pkt, len, arrival_us);
}

/* Adds what one packet of a receiver's RTCP says of our video to *fb. */
static void take_feedback(const struct rtpsession *s, const uint8_t *pkt,
			  const struct rtcp_packet *p, struct port_feedback *fb)
{
	uint32_t video = s->p.ssrc[PORT_VIDEO];
	if (p->type == RTCP_PSFB && (p->count == 1 || p->count == 4)) {
		/* PLI names the media SSRC; FIR names it in its FCI, and browsers
		 * send it for the one video stream we send: take either. */
		if (p->count == 4 || p->media_ssrc == video)
			fb->keyframe = true;
	} else if (p->type == RTCP_PSFB && p->count == 15) {
		uint32_t bps;
		if (!rtcp_read_remb(pkt, p, &bps))
			fb->remb_bps = bps;
	} else if (p->type == RTCP_RTPFB && p->count == 1 && p->media_ssrc == video) {
		int room = PORT_MAX_NACKS - fb->n_nacks;
		int n = rtcp_read_nack(pkt, p, fb->nacks + fb->n_nacks, room);
		if (n > 0)
			fb->n_nacks += n;
	} else if (p->type == RTCP_SR || p->type == RTCP_RR) {
		struct rtcp_report r[4];
		int n = rtcp_read_reports(pkt, p, r, 4);
		for (int i = 0; i < n; i++)
			if (r[i].ssrc == video)
				fb->loss_fraction = r[i].fraction_lost;
	}
}

int rtpsession_recv_rtcp(struct rtpsession *s, const uint8_t *pkt, size_t len, int64_t now_us,
			 struct port_feedback *fb)
{
	atomic_store(&s->alive_us, now_us);
	size_t pos = 0;
	struct rtcp_packet p;
	int rc;
	while ((rc = rtcp_next(pkt, len, &pos, &p)) == 1) {
		atomic_fetch_add(&s->rtcp_in, 1);
		take_feedback(s, pkt, &p, fb);
		rtcpreport_peer_sr(s->reports, pkt, &p, &s->rx[PORT_AUDIO], &s->rx[PORT_VIDEO], now_us);
	}
	return rc < 0 ? rc : 0;
}

void rtpsession_note_rtcp(struct rtpsession *s, int64_t arrival_us)
{
	atomic_fetch_add(&s->rtcp_in, 1);
	atomic_store(&s->alive_us, arrival_us);
}

void rtpsession_count_other(struct rtpsession *s)
{
	atomic_fetch_add(&s->other_in, 1);
}

void rtpsession_count_out(struct rtpsession *s, size_t bytes)
{
	atomic_fetch_add(&s->packets_out, 1);
	atomic_fetch_add(&s->bytes_out, (uint64_t)bytes);
}

void rtpsession_sent_rtp(struct rtpsession *s, enum port_media kind, const uint8_t *pkt,
			 size_t len, int64_t capture_us)
{
	rtcpreport_sent(s->reports, kind, pkt, len, capture_us);
}

size_t rtpsession_write_reports(struct rtpsession *s, int64_t now, int64_t wall_us, uint8_t *buf,
				size_t cap)
{
	struct rtcp_report blocks[2];
	int n = rtcpreport_blocks(s->reports, &s->rx[PORT_AUDIO], &s->rx[PORT_VIDEO], now, blocks);
	return rtcpreport_write(s->reports, blocks, n, now, wall_us, buf, cap);
}

size_t rtpsession_write_sr(struct rtpsession *s, enum port_media kind, int64_t now,
			   int64_t wall_us, uint8_t *buf, size_t cap)
{
	return rtcpreport_write_sr(s->reports, kind, now, wall_us, buf, cap);
}

size_t rtpsession_write_pli(struct rtpsession *s, uint8_t *buf, size_t cap)
{
	uint32_t media = atomic_load(&s->in[PORT_VIDEO].ssrc);
	if (!media)
		return 0;
	int w = rtcp_write_pli(buf, cap, s->p.ssrc[PORT_VIDEO], media);
	return w > 0 ? (size_t)w : 0;
}

size_t rtpsession_write_nack(struct rtpsession *s, const uint16_t *seqs, int n, uint8_t *buf,
			     size_t cap)
{
	uint32_t media = atomic_load(&s->in[PORT_VIDEO].ssrc);
	if (!media)
		return 0;
	int w = rtcp_write_nack(buf, cap, s->p.ssrc[PORT_VIDEO], media, seqs, n);
	return w > 0 ? (size_t)w : 0;
}

int rtpsession_pop(struct rtpsession *s, struct port_packet *out)
{
	return pktq_pop(s->inq, out);
}

int64_t rtpsession_alive_us(struct rtpsession *s)
{
	return atomic_load(&s->alive_us);
}

static void read_media(const struct media_counters *c, struct endpoint_media_stats *out)
{
	out->ssrc = atomic_load(&c->ssrc);
	out->packets_in = atomic_load(&c->packets);
	out->bytes_in = atomic_load(&c->bytes);
	out->lost = atomic_load(&c->lost);
	out->jitter_ms = (double)atomic_load(&c->jitter_us) / 1000.0;
}

void rtpsession_info(struct rtpsession *s, struct endpoint_info *out)
{
	read_media(&s->in[PORT_AUDIO], &out->audio);
	read_media(&s->in[PORT_VIDEO], &out->video);
	out->rtcp_in = atomic_load(&s->rtcp_in);
	out->other_in = atomic_load(&s->other_in);
	out->queue_dropped = pktq_dropped(s->inq);
	out->rate_limited = atomic_load(&s->rate_limited);
	out->packets_out = atomic_load(&s->packets_out);
	out->bytes_out = atomic_load(&s->bytes_out);
}
