/*
 * lghttp.h - the load generator's side of the server's JSON API: a small
 * blocking HTTP/1.1 client over loopback TCP (one connection per request,
 * "Connection: close"), the legacy join (API.md section 3: a plain RTP/AVP
 * offer posted to /api/rooms/{room}/participants), leaving, deleting a
 * room, and reading what its mixer runs.
 *
 * Every call is bounded by a 10 s socket timeout. Thread: any (the load
 * generator calls these from its control thread only).
 */
#ifndef LG_LGHTTP_H
#define LG_LGHTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lgserver {
	char host[64];              /* an IPv4 literal, e.g. 127.0.0.1 */
	int port;
};

/* Parses "host:port". Returns 0 or MCU_EINVAL. */
int lghttp_parse_server(const char *s, struct lgserver *out);

/*
 * One request. body (borrowed, may be NULL) is sent as application/json.
 * On success *status is the HTTP status and *reply a new NUL-terminated
 * copy of the body (the caller frees it). Returns 0, MCU_EIO (connect,
 * send, receive or timeout) or MCU_EPROTO (not HTTP).
 */
int lghttp_request(const struct lgserver *s, const char *method, const char *path,
		   const char *body, int *status, char **reply);

/* What a legacy endpoint offers (all borrowed for the call). */
struct lgjoin_req {
	const char *room, *name, *profile;   /* profile: "hd", "sd" or "ld" */
	int video_port, audio_port;          /* ours; 0: no such media line */
	bool sends;                          /* sendrecv, else recvonly */
};

/* What the server answered. */
struct lgjoin_res {
	char id[64];
	int video_port, audio_port;          /* the server's, to send to */
};

/* Joins (POST, expects 201). Returns 0, MCU_EIO or MCU_EPROTO (another
 * status or an answer without the ports); err gets the reason. */
int lghttp_join(const struct lgserver *s, const struct lgjoin_req *req, struct lgjoin_res *res,
		char *err, size_t err_size);

/* DELETE of a participant or of a room. Returns 0 or MCU_EIO/MCU_EPROTO. */
int lghttp_leave(const struct lgserver *s, const char *room, const char *id);
int lghttp_delete_room(const struct lgserver *s, const char *room);

/* GET /api/rooms/{room}'s "mixer" and its participant count. */
struct lgmixer {
	int participants;
	int video_decoders, audio_decoders, video_encoders, audio_encoders, tiles;
	char profiles[32];                   /* "hd,sd" */
	int64_t ticks, overruns, frames_encoded, keyframes;
	int64_t tick_us_last, tick_us_max, dropped_packets;
	int64_t decode_us, encode_us;        /* room thread CPU in video codecs */
};

/* Returns 0, MCU_EIO or MCU_EPROTO. */
int lghttp_mixer(const struct lgserver *s, const char *room, struct lgmixer *out);

#endif
