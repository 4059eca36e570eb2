/*
 * port.h - a participant's media port: what the room thread (mixer/) needs
 * of a transport, whatever it is (a WebRTC endpoint, a plain-RTP endpoint).
 *
 * The transport parses inbound RTP and queues it (on its own thread, or in
 * pull, on the room thread); the room thread takes it with recv, sends the
 * room's output with send_rtp (the transport protects and sends it), asks a
 * sender for keyframes and retransmissions, and takes the receiver's
 * feedback. Every op runs on the room thread; the transport makes them safe
 * against its own thread. Plain data and a vtable.
 */
#ifndef MCU_PORT_H
#define MCU_PORT_H

#include "base/codec.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PORT_MAX_PAYLOAD 1500
#define PORT_MAX_PTS 4
#define PORT_MAX_NACKS 64

enum port_media { PORT_AUDIO = 0, PORT_VIDEO = 1 };

/* One inbound RTP packet, already decrypted and parsed. */
struct port_packet {
	enum port_media kind;
	uint8_t pt;
	bool marker;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	int audio_level;          /* RFC 6464 level 0..127, -1 when absent */
	int64_t arrival_us;       /* monotonic */
	size_t len;               /* payload bytes */
	uint8_t payload[PORT_MAX_PAYLOAD];
};

/* What a receiver said about what we send it, since the last take. */
struct port_feedback {
	bool keyframe;            /* PLI or FIR for our video */
	uint32_t remb_bps;        /* the newest REMB estimate, 0 none */
	int loss_fraction;        /* the newest RR loss fraction of our video, 0..255, -1 none */
	int n_nacks;
	uint16_t nacks[PORT_MAX_NACKS]; /* video sequence numbers it lacks */
};

/* What the port is: fixed for its life. */
struct port_info {
	char id[17];              /* participant id, for logs */
	bool sends_audio, sends_video;       /* we receive from it */
	bool receives_audio, receives_video; /* we send to it */
	int profile;              /* enum profile_id it asked for */
	bool feedback;            /* it can ask for keyframes (RTCP PLI/FIR) */
	int packetization_mode;   /* of the H.264 we send it: 1, or 0 */
	uint32_t audio_ssrc, video_ssrc;     /* SSRCs we send it with */
	int audio_pt, video_pt;   /* payload types we send it with */
	enum codec_audio audio_codec; /* of its audio, both ways */
	int video_pts[PORT_MAX_PTS];         /* payload types it sends video with */
	enum codec_video video_codecs[PORT_MAX_PTS];
	int n_video_pts;
};

struct port_ops {
	/* Optional (NULL: a transport thread queues what arrives). Reads and
	 * queues what arrived since the last call; the room thread calls it at
	 * each of its wakes, before recv, so the transport needs no wakeup of
	 * its own per datagram. */
	void (*pull)(void *port);
	/* Takes the next inbound packet into *out. Returns 1, or 0 when none. */
	int (*recv)(void *port, struct port_packet *out);
	/* Sends one RTP packet of ours (header written by the room): pkt is
	 * len bytes in a buffer of cap >= len + 32 bytes the transport may
	 * change. capture_us: the room-clock time its timestamp stands for. */
	void (*send_rtp)(void *port, enum port_media kind, uint8_t *pkt, size_t len,
			 size_t cap, int64_t capture_us);
	/* Asks the sender for a video keyframe (PLI). */
	void (*request_keyframe)(void *port);
	/* Asks the sender to resend video packets (generic NACK). */
	void (*nack)(void *port, const uint16_t *seqs, int n);
	/* Takes and clears the receiver's feedback. */
	void (*feedback)(void *port, struct port_feedback *out);
	/* Can what send_rtp sends reach the receiver yet (keys, path)? The
	 * room starts a receiver's video at a keyframe made once it can. */
	bool (*ready)(void *port);
};

#endif
