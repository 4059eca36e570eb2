/*
 * mix_internal.h - what the room thread's three files share: the room
 * (struct mix), a participant (struct mix_part) and the entry points of the
 * audio and video halves of a tick. Not part of mix.h's interface.
 */
#ifndef MCU_MIX_INTERNAL_H
#define MCU_MIX_INTERNAL_H

#include "mix.h"
#include "adapt.h"
#include "amix.h"
#include "canvas.h"
#include "ajb.h"
#include "vjb.h"
#include "codecs/acodec.h"
#include "base/profile.h"
#include "codecs/vdec.h"
#include "codecs/venc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define MIX_RTP_PAYLOAD 1200       /* RTP payload bytes: fits any path MTU with SRTP */
#define MIX_SEND_BUF (MIX_RTP_PAYLOAD + 12 + 64)
#define MIX_HISTORY 512            /* packets kept per profile for NACKs (~1 s of hd) */
#define MIX_MAX_AU (1 << 20)       /* largest inbound access unit */
#define MIX_MAX_PACKET_48K 9600    /* longest audio packet, 200 ms, at 48 kHz */
/* Video outputs: one per profile and packetization mode in use. */
#define MIX_OUTPUTS (PROFILE_COUNT * 2)

struct AVFrame;

struct mix_part {
	struct port_info info;
	const struct port_ops *ops;
	void *port;

	/* Audio in. */
	int slot;                      /* amix slot, -1 none (sends no audio) */
	struct ajb *ajb;
	struct adec *adec;
	int16_t pcm[AMIX_FRAME + MIX_MAX_PACKET_48K];
	int pcm_len;                   /* decoded samples waiting */
	int level;                     /* RFC 6464 level of this tick, -1 none */
	int conceal_left;              /* PLC frames allowed before silence */
	bool skipping;                 /* its last packet was not decoded (quiet, unmixed) */
	int probe_in;                  /* flag-quiet packets to skip before one is decoded */
	bool decoded;                  /* the decoder ran this tick */

	/* Audio out. */
	struct aenc *minus_enc;        /* while it is a mixed speaker that listens */
	struct amix_limiter minus_lim;
	uint16_t audio_seq;

	/* Video in. vlock guards vjb, video_ssrc_in, video_pt_in and
	 * ssrc_changed: the room thread inserts, the video job pops. */
	pthread_mutex_t vlock;
	bool ssrc_changed;             /* the sender changed SSRC: ask for a keyframe */
	int video_pt_in;               /* payload type of its newest video packet */
	struct vjb *vjb;
	struct vdec *vdec;
	int vdec_pt;
	uint32_t video_ssrc_in;
	struct AVFrame *picture;       /* newest decoded picture (a reference) */
	uint64_t picture_gen;          /* pictures decoded so far */
	int64_t picture_us;            /* when the newest arrived, 0 never */
	int tile;                      /* its tile in the last composite + 1, 0 none */
	int drawn_tick;                /* tick_no of its last draw as it decoded */
	int64_t last_pli_us;
	bool want_keyframe;            /* decoding is broken until a keyframe */

	/* Video out. */
	struct adapt adapt;
	_Atomic int profile_now;       /* published copy of adapt.current */
	int profile;                   /* the profile whose packets it gets */
	int out;                       /* its output: profile * 2 + (mode 0 ? 1 : 0) */
	int32_t seq_offset;            /* its video seq = profile seq + offset */
	uint16_t video_seq;            /* next seq it gets */
	bool sendable;                 /* its transport can carry what we send */
	bool started_video;            /* has had a keyframe of its profile */
	uint64_t bytes_window;         /* video bytes sent since window_us */
	int64_t window_us;
	uint32_t sent_bps;
};

enum mix_cmd_kind { MIX_CMD_ADD, MIX_CMD_REMOVE, MIX_CMD_SNAPSHOT };

struct mix_cmd {
	enum mix_cmd_kind kind;
	struct mix_part *part;         /* add: the new one; remove: the removed one */
	void *port;                    /* remove: which */
	struct AVFrame *picture;       /* snapshot: a copy of the canvas out, or NULL */
	int result;
	bool done;
	bool detached;                 /* its caller stopped waiting: the room frees it */
	struct mix_cmd *next;
};

/* One packet of a profile's output, kept for retransmission. */
struct mix_sent {
	uint16_t seq;                  /* the profile's own numbering */
	uint32_t ts;
	bool marker;
	int64_t capture_us;
	uint16_t len;
	uint8_t payload[MIX_RTP_PAYLOAD];
};

/* One video output (a profile in one packetization mode): its encoder and
 * its packets. */
struct mix_vout {
	bool active;                   /* some receiver takes it */
	struct venc *enc;
	/* x264 takes up to a few hundred ms to open: a thread of its own does
	 * it, so the room thread never stalls on a new profile. */
	bool opening;                  /* opener runs; room thread's flag */
	pthread_t opener;
	struct venc_config open_cfg;   /* read by the opener */
	struct venc *_Atomic opened;   /* what it made (NULL on failure) */
	atomic_bool open_done;
	int64_t open_failed_us;        /* when opening last failed, 0 never */
	int64_t last_idr_us;
	bool idr_pending;
	uint16_t seq;                  /* next profile seq */
	struct mix_sent *history;      /* MIX_HISTORY packets, ring by seq */
};

struct mix_published {
	_Atomic int participants, video_decoders, audio_decoders;
	_Atomic int video_encoders, audio_encoders, video_senders;
	_Atomic unsigned profiles_mask;
	_Atomic uint64_t ticks, overruns, frames_composed, frames_encoded, keyframes;
	_Atomic uint64_t tick_us_last, tick_us_max, decode_us, encode_us, dropped_packets;
	_Atomic uint64_t audio_skipped; /* audio packets not decoded (could not be mixed) */
	_Atomic uint64_t audio_misses, video_misses; /* ticks that ran late, per medium */
	_Atomic uint64_t cpu_us;       /* CPU time of the room's work */
};

struct mix {
	struct mix_config cfg;
	char room[65];
	char preset[32];
	int64_t origin_us;             /* the room clock's zero */
	_Atomic int layout;

	pthread_t thread;
	bool started;
	pthread_mutex_t lock;          /* guards cmds, stop, rec_want*, and writes to parts */
	pthread_cond_t wake;           /* CLOCK_MONOTONIC */
	pthread_cond_t done;           /* CLOCK_MONOTONIC */
	struct mix_cmd *cmds;
	bool stop;
	_Atomic int stall_ms;          /* test hook: sleep this long at the next wake */

	/* The video work of a tick runs as a job on a pool shared by every
	 * room (cfg.pool, or own_pool of one thread when none is given), so
	 * the room thread's audio never waits for it. While video_busy, the
	 * job may read parts and owns everything of video: commands wait. */
	struct workq *pool, *own_pool;
	_Atomic bool video_busy;
	int64_t video_capture_us;      /* the tick the job makes */
	_Atomic int loudest;           /* the audio's loudest slot, for the speaker layout */
	_Atomic int burn_ms;           /* test hook: CPU to spin at each video tick */

	struct mix_part **parts;       /* join order */
	int n_parts, cap_parts;
	struct port_packet inbound;    /* scratch for one packet */

	/* Audio (mixaudio.c). */
	struct amix_speakers speakers;
	struct mix_part **slots;       /* speakers.capacity of them; NULL free */
	int *levels;                   /* speakers.capacity: one tick's levels */
	struct aenc *full_enc[CODEC_AUDIO_COUNT]; /* the full mix, per codec in use */
	struct amix_limiter full_lim;
	int32_t sum[AMIX_FRAME];
	int32_t minus[AMIX_FRAME];
	int16_t out_pcm[AMIX_FRAME];

	/* Video (mixvideo.c). */
	struct canvas *canvas;
	struct mix_vout vout[MIX_OUTPUTS];
	uint8_t *au;                   /* MIX_MAX_AU + VDEC_PADDING: one inbound frame */
	int tick_no;

	/* The recording tee (recorder/recorder.h), NULL when not recording;
	 * the room thread takes rec_want at its next wake (change rec_gen). */
	struct recorder *rec;
	bool rec_opus;
	struct recorder *rec_want;
	bool rec_want_opus;
	uint64_t rec_gen;              /* changes asked for */
	_Atomic uint64_t rec_gen_done; /* changes the room thread made */

	/* The last snapshot, kept a second (any thread, under snap_lock). */
	pthread_mutex_t snap_lock;
	uint8_t *snap;
	size_t snap_len;
	int64_t snap_us;

	uint8_t audio_sendbuf[MIX_SEND_BUF]; /* the room thread's */
	uint8_t video_sendbuf[MIX_SEND_BUF]; /* the video job's */
	struct mix_published pub;

	/* Falling behind real time, logged once per episode (room thread). */
	bool behind;
	int64_t last_miss_us, behind_since_us;
	uint64_t behind_audio0, behind_video0; /* misses when it began */
};

/* The output a receiver of profile with H.264 packetization mode takes. */
static inline int mix_output(int profile, int mode)
{
	return profile * 2 + (mode == 0 ? 1 : 0);
}

/* Room-clock timestamps of a capture time. */
static inline uint32_t mix_ts(const struct mix *m, int64_t capture_us, int rate)
{
	return (uint32_t)((capture_us - m->origin_us) * rate / 1000000);
}

int mixaudio_init(struct mix *m);
void mixaudio_fini(struct mix *m);
int mixaudio_assign_slot(struct mix *m, struct mix_part *p);
void mixaudio_release_slot(struct mix *m, struct mix_part *p);
void mixaudio_input(struct mix *m, struct mix_part *p, const struct port_packet *pkt, int64_t now);
void mixaudio_tick(struct mix *m, int64_t capture_us);

int mixvideo_init(struct mix *m);
void mixvideo_fini(struct mix *m);
/* Room thread: a video packet into its sender's buffer (under vlock). */
void mixvideo_input(struct mix *m, struct mix_part *p, const struct port_packet *pkt, int64_t now);
/* Video job, or the room thread while no job runs. */
void mixvideo_request_keyframe(struct mix *m, struct mix_part *p, int64_t now);
void mixvideo_receiver_joined(struct mix *m, struct mix_part *p);
/* Video job: decodes what arrived, makes the tick's frame, answers feedback. */
void mixvideo_decode(struct mix *m, int64_t now);
void mixvideo_tick(struct mix *m, int64_t capture_us);
void mixvideo_service(struct mix *m, int64_t now);

#endif
