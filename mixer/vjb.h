/*
 * vjb.h - a sender's video jitter buffer, on the room thread: puts one
 * sender's RTP packets back in sequence order, says which sequence numbers
 * to NACK, and hands out complete frames. A frame is the run of packets with
 * one timestamp ending in a marker packet; it is complete when every
 * sequence number from the one after the previous frame's marker up to its
 * marker is present. A frame that cannot complete (its packets stay missing
 * for max_wait_us after a later frame completed, or the buffer overflows)
 * is skipped, and the next frame handed out says so (discontinuity), so the
 * caller can ask the sender for a keyframe.
 *
 * Sequence numbers are compared wrap-safe. Packets are copied into slots
 * made at creation: nothing allocates per packet. Owned by one room thread.
 */
#ifndef MCU_VJB_H
#define MCU_VJB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VJB_MAX_PAYLOAD 1500

struct vjb;

/* capacity: packets held, a power of two in 64..4096. max_wait_us: how long
 * a gap may hold back a later complete frame. Returns 0, MCU_EINVAL or
 * MCU_ENOMEM. */
int vjb_create(int capacity, int64_t max_wait_us, struct vjb **out);
void vjb_destroy(struct vjb *j);  /* accepts NULL */

/* Forgets everything (a new SSRC): the next packet starts afresh. */
void vjb_reset(struct vjb *j);

/*
 * Inserts one packet's payload (copied; len <= VJB_MAX_PAYLOAD) with its
 * sequence number, timestamp and marker, at now_us (monotonic). Returns 0,
 * MCU_EEXIST for a duplicate, MCU_EPROTO for one too old to matter (before
 * the next frame to hand out: handed out or skipped) or too long. A packet
 * that does not fit (capacity or more past the next frame's first) first
 * makes room as an overflow does, by skipping a gap that holds back a
 * complete frame; if that is not enough it resets the buffer, and the frame
 * it starts has discontinuity set.
 */
int vjb_insert(struct vjb *j, uint16_t seq, uint32_t ts, bool marker,
	       const uint8_t *payload, size_t len, int64_t now_us);

struct vjb_frame {
	uint32_t ts;             /* RTP timestamp of the frame */
	uint16_t first_seq, last_seq;
	int n_packets;
	bool discontinuity;      /* frames before this one were skipped */
};

/* Called for each payload of a frame, in order; payload borrowed for the
 * call. It must not call into the vjb that calls it. */
typedef void vjb_payload_fn(void *user, const uint8_t *payload, size_t len);

/*
 * Hands out the next complete frame: calls fn for each of its payloads in
 * order, fills *info, frees its slots and returns 1. Returns 0 when no frame
 * is ready now. Call until it returns 0.
 */
int vjb_pop(struct vjb *j, int64_t now_us, vjb_payload_fn *fn, void *user,
	    struct vjb_frame *info);

/*
 * Missing sequence numbers worth a NACK now: gaps below the newest packet,
 * each asked at most 3 times and not more often than every retry_us.
 * Writes up to max into seqs; returns the count.
 */
int vjb_nacks(struct vjb *j, int64_t now_us, int64_t retry_us, uint16_t *seqs, int max);

#endif
