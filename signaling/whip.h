/*
 * whip.h - joining a room with an SDP offer: WHIP (publish, RFC 9725),
 * WHEP (watch), and the JSON twin POST /api/rooms/{room}/participants.
 * Also the WHIP/WHEP session resource: PATCH (trickle, ICE restart) and DELETE.
 */
#ifndef MCU_WHIP_H
#define MCU_WHIP_H

#include "mcu/net/endpoint.h"
#include "env.h"
#include "httpmsg.h"

#include <stdbool.h>
#include <stddef.h>

enum whip_mode {
	WHIP_PUBLISH,   /* WHIP: the offer must send media */
	WHIP_WATCH,     /* WHEP: we only send */
	WHIP_ANY,       /* JSON API: the offer's own directions decide */
};

struct whip_join_result {
	char id[ENDPOINT_ID_LEN + 1];
	char *answer;    /* malloc'd SDP answer; the caller frees */
	char etag[80];   /* the ICE session's entity tag, quoted */
};

/* Who asks for a join: what decides where a plain-RTP endpoint's media may
 * go (mcu/rtpdest.h). */
struct whip_origin {
	const char *client_addr;      /* the HTTP requester's IP; NULL or "": unknown */
	bool operator_key;            /* the request carried the configured operator key */
};

/*
 * Parses and negotiates offer (len bytes), joins room, and writes the answer.
 * profile and name may be NULL (defaults "hd" and ""); origin may be NULL
 * (an unknown requester without the key). Returns 0, or an HTTP status with
 * an error body already in *err_reply. Thread: an HTTP worker.
 */
int whip_join(const struct signaling_env *env, const char *room, enum whip_mode mode,
	      const char *offer, size_t len, const char *profile, const char *name,
	      const struct whip_origin *origin, struct whip_join_result *out,
	      struct httpmsg_reply *err_reply);

/*
 * When join_secret is set, may this request join room? It may when it
 * carries "Authorization: Bearer <t>" where t is a valid join token for
 * room, or the operator key. Returns 0, or 401 (missing, bad or expired
 * token) / 403 (a token for another room) with the error reply set; the
 * refusal is logged without the token or the secret. Thread: an HTTP worker.
 */
int whip_check_join(const struct signaling_env *env, const struct httpmsg_request *req,
		    const char *room, struct httpmsg_reply *reply);

/* Adds a Link header (rel="ice-server", RFC 9725) per configured STUN/TURN
 * URL to reply, TURN credentials minted now. Thread: an HTTP worker. */
void whip_ice_links(const struct signaling_env *env, struct httpmsg_reply *reply);

/*
 * Answers OPTIONS on /whip/... and /whep/...: 204 with Accept-Post, and on
 * /whip|whep/{room} the ICE servers' Link headers when the request may join
 * the room (whip_check_join: with join tokens on, only when it carries
 * one). Returns 204. Thread: an HTTP worker.
 */
int whip_options(const struct signaling_env *env, const struct httpmsg_request *req,
		 struct httpmsg_reply *reply);

/*
 * Handles POST /whip/{room}, POST /whep/{room}, PATCH and DELETE of
 * /whip|whep/{room}/{session}. segs are the path's segments (segs[0] is
 * "whip" or "whep"). Returns the reply's status. Thread: an HTTP worker.
 */
int whip_handle(const struct signaling_env *env, const struct httpmsg_request *req,
		char **segs, int n_segs, struct httpmsg_reply *reply);

#endif
