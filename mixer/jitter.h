/*
 * jitter.h - per-sender receive buffers of the room thread.
 *
 * vjb (video): puts one sender's RTP packets back in sequence order, says
 * which sequence numbers to NACK, and hands out complete frames. A frame is
 * the run of packets with one timestamp ending in a marker packet; it is
 * complete when every sequence number from the one after the previous
 * frame's marker up to its marker is present. A frame that cannot complete
 * (its packets stay missing for max_wait_us after a later frame completed,
 * or the buffer overflows) is skipped, and the next frame handed out says
 * so (discontinuity), so the caller can ask the sender for a keyframe.
 *
 * ajb (audio): orders one sender's audio packets and hands out one packet
 * per call, in sequence, saying when one is lost (conceal it) or when
 * nothing is there (the sender is late or silent). It keeps a small target
 * depth and drops a packet when it has held more than it needs for a while,
 * so delay does not accumulate.
 *
 * Sequence numbers are compared wrap-safe. Packets are copied into slots
 * made at creation: nothing allocates per packet. Owned by one room thread.
 */
#ifndef MCU_JITTER_H
#define MCU_JITTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JITTER_MAX_PAYLOAD 1500

struct vjb;

/* capacity: packets held, a power of two in 64..4096. max_wait_us: how long
 * a gap may hold back a later complete frame. Returns 0, MCU_EINVAL or
 * MCU_ENOMEM. */
int vjb_create(int capacity, int64_t max_wait_us, struct vjb **out);
void vjb_destroy(struct vjb *j);  /* accepts NULL */

/* Forgets everything (a new SSRC): the next packet starts afresh. */
void vjb_reset(struct vjb *j);

/*
 * Inserts one packet's payload (copied; len <= JITTER_MAX_PAYLOAD) with its
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

struct ajb;

/* capacity: packets held, a power of two in 8..256. target_depth: packets
 * to keep in hand (1..capacity/2). Returns 0, MCU_EINVAL or MCU_ENOMEM. */
int ajb_create(int capacity, int target_depth, struct ajb **out);
void ajb_destroy(struct ajb *j);  /* accepts NULL */
void ajb_reset(struct ajb *j);

/* Inserts one packet's payload (copied) with its sequence number and the
 * RFC 6464 level the sender put in its header (-1 when absent). Returns 0,
 * MCU_EEXIST (duplicate), MCU_EPROTO (already played or passed over, or too
 * long). Before playback first starts, an earlier packet moves the start
 * back to it. A packet far ahead (capacity or more past the next to play)
 * resyncs the buffer to it. */
int ajb_insert(struct ajb *j, uint16_t seq, const uint8_t *payload, size_t len,
	       int level, int64_t now_us);

enum ajb_result {
	AJB_EMPTY,     /* nothing to play: not started, underrun or silence */
	AJB_PACKET,    /* the next packet in order */
	AJB_LOST,      /* the next packet is missing but later ones are here:
			* conceal (a later packet's in-band FEC may cover it) */
};

struct ajb_out {
	const uint8_t *payload;  /* AJB_PACKET: the packet (valid until the next call) */
	size_t len;
	int level;               /* its RFC 6464 level, -1 when absent */
	const uint8_t *next;     /* AJB_LOST: the packet after the lost one when
				  * present (for FEC), else NULL */
	size_t next_len;
};

/*
 * Takes the next packet to decode. Playback starts once target_depth
 * packets are held; after an underrun it waits for them again (the packet
 * whose turn it is still plays if it turns up meanwhile), then resumes at
 * the lowest sequence number held. Delay is shed: when the buffer holds
 * more than target_depth + 5 packets (a burst after a stall), the oldest
 * are dropped at once until target_depth are held; otherwise, when it
 * has held more than target_depth + 1 packets at every call for 2 s (by
 * now_us), one packet is dropped (slow clock drift).
 */
enum ajb_result ajb_pop(struct ajb *j, int64_t now_us, struct ajb_out *out);

/* Packets held now. */
int ajb_depth(const struct ajb *j);

#endif
