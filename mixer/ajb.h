/*
 * ajb.h - a sender's audio jitter buffer, on the room thread: orders one
 * sender's audio packets and hands out one packet per call, in sequence,
 * saying when one is lost (conceal it) or when nothing is there (the sender
 * is late or silent). It keeps a small target depth and drops a packet when
 * it has held more than it needs for a while, so delay does not accumulate.
 *
 * Sequence numbers are compared wrap-safe. Packets are copied into slots
 * made at creation: nothing allocates per packet. Owned by one room thread.
 */
#ifndef MCU_AJB_H
#define MCU_AJB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AJB_MAX_PAYLOAD 1500

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
