/*
 * registry.h - the rooms of this server by name, and the way in: HTTP
 * handlers create, change and delete rooms and join and remove
 * participants through it; each room (room.h) keeps its own participants.
 *
 * The registry's lock guards only the name -> room table. It is never held
 * across anything slow or any wait on a room's thread, so a stuck room
 * holds up its own callers and nobody else; /api/health takes no lock at
 * all. The media path never takes it.
 */
#ifndef MCU_REGISTRY_H
#define MCU_REGISTRY_H

#include "mcu/net/endpoint.h"
#include "participant.h"
#include "room.h"

#include <stdbool.h>
#include <stdint.h>

struct registry;

/* A JPEG of the room's composite: see mix_snapshot. Returns 0,
 * MCU_ENOTFOUND (no such room: *no_room set; or no picture yet), MCU_ENOMEM
 * or MCU_EIO. Thread: any. */
int registry_snapshot(struct registry *reg, const char *room, uint8_t **out, size_t *len,
		      bool *no_room);

/* Totals for health and metrics. */
struct registry_totals {
	int rooms;
	int participants;
	uint64_t joins;            /* since start */
	uint64_t leaves;
};

/*
 * Sets who hears the rooms' events (room.h); call before the first join.
 * fn runs on the thread that caused the event (an HTTP worker, the
 * housekeeping thread, main at shutdown), at times with a room's lock
 * held: it must be quick and must not call the registry. Thread: main.
 */
void registry_set_listener(struct registry *reg, room_listener_fn *fn, void *ctx);

/* Creates an empty registry and its housekeeping thread, which ends rooms
 * left empty for cfg->empty_room_timeout_s. env is borrowed and must outlive
 * it; max_rooms caps the rooms. Returns 0 or MCU_ENOMEM. Thread: main. */
int registry_create(const struct endpoint_env *env, int max_rooms, struct registry **out);

/* Removes every participant and room, then frees reg; accepts NULL. Thread: main. */
void registry_destroy(struct registry *reg);

/* Creates a room. Returns 0, MCU_EINVAL (bad name or settings), MCU_EEXIST or
 * MCU_ELIMIT (max_rooms). *out gets the new room's snapshot. Thread: any. */
int registry_create_room(struct registry *reg, const char *name,
			 const struct room_settings *settings, struct room_info *out);

/* Changes layout (NULL: keep) and record (-1: keep, 0 stops and finalizes
 * the recording, 1 starts one). Returns 0, MCU_EINVAL or MCU_ENOTFOUND.
 * Thread: any. */
int registry_update_room(struct registry *reg, const char *name, const char *layout,
			 int record, struct room_info *out);

/* Ends a room and removes its participants. Returns 0 or MCU_ENOTFOUND. Thread: any. */
int registry_delete_room(struct registry *reg, const char *name);

/*
 * A room's snapshot and its participants' (*parts: a new array of *n_parts,
 * each with the profile it receives now in receiving_profile,
 * the caller frees it with free(); NULL when empty). parts may be NULL when
 * only the room is wanted. Returns 0, MCU_ENOTFOUND or MCU_ENOMEM. Thread: any.
 */
int registry_room(struct registry *reg, const char *name, struct room_info *out,
		  struct endpoint_info **parts, int *n_parts);

/* Snapshots of every room: a new array the caller frees. Returns 0 or
 * MCU_ENOMEM. Thread: any. */
int registry_list(struct registry *reg, struct room_info **rooms, int *n_rooms);

/* The totals as of the last change, read without the registry's lock, so
 * /api/health answers even while a join waits for a stuck room's thread.
 * Thread: any. */
void registry_totals(struct registry *reg, struct registry_totals *out);

/* The state ("recording", "failed"; static) of file (a recording's base
 * name) as a room's recorder reports it, or NULL when no room records it.
 * Thread: any. */
const char *registry_recording_state(struct registry *reg, const char *file);

/* Traffic since start, of participants present and gone. Thread: any. */
void registry_traffic(struct registry *reg, struct room_traffic *out);

/*
 * Adds a participant of any kind (participant.h), already made, to room,
 * creating the room (with default settings) when it does not exist and
 * create is true; id gets its id. Takes p: on failure it is destroyed.
 * Returns 0, MCU_EINVAL (bad room name), MCU_ENOTFOUND (no such room and
 * !create), MCU_ELIMIT (room full, max_rooms or cpu_budget) or
 * MCU_ENOMEM. Thread: any but a room's.
 */
int registry_add_participant(struct registry *reg, const char *room, bool create,
			     struct participant p, char id[ENDPOINT_ID_LEN + 1]);

/*
 * Makes a WebRTC endpoint and adds it (registry_add_participant), once
 * the room has a place and the process the descriptors. On success *local
 * gets our side of the transport and id the participant's id. Returns
 * registry_add_participant's errors, MCU_ERESOURCE (out of descriptors,
 * err says so), or endpoint_create's with err filled. Thread: any.
 */
int registry_join(struct registry *reg, const char *room, bool create,
		  const struct endpoint_params *params, struct endpoint_local *local,
		  char id[ENDPOINT_ID_LEN + 1], char *err, size_t err_size);

/* The plain RTP twin of registry_join (API.md section 3): *local gets our
 * address and ports for the answer. Same returns, plus rtpep_create's
 * (MCU_ELIMIT when no port pair is free). Thread: any. */
struct rtpep_params;
struct rtpep_local;
int registry_join_rtp(struct registry *reg, const char *room, bool create,
		      const struct rtpep_params *params, struct rtpep_local *local,
		      char id[ENDPOINT_ID_LEN + 1], char *err, size_t err_size);

/* The test hooks (config test_hooks): see room_stall. Returns 0 or
 * MCU_ENOTFOUND. Thread: any. */
int registry_stall(struct registry *reg, const char *room, int ms, int video_work_ms);

/* Removes a participant; why is the reason its participant.left event
 * gives ("left": it hung up; "kicked": an operator removed it). Returns 0
 * or MCU_ENOTFOUND. Thread: any. */
int registry_leave(struct registry *reg, const char *room, const char *id, const char *why);

/* Trickled candidates for a participant: see its kind's trickle (participant.h).
 * Returns the count added or MCU_ENOTFOUND. Thread: any. */
int registry_trickle(struct registry *reg, const char *room, const char *id,
		     const char *const *candidates, int n, int end);

/* The participant's current remote ufrag, into buf. Returns 0 or MCU_ENOTFOUND. */
int registry_remote_ufrag(struct registry *reg, const char *room, const char *id,
			  char *buf, size_t size);

/* ICE restart: see its kind's restart_ice. Returns 0, MCU_ENOTFOUND or MCU_EIO. */
int registry_restart_ice(struct registry *reg, const char *room, const char *id,
			 const char *ufrag, const char *pwd, const char *const *candidates,
			 int n, struct endpoint_local *out);

#endif
