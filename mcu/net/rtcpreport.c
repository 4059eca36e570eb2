/*
 * rtcpreport.c - see rtcpreport.h.
 */
#include "rtcpreport.h"
#include "base/err.h"
#include "base/rtcp.h"
#include "rtpstats.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* What we sent of one media kind, for sender reports. */
struct send_state {
	uint32_t packets, octets;
	uint32_t last_ts;           /* RTP timestamp of the newest packet */
	int64_t last_capture_us;    /* the room-clock time it stands for */
};

/* The peer's newest sender report on one stream, for our LSR/DLSR. */
struct peer_sr {
	uint32_t ntp_mid;           /* middle 32 bits of its NTP time */
	int64_t arrival_us;
};

/* The last report's totals, for the fraction lost since then. */
struct report_prior {
	uint64_t expected, received;
};

struct rtcpreport {
	uint32_t ssrc[2];           /* ours, by enum port_media */
	uint32_t rate[2];           /* their RTP clock rates, Hz */

	/* The transport thread only. */
	struct peer_sr peer_sr[2];  /* by enum port_media */
	struct report_prior prior[2];

	/* Under the caller's send lock. */
	struct send_state sent[2];  /* by enum port_media */
};

int rtcpreport_create(const uint32_t ssrc[2], const uint32_t rate[2], struct rtcpreport **out)
{
	struct rtcpreport *r = calloc(1, sizeof(*r));
	if (!r)
		return MCU_ENOMEM;
	memcpy(r->ssrc, ssrc, sizeof(r->ssrc));
	memcpy(r->rate, rate, sizeof(r->rate));
	*out = r;
	return 0;
}

void rtcpreport_destroy(struct rtcpreport *r)
{
	free(r);
}

void rtcpreport_sent(struct rtcpreport *r, enum port_media kind, const uint8_t *pkt, size_t len,
		     int64_t capture_us)
{
	struct send_state *st = &r->sent[kind];
	st->last_ts = (uint32_t)pkt[4] << 24 | (uint32_t)pkt[5] << 16 | (uint32_t)pkt[6] << 8 | pkt[7];
	st->last_capture_us = capture_us;
	st->packets++;
	st->octets += (uint32_t)(len - 12);
}

void rtcpreport_peer_sr(struct rtcpreport *r, const uint8_t *pkt, const struct rtcp_packet *p,
			const struct rtpstats *audio_rx, const struct rtpstats *video_rx,
			int64_t now)
{
	if (p->type != RTCP_SR || p->len < 28)
		return;
	const uint8_t *ntp = pkt + p->offset + 8;
	uint32_t mid = (uint32_t)ntp[2] << 24 | (uint32_t)ntp[3] << 16 | (uint32_t)ntp[4] << 8 | ntp[5];
	for (int k = 0; k < 2; k++) {
		const struct rtpstats *s = k == PORT_AUDIO ? audio_rx : video_rx;
		if (s->started && s->ssrc == p->sender_ssrc) {
			r->peer_sr[k].ntp_mid = mid;
			r->peer_sr[k].arrival_us = now;
		}
	}
}

/* A report block on what we receive of one kind; false before any packet. */
static bool make_block(struct rtcpreport *r, int kind, const struct rtpstats *s, int64_t now,
		       struct rtcp_report *out)
{
	if (!s->started)
		return false;
	struct report_prior *prior = &r->prior[kind];
	uint64_t expected = rtpstats_expected(s);
	uint64_t exp_int = expected - prior->expected;
	uint64_t rec_int = s->received - prior->received;
	prior->expected = expected;
	prior->received = s->received;
	uint64_t lost = rtpstats_lost(s);
	memset(out, 0, sizeof(*out));
	out->ssrc = s->ssrc;
	if (exp_int > rec_int) {
		uint64_t fraction = ((exp_int - rec_int) << 8) / exp_int;
		out->fraction_lost = (uint8_t)(fraction > 255 ? 255 : fraction);
	}
	out->cumulative_lost = (int32_t)(lost > 0x7fffff ? 0x7fffff : lost);
	out->highest_seq = s->cycles + s->max_seq;
	out->jitter = (uint32_t)s->jitter;
	const struct peer_sr *sr = &r->peer_sr[kind];
	if (sr->arrival_us) {
		out->lsr = sr->ntp_mid;
		out->dlsr = (uint32_t)((now - sr->arrival_us) * 65536 / 1000000);
	}
	return true;
}

int rtcpreport_blocks(struct rtcpreport *r, const struct rtpstats *audio_rx,
		      const struct rtpstats *video_rx, int64_t now, struct rtcp_report *out)
{
	int n = 0;
	n += make_block(r, PORT_AUDIO, audio_rx, now, &out[n]);
	n += make_block(r, PORT_VIDEO, video_rx, now, &out[n]);
	return n;
}

/* One kind's SR with n blocks into buf; its length, 0 when nothing of that
 * kind was sent or it did not fit. The RTP time runs on from the newest
 * packet's at the kind's clock rate. */
static size_t write_sr(const struct rtcpreport *r, int kind, const struct rtcp_report *blocks,
		       int n, int64_t now, int64_t wall_us, uint8_t *buf, size_t cap)
{
	const struct send_state *st = &r->sent[kind];
	if (!st->packets)
		return 0;
	struct rtcp_sr sr = {
		.ssrc = r->ssrc[kind],
		.ntp = rtcp_ntp_from_wall_us(wall_us),
		.rtp_ts = st->last_ts + (uint32_t)((now - st->last_capture_us) * r->rate[kind] / 1000000),
		.packets = st->packets, .octets = st->octets,
	};
	int w = rtcp_write_sr(buf, cap, &sr, blocks, n);
	return w > 0 ? (size_t)w : 0;
}

size_t rtcpreport_write_sr(struct rtcpreport *r, enum port_media kind, int64_t now,
			   int64_t wall_us, uint8_t *buf, size_t cap)
{
	return write_sr(r, kind, NULL, 0, now, wall_us, buf, cap);
}

size_t rtcpreport_write(struct rtcpreport *r, const struct rtcp_report *blocks, int n,
			int64_t now, int64_t wall_us, uint8_t *buf, size_t cap)
{
	size_t len = 0;
	for (int k = PORT_VIDEO; k >= PORT_AUDIO; k--)
		len += write_sr(r, k, len ? NULL : blocks, len ? 0 : n, now, wall_us, buf + len,
				cap - len);
	if (!len) {
		int w = rtcp_write_rr(buf, cap, r->ssrc[PORT_VIDEO], blocks, n);
		len = w > 0 ? (size_t)w : 0;
	}
	return len;
}
