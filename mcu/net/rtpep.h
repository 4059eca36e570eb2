/*
 * rtpep.h - one legacy participant's plain RTP transport (API.md section 3):
 * no ICE, no DTLS, no SRTP. UDP sockets on ports from the configured range
 * send the room's media to the address and ports of the endpoint's offer and
 * receive what it sends (from the offer's address, any source port).
 *
 * It is a media port like a WebRTC endpoint (port.h): the room drives it
 * the same way. A sender's sockets are read by the room thread (port op
 * pull), a receive-only endpoint's on one transport thread. Liveness is
 * proven only by what the endpoint itself sends: its media or its RTCP (a
 * receive-only endpoint's receiver reports). That what we send is not
 * refused proves nothing: any address that drops UDP silently would keep a
 * stream flowing to it for as long as the room lives.
 */
#ifndef MCU_RTPEP_H
#define MCU_RTPEP_H

#include "endpoint.h"
#include "base/codec.h"
#include "base/profile.h"
#include "mixer/port.h"

#include <stdbool.h>
#include <stdint.h>

struct rtpep;

/* What the offer and negotiation said (all borrowed for the call). */
struct rtpep_params {
	const char *room;             /* for logs */
	const char *name;
	enum profile_id profile;      /* what it asked for, parsed by signaling */
	const char *direction;        /* participant's view, for the API */
	const char *remote_addr;      /* where its media goes (IPv4 or IPv6 literal) */
	int audio_port, audio_rtcp_port; /* 0: no audio */
	int video_port, video_rtcp_port; /* 0: no video */
	bool sends_audio, receives_audio, sends_video, receives_video;
	int audio_pt;
	enum codec_audio audio_codec;
	int video_pt;                 /* H.264, both ways */
	int packetization_mode;       /* of the H.264 we send it: 0 or 1 */
	int audio_level_ext;          /* extmap id of its RFC 6464 audio levels; 0: none */
};

/* Our side, for the answer. */
struct rtpep_local {
	char addr[64];                /* the address it should send to */
	int audio_port, video_port;   /* 0 when that media is absent */
	uint32_t audio_ssrc, video_ssrc;
};

/*
 * Opens the sockets (an even RTP port and the RTCP port after it, from
 * rtp_port_min..rtp_port_max) and starts serving them. Returns 0,
 * MCU_EINVAL (bad address, a profile id out of range), MCU_ELIMIT (no free port pair) or MCU_EIO;
 * err says why. Thread: any (an HTTP worker).
 */
int rtpep_create(const struct endpoint_env *env, const struct rtpep_params *p,
		 struct rtpep **out, char *err, size_t err_size);

/* Stops serving (on its thread, waiting for it) and frees; accepts NULL.
 * The room must have let go of its port first. Thread: any but its own. */
void rtpep_destroy(struct rtpep *r);

const char *rtpep_id(const struct rtpep *r);             /* borrowed */
void rtpep_local(const struct rtpep *r, struct rtpep_local *out);
void rtpep_get_info(struct rtpep *r, struct endpoint_info *out);
const struct port_ops *rtpep_port_ops(void);
void rtpep_port_info(const struct rtpep *r, struct port_info *out);

/* The endpoint as a participant (participant.h), self being the rtpep:
 * gone after rtp_timeout_s without its media or RTCP. Static. Thread: any. */
struct participant_ops;
const struct participant_ops *rtpep_participant_ops(void);

/* Monotonic µs when media or RTCP last came from it (see above), or when
 * it was made. Thread: any. */
int64_t rtpep_last_alive_us(struct rtpep *r);

#endif
