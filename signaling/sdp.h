/*
 * sdp.h - SDP offers in, as plain data (RFC 8866, 8829, 8843, 5763, 8839).
 *
 * sdp_parse() turns offer text into a struct sdp_offer; sdp_parse_frag()
 * reads the trickle-ice-sdpfrag bodies of WHIP PATCH (RFC 8840). What the
 * server answers is decided and written elsewhere, from the same data:
 * sdpanswer.h for WebRTC offers, sdprtp.h for plain RTP ones (legacy
 * endpoints). Their negotiation results are plain data too and are declared
 * here, beside the offer they describe, with the few helpers both use.
 *
 * Everything here is plain data and pure functions: no allocation beyond the
 * caller's structs, no I/O, no global state. Thread: any.
 */
#ifndef MCU_SDP_H
#define MCU_SDP_H

#include "base/codec.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SDP_MAX_MEDIA 8
#define SDP_MAX_CODECS 64      /* Chromium offers over 30 video formats */
#define SDP_MAX_EXTMAPS 16
#define SDP_MAX_CANDIDATES 32
#define SDP_CANDIDATE_LEN 256   /* one "candidate:..." attribute value */
#define SDP_FINGERPRINT_LEN 100 /* "AB:CD:..." of sha-256 is 95 chars */

/* Header extensions the server reads and offers back (RFC 6464, 8843). */
#define SDP_URI_AUDIO_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define SDP_URI_MID "urn:ietf:params:rtp-hdrext:sdes:mid"

enum sdp_kind { SDP_KIND_AUDIO, SDP_KIND_VIDEO, SDP_KIND_APPLICATION, SDP_KIND_OTHER };
enum sdp_direction { SDP_SENDRECV, SDP_SENDONLY, SDP_RECVONLY, SDP_INACTIVE };
enum sdp_setup { SDP_SETUP_NONE, SDP_SETUP_ACTPASS, SDP_SETUP_ACTIVE, SDP_SETUP_PASSIVE };

/* One a=rtpmap payload type with its a=fmtp and a=rtcp-fb. */
struct sdp_codec {
	int pt;                     /* payload type, 0..127 */
	char name[32];              /* encoding name as written ("H264", "opus") */
	int clock_rate;             /* Hz */
	int channels;               /* audio channels; 0 when not given */
	char fmtp[256];             /* the a=fmtp parameters, "" when none */
	int packetization_mode;     /* H.264 only; 0 when absent */
	char profile_level_id[8];   /* H.264 only; 6 hex digits, "" when absent */
	int apt;                    /* rtx only: the associated payload type, -1 */
	bool fb_nack, fb_pli, fb_fir, fb_remb, fb_transport_cc;
};

struct sdp_extmap {
	int id;                     /* 1..14 (one-byte) or 1..255 (two-byte) */
	char uri[128];
};

/* One m= section. ICE and DTLS fields hold the media-level value, or the
 * session-level one when the media section has none. */
struct sdp_media {
	enum sdp_kind kind;
	char kind_name[16];         /* "audio", "video", ... as written */
	int port;                   /* 0 = disabled, unless bundle_only */
	bool bundle_only;           /* a=bundle-only: port 0 but live in the BUNDLE (RFC 8843) */
	char proto[32];             /* "UDP/TLS/RTP/SAVPF", "RTP/AVP", ... */
	char first_fmt[32];         /* first format token of the m= line */
	char mid[33];               /* a=mid, "" when absent */
	enum sdp_direction direction;
	char conn_addr[64];         /* c= address (media level, else session) */
	bool rtcp_mux;
	int rtcp_port;              /* a=rtcp port, 0 when absent */
	char ice_ufrag[257];
	char ice_pwd[257];
	char fingerprint_alg[16];   /* lower case: "sha-256" */
	char fingerprint[SDP_FINGERPRINT_LEN]; /* upper-case hex with colons */
	enum sdp_setup setup;
	struct sdp_codec codecs[SDP_MAX_CODECS];
	int n_codecs;
	struct sdp_extmap extmaps[SDP_MAX_EXTMAPS];
	int n_extmaps;
	char candidates[SDP_MAX_CANDIDATES][SDP_CANDIDATE_LEN]; /* without "a=" */
	int n_candidates;
	bool end_of_candidates;
	uint32_t ssrc;              /* first a=ssrc, 0 when none */
	char msid[128];             /* a=msid value, "" when absent */
};

struct sdp_offer {
	char origin_session[32];    /* o= sess-id */
	bool ice_lite;
	char bundle_mids[SDP_MAX_MEDIA][33]; /* first a=group:BUNDLE, in order */
	int n_bundle;
	struct sdp_media media[SDP_MAX_MEDIA];
	int n_media;
};

/*
 * Parses offer text (len bytes, need not be NUL-terminated). Lines may end in
 * CRLF or LF. Unknown attributes are skipped. Formats, candidates and extmaps
 * past the SDP_MAX_* limits are dropped (no peer needs that many), but more
 * than SDP_MAX_MEDIA m= sections is an error. Returns 0, or MCU_EPROTO with a
 * human-readable reason in err ("line 7: m= line has no port") when the text
 * is not SDP.
 */
int sdp_parse(const char *text, size_t len, struct sdp_offer *out,
	      char *err, size_t err_size);

/* ---- WebRTC negotiation (sdpanswer.h) ----------------------------- */

/* What the server takes from one offered m= section. */
struct sdp_media_answer {
	bool accepted;              /* false: answered with port 0 */
	enum sdp_direction direction; /* the answer's direction, from our side */
	int recv_pts[4];            /* payload types we accept from the peer */
	enum codec_video recv_codecs[4]; /* video: the codec of each of recv_pts */
	int n_recv_pts;
	int send_pt;                /* payload type we send, -1 when we send nothing */
	int recv_rtx_pts[4];        /* unused for now: no rtx negotiated */
	int audio_level_ext;        /* extmap id of ssrc-audio-level, 0 = none */
	int mid_ext;                /* extmap id of sdes:mid, 0 = none */
};

struct sdp_negotiation {
	struct sdp_media_answer media[SDP_MAX_MEDIA]; /* parallel to offer->media */
	int audio_index;            /* index of the accepted audio m=, -1 */
	int video_index;            /* index of the accepted video m=, -1 */
	bool peer_sends;            /* some accepted m= carries media to us */
	bool peer_receives;         /* some accepted m= carries media from us */
};

/* What the answer says about the server's side of the transport (read by
 * sdpanswer_build()). */
struct sdp_local {
	const char *ice_ufrag;
	const char *ice_pwd;
	const char *fingerprint;    /* sha-256, upper-case hex with colons */
	const char *const *candidates; /* "candidate:..." values */
	int n_candidates;
	uint32_t audio_ssrc;        /* SSRCs of what we send */
	uint32_t video_ssrc;
	const char *cname;
	const char *stream_id;      /* msid stream id of what we send */
	uint64_t session_id;        /* o= sess-id */
};

/* ---- plain RTP negotiation (sdprtp.h; legacy endpoints, API.md section 3) */

/* What the server takes from one m= of a plain RTP/AVP offer. */
struct sdp_rtp_media {
	bool accepted;
	int index;                  /* its m= in the offer, -1 when none */
	char addr[64];              /* where to send: the c= address */
	int port;                   /* its RTP port */
	int rtcp_port;              /* its RTCP port: a=rtcp, else port + 1; = port when muxed */
	bool rtcp_mux;              /* a=rtcp-mux offered (and answered) */
	enum sdp_direction direction; /* the answer's direction, from our side */
	int pt;                     /* the payload type both sides use */
	char codec[32];             /* encoding name as offered ("PCMU", "H264", ...) */
	int clock_rate;
	int packetization_mode;     /* H.264: 0 or 1 (absent means 0, RFC 6184) */
	char profile_level_id[8];   /* H.264, "" when absent */
	int audio_level_ext;        /* audio: extmap id of ssrc-audio-level (RFC 6464), 0 = none */
};

struct sdp_rtp_negotiation {
	struct sdp_rtp_media audio, video;
	enum codec_audio audio_codec; /* audio.codec's id, when audio is accepted */
	bool peer_sends;            /* some accepted m= carries media to us */
	bool peer_receives;         /* some accepted m= carries media from us */
};

/* Our side of a plain RTP session. */
struct sdp_rtp_local {
	const char *addr;           /* our address, as the peer should send to it */
	int audio_port, video_port; /* our RTP ports (RTCP is the next one up unless muxed) */
	uint32_t audio_ssrc, video_ssrc;
	uint64_t session_id;
};

/* ---- trickle ICE ---------------------------------------------------- */

/* A trickle-ice-sdpfrag body (RFC 8840). */
struct sdp_frag {
	char ice_ufrag[257];        /* "" when absent */
	char ice_pwd[257];
	char candidates[SDP_MAX_CANDIDATES][SDP_CANDIDATE_LEN];
	int n_candidates;
	bool end_of_candidates;
};

/* Parses an sdpfrag body. Returns 0 or MCU_EPROTO with a reason in err. */
int sdp_parse_frag(const char *text, size_t len, struct sdp_frag *out,
		   char *err, size_t err_size);

/* ---- shared by the parser and the answer modules ------------------- */

/*
 * Writes a printf-style reason into err (size bytes, NUL-terminated; nothing
 * when err is NULL or size is 0) and returns code, so that a refusal is one
 * statement: "return sdp_fail(err, size, MCU_EPROTO, ...);".
 */
int sdp_fail(char *err, size_t size, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The id m's a=extmap gives uri, or 0 when it has none. */
int sdp_find_extmap(const struct sdp_media *m, const char *uri);

/* Our direction in an answer to an m= offered as offered, when we can_send
 * (or cannot) media on it: RFC 3264 section 6.1 from the answerer's side. */
enum sdp_direction sdp_answer_direction(enum sdp_direction offered, bool can_send);

/* The attribute name of d ("sendrecv", ...), static. */
const char *sdp_direction_name(enum sdp_direction d);

#endif
