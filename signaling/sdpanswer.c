/*
 * sdpanswer.c - see sdpanswer.h: what the server takes from a WebRTC offer
 * and the answer that says so.
 *
 * The decision reads only the parsed offer (sdp.h); the answer is written
 * with sdpwriter, which turns an answer that does not fit into MCU_EINVAL
 * rather than a truncated one.
 */
#include "sdpanswer.h"
#include "sdpwriter.h"
#include "base/codec.h"
#include "base/err.h"

#include <inttypes.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Negotiation                                                        */

static bool is_webrtc_proto(const char *proto)
{
	return !strcmp(proto, "UDP/TLS/RTP/SAVPF") || !strcmp(proto, "UDP/TLS/RTP/SAVP");
}

/* Is the offered format the video codec id (by base/codec.h's names, at 90 kHz)? */
static bool is_vcodec(const struct sdp_codec *c, enum codec_video id)
{
	enum codec_video got;
	return c->clock_rate == 90000 && !codec_video_parse(c->name, &got) && got == id;
}

/* Ranks an H.264 format: Constrained Baseline first (what we send), then
 * other profiles libavcodec decodes; 0 for ones we cannot take. */
static int h264_rank(const struct sdp_codec *c)
{
	if (!is_vcodec(c, CODEC_H264) || c->packetization_mode != 1)
		return 0;
	const char *pl = c->profile_level_id;
	if (!pl[0] || !strncmp(pl, "42e0", 4))
		return 3;
	if (!strncmp(pl, "4200", 4) || !strncmp(pl, "42c0", 4))
		return 2;
	return 1;
}

static bool is_opus(const struct sdp_codec *c)
{
	enum codec_audio got;
	return !codec_audio_parse(c->name, &got) && got == CODEC_OPUS &&
	       c->clock_rate == codec_audio_rtp_clock(got);
}

/* codec: of a video payload type (ignored for audio). */
static void add_pt(struct sdp_media_answer *a, int pt, enum codec_video codec)
{
	if (a->n_recv_pts < (int)(sizeof(a->recv_pts) / sizeof(a->recv_pts[0]))) {
		a->recv_codecs[a->n_recv_pts] = codec;
		a->recv_pts[a->n_recv_pts++] = pt;
	}
}

/* Picks the payload types of one m=. Returns true when it has one we take. */
static bool pick_codecs(const struct sdp_media *m, struct sdp_media_answer *a)
{
	a->send_pt = -1;
	if (m->kind == SDP_KIND_AUDIO) {
		for (int i = 0; i < m->n_codecs; i++)
			if (is_opus(&m->codecs[i])) {
				add_pt(a, m->codecs[i].pt, CODEC_H264);
				a->send_pt = m->codecs[i].pt;
				return true;
			}
		return false;
	}
	/* Video: the best H.264 (which we also send), then VP8, then other
	 * H.264 formats we can decode. */
	int best = -1, best_rank = 0, vp8 = -1;
	for (int i = 0; i < m->n_codecs; i++) {
		int rank = h264_rank(&m->codecs[i]);
		if (rank > best_rank) {
			best = i;
			best_rank = rank;
		}
		if (vp8 < 0 && is_vcodec(&m->codecs[i], CODEC_VP8))
			vp8 = i;
	}
	if (best >= 0) {
		add_pt(a, m->codecs[best].pt, CODEC_H264);
		a->send_pt = m->codecs[best].pt;
	}
	if (vp8 >= 0)
		add_pt(a, m->codecs[vp8].pt, CODEC_VP8);
	for (int i = 0; i < m->n_codecs; i++)
		if (i != best && h264_rank(&m->codecs[i]))
			add_pt(a, m->codecs[i].pt, CODEC_H264);
	return a->n_recv_pts > 0;
}

static int check_transport(const struct sdp_media *m, char *err, size_t err_size)
{
	if (!m->ice_ufrag[0] || !m->ice_pwd[0])
		return sdp_fail(err, err_size, MCU_EPROTO,
				"the offer has no ICE credentials (a=ice-ufrag and a=ice-pwd)");
	if (!m->fingerprint[0])
		return sdp_fail(err, err_size, MCU_EPROTO,
				"the offer has no DTLS fingerprint (a=fingerprint:sha-256 ...)");
	if (strcmp(m->fingerprint_alg, "sha-256"))
		return sdp_fail(err, err_size, MCU_EPROTO,
				"the offer's DTLS fingerprint uses %s; the server needs sha-256",
				m->fingerprint_alg);
	if (m->setup == SDP_SETUP_PASSIVE)
		return sdp_fail(err, err_size, MCU_EPROTO,
				"the offer says a=setup:passive; the server is always the DTLS server, "
				"offer actpass or active");
	if (!m->rtcp_mux)
		return sdp_fail(err, err_size, MCU_EPROTO, "m=%s (mid %s) lacks a=rtcp-mux, which the server needs",
				m->kind_name, m->mid[0] ? m->mid : "?");
	return 0;
}

int sdpanswer_negotiate(const struct sdp_offer *offer, struct sdp_negotiation *out,
			char *err, size_t err_size)
{
	memset(out, 0, sizeof(*out));
	out->audio_index = out->video_index = -1;
	if (err && err_size)
		err[0] = '\0';
	for (int i = 0; i < SDP_MAX_MEDIA; i++)
		out->media[i].send_pt = -1;

	bool any_webrtc = false;
	for (int i = 0; i < offer->n_media; i++) {
		const struct sdp_media *m = &offer->media[i];
		struct sdp_media_answer *a = &out->media[i];
		if ((!m->port && !m->bundle_only) || !is_webrtc_proto(m->proto))
			continue;
		any_webrtc = true;
		bool audio = m->kind == SDP_KIND_AUDIO && out->audio_index < 0;
		bool video = m->kind == SDP_KIND_VIDEO && out->video_index < 0;
		if (!(audio || video) || !pick_codecs(m, a)) {
			a->n_recv_pts = 0;
			a->send_pt = -1;
			continue;
		}
		int rc = check_transport(m, err, err_size);
		if (rc)
			return rc;
		a->accepted = true;
		a->direction = sdp_answer_direction(m->direction, a->send_pt >= 0);
		if (a->direction == SDP_RECVONLY || a->direction == SDP_INACTIVE)
			a->send_pt = -1;
		a->audio_level_ext = audio ? sdp_find_extmap(m, SDP_URI_AUDIO_LEVEL) : 0;
		a->mid_ext = sdp_find_extmap(m, SDP_URI_MID);
		if (audio)
			out->audio_index = i;
		else
			out->video_index = i;
		out->peer_sends |= a->direction == SDP_RECVONLY || a->direction == SDP_SENDRECV;
		out->peer_receives |= a->direction == SDP_SENDONLY || a->direction == SDP_SENDRECV;
	}
	if (!any_webrtc)
		return sdp_fail(err, err_size, MCU_EPROTO,
				"the offer has no WebRTC media (UDP/TLS/RTP/SAVPF with a non-zero port)");
	if (out->audio_index < 0 && out->video_index < 0)
		return sdp_fail(err, err_size, MCU_EUNSUPPORTED,
				"no m= section offers a codec the server takes: audio needs Opus "
				"(opus/48000/2); video needs H.264 with packetization-mode=1, or VP8");
	if (!offer->n_bundle)
		return sdp_fail(err, err_size, MCU_EPROTO,
				"the offer has no a=group:BUNDLE; the server carries all media on one transport");
	for (int i = 0; i < offer->n_media; i++) {
		if (!out->media[i].accepted)
			continue;
		bool bundled = false;
		for (int b = 0; b < offer->n_bundle; b++)
			bundled |= offer->media[i].mid[0] && !strcmp(offer->bundle_mids[b], offer->media[i].mid);
		if (!bundled)
			return sdp_fail(err, err_size, MCU_EPROTO,
					"m=%s (mid '%s') is not in the offer's BUNDLE group",
					offer->media[i].kind_name, offer->media[i].mid);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Answer                                                             */

static const struct sdp_codec *codec_by_pt(const struct sdp_media *m, int pt)
{
	for (int i = 0; i < m->n_codecs; i++)
		if (m->codecs[i].pt == pt)
			return &m->codecs[i];
	return NULL;
}

/* rtpmap, rtcp-fb and fmtp lines for one accepted payload type. */
static void put_codec(struct sdpwriter *w, const struct sdp_codec *c, bool video)
{
	if (c->channels)
		sdpwriter_put(w, "a=rtpmap:%d %s/%d/%d\r\n", c->pt, c->name, c->clock_rate, c->channels);
	else
		sdpwriter_put(w, "a=rtpmap:%d %s/%d\r\n", c->pt, c->name, c->clock_rate);
	if (video) {
		/* Only what we act on: retransmissions and keyframe requests. */
		if (c->fb_nack)
			sdpwriter_put(w, "a=rtcp-fb:%d nack\r\n", c->pt);
		if (c->fb_pli)
			sdpwriter_put(w, "a=rtcp-fb:%d nack pli\r\n", c->pt);
		if (c->fb_fir)
			sdpwriter_put(w, "a=rtcp-fb:%d ccm fir\r\n", c->pt);
		/* REMB tells the room when a receiver cannot take its profile. */
		if (c->fb_remb)
			sdpwriter_put(w, "a=rtcp-fb:%d goog-remb\r\n", c->pt);
	}
	if (is_opus(c))
		sdpwriter_put(w, "a=fmtp:%d minptime=10;useinbandfec=1\r\n", c->pt);
	else if (is_vcodec(c, CODEC_H264))
		sdpwriter_put(w, "a=fmtp:%d level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=%s\r\n",
			      c->pt, c->profile_level_id[0] ? c->profile_level_id : "42e01f");
}

static void put_rejected(struct sdpwriter *w, const struct sdp_media *m)
{
	sdpwriter_put(w, "m=%s 0 %s %s\r\nc=IN IP4 0.0.0.0\r\n", m->kind_name, m->proto, m->first_fmt);
	if (m->mid[0])
		sdpwriter_put(w, "a=mid:%s\r\n", m->mid);
	sdpwriter_put(w, "a=inactive\r\n");
}

static void put_accepted(struct sdpwriter *w, const struct sdp_media *m,
			 const struct sdp_media_answer *a, const struct sdp_local *l)
{
	bool video = m->kind == SDP_KIND_VIDEO;
	sdpwriter_put(w, "m=%s 9 %s", m->kind_name, m->proto);
	for (int i = 0; i < a->n_recv_pts; i++)
		sdpwriter_put(w, " %d", a->recv_pts[i]);
	sdpwriter_put(w, "\r\nc=IN IP4 0.0.0.0\r\n");
	sdpwriter_put(w, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=ice-options:trickle\r\n", l->ice_ufrag, l->ice_pwd);
	sdpwriter_put(w, "a=fingerprint:sha-256 %s\r\na=setup:passive\r\n", l->fingerprint);
	if (m->mid[0])
		sdpwriter_put(w, "a=mid:%s\r\n", m->mid);
	if (a->mid_ext)
		sdpwriter_put(w, "a=extmap:%d %s\r\n", a->mid_ext, SDP_URI_MID);
	if (a->audio_level_ext)
		sdpwriter_put(w, "a=extmap:%d %s\r\n", a->audio_level_ext, SDP_URI_AUDIO_LEVEL);
	sdpwriter_put(w, "a=%s\r\na=rtcp-mux\r\n", sdp_direction_name(a->direction));
	for (int i = 0; i < a->n_recv_pts; i++) {
		const struct sdp_codec *c = codec_by_pt(m, a->recv_pts[i]);
		if (c)
			put_codec(w, c, video);
	}
	if (a->direction == SDP_SENDRECV || a->direction == SDP_SENDONLY) {
		uint32_t ssrc = video ? l->video_ssrc : l->audio_ssrc;
		const char *track = video ? "mix-video" : "mix-audio";
		sdpwriter_put(w, "a=msid:%s %s\r\n", l->stream_id, track);
		sdpwriter_put(w, "a=ssrc:%" PRIu32 " cname:%s\r\n", ssrc, l->cname);
		sdpwriter_put(w, "a=ssrc:%" PRIu32 " msid:%s %s\r\n", ssrc, l->stream_id, track);
	}
	for (int i = 0; i < l->n_candidates; i++)
		sdpwriter_put(w, "a=%s\r\n", l->candidates[i]);
	sdpwriter_put(w, "a=end-of-candidates\r\n");
}

int sdpanswer_build(const struct sdp_offer *offer, const struct sdp_negotiation *neg,
		    const struct sdp_local *local, char *buf, size_t size)
{
	if (!buf || size == 0)
		return MCU_EINVAL;
	struct sdpwriter w = { .buf = buf, .size = size };
	sdpwriter_put(&w, "v=0\r\no=- %" PRIu64 " 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", local->session_id);
	sdpwriter_put(&w, "a=group:BUNDLE");
	for (int i = 0; i < offer->n_media; i++)
		if (neg->media[i].accepted)
			sdpwriter_put(&w, " %s", offer->media[i].mid);
	sdpwriter_put(&w, "\r\na=msid-semantic:WMS %s\r\n", local->stream_id);
	for (int i = 0; i < offer->n_media; i++) {
		if (neg->media[i].accepted)
			put_accepted(&w, &offer->media[i], &neg->media[i], local);
		else
			put_rejected(&w, &offer->media[i]);
	}
	return sdpwriter_end(&w);
}
