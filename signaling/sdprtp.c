/*
 * sdprtp.c - see sdprtp.h: the answer to a plain RTP offer (legacy
 * endpoints: ffmpeg, GStreamer, hardware room systems).
 *
 * Such offers share the parser (sdp.c) with WebRTC ones; only the decision
 * differs: an address and ports instead of ICE and DTLS, and the G.711/G.722
 * codecs such endpoints speak. The answer is written with sdpwriter.
 */
#include "sdprtp.h"
#include "sdpwriter.h"
#include "base/codec.h"
#include "base/err.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Audio codecs we take from a plain RTP offer, best first. Their names and
 * RTP clock rates are base/codec.h's (G.722's is 8000 by RFC 3551's historical
 * error). */
static const enum codec_audio RTP_AUDIO[] = { CODEC_OPUS, CODEC_G722, CODEC_PCMU, CODEC_PCMA };

static bool is_plain_rtp_proto(const char *proto)
{
	return !strcmp(proto, "RTP/AVP") || !strcmp(proto, "RTP/AVPF");
}

/* The offered audio format we use, or NULL: the best of RTP_AUDIO the m=
 * lists (any channel count for Opus), whatever the offer's own order; its
 * codec in *id. */
static const struct sdp_codec *rtp_audio_codec(const struct sdp_media *m, enum codec_audio *id)
{
	for (size_t k = 0; k < sizeof(RTP_AUDIO) / sizeof(RTP_AUDIO[0]); k++)
		for (int i = 0; i < m->n_codecs; i++) {
			enum codec_audio c;
			if (!codec_audio_parse(m->codecs[i].name, &c) && c == RTP_AUDIO[k] &&
			    m->codecs[i].clock_rate == codec_audio_rtp_clock(c)) {
				*id = c;
				return &m->codecs[i];
			}
		}
	return NULL;
}

/* The offer's first H.264 format in a packetization mode we packetize
 * (0: one NAL unit per packet, 1: non-interleaved), or NULL. */
static const struct sdp_codec *rtp_video_codec(const struct sdp_media *m)
{
	for (int i = 0; i < m->n_codecs; i++) {
		const struct sdp_codec *c = &m->codecs[i];
		enum codec_video id;
		if (!codec_video_parse(c->name, &id) && id == CODEC_H264 && c->clock_rate == 90000 &&
		    (c->packetization_mode == 0 || c->packetization_mode == 1))
			return c;
	}
	return NULL;
}

/* Refuses a live m= that is not plain RTP or has no address we can send
 * to: a missing c=, the "hold" address 0.0.0.0 (or ::), or a host name
 * (resolving it is I/O this module does not do). */
static int check_rtp_section(const struct sdp_media *m, int index, char *err, size_t err_size)
{
	if (!is_plain_rtp_proto(m->proto))
		return sdp_fail(err, err_size, MCU_EPROTO,
				"m=%s (section %d) uses %s; plain RTP offers use RTP/AVP (or RTP/AVPF) "
				"in every m= with a port", m->kind_name, index + 1, m->proto);
	if (!m->conn_addr[0])
		return sdp_fail(err, err_size, MCU_EPROTO,
				"m=%s (section %d) has no c= address, so the server would not know "
				"where to send its media", m->kind_name, index + 1);
	static const unsigned char unspecified[16];
	unsigned char bin[16];
	int family = strchr(m->conn_addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(family, m->conn_addr, bin) != 1)
		return sdp_fail(err, err_size, MCU_EPROTO,
				"m=%s (section %d): c= address '%s' is not a literal IPv4 or IPv6 address",
				m->kind_name, index + 1, m->conn_addr);
	if (!memcmp(bin, unspecified, family == AF_INET ? 4 : 16))
		return sdp_fail(err, err_size, MCU_EPROTO,
				"m=%s (section %d): c= address %s says nowhere (an old-style hold); "
				"give the address the endpoint receives on", m->kind_name, index + 1,
				m->conn_addr);
	return 0;
}

/* Fills *r for m= index, which offers codec c. Returns MCU_EPROTO when its
 * RTCP port would fall outside 1..65535. */
static int accept_rtp(const struct sdp_media *m, int index, const struct sdp_codec *c,
		      struct sdp_rtp_media *r, char *err, size_t err_size)
{
	r->rtcp_mux = m->rtcp_mux;
	r->rtcp_port = m->rtcp_mux ? m->port : m->rtcp_port ? m->rtcp_port : m->port + 1;
	if (r->rtcp_port > 65535)
		return sdp_fail(err, err_size, MCU_EPROTO,
				"m=%s (section %d) has RTP port 65535 and no a=rtcp, so its RTCP port "
				"(the next one up) does not exist", m->kind_name, index + 1);
	r->accepted = true;
	r->index = index;
	snprintf(r->addr, sizeof(r->addr), "%s", m->conn_addr); /* same size: always fits */
	r->port = m->port;
	r->direction = sdp_answer_direction(m->direction, true);
	r->pt = c->pt;
	snprintf(r->codec, sizeof(r->codec), "%s", c->name);
	r->clock_rate = c->clock_rate;
	if (m->kind == SDP_KIND_VIDEO) {
		r->packetization_mode = c->packetization_mode;
		snprintf(r->profile_level_id, sizeof(r->profile_level_id), "%s", c->profile_level_id);
	} else {
		r->audio_level_ext = sdp_find_extmap(m, SDP_URI_AUDIO_LEVEL);
	}
	return 0;
}

static void rtp_media_init(struct sdp_rtp_media *r)
{
	memset(r, 0, sizeof(*r));
	r->index = -1;
	r->pt = -1;
	r->direction = SDP_INACTIVE;
}

int sdprtp_negotiate(const struct sdp_offer *offer, struct sdp_rtp_negotiation *out,
		     char *err, size_t err_size)
{
	memset(out, 0, sizeof(*out));
	rtp_media_init(&out->audio);
	rtp_media_init(&out->video);
	if (err && err_size)
		err[0] = '\0';
	for (int i = 0; i < offer->n_media; i++) {
		const struct sdp_media *m = &offer->media[i];
		if (!m->port)
			continue; /* disabled by the offerer; answered with port 0 */
		int rc = check_rtp_section(m, i, err, err_size);
		if (rc)
			return rc;
		struct sdp_rtp_media *r = m->kind == SDP_KIND_AUDIO ? &out->audio
					  : m->kind == SDP_KIND_VIDEO ? &out->video : NULL;
		if (!r || r->accepted)
			continue; /* other kinds, and a second audio or video m=, are rejected */
		const struct sdp_codec *c = m->kind == SDP_KIND_AUDIO
						    ? rtp_audio_codec(m, &out->audio_codec)
						    : rtp_video_codec(m);
		if (!c) {
			if (r->index < 0)
				r->index = i; /* rejected, but the m= the caller asked about */
			continue;
		}
		rtp_media_init(r);
		if ((rc = accept_rtp(m, i, c, r, err, err_size)) != 0)
			return rc;
		out->peer_sends |= r->direction == SDP_RECVONLY || r->direction == SDP_SENDRECV;
		out->peer_receives |= r->direction == SDP_SENDONLY || r->direction == SDP_SENDRECV;
	}
	if (!out->audio.accepted && !out->video.accepted)
		return sdp_fail(err, err_size, MCU_EUNSUPPORTED,
				"no m= section offers a codec the server takes (audio: Opus, G.722, "
				"PCMU or PCMA; video: H.264 with packetization-mode 0 or 1)");
	return 0;
}

/* One accepted m= of the plain RTP answer; opus: its codec is Opus. */
static void put_rtp_accepted(struct sdpwriter *w, const struct sdp_media *m,
			     const struct sdp_rtp_media *r, bool opus, int port, uint32_t ssrc)
{
	sdpwriter_put(w, "m=%s %d %s %d\r\n", m->kind_name, port, m->proto, r->pt);
	/* RFC 7587: Opus is always written with two channels. */
	if (opus)
		sdpwriter_put(w, "a=rtpmap:%d %s/%d/2\r\n", r->pt, r->codec, r->clock_rate);
	else
		sdpwriter_put(w, "a=rtpmap:%d %s/%d\r\n", r->pt, r->codec, r->clock_rate);
	if (m->kind == SDP_KIND_VIDEO)
		sdpwriter_put(w, "a=fmtp:%d packetization-mode=%d;profile-level-id=42e01f\r\n",
			      r->pt, r->packetization_mode);
	if (r->audio_level_ext)
		sdpwriter_put(w, "a=extmap:%d %s\r\n", r->audio_level_ext, SDP_URI_AUDIO_LEVEL);
	sdpwriter_put(w, "a=%s\r\n", sdp_direction_name(r->direction));
	if (r->rtcp_mux)
		sdpwriter_put(w, "a=rtcp-mux\r\n");
	sdpwriter_put(w, "a=ssrc:%" PRIu32 " cname:mcu\r\n", ssrc);
}

int sdprtp_build_answer(const struct sdp_offer *offer, const struct sdp_rtp_negotiation *neg,
			const struct sdp_rtp_local *local, char *buf, size_t size)
{
	if (!buf || size == 0 || !local || !local->addr || !local->addr[0])
		return MCU_EINVAL;
	struct sdpwriter w = { .buf = buf, .size = size };
	const char *ip = strchr(local->addr, ':') ? "IP6" : "IP4";
	sdpwriter_put(&w, "v=0\r\no=- %" PRIu64 " 2 IN %s %s\r\ns=mcu\r\nc=IN %s %s\r\nt=0 0\r\n",
		      local->session_id, ip, local->addr, ip, local->addr);
	for (int i = 0; i < offer->n_media; i++) {
		const struct sdp_media *m = &offer->media[i];
		if (neg->audio.accepted && neg->audio.index == i)
			put_rtp_accepted(&w, m, &neg->audio, neg->audio_codec == CODEC_OPUS,
					 local->audio_port, local->audio_ssrc);
		else if (neg->video.accepted && neg->video.index == i)
			put_rtp_accepted(&w, m, &neg->video, false, local->video_port, local->video_ssrc);
		else
			sdpwriter_put(&w, "m=%s 0 %s %s\r\n", m->kind_name, m->proto, m->first_fmt);
	}
	return sdpwriter_end(&w);
}
