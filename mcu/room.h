/*
 * room.h - one room: its participants, its mixer, its recording, its
 * settings, and its life from creation to its end.
 *
 * A room is shared by reference. The registry's table holds one; every
 * call in progress holds its own (room_ref), so a room ended meanwhile is
 * freed by whoever lets go of it last, never under a caller's feet.
 *
 * The room's lock guards its participants and settings. It is never held
 * across a wait on the room's thread: joining, leaving and recording hand
 * the mixer a command outside it, and each such wait is bounded (the
 * mixer's command_timeout_ms). A room whose thread is stuck fails its own
 * joins with MCU_ETIMEDOUT and slows nothing else.
 */
#ifndef MCU_ROOM_H
#define MCU_ROOM_H

#include "mcu/net/endpoint.h"
#include "participant.h"
#include "mixer/mix.h"
#include "recorder/recorder.h"

#include <stdbool.h>
#include <stdint.h>

struct room;
struct config;

#define ROOM_NAME_MAX 64

struct room_settings {
	char layout[16];           /* "grid" or "speaker" */
	bool record;
	int max_participants;      /* 1..1000 */
};

/* A snapshot of one room. */
struct room_info {
	char name[ROOM_NAME_MAX + 1];
	struct room_settings settings;
	int64_t created_wall_us;
	int n_participants;
	struct mix_stats mixer;       /* what the room's mixer runs now */
	double cost_model;            /* CPU-s per s the cost model gives it now */
	double cost_measured;         /* what its work took lately; -1 until known */
};

/* What a room tells a listener (the registry, and through it the webhooks). */
enum room_event_type {
	ROOM_STARTED,
	ROOM_ENDED,                   /* reason: "empty", "deleted", "shutdown" */
	ROOM_JOINED,                  /* participant */
	ROOM_LEFT,                    /* participant; reason: "left", "room ended", or why it was dropped */
	ROOM_RECORDING_FINISHED,      /* recording: its final status */
};

struct room_event {
	enum room_event_type type;
	const char *room;
	const struct endpoint_info *participant;
	const char *reason;
	const struct recorder_status *recording;
};

/* Every pointer in ev is borrowed for the call. */
typedef void room_listener_fn(void *ctx, const struct room_event *ev);

/* What every room of a server shares; borrowed, it outlives them. The
 * listener runs on the thread that caused the event, at times with the
 * room's lock held: it must be quick and must not call the room. */
struct room_context {
	const struct config *cfg;
	struct workq *media_pool;     /* runs every room's video work (mix_config.pool) */
	room_listener_fn *listener;
	void *listener_ctx;
};

/* Traffic of participants: counters that only grow, as /metrics needs. */
struct room_traffic {
	uint64_t audio_packets_in, audio_bytes_in;
	uint64_t video_packets_in, video_bytes_in;
	uint64_t rtcp_in, srtp_errors, other_in;
	uint64_t packets_out, bytes_out;
};

/* Adds one participant's counters to t. Thread: any. */
void room_traffic_add(struct room_traffic *t, const struct endpoint_info *p);

/* Is name 1..64 of [A-Za-z0-9_-]? Thread: any. */
bool room_valid_name(const char *name);

/* Is layout one we build ("grid", "speaker")? Thread: any. */
bool room_valid_layout(const char *layout);

/* Are the settings valid (layout, 1..1000 participants)? Thread: any. */
bool room_valid_settings(const struct room_settings *s);

/* Makes a room and its mixer thread, recording when s->record, and tells
 * ROOM_STARTED. *out holds the caller's reference. Returns 0, MCU_EINVAL or
 * MCU_ENOMEM. Thread: any. */
int room_create(const struct room_context *ctx, const char *name, const struct room_settings *s,
		struct room **out);

/* Takes one more reference. Thread: any. */
void room_ref(struct room *r);

/* Lets go of a reference; the last one ends the room (room_end's "ended"
 * reason, or "shutdown"), then frees it: its participants leave, its
 * recording is finished, ROOM_ENDED is told. Accepts NULL. Thread: any but
 * the room's, holding no lock of a room. */
void room_unref(struct room *r);

/* The room's name; borrowed for as long as the reference. Thread: any. */
const char *room_name(const struct room *r);

/* Ends the room: it takes no more joins, and is torn down when the last
 * reference goes; why (static text) is the reason of its ROOM_ENDED.
 * Thread: any. */
void room_end(struct room *r, const char *why);

/* A snapshot of the room (and, when parts is not NULL, of its participants:
 * see registry_room). Returns 0 or MCU_ENOMEM. Thread: any. */
int room_get(struct room *r, struct room_info *out, struct endpoint_info **parts, int *n_parts);

/*
 * Books a place in the room for p, checking the room is neither ended
 * (MCU_ENOTFOUND) nor full (MCU_ELIMIT). A booked participant counts in
 * room_cost from now on; room_admit lets it in. Returns 0 with *booked (the
 * room owns p from now on), or an error (p is still the caller's).
 * Thread: any.
 */
struct room_member;
int room_book(struct room *r, struct participant p, struct room_member **booked);

/* Lets a booked participant in: its port goes to the mixer (a bounded wait,
 * no lock held), then it is a member and ROOM_JOINED is told. On failure
 * (MCU_ETIMEDOUT: the room thread is stuck; MCU_ENOTFOUND: the room ended
 * meanwhile; the mixer's errors) it is destroyed and nothing of it stays.
 * Thread: any but the room's. */
int room_admit(struct room *r, struct room_member *booked);

/* Removes a participant, telling ROOM_LEFT with why. Returns 0 or
 * MCU_ENOTFOUND. Thread: any but the room's. */
int room_leave(struct room *r, const char *id, const char *why);

/* Calls fn with the participant whose id this is, under the room's lock
 * (fn must be quick). Returns fn's result or MCU_ENOTFOUND. Thread: any. */
int room_with_participant(struct room *r, const char *id,
			  int (*fn)(struct participant *p, void *ctx), void *ctx);

/* Changes layout (NULL: keep) and record (-1: keep, 0 stops and finalizes
 * the recording, 1 starts one); *out gets the new snapshot. Returns 0 or
 * MCU_EINVAL. Thread: any but the room's. */
int room_update(struct room *r, const char *layout, int record, struct room_info *out);

/* A JPEG of the composite: see mix_snapshot. Thread: any but the room's. */
int room_snapshot(struct room *r, uint8_t **out, size_t *len);

/* The state name of file while this room records it, else NULL. Thread: any. */
const char *room_recording_state(struct room *r, const char *file);

/* Adds the traffic of the room's participants to t. Thread: any. */
void room_traffic(struct room *r, struct room_traffic *t);

/* The room's CPU-seconds per second for admission, with extra (may be
 * NULL) added as one more participant charged fully: the cost model's
 * estimate (cost.h), or what the room's work measurably took lately when
 * that is more (see room_reap), plus the model's price of extra.
 * Thread: any. */
double room_cost(struct room *r, int64_t now_us, const struct port_info *extra);

/* Housekeeping, about once a second: drops the participants that are gone
 * (participant.h), frees those the mixer has let go of since, and samples
 * the CPU time of the room's work (its measured cost, once it spans a few
 * seconds). Thread: any but the room's. */
void room_reap(struct room *r, int64_t now_us);

/* Has the room been empty (nobody in it or booked) for timeout_us? Thread: any. */
bool room_expired(struct room *r, int64_t now_us, int64_t timeout_us);

/* The test hooks (config test_hooks): the room's thread sleeps ms once
 * (0: not), and from now on works video_work_ms of CPU at each video tick
 * (-1: unchanged; 0: stops), as a room that costs more than its model
 * would. Thread: any. */
void room_stall(struct room *r, int ms, int video_work_ms);

#endif
