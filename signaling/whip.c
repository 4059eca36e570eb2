/*
 * whip.c - see whip.h.
 *
 * The join is: parse the offer, negotiate, turn the bundle transport's ICE
 * and DTLS lines into endpoint parameters, join the room through the
 * registry, and write the answer from our side of the new transport.
 */
#include "whip.h"
#include "mcu/config.h"
#include "base/err.h"
#include "base/log.h"
#include "mcu/registry.h"
#include "mcu/rtpdest.h"
#include "mcu/net/rtpep.h"
#include "base/profile.h"
#include "iceservers.h"
#include "revocations.h"
#include "sdp.h"
#include "sdpanswer.h"
#include "sdprtp.h"
#include "token.h"
#include "base/clock.h"

#include <openssl/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANSWER_SIZE 16384

/* WHEP: whatever the offer says, we only send to a viewer. */
static void make_watch_only(struct sdp_negotiation *neg)
{
	for (int i = 0; i < SDP_MAX_MEDIA; i++) {
		struct sdp_media_answer *m = &neg->media[i];
		if (m->direction == SDP_SENDRECV)
			m->direction = SDP_SENDONLY;
		else if (m->direction == SDP_RECVONLY)
			m->direction = SDP_INACTIVE;
	}
	neg->peer_sends = false;
}

/* The m= section whose transport carries the bundle (its tag), else the
 * first accepted one. */
static const struct sdp_media *transport_media(const struct sdp_offer *offer,
					       const struct sdp_negotiation *neg)
{
	for (int i = 0; i < offer->n_media; i++)
		if (offer->n_bundle > 0 && !strcmp(offer->media[i].mid, offer->bundle_mids[0]))
			return &offer->media[i];
	for (int i = 0; i < offer->n_media; i++)
		if (neg->media[i].accepted)
			return &offer->media[i];
	return &offer->media[0];
}

static void fill_pts(int *dst, int *n_dst, const struct sdp_media_answer *m)
{
	*n_dst = 0;
	for (int i = 0; i < m->n_recv_pts && i < ENDPOINT_MAX_PTS; i++)
		dst[(*n_dst)++] = m->recv_pts[i];
}

/* The codec of each accepted video payload type, as the negotiation parsed
 * it: the endpoint carries the same base/codec.h ids to the mixer. */
static void fill_video_codecs(const struct sdp_media_answer *a, struct endpoint_params *p)
{
	for (int i = 0; i < p->n_video_pts; i++)
		p->video_codecs[i] = a->recv_codecs[i];
}

/* Which way media flows on one accepted m= (the answer's direction is ours). */
static void media_flow(const struct sdp_media_answer *a, bool *peer_sends, bool *peer_receives)
{
	*peer_sends = a->direction == SDP_SENDRECV || a->direction == SDP_RECVONLY;
	*peer_receives = a->direction == SDP_SENDRECV || a->direction == SDP_SENDONLY;
}

static void fill_params(const struct sdp_offer *offer, const struct sdp_negotiation *neg,
			const char *room, enum profile_id profile, const char *name,
			const char **cand_ptrs, struct endpoint_params *p)
{
	const struct sdp_media *t = transport_media(offer, neg);
	memset(p, 0, sizeof(*p));
	p->room = room;
	p->name = name;
	p->profile = profile;
	p->direction = neg->peer_sends && neg->peer_receives ? "sendrecv"
		       : neg->peer_sends ? "sendonly" : "recvonly";
	p->remote_ufrag = t->ice_ufrag;
	p->remote_pwd = t->ice_pwd;
	p->remote_fingerprint = t->fingerprint;
	for (int i = 0; i < t->n_candidates; i++)
		cand_ptrs[i] = t->candidates[i];
	p->remote_candidates = cand_ptrs;
	p->n_remote_candidates = t->n_candidates;
	p->remote_end_of_candidates = t->end_of_candidates;
	p->send_audio_pt = p->send_video_pt = -1;
	if (neg->audio_index >= 0) {
		const struct sdp_media_answer *a = &neg->media[neg->audio_index];
		fill_pts(p->audio_pts, &p->n_audio_pts, a);
		media_flow(a, &p->sends_audio, &p->receives_audio);
		p->send_audio_pt = a->send_pt;
		p->audio_level_ext = a->audio_level_ext;
	}
	if (neg->video_index >= 0) {
		const struct sdp_media_answer *a = &neg->media[neg->video_index];
		fill_pts(p->video_pts, &p->n_video_pts, a);
		fill_video_codecs(a, p);
		media_flow(a, &p->sends_video, &p->receives_video);
		p->send_video_pt = a->send_pt;
	}
}

/* Maps a registry_join error to an HTTP reply. */
static int join_error(int rc, const char *room, const char *err, struct httpmsg_reply *reply)
{
	switch (rc) {
	case MCU_EINVAL:
		return httpmsg_error(reply, 400, "bad_room", "room names are 1-64 of [A-Za-z0-9_-]");
	case MCU_ENOTFOUND:
		return httpmsg_error(reply, 404, "room_not_found",
				     "room '%s' does not exist and rooms are not created on join", room);
	case MCU_ELIMIT:
		httpmsg_header(reply, "Retry-After", "5");
		return httpmsg_error(reply, 503, "at_capacity", "room '%s' or the server is full", room);
	case MCU_ETIMEDOUT:
		httpmsg_header(reply, "Retry-After", "5");
		return httpmsg_error(reply, 503, "room_unresponsive",
				     "room '%s' did not answer in time: its mixer is stuck or overloaded", room);
	case MCU_ERESOURCE:
		httpmsg_header(reply, "Retry-After", "10");
		return httpmsg_error(reply, 503, "no_resources", "%s", err[0] ? err : err_str(rc));
	case MCU_EPROTO:
		return httpmsg_error(reply, 400, "bad_offer", "%s", err);
	default:
		return httpmsg_error(reply, 500, "join_failed", "%s", err[0] ? err : err_str(rc));
	}
}

/* Is this a plain RTP offer (API.md section 3): RTP/AVP or RTP/AVPF media? */
static bool is_plain_rtp(const struct sdp_offer *offer)
{
	for (int i = 0; i < offer->n_media; i++)
		if (offer->media[i].port && strstr(offer->media[i].proto, "RTP/AVP") == offer->media[i].proto)
			return true;
	return false;
}

static int check_offer(struct sdp_offer *offer, struct sdp_negotiation *neg, enum whip_mode mode,
		       struct httpmsg_reply *reply)
{
	char err[256] = "";
	int rc = sdpanswer_negotiate(offer, neg, err, sizeof(err));
	if (rc == MCU_EUNSUPPORTED)
		return httpmsg_error(reply, 400, "no_usable_codec", "%s", err);
	if (rc)
		return httpmsg_error(reply, 400, "bad_offer", "%s", err);
	if (mode == WHIP_WATCH)
		make_watch_only(neg);
	if (mode == WHIP_PUBLISH && !neg->peer_sends)
		return httpmsg_error(reply, 400, "bad_offer",
				     "a WHIP offer must send media (sendonly or sendrecv); "
				     "use WHEP (/whep/{room}) to watch");
	if (!neg->peer_sends && !neg->peer_receives)
		return httpmsg_error(reply, 400, "bad_offer", "the offer neither sends nor receives media");
	return 0;
}

/*
 * The entity tag of a session names its ICE session: the peer's current ufrag
 * (cut to 64 bytes; browsers use 4 to 32). A PATCH whose If-Match names an
 * older one is refused with 412 (RFC 9725 4.3.1).
 */
static void make_etag(const char *remote_ufrag, char *out, size_t size)
{
	snprintf(out, size, "\"%.64s\"", remote_ufrag);
}

static int write_answer(const struct signaling_env *env, const struct sdp_offer *offer,
			const struct sdp_negotiation *neg, const struct endpoint_local *local,
			struct whip_join_result *out)
{
	const char *cands[ENDPOINT_MAX_CANDIDATES];
	for (int i = 0; i < local->n_candidates; i++)
		cands[i] = local->candidates[i];
	struct sdp_local sl = {
		.ice_ufrag = local->ice_ufrag, .ice_pwd = local->ice_pwd,
		.fingerprint = env->fingerprint, .candidates = cands,
		.n_candidates = local->n_candidates, .audio_ssrc = local->audio_ssrc,
		.video_ssrc = local->video_ssrc, .cname = "mcu", .stream_id = "mcu-mix",
		.session_id = ((uint64_t)local->audio_ssrc << 20) ^ local->video_ssrc,
	};
	out->answer = malloc(ANSWER_SIZE);
	if (!out->answer)
		return MCU_ENOMEM;
	int n = sdpanswer_build(offer, neg, &sl, out->answer, ANSWER_SIZE);
	if (n < 0) {
		free(out->answer);
		out->answer = NULL;
		return n;
	}
	make_etag(transport_media(offer, neg)->ice_ufrag, out->etag, sizeof(out->etag));
	return 0;
}

/* The answer's direction (ours) seen from the participant. */
static void rtp_flow(const struct sdp_rtp_media *m, bool *peer_sends, bool *peer_receives)
{
	*peer_sends = m->accepted && (m->direction == SDP_SENDRECV || m->direction == SDP_RECVONLY);
	*peer_receives = m->accepted && (m->direction == SDP_SENDRECV || m->direction == SDP_SENDONLY);
}

static void fill_rtp_params(const struct sdp_rtp_negotiation *neg, const char *room,
			    enum profile_id profile, const char *name, struct rtpep_params *p)
{
	memset(p, 0, sizeof(*p));
	p->room = room;
	p->name = name;
	p->profile = profile;
	p->direction = neg->peer_sends && neg->peer_receives ? "sendrecv"
		       : neg->peer_sends ? "sendonly" : "recvonly";
	const struct sdp_rtp_media *a = &neg->audio, *v = &neg->video;
	p->remote_addr = a->accepted ? a->addr : v->addr;
	if (a->accepted) {
		p->audio_port = a->port;
		p->audio_rtcp_port = a->rtcp_port;
		p->audio_pt = a->pt;
		p->audio_codec = neg->audio_codec; /* parsed by sdprtp_negotiate */
		p->audio_level_ext = a->audio_level_ext;
		rtp_flow(a, &p->sends_audio, &p->receives_audio);
	}
	if (v->accepted) {
		p->video_port = v->port;
		p->video_rtcp_port = v->rtcp_port;
		p->video_pt = v->pt;
		p->packetization_mode = v->packetization_mode;
		rtp_flow(v, &p->sends_video, &p->receives_video);
	}
}

/* May the server send to where neg points? 0, or 400/403 with the reason
 * (mcu/rtpdest.h). */
static int check_destination(const struct signaling_env *env, const char *room,
			     const struct sdp_rtp_negotiation *neg, const struct whip_origin *origin,
			     struct httpmsg_reply *reply)
{
	const struct sdp_rtp_media *a = &neg->audio, *v = &neg->video;
	int ports[4] = { a->accepted ? a->port : 0, a->accepted ? a->rtcp_port : 0,
			 v->accepted ? v->port : 0, v->accepted ? v->rtcp_port : 0 };
	struct rtpdest_request rq = {
		.addr = a->accepted ? a->addr : v->addr, .ports = ports, .n_ports = 4,
		.client_addr = origin ? origin->client_addr : NULL,
		.operator_key = origin && origin->operator_key,
	};
	char why[320];
	switch (rtpdest_check(env->cfg, &rq, why, sizeof(why))) {
	case RTPDEST_OK:
		return 0;
	case RTPDEST_INVALID:
		return httpmsg_error(reply, 400, "bad_destination", "%s", why);
	default:
		LOG_W("whip", "room=%s plain RTP join refused: %s", room, why);
		return httpmsg_error(reply, 403, "destination_not_allowed", "%s", why);
	}
}

/* A legacy endpoint's join: plain RTP both ways (API.md section 3). */
static int join_rtp(const struct signaling_env *env, const char *room, const struct sdp_offer *offer,
		    enum profile_id profile, const char *name, const struct whip_origin *origin,
		    struct whip_join_result *out, struct httpmsg_reply *reply)
{
	struct sdp_rtp_negotiation neg;
	char err[256] = "";
	int rc = sdprtp_negotiate(offer, &neg, err, sizeof(err));
	if (rc == MCU_EUNSUPPORTED)
		return httpmsg_error(reply, 400, "no_usable_codec", "%s", err);
	if (rc)
		return httpmsg_error(reply, 400, "bad_offer", "%s", err);
	if (neg.audio.accepted && neg.video.accepted && strcmp(neg.audio.addr, neg.video.addr))
		return httpmsg_error(reply, 400, "bad_offer",
				     "audio and video must go to one address (%s and %s)",
				     neg.audio.addr, neg.video.addr);
	rc = check_destination(env, room, &neg, origin, reply);
	if (rc)
		return rc;
	struct rtpep_params params;
	struct rtpep_local local;
	fill_rtp_params(&neg, room, profile, name, &params);
	rc = registry_join_rtp(env->registry, room, env->cfg->auto_create_rooms, &params, &local,
			       out->id, err, sizeof(err));
	if (rc == MCU_ELIMIT && err[0]) {
		httpmsg_header(reply, "Retry-After", "5");
		return httpmsg_error(reply, 503, "no_ports", "%s", err);
	}
	if (rc)
		return join_error(rc, room, err, reply);
	struct sdp_rtp_local sl = {
		.addr = local.addr, .audio_port = local.audio_port, .video_port = local.video_port,
		.audio_ssrc = local.audio_ssrc, .video_ssrc = local.video_ssrc,
		.session_id = ((uint64_t)local.audio_ssrc << 20) ^ local.video_ssrc,
	};
	out->answer = malloc(ANSWER_SIZE);
	int n = out->answer ? sdprtp_build_answer(offer, &neg, &sl, out->answer, ANSWER_SIZE) : MCU_ENOMEM;
	if (n < 0) {
		free(out->answer);
		out->answer = NULL;
		registry_leave(env->registry, room, out->id, "failed");
		return httpmsg_error(reply, 500, "internal", "cannot write the SDP answer");
	}
	return 0;
}

int whip_join(const struct signaling_env *env, const char *room, enum whip_mode mode,
	      const char *text, size_t len, const char *profile, const char *name,
	      const struct whip_origin *origin, struct whip_join_result *out,
	      struct httpmsg_reply *reply)
{
	memset(out, 0, sizeof(*out));
	name = name ? name : "";
	if (!room_valid_name(room))
		return join_error(MCU_EINVAL, room, "", reply);
	/* The one place the profile's word is read; an id travels from here. */
	bool asked = profile && *profile;
	enum profile_id profile_id = PROFILE_HD;
	if (asked && profile_parse(profile, &profile_id))
		return httpmsg_error(reply, 400, "bad_profile", "profile must be hd, sd or ld");
	if (strlen(name) > 64)
		return httpmsg_error(reply, 400, "bad_name", "names are at most 64 bytes");
	/* A name is shown in logs, consoles and webhooks: no line breaks or
	 * terminal escapes may ride in it. */
	for (const char *c = name; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return httpmsg_error(reply, 400, "bad_name",
					     "names may not contain control characters (byte 0x%02x)",
					     (unsigned char)*c);

	struct sdp_offer *offer = calloc(1, sizeof(*offer));
	struct sdp_negotiation neg;
	char err[256] = "";
	int status = 0;
	if (!offer)
		return httpmsg_error(reply, 500, "internal", "out of memory");
	if (sdp_parse(text, len, offer, err, sizeof(err))) {
		status = httpmsg_error(reply, 400, "bad_sdp", "the offer is not valid SDP: %s", err);
		goto done;
	}
	if (is_plain_rtp(offer)) {
		/* Legacy endpoints receive sd unless they ask (API.md section 2). */
		if (mode == WHIP_ANY)
			status = join_rtp(env, room, offer, asked ? profile_id : PROFILE_SD, name,
					  origin, out, reply);
		else
			status = httpmsg_error(reply, 400, "unsupported_offer",
					       "WHIP and WHEP take WebRTC offers (UDP/TLS/RTP/SAVPF); plain RTP "
					       "endpoints join with POST /api/rooms/{room}/participants");
		goto done;
	}
	status = check_offer(offer, &neg, mode, reply);
	if (status)
		goto done;

	const char *cand_ptrs[SDP_MAX_CANDIDATES];
	struct endpoint_params params;
	struct endpoint_local local;
	fill_params(offer, &neg, room, asked ? profile_id : PROFILE_HD, name, cand_ptrs, &params);
	int rc = registry_join(env->registry, room, env->cfg->auto_create_rooms, &params,
			       &local, out->id, err, sizeof(err));
	if (rc) {
		status = join_error(rc, room, err, reply);
		goto done;
	}
	if (write_answer(env, offer, &neg, &local, out)) {
		registry_leave(env->registry, room, out->id, "failed");
		status = httpmsg_error(reply, 500, "internal", "cannot write the SDP answer");
	}
done:
	free(offer);
	return status;
}

int whip_check_join(const struct signaling_env *env, const struct httpmsg_request *req,
		    const char *room, struct httpmsg_reply *reply)
{
	const char *secret = env->cfg->join_secret;
	if (!secret[0])
		return 0;
	const char *auth = req->authorization ? req->authorization : "";
	if (strncmp(auth, "Bearer ", 7) != 0) {
		httpmsg_header(reply, "WWW-Authenticate", "Bearer");
		return httpmsg_error(reply, 401, "token_required",
				     "joining room '%s' needs Authorization: Bearer <join token>", room);
	}
	const char *given = auth + 7;
	const char *key = env->cfg->operator_key;
	if (key[0] && strlen(given) == strlen(key) && CRYPTO_memcmp(given, key, strlen(key)) == 0)
		return 0;
	int64_t now_us = clock_wall_us(), minted_us = 0;
	enum token_verdict v = token_check(secret, given, room, now_us / 1000000, &minted_us);
	if (v == TOKEN_OK && revocations_revoked(env->revocations, room, minted_us, now_us)) {
		LOG_W("whip", "room=%s join refused: a token minted before the room was deleted", room);
		httpmsg_header(reply, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
		return httpmsg_error(reply, 401, "token_revoked",
				     "room '%s' was deleted after this join token was minted", room);
	}
	if (v == TOKEN_OK)
		return 0;
	LOG_W("whip", "room=%s join refused: %s token", room,
	      v == TOKEN_EXPIRED ? "an expired" : v == TOKEN_OTHER_ROOM ? "another room's" : "a bad");
	if (v == TOKEN_OTHER_ROOM)
		return httpmsg_error(reply, 403, "token_for_another_room",
				     "this join token is not for room '%s'", room);
	httpmsg_header(reply, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
	return httpmsg_error(reply, 401, v == TOKEN_EXPIRED ? "token_expired" : "bad_token",
			     v == TOKEN_EXPIRED ? "the join token has expired" : "the join token is not valid");
}

void whip_ice_links(const struct signaling_env *env, struct httpmsg_reply *reply)
{
	int n = iceservers_count(env->ice_servers);
	char user[ICESERVERS_CRED_MAX], cred[ICESERVERS_CRED_MAX];
	if (!n || iceservers_credentials(env->ice_servers, clock_wall_us() / 1000000, user, cred))
		return;
	for (int i = 0; i < n; i++) {
		char link[ICESERVERS_LINK_MAX];
		if (!iceservers_link(env->ice_servers, i, user, cred, link))
			httpmsg_header(reply, "Link", link);
	}
}

int whip_options(const struct signaling_env *env, const struct httpmsg_request *req,
		 struct httpmsg_reply *reply)
{
	reply->status = 204;
	httpmsg_header(reply, "Accept-Post", "application/sdp");
	/* Only /whip/{room} and /whep/{room}: the endpoints a client joins. */
	const char *rest = req->path + 6;
	char room[80];
	size_t len = strcspn(rest, "/");
	if (rest[len] || len >= sizeof(room))
		return 204;
	memcpy(room, rest, len);
	room[len] = '\0';
	if (!room_valid_name(room))
		return 204;
	/* TURN credentials go only to who may join: a preflight carries no
	 * token, so with join tokens on it gets none. */
	struct httpmsg_reply scratch = HTTPMSG_REPLY_INIT;
	int denied = whip_check_join(env, req, room, &scratch);
	httpmsg_reply_clear(&scratch);
	if (!denied)
		whip_ice_links(env, reply);
	return 204;
}

static int handle_post(const struct signaling_env *env, const struct httpmsg_request *req,
		       const char *kind, const char *room, struct httpmsg_reply *reply)
{
	int denied = whip_check_join(env, req, room, reply);
	if (denied)
		return denied;
	if (!httpmsg_content_type_is(req, "application/sdp"))
		return httpmsg_error(reply, 415, "unsupported_media_type",
				     "the offer must be sent as Content-Type: application/sdp");
	if (!req->body_len)
		return httpmsg_error(reply, 400, "bad_sdp", "the request has no SDP offer");
	struct whip_join_result res;
	enum whip_mode mode = !strcmp(kind, "whep") ? WHIP_WATCH : WHIP_PUBLISH;
	/* WHIP and WHEP take WebRTC offers only: no plain-RTP destination to judge. */
	struct whip_origin origin = { .client_addr = req->client_addr };
	int status = whip_join(env, room, mode, req->body, req->body_len,
			       httpmsg_arg(req, "profile"), httpmsg_arg(req, "name"), &origin, &res, reply);
	if (status)
		return status;
	char location[160];
	snprintf(location, sizeof(location), "/%s/%s/%s", kind, room, res.id);
	httpmsg_text(reply, 201, "application/sdp", res.answer, strlen(res.answer));
	httpmsg_header(reply, "Location", location);
	httpmsg_header(reply, "ETag", res.etag);
	whip_ice_links(env, reply);
	free(res.answer);
	return 201;
}

/* The sdpfrag answer to an ICE restart (RFC 8840): our new credentials and
 * candidates. */
static int restart_reply(const struct endpoint_local *local, const char *remote_ufrag,
			 struct httpmsg_reply *reply)
{
	char body[4096];
	size_t n = (size_t)snprintf(body, sizeof(body), "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n",
				    local->ice_ufrag, local->ice_pwd);
	for (int i = 0; i < local->n_candidates && n < sizeof(body); i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "a=%s\r\n", local->candidates[i]);
	if (n < sizeof(body))
		n += (size_t)snprintf(body + n, sizeof(body) - n, "a=end-of-candidates\r\n");
	if (n >= sizeof(body))
		return httpmsg_error(reply, 500, "internal", "restart answer too long");
	httpmsg_text(reply, 200, "application/trickle-ice-sdpfrag", body, n);
	char etag[80];
	make_etag(remote_ufrag, etag, sizeof(etag));
	httpmsg_header(reply, "ETag", etag);
	return 200;
}

static int handle_patch(const struct signaling_env *env, const struct httpmsg_request *req,
			const char *room, const char *id, struct httpmsg_reply *reply)
{
	if (!httpmsg_content_type_is(req, "application/trickle-ice-sdpfrag"))
		return httpmsg_error(reply, 415, "unsupported_media_type",
				     "PATCH takes Content-Type: application/trickle-ice-sdpfrag");
	char current[257], err[256] = "";
	if (registry_remote_ufrag(env->registry, room, id, current, sizeof(current)))
		return httpmsg_error(reply, 404, "session_not_found", "no session '%s' in room '%s'", id, room);
	char etag[80];
	make_etag(current, etag, sizeof(etag));
	if (req->if_match[0] && strcmp(req->if_match, "*") && strcmp(req->if_match, etag))
		return httpmsg_error(reply, 412, "etag_mismatch",
				     "If-Match %s does not name this session's ICE session %s",
				     req->if_match, etag);
	struct sdp_frag *frag = calloc(1, sizeof(*frag));
	if (!frag)
		return httpmsg_error(reply, 500, "internal", "out of memory");
	int status = 204;
	if (sdp_parse_frag(req->body ? req->body : "", req->body_len, frag, err, sizeof(err))) {
		status = httpmsg_error(reply, 400, "bad_sdpfrag", "%s", err);
		goto done;
	}
	const char *cands[SDP_MAX_CANDIDATES];
	for (int i = 0; i < frag->n_candidates; i++)
		cands[i] = frag->candidates[i];
	if (frag->ice_ufrag[0] && strcmp(frag->ice_ufrag, current) != 0) {
		struct endpoint_local local;
		if (!frag->ice_pwd[0])
			status = httpmsg_error(reply, 400, "bad_sdpfrag", "an ICE restart needs a=ice-pwd");
		else if (registry_restart_ice(env->registry, room, id, frag->ice_ufrag, frag->ice_pwd,
					      cands, frag->n_candidates, &local))
			status = httpmsg_error(reply, 500, "ice_restart_failed", "the ICE restart failed");
		else
			status = restart_reply(&local, frag->ice_ufrag, reply);
		goto done;
	}
	registry_trickle(env->registry, room, id, cands, frag->n_candidates, frag->end_of_candidates);
	reply->status = 204;
done:
	free(frag);
	return status;
}

int whip_handle(const struct signaling_env *env, const struct httpmsg_request *req,
		char **segs, int n_segs, struct httpmsg_reply *reply)
{
	const char *method = req->method;
	if (n_segs == 2) {
		if (strcmp(method, "POST"))
			return httpmsg_not_allowed(reply, "POST");
		return handle_post(env, req, segs[0], segs[1], reply);
	}
	if (n_segs != 3)
		return httpmsg_error(reply, 404, "not_found", "no such resource");
	if (!strcmp(method, "PATCH"))
		return handle_patch(env, req, segs[1], segs[2], reply);
	if (!strcmp(method, "DELETE")) {
		if (registry_leave(env->registry, segs[1], segs[2], "left"))
			return httpmsg_error(reply, 404, "session_not_found",
					     "no session '%s' in room '%s'", segs[2], segs[1]);
		return httpmsg_text(reply, 200, "application/json", "{}", 2);
	}
	return httpmsg_not_allowed(reply, "PATCH, DELETE");
}
