/*
 * adapt.c - see adapt.h: the down/up decisions for one receiver's profile.
 *
 * Each observation is judged bad (congestion), good (clean), mixed, or
 * empty:
 *  - bad: a REMB below 80% of sent_bps, or loss of 26/256 (above 10%) or
 *    more. Either alone is enough: they are different signals, and the
 *    receiver may send only one of them.
 *  - good: carries some feedback, and everything it carries is clean (a REMB
 *    of at least 130% of sent_bps, loss of 5/256 or less, under 2%).
 *  - mixed: feedback between the two, which breaks both runs.
 *  - empty: no REMB and no loss figure. Callers poll more often than
 *    receivers report (REMB about once a second), so silence says nothing:
 *    it neither breaks a run nor, being no evidence, completes one.
 * A step is taken only on an observation that itself shows the condition,
 * so a run that went quiet is never acted on at its tail. After each step
 * the run restarts: the sent bitrate lags a switch, and the new profile has
 * to show its own congestion or cleanliness for the full time.
 */
#include "adapt.h"

#include <assert.h>
#include <stdbool.h>

#define US_PER_S 1000000LL
#define DOWN_AFTER_US (2 * US_PER_S)
#define HOLDOFF_START_US (8 * US_PER_S)
#define HOLDOFF_MAX_US (64 * US_PER_S)
#define UNDONE_WITHIN_US (10 * US_PER_S)
#define LOSS_BAD 26    /* /256: above 10% */
#define LOSS_GOOD 5    /* /256: under 2% */

enum verdict { V_EMPTY, V_BAD, V_MIXED, V_GOOD };

/* Percentages in 64 bits, so a REMB near 2^32 cannot overflow. */
static enum verdict judge(uint32_t remb_bps, int loss_fraction, uint32_t sent_bps)
{
	bool have_remb = remb_bps > 0, have_loss = loss_fraction >= 0;
	if (!have_remb && !have_loss)
		return V_EMPTY;
	if (have_remb && (uint64_t)remb_bps * 100 < (uint64_t)sent_bps * 80)
		return V_BAD;
	if (have_loss && loss_fraction >= LOSS_BAD)
		return V_BAD;
	if (have_remb && (uint64_t)remb_bps * 100 < (uint64_t)sent_bps * 130)
		return V_MIXED;
	if (have_loss && loss_fraction > LOSS_GOOD)
		return V_MIXED;
	return V_GOOD;
}

void adapt_init(struct adapt *a, int wanted)
{
	*a = (struct adapt){
		.wanted = wanted,
		.current = wanted,
		.holdoff_us = HOLDOFF_START_US,
	};
}

/* A down-step soon after an up-step means the up-step was premature: wait
 * twice as long before the next try. Each up-step is charged once. */
static void step_down(struct adapt *a, int64_t now_us)
{
	a->current++;
	a->bad_since_us = 0;
	if (a->last_up_us != 0 && now_us - a->last_up_us < UNDONE_WITHIN_US) {
		a->holdoff_us *= 2;
		if (a->holdoff_us > HOLDOFF_MAX_US)
			a->holdoff_us = HOLDOFF_MAX_US;
	}
	a->last_up_us = 0;
}

static void step_up(struct adapt *a, int64_t now_us)
{
	a->current--;
	a->good_since_us = 0;
	a->last_up_us = now_us;
}

/*
 * now_us is the monotonic clock and must be above 0 (0 marks "no run" in
 * the struct) and never go back. wanted must be below n_profiles. Thread:
 * the room thread that owns *a.
 */
int adapt_update(struct adapt *a, int64_t now_us, uint32_t remb_bps, int loss_fraction,
		 uint32_t sent_bps, int n_profiles)
{
	assert(now_us > 0 && n_profiles > 0 && a->wanted < n_profiles);
	int lowest = n_profiles - 1;

	switch (judge(remb_bps, loss_fraction, sent_bps)) {
	case V_EMPTY:
		break;
	case V_MIXED:
		a->bad_since_us = 0;
		a->good_since_us = 0;
		break;
	case V_BAD:
		a->good_since_us = 0;
		if (a->bad_since_us == 0)
			a->bad_since_us = now_us;
		if (now_us - a->bad_since_us >= DOWN_AFTER_US && a->current < lowest)
			step_down(a, now_us);
		break;
	case V_GOOD:
		a->bad_since_us = 0;
		if (a->good_since_us == 0)
			a->good_since_us = now_us;
		if (now_us - a->good_since_us >= a->holdoff_us && a->current > a->wanted)
			step_up(a, now_us);
		break;
	}
	return a->current;
}
