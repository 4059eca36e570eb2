/*
 * lgnet.h - the load generator's endpoints and the one media thread that
 * drives them: each endpoint has a UDP socket per media on 127.0.0.1 (RTCP
 * muxed), replays its clips as RTP paced by their timestamps, and counts,
 * and when asked decodes, what the server sends it.
 *
 * The control thread adds endpoints and reads their counters while the
 * media thread runs; an endpoint is never removed before lgnet_destroy
 * (a participant that leaves just stops sending), so indexes stay valid.
 */
#ifndef LG_LGNET_H
#define LG_LGNET_H

#include "lgmedia.h"

#include <stdbool.h>
#include <stdint.h>

struct lgnet;

enum lgmedia_kind { LG_VIDEO = 0, LG_AUDIO = 1 };

/* The extmap id of the audio level extension in the offers (lghttp.c). */
#define LG_AUDIO_LEVEL_EXT 1

/* What an endpoint does (clips borrowed: they must outlive the net). */
struct lgep_config {
	const struct lgclip *video, *audio;   /* what it sends; NULL: none of it */
	bool video_port, audio_port;          /* has that media at all (sending implies it) */
	bool decode_video, decode_audio;      /* decode what arrives: flash and click detection */
	int luma_x, luma_y, luma_w, luma_h;   /* the picture region judged for the flash */
	/* Its clock runs slow by this many parts per million (by media): a real
	 * sender's clock is never the server's, so the phase of its frames
	 * against the room's ticks moves; 0: exactly nominal. */
	int slow_ppm[2];
};

/* What one media of an endpoint received. Times: CLOCK_MONOTONIC µs, 0 never. */
struct lgrx_stats {
	uint64_t packets, bytes, frames, keyframes, lost, rtcp, plis;
	int64_t first_us, last_us, first_key_us;
};

struct lgep_stats {
	struct lgrx_stats rx[2];              /* by enum lgmedia_kind */
	uint64_t sent_frames[2], sent_packets[2], late_resyncs;
	uint64_t pictures;                    /* decoded (decode_video) */
	int64_t first_picture_us;             /* when the first decoded picture was ready */
};

/* Makes the net for at most max_eps endpoints (seed: the senders' start
 * phases). Returns 0, MCU_ENOMEM or MCU_EIO. Thread: control. */
int lgnet_create(int max_eps, unsigned seed, struct lgnet **out);

/* Starts the media thread. Returns 0 or MCU_EIO. */
int lgnet_start(struct lgnet *n);

/* Stops the thread, closes every socket, frees; accepts NULL. */
void lgnet_destroy(struct lgnet *n);

/* Adds an endpoint: binds its sockets and starts receiving. Our ports go
 * to *video_port and *audio_port (0 for an absent media). Returns its index
 * (>= 0), MCU_ELIMIT (max_eps reached), MCU_ENOMEM or MCU_EIO. */
int lgnet_add(struct lgnet *n, const struct lgep_config *cfg, int *video_port, int *audio_port);

/* Starts sending to the server's ports (from the join's answer), at a
 * random phase within one frame. Thread: control. */
void lgnet_send_to(struct lgnet *n, int ep, int video_port, int audio_port);

/* Sends only RTCP receiver reports to the server's ports, once a second
 * per media, as a receive-only peer must to stay in the room. lgnet_send_to
 * sends them too. Thread: control. */
void lgnet_report_to(struct lgnet *n, int ep, int video_port, int audio_port);

/* Stops sending (the participant left). Thread: control. */
void lgnet_stop(struct lgnet *n, int ep);

/* A snapshot of its counters. Thread: any. */
void lgnet_get_stats(struct lgnet *n, int ep, struct lgep_stats *out);

/*
 * Event times (CLOCK_MONOTONIC µs) of one media of an endpoint, at most
 * max, oldest first. sent true: when it sent its clip's event (the flash
 * frame, or the click: the packet's send time plus the click's offset in
 * it at 48 kHz); false: when a decoded event arrived (the first bright
 * picture after dark ones; the first loud sample after 200 ms of quiet, at
 * its offset from its packet's arrival). Returns the count.
 */
int lgnet_events(struct lgnet *n, int ep, enum lgmedia_kind kind, bool sent, int64_t *out, int max);

/* CLOCK_MONOTONIC in µs (the clock of every time above). */
int64_t lgnet_now_us(void);

#endif
