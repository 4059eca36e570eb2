/*
 * revocations.h - the rooms an operator deleted, and when, so that the join
 * tokens minted for them before then stop working.
 *
 * A join token carries the time it was minted (token.h). DELETE of a room
 * is the operator's word that the meeting is over: tokens handed out for it
 * must not bring it back (with auto_create_rooms, a join would otherwise
 * make a fresh room of that name with default settings). A room that ends
 * because it stayed empty is not revoked: its tokens, handed out for a
 * meeting that may pause, still admit. Entries are kept for the longest a
 * token lives (7 days), at most `max` of them (the oldest goes first).
 * Thread: any (one mutex).
 */
#ifndef MCU_REVOCATIONS_H
#define MCU_REVOCATIONS_H

#include <stdbool.h>
#include <stdint.h>

struct revocations;

/* Returns 0 or MCU_ENOMEM (max < 1 is MCU_EINVAL). */
int revocations_create(int max, struct revocations **out);

/* Accepts NULL. */
void revocations_destroy(struct revocations *r);

/* Room name (borrowed) was deleted at wall_us (Unix µs). */
void revocations_add(struct revocations *r, const char *name, int64_t wall_us);

/* Was room name deleted after minted_us (Unix µs) and within the last 7
 * days of now_us? False on a NULL r. */
bool revocations_revoked(struct revocations *r, const char *name, int64_t minted_us,
			 int64_t now_us);

#endif
