/*
 * vjb.c - see vjb.h: the video frame assembler of one sender.
 *
 * DESIGN
 *  - Slots. The buffer is a ring of capacity slots made once at create and
 *    indexed by seq & (capacity - 1); a slot holds seq, timestamp, marker,
 *    length, arrival time, NACK count and time, and a VJB_MAX_PAYLOAD
 *    payload array, so an insert is one memcpy and nothing allocates per
 *    packet. The window of sequence numbers it holds starts at next_seq,
 *    the first packet of the next frame, and spans capacity, so each seq in
 *    the window has a slot of its own and a slot in use always holds the
 *    seq that maps there. Every step that moves the window clears the slots
 *    it leaves, which keeps that true. A slot not in use keeps the NACK
 *    count of the missing seq it stands for.
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
 *
 * Backward jumps of a sender (same SSRC, much lower seq) are not detected
 * here: such packets are MCU_EPROTO until the caller resets the buffer, as
 * it does when rtpstats reports a restart.
 */
#include "vjb.h"
#include "base/err.h"
#include "base/rtp.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define VJB_MIN_CAPACITY 64
#define VJB_MAX_CAPACITY 4096
#define VJB_MAX_NACKS 3          /* past this the sender has likely dropped it */

static bool pow2_between(int v, int lo, int hi)
{
	return v >= lo && v <= hi && (v & (v - 1)) == 0;
}

struct vjb_slot {
	bool used;
	bool marker;
	uint8_t nack_count;      /* !used: NACKs sent for seq */
	uint16_t seq;
	uint16_t len;
	uint32_t ts;
	int64_t arrival_us;
	int64_t last_nack_us;
	uint8_t payload[VJB_MAX_PAYLOAD];
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
	if (len > VJB_MAX_PAYLOAD)
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
