/*
 * cost.h - what rooms cost the CPU, estimated from what they run, for
 * admission control (ARCHITECTURE.md): a room costs one video and one
 * audio decode per sender, one video encode per output in use (profile and
 * packetization mode), one audio encode per mixed speaker that listens plus
 * the shared mix, and packetization per receiver. The unit prices are the
 * reference figures of this machine kind (TESTING.md), in CPU-seconds per
 * media-second. Plain data and pure functions. Thread: any.
 */
#ifndef MCU_COST_H
#define MCU_COST_H

#include "mixer/port.h"

#include <stdbool.h>
#include <stdint.h>

struct cost_room {
	int video_senders, audio_senders;
	int receivers, audio_receivers;
	unsigned outputs;          /* bit profile * 2 + (mode 0 ? 1 : 0) */
	int max_mixed;             /* max_mixed_speakers */
	bool recording;            /* keeps the hd encoder running */
};

/* Starts an empty room's tally. */
void cost_room_init(struct cost_room *r, int max_mixed, bool recording);

/* Adds one participant as its port describes it. */
void cost_room_add(struct cost_room *r, const struct port_info *p);

/* The room's estimated CPU-seconds per media-second. */
double cost_room_estimate(const struct cost_room *r);

/*
 * What a participant is charged before its media can flow (a WebRTC
 * endpoint before DTLS is done and SRTP keyed): COST_PENDING, the
 * handshake's share, for COST_PENDING_US after it joined, then nothing.
 * ICE has given up by then (about 7 s without a pair), so offers that
 * never do ICE cannot fill the budget while they wait for media_timeout_s.
 * Returns true when it is charged fully (ready), else false with *pending.
 */
#define COST_PENDING 0.01          /* CPU-s per s */
#define COST_PENDING_US 10000000
bool cost_charged_fully(bool ready, int64_t age_us, double *pending);

/*
 * Parses the cpu_budget setting: "auto" (0.9 of the cores online), "off"
 * or "0" (no limit: returns 0), or a positive number of CPU-seconds per
 * second. Returns 0 with *out, or MCU_EINVAL.
 */
int cost_parse_budget(const char *text, double *out);

#endif
