/*
 * ajb.c - see ajb.h: the audio playout buffer of one sender.
 *
 * DESIGN
 *  - Slots. The buffer is a ring of capacity slots made once at create and
 *    indexed by seq & (capacity - 1); a slot holds seq, length, level and
 *    an AJB_MAX_PAYLOAD payload array, so an insert is one memcpy and
 *    nothing allocates per packet. The window of sequence numbers it holds
 *    starts at next, the next packet to play, and spans capacity, so each
 *    seq in the window has a slot of its own and a slot in use always holds
 *    the seq that maps there. Every step that moves the window clears the
 *    slots it leaves, which keeps that true.
 *  - Audio. Playout counts packets, not time: one pop per packet duration
 *    is the caller's clock. Excess delay is shed by moving the play point
 *    forward; dropping any later packet would leave the delay as it was.
 *    A little excess (up to AJB_BURST_EXCESS) is what a fast sender clock
 *    or ordinary jitter leaves: one packet goes per AJB_DRIFT_US, which no
 *    one hears. More is what a stall followed by a burst leaves (the
 *    network held a second of packets, then delivered them at once):
 *    shedding that one packet per 2 s would keep the delay for minutes, so
 *    the oldest go at once, down to the target depth, one audible cut
 *    instead of a long echo of the past.
 *
 * Backward jumps of a sender (same SSRC, much lower seq) are not detected
 * here: such packets are MCU_EPROTO until the caller resets the buffer, as
 * it does when rtpstats reports a restart.
 */
#include "ajb.h"
#include "base/err.h"
#include "base/rtp.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define AJB_MIN_CAPACITY 8
#define AJB_MAX_CAPACITY 256
#define AJB_DRIFT_US 2000000     /* excess held this long is delay, not jitter */
#define AJB_BURST_EXCESS 5       /* packets past target shed at once (100 ms of 20 ms) */

static bool pow2_between(int v, int lo, int hi)
{
	return v >= lo && v <= hi && (v & (v - 1)) == 0;
}

struct ajb_slot {
	bool used;
	uint16_t seq;
	uint16_t len;
	int16_t level;
	uint8_t payload[AJB_MAX_PAYLOAD];
};

struct ajb {
	struct ajb_slot *slots;
	int capacity;
	uint16_t mask;
	int target;
	bool started;            /* next is known */
	bool primed;             /* played something since the (re)start */
	bool playing;            /* false while (re)buffering to target */
	bool excess;             /* depth > target + 1 at every pop since excess_since */
	uint16_t next;           /* seq to play next */
	uint16_t top;            /* highest seq held or played */
	int count;
	int64_t excess_since;
	/*
	 * The packet handed out, copied: once next has moved past it, the seq
	 * a capacity later maps to its slot and may be inserted before the
	 * caller has decoded it. 1500 bytes per pop is cheaper than a rule.
	 */
	uint8_t out[AJB_MAX_PAYLOAD];
};

static struct ajb_slot *aslot(const struct ajb *j, uint16_t seq)
{
	return &j->slots[seq & j->mask];
}

static bool ajb_has(const struct ajb *j, uint16_t seq)
{
	const struct ajb_slot *sl = aslot(j, seq);
	return sl->used && sl->seq == seq;
}

/* Empties the buffer; the next packet starts it afresh at its seq. */
static void ajb_clear(struct ajb *j)
{
	for (int i = 0; i < j->capacity; i++)
		j->slots[i].used = false;
	j->count = 0;
	j->started = false;
	j->primed = false;
	j->playing = false;
	j->excess = false;
}

static void ajb_resync(struct ajb *j, uint16_t seq)
{
	ajb_clear(j);
	j->started = true;
	j->next = seq;
	j->top = seq;
}

int ajb_create(int capacity, int target_depth, struct ajb **out)
{
	struct ajb *j = NULL;

	if (!out)
		return MCU_EINVAL;
	*out = NULL;
	if (!pow2_between(capacity, AJB_MIN_CAPACITY, AJB_MAX_CAPACITY) ||
	    target_depth < 1 || target_depth > capacity / 2)
		return MCU_EINVAL;
	j = calloc(1, sizeof(*j));
	if (!j)
		goto fail;
	j->slots = calloc((size_t)capacity, sizeof(*j->slots));
	if (!j->slots)
		goto fail;
	j->capacity = capacity;
	j->mask = (uint16_t)(capacity - 1);
	j->target = target_depth;
	*out = j;
	return 0;
fail:
	ajb_destroy(j);
	return MCU_ENOMEM;
}

void ajb_destroy(struct ajb *j)
{
	if (!j)
		return;
	free(j->slots);
	free(j);
}

void ajb_reset(struct ajb *j)
{
	ajb_clear(j);
}

int ajb_insert(struct ajb *j, uint16_t seq, const uint8_t *payload, size_t len,
	       int level, int64_t now_us)
{
	(void)now_us;  /* playout is paced by the pops */
	if (len > AJB_MAX_PAYLOAD)
		return MCU_EPROTO;
	if (len && !payload)
		return MCU_EINVAL;
	if (!j->started) {
		ajb_resync(j, seq);
	} else if (rtp_seq_after(j->next, seq)) {
		/* Before anything plays, an early arrival is only reordering:
		 * playback starts at the lowest seq held. */
		if (j->primed || (uint16_t)(j->top - seq) >= j->capacity)
			return MCU_EPROTO;
		j->next = seq;
	} else if ((uint16_t)(seq - j->next) >= j->capacity) {
		ajb_resync(j, seq);
	}

	struct ajb_slot *sl = aslot(j, seq);
	if (sl->used) {
		assert(sl->seq == seq);
		return MCU_EEXIST;
	}
	sl->used = true;
	sl->seq = seq;
	sl->len = (uint16_t)len;
	sl->level = (int16_t)(level >= 0 && level <= 127 ? level : -1);
	if (len)
		memcpy(sl->payload, payload, len);
	j->count++;
	if (rtp_seq_after(seq, j->top))
		j->top = seq;
	return 0;
}

/* Hands out the packet at next, which is held. */
static enum ajb_result ajb_take(struct ajb *j, struct ajb_out *out)
{
	struct ajb_slot *sl = aslot(j, j->next);

	if (sl->len)
		memcpy(j->out, sl->payload, sl->len);
	out->payload = j->out;
	out->len = sl->len;
	out->level = sl->level;
	sl->used = false;
	j->count--;
	j->next++;
	j->primed = true;
	return AJB_PACKET;
}

/* (Re)starts playback at the lowest seq held: after an underrun the seqs
 * before it were due while nothing was there, and concealing them now
 * would only add their duration to the delay. */
static void ajb_start(struct ajb *j)
{
	assert(j->count > 0);
	while (!ajb_has(j, j->next))
		j->next++;
	j->playing = true;
	j->excess = false;
}

/* Drops the oldest packets, and the gaps among them, until keep (>= 1)
 * are held; next is then the oldest one held. */
static void ajb_shed(struct ajb *j, int keep)
{
	while (j->count > keep) {
		if (ajb_has(j, j->next)) {
			aslot(j, j->next)->used = false;
			j->count--;
		}
		j->next++;
	}
	while (!ajb_has(j, j->next))
		j->next++;
}

/* Sheds delay (see DESIGN). More than AJB_BURST_EXCESS past target: down
 * to target at once, the depth a steady sender is played from. Otherwise, when more than target + 1 packets have
 * been held at every pop for AJB_DRIFT_US (a sender clock that runs fast,
 * or a small burst), one packet. Called while playing, before the pop
 * takes its packet. */
static void ajb_drift(struct ajb *j, int64_t now_us)
{
	if (j->count > j->target + AJB_BURST_EXCESS) {
		ajb_shed(j, j->target);
		j->excess = false;
		return;
	}
	if (j->count <= j->target + 1) {
		j->excess = false;
		return;
	}
	if (!j->excess) {
		j->excess = true;
		j->excess_since = now_us;
		return;
	}
	if (now_us - j->excess_since < AJB_DRIFT_US)
		return;
	if (ajb_has(j, j->next)) {
		aslot(j, j->next)->used = false;
		j->count--;
	}
	j->next++;
	j->excess_since = now_us;
}

enum ajb_result ajb_pop(struct ajb *j, int64_t now_us, struct ajb_out *out)
{
	memset(out, 0, sizeof(*out));
	out->level = -1;
	if (!j->started)
		return AJB_EMPTY;
	if (!j->playing) {
		if (j->count >= j->target)
			ajb_start(j);
		else if (j->primed && ajb_has(j, j->next))
			return ajb_take(j, out);  /* late, but its turn has not passed */
		else
			return AJB_EMPTY;
	}
	if (j->count == 0) {
		j->playing = false;
		j->excess = false;
		return AJB_EMPTY;
	}
	ajb_drift(j, now_us);
	if (ajb_has(j, j->next))
		return ajb_take(j, out);

	/* Everything held is after next, so a later packet is here. */
	j->next++;
	if (ajb_has(j, j->next)) {
		const struct ajb_slot *sl = aslot(j, j->next);
		out->next = sl->payload;
		out->next_len = sl->len;
	}
	return AJB_LOST;
}

int ajb_depth(const struct ajb *j)
{
	return j->count;
}
