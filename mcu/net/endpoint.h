/*
 * endpoint.h - one WebRTC participant's media transport: an ICE agent
 * (libnice, controlled role), DTLS-SRTP in the server role, and the receive
 * statistics of what the participant sends.
 *
 * An endpoint lives on one transport thread (transport.h): its ICE callbacks,
 * DTLS handshake and SRTP run there. Other threads only read its published
 * counters (atomics), add remote candidates, restart ICE, and destroy it.
 */
#ifndef MCU_ENDPOINT_H
#define MCU_ENDPOINT_H

#include "base/codec.h"
#include "base/profile.h"
#include "mixer/port.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct endpoint;
struct transport;
struct dtls_identity;
struct config;

#define ENDPOINT_ID_LEN 16        /* hex characters of an endpoint id */
#define ENDPOINT_MAX_CANDIDATES 16
#define ENDPOINT_CANDIDATE_LEN 256
#define ENDPOINT_MAX_PTS 4

/* What the server lends every endpoint; all borrowed, outliving endpoints. */
struct endpoint_env {
	struct transport *transport;
	struct dtls_identity *identity;
	const struct config *cfg;
};

/* What the offer said about the peer (all borrowed for the call). */
struct endpoint_params {
	const char *room;             /* for logs */
	const char *name;             /* display name, may be "" */
	enum profile_id profile;      /* what it asked for, parsed by signaling */
	const char *direction;        /* participant's view: sendrecv, sendonly, recvonly */
	const char *remote_ufrag;
	const char *remote_pwd;
	const char *remote_fingerprint; /* sha-256 */
	const char *const *remote_candidates; /* "candidate:..." values */
	int n_remote_candidates;
	int remote_end_of_candidates; /* nonzero: the peer will trickle no more */
	int audio_pts[ENDPOINT_MAX_PTS]; /* payload types counted as audio */
	int n_audio_pts;
	int video_pts[ENDPOINT_MAX_PTS]; /* payload types counted as video */
	enum codec_video video_codecs[ENDPOINT_MAX_PTS]; /* the codec of each */
	int n_video_pts;
	int audio_level_ext;          /* extmap id of ssrc-audio-level, 0 = none */
	int send_audio_pt, send_video_pt; /* what we send with, -1 = nothing */
	bool sends_audio, sends_video;       /* the peer sends us this */
	bool receives_audio, receives_video; /* we send the peer this */
};

/* Our side of the transport, for the answer. */
struct endpoint_local {
	char ice_ufrag[64];
	char ice_pwd[64];
	char candidates[ENDPOINT_MAX_CANDIDATES][ENDPOINT_CANDIDATE_LEN];
	int n_candidates;
	uint32_t audio_ssrc;          /* SSRCs we send with */
	uint32_t video_ssrc;
};

/* Receive figures of one media kind. */
struct endpoint_media_stats {
	uint32_t ssrc;                /* 0 until a packet arrived */
	uint64_t packets_in;          /* RTP packets decrypted */
	uint64_t bytes_in;            /* their payload bytes */
	uint64_t lost;                /* RFC 3550 cumulative loss */
	double jitter_ms;             /* RFC 3550 interarrival jitter */
};

/* A snapshot of an endpoint for the API; strings are static or copied. */
struct endpoint_info {
	char id[ENDPOINT_ID_LEN + 1];
	bool legacy;                  /* a plain RTP endpoint (rtpep.h), not WebRTC */
	char name[65];
	char profile[4];              /* the profile it asked for */
	int receiving_profile;        /* the one it gets now (enum profile_id), -1 none */
	char direction[10];
	int64_t joined_wall_us;
	const char *ice_state;        /* "new", "gathering", "connecting", "connected", "ready", "failed" */
	const char *ice_transport;    /* of the selected pair: "udp", "tcp"; "" before one */
	const char *dtls_state;       /* dtls_state_name() */
	const char *srtp_profile;     /* "" until keyed */
	struct endpoint_media_stats audio, video;
	uint64_t rtcp_in;             /* RTCP packets decrypted */
	uint64_t srtp_errors;         /* packets that failed to decrypt */
	uint64_t other_in;            /* datagrams of no known kind or payload type */
	uint64_t queue_dropped;       /* media dropped because the room fell behind */
	uint64_t rate_limited;        /* datagrams over max_packet_rate, dropped unread */
	uint64_t packets_out, bytes_out;
};

/*
 * Creates an endpoint: an ICE agent on the next transport thread, gathering
 * host candidates now (so the answer can carry them), the offer's remote
 * credentials and candidates set, and a DTLS session waiting for the peer's
 * ClientHello. Returns 0, MCU_EINVAL (a profile id out of range),
 * MCU_EPROTO (bad fingerprint), MCU_EIO when ICE could not gather a single
 * candidate, or MCU_ENOMEM; err says why.
 * Thread: any (an HTTP worker).
 */
int endpoint_create(const struct endpoint_env *env, const struct endpoint_params *params,
		    struct endpoint **out, char *err, size_t err_size);

/* Writes a new random participant id (ENDPOINT_ID_LEN hex characters, the
 * same for every kind of participant). Thread: any. */
void endpoint_new_id(char out[ENDPOINT_ID_LEN + 1]);

/* Stops the endpoint's transport on its thread, waits for that, then frees
 * everything; accepts NULL. Thread: any but the endpoint's own. */
void endpoint_destroy(struct endpoint *ep);

/* The endpoint's id (16 hex characters, random). Borrowed. Thread: any. */
const char *endpoint_id(const struct endpoint *ep);

/* Copies our side of the transport into *out. Thread: any. */
void endpoint_local(struct endpoint *ep, struct endpoint_local *out);

/* Fills a snapshot of the endpoint's identity and counters. Thread: any. */
void endpoint_get_info(struct endpoint *ep, struct endpoint_info *out);

/*
 * The endpoint as a participant (participant.h), self being the endpoint:
 * gone when it closed DTLS or nothing authenticated (SRTP or SRTCP) came
 * from it for media_timeout_s since it joined or last sent (its consent
 * expired; a failed ICE pair alone drops nobody); trickle adds
 * "candidate:..." values (unparseable ones, such as mDNS names, skipped);
 * restart_ice makes new local credentials, DTLS and SRTP carrying on.
 * Static. Thread: any.
 */
struct participant_ops;
const struct participant_ops *endpoint_participant_ops(void);

/* The media port the room's mixer drives (port.h); the endpoint itself is
 * the port's pointer. Static. Thread: any. */
const struct port_ops *endpoint_port_ops(void);

/* What the port is, for the mixer. Thread: any. */
void endpoint_port_info(const struct endpoint *ep, struct port_info *out);

#endif
