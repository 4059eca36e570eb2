/*
 * jitter.c - see jitter.h: the video frame assembler (vjb) and the audio
 * playout buffer (ajb) of one sender.
 *
 * DESIGN
 *  - Slots. Each buffer is a ring of capacity slots made once at create and
 *    indexed by seq & (capacity - 1); a slot holds seq, timestamp, marker,
 *    length, arrival time, NACK count and time, and a JITTER_MAX_PAYLOAD
 *    payload array, so an insert is one memcpy and nothing allocates per
 *    packet. The window of sequence numbers a buffer holds starts at the
 *    next one it will hand out (vjb: next_seq, the first packet of the next
 *    frame; ajb: next, the next packet to play) and spans capacity, so each
 *    seq in the window has a slot of its own and a slot in use always holds
 *    the seq that maps there. Every step that moves the window clears the
 *    slots it leaves, which keeps that true. A vjb slot not in use keeps
 *    the NACK count of the missing seq it stands for.
 *  - Video frames. next_seq is always a frame start, except for the very
 *    first packet after a (re)start, which is taken as one: a partial first
 *    frame goes to the decoder, which copes. A later frame start is only
 *    trusted where the packets prove it: right after a marker packet held,
 *    where the timestamp changes between two packets held, or after a
 *    single missing packet whose predecessor is held, has no marker and has
 *    another timestamp (the missing one must be that frame's marker). A run
 *    from next_seq whose timestamp changes before any marker lost its
 *    marker bit; being contiguous, no retransmission can mend it, so it is
 *    skipped at once. A gap is waited for until max_wait_us after the first
 *    later complete frame became complete (its last packet arrived), or
 *    until the buffer is full; then everything before that frame goes and
 *    it carries the discontinuity. Pops and NACK lists walk from next_seq
 *    to the newest packet, at most capacity slots: cheap at video rates,
 *    and no index structure to keep in step.
 *  - Overflow. A video packet that does not fit the window first tries to
 *    make room by that same skip (a gap blocking a complete frame: the
 *    buffer is full, so no waiting); only when that cannot make it fit is
 *    the buffer reset to it, the case of a sender that jumped far ahead.
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
#include "jitter.h"
#include "base/err.h"
#include "base/rtp.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define VJB_MIN_CAPACITY 64
#define VJB_MAX_CAPACITY 4096
#define VJB_MAX_NACKS 3          /* past this the sender has likely dropped it */

#define AJB_MIN_CAPACITY 8
#define AJB_MAX_CAPACITY 256
#define AJB_DRIFT_US 2000000     /* excess held this long is delay, not jitter */
#define AJB_BURST_EXCESS 5       /* packets past target shed at once (100 ms of 20 ms) */

static bool pow2_between(int v, int lo, int hi)
{
	return v >= lo && v <= hi && (v & (v - 1)) == 0;
}

/* ---------------------------------------------------------------- vjb */

struct vjb_slot {
	bool used;
	bool marker;
	uint8_t nack_count;      /* !used: NACKs sent for seq */
	uint16_t seq;
	uint16_t len;
	uint32_t ts;
	int64_t arrival_us;
	int64_t last_nack_us;
	uint8_t payload[JITTER_MAX_PAYLOAD];
};

struct vjb {
	struct vjb_slot *slots;
	int capacity;
	uint16_t mask;
	int64_t max_wait_us;
	bool started;            /* next_seq and newest_seq are known */
	bool discontinuity;      /* owed to the next frame handed out */
	uint16_t next_seq;       /* first packet of the next frame to hand out */
	uint16_t newest_seq;     /* highest seq held or handed out */
	int count;               /* slots in use */
};

enum vjb_run {
	VJB_RUN_FRAME,           /* complete up to a marker */
	VJB_RUN_GAP,             /* stops at a missing seq */
	VJB_RUN_SPLIT,           /* the timestamp changes before any marker */
};

static struct vjb_slot *vslot(const struct vjb *j, uint16_t seq)
{
	return &j->slots[seq & j->mask];
}

/* Safe for any seq: a slot in use holds only the seq of the window. */
static bool vjb_has(const struct vjb *j, uint16_t seq)
{
	const struct vjb_slot *sl = vslot(j, seq);
	return sl->used && sl->seq == seq;
}

static bool vjb_fits(const struct vjb *j, uint16_t seq)
{
	return (uint16_t)(seq - j->next_seq) < j->capacity;
}

/* The next seq after newest would not fit: waiting cannot go on. */
static bool vjb_full(const struct vjb *j)
{
	return (uint16_t)(j->newest_seq - j->next_seq) + 1 >= j->capacity;
}

/* Empties [from, to) and readies each slot's NACK state for the seq a
 * capacity later, the one that maps there once the window has moved. */
static void vjb_clear(struct vjb *j, uint16_t from, uint16_t to)
{
	for (uint16_t s = from; s != to; s++) {
		struct vjb_slot *sl = vslot(j, s);
		if (sl->used)
			j->count--;
		sl->used = false;
		sl->nack_count = 0;
		sl->seq = (uint16_t)(s + j->capacity);
	}
}

/* Empties the whole buffer and opens the window at seq. */
static void vjb_restart(struct vjb *j, uint16_t seq, bool discontinuity)
{
	for (int i = 0; i < j->capacity; i++) {
		struct vjb_slot *sl = vslot(j, (uint16_t)(seq + i));
		sl->used = false;
		sl->nack_count = 0;
		sl->seq = (uint16_t)(seq + i);
	}
	j->count = 0;
	j->started = true;
	j->next_seq = seq;
	j->newest_seq = seq;
	j->discontinuity = discontinuity;
}

int vjb_create(int capacity, int64_t max_wait_us, struct vjb **out)
{
	struct vjb *j = NULL;

	if (!out)
		return MCU_EINVAL;
	*out = NULL;
	if (!pow2_between(capacity, VJB_MIN_CAPACITY, VJB_MAX_CAPACITY) || max_wait_us < 0)
		return MCU_EINVAL;
	j = calloc(1, sizeof(*j));
	if (!j)
		goto fail;
	j->slots = calloc((size_t)capacity, sizeof(*j->slots));
	if (!j->slots)
		goto fail;
	j->capacity = capacity;
	j->mask = (uint16_t)(capacity - 1);
	j->max_wait_us = max_wait_us;
	*out = j;
	return 0;
fail:
	vjb_destroy(j);
	return MCU_ENOMEM;
}

void vjb_destroy(struct vjb *j)
{
	if (!j)
		return;
	free(j->slots);
	free(j);
}

void vjb_reset(struct vjb *j)
{
	for (int i = 0; i < j->capacity; i++) {
		j->slots[i].used = false;
		j->slots[i].nack_count = 0;
	}
	j->count = 0;
	j->started = false;
	j->discontinuity = false;
}

/*
 * Walks the packets held from start on. VJB_RUN_FRAME: start..*end is a
 * frame, *end its marker packet, *done_us when its last packet arrived.
 * VJB_RUN_SPLIT: *end is the first packet with another timestamp than
 * start's, no marker before it. VJB_RUN_GAP: *end is the first seq missing
 * (perhaps the one after the newest). Ends within capacity steps, because
 * vjb_has() fails one capacity on.
 */
static enum vjb_run vjb_scan(const struct vjb *j, uint16_t start, uint16_t *end,
			     int64_t *done_us)
{
	uint32_t ts = vslot(j, start)->ts;
	int64_t done = INT64_MIN;

	for (uint16_t s = start;; s++) {
		const struct vjb_slot *sl = vslot(j, s);
		*end = s;
		if (!vjb_has(j, s))
			return VJB_RUN_GAP;
		if (sl->ts != ts)
			return VJB_RUN_SPLIT;
		if (sl->arrival_us > done)
			done = sl->arrival_us;
		if (sl->marker) {
			*done_us = done;
			return VJB_RUN_FRAME;
		}
	}
}

/* Is seq, held, provably the first packet of a frame? (DESIGN lists why.) */
static bool vjb_frame_start(const struct vjb *j, uint16_t seq)
{
	uint16_t p1 = (uint16_t)(seq - 1), p2 = (uint16_t)(seq - 2);
	uint32_t ts = vslot(j, seq)->ts;

	if (vjb_has(j, p1))
		return vslot(j, p1)->marker || vslot(j, p1)->ts != ts;
	return vjb_has(j, p2) && !vslot(j, p2)->marker && vslot(j, p2)->ts != ts;
}

/* Finds the first complete frame at or after from (> next_seq) that starts
 * at a proven frame start. */
static bool vjb_find_later(const struct vjb *j, uint16_t from, uint16_t *start,
			   int64_t *done_us)
{
	uint16_t s = from;

	while (!rtp_seq_after(s, j->newest_seq)) {
		uint16_t end;
		if (!vjb_has(j, s) || !vjb_frame_start(j, s)) {
			s++;
			continue;
		}
		enum vjb_run r = vjb_scan(j, s, &end, done_us);
		if (r == VJB_RUN_FRAME) {
			*start = s;
			return true;
		}
		/* A split point is a frame start itself; a gap is not. */
		s = r == VJB_RUN_SPLIT ? end : (uint16_t)(end + 1);
	}
	return false;
}

/* Drops everything before seq (a frame start) and owes a discontinuity. */
static void vjb_skip_to(struct vjb *j, uint16_t seq)
{
	vjb_clear(j, j->next_seq, seq);
	j->next_seq = seq;
	j->discontinuity = true;
}

/*
 * Moves the window forward until seq fits, skipping only what waiting
 * could not save anyway. Returns false when seq still does not fit.
 */
static bool vjb_make_room(struct vjb *j, uint16_t seq)
{
	while (!vjb_fits(j, seq)) {
		uint16_t end, later;
		int64_t done_us;
		enum vjb_run r = vjb_scan(j, j->next_seq, &end, &done_us);

		if (r == VJB_RUN_SPLIT)
			later = end;
		else if (r != VJB_RUN_GAP ||
			 !vjb_find_later(j, (uint16_t)(end + 1), &later, &done_us))
			return false;  /* a complete frame not popped, or nothing to skip to */
		vjb_skip_to(j, later);
	}
	return true;
}

int vjb_insert(struct vjb *j, uint16_t seq, uint32_t ts, bool marker,
	       const uint8_t *payload, size_t len, int64_t now_us)
{
	if (len > JITTER_MAX_PAYLOAD)
		return MCU_EPROTO;
	if (len && !payload)
		return MCU_EINVAL;
	if (!j->started)
		vjb_restart(j, seq, false);
	else if (rtp_seq_after(j->next_seq, seq))
		return MCU_EPROTO;
	else if (!vjb_fits(j, seq) && !vjb_make_room(j, seq))
		vjb_restart(j, seq, true);  /* frames were lost in the jump */

	struct vjb_slot *sl = vslot(j, seq);
	if (sl->used) {
		assert(sl->seq == seq);
		return MCU_EEXIST;
	}
	sl->used = true;
	sl->seq = seq;
	sl->ts = ts;
	sl->marker = marker;
	sl->len = (uint16_t)len;
	sl->arrival_us = now_us;
	if (len)
		memcpy(sl->payload, payload, len);
	j->count++;
	if (rtp_seq_after(seq, j->newest_seq))
		j->newest_seq = seq;
	return 0;
}

/* Hands out next_seq..end, a complete frame. */
static void vjb_emit(struct vjb *j, uint16_t end, vjb_payload_fn *fn, void *user,
		     struct vjb_frame *info)
{
	struct vjb_frame f = {
		.ts = vslot(j, j->next_seq)->ts,
		.first_seq = j->next_seq,
		.last_seq = end,
		.discontinuity = j->discontinuity,
	};
	uint16_t after = (uint16_t)(end + 1);

	for (uint16_t s = j->next_seq; s != after; s++) {
		const struct vjb_slot *sl = vslot(j, s);
		if (fn)
			fn(user, sl->payload, sl->len);
		f.n_packets++;
	}
	vjb_clear(j, j->next_seq, after);
	j->next_seq = after;
	j->discontinuity = false;
	if (info)
		*info = f;
}

int vjb_pop(struct vjb *j, int64_t now_us, vjb_payload_fn *fn, void *user,
	    struct vjb_frame *info)
{
	for (;;) {
		uint16_t end, later;
		int64_t done_us;

		if (!j->started || j->count == 0)
			return 0;
		enum vjb_run r = vjb_scan(j, j->next_seq, &end, &done_us);
		if (r == VJB_RUN_FRAME) {
			vjb_emit(j, end, fn, user, info);
			return 1;
		}
		if (r == VJB_RUN_SPLIT) {
			vjb_skip_to(j, end);
			continue;
		}
		if (!vjb_find_later(j, (uint16_t)(end + 1), &later, &done_us))
			return 0;
		if (!vjb_full(j) && now_us - done_us <= j->max_wait_us)
			return 0;
		vjb_skip_to(j, later);
	}
}

int vjb_nacks(struct vjb *j, int64_t now_us, int64_t retry_us, uint16_t *seqs, int max)
{
	int n = 0;

	if (!j->started || !seqs)
		return 0;
	for (uint16_t s = j->next_seq; n < max && rtp_seq_after(j->newest_seq, s); s++) {
		struct vjb_slot *sl = vslot(j, s);
		if (sl->used)
			continue;
		if (sl->seq != s) {  /* belt and braces: vjb_clear readies it */
			sl->seq = s;
			sl->nack_count = 0;
		}
		if (sl->nack_count >= VJB_MAX_NACKS)
			continue;
		if (sl->nack_count > 0 && now_us - sl->last_nack_us < retry_us)
			continue;
		sl->nack_count++;
		sl->last_nack_us = now_us;
		seqs[n++] = s;
	}
	return n;
}

/* ---------------------------------------------------------------- ajb */

struct ajb_slot {
	bool used;
	uint16_t seq;
	uint16_t len;
	int16_t level;
	uint8_t payload[JITTER_MAX_PAYLOAD];
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
	uint8_t out[JITTER_MAX_PAYLOAD];
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
	if (len > JITTER_MAX_PAYLOAD)
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
