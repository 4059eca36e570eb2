/*
 * adapt.h - moving one receiver between output profiles on its feedback.
 *
 * A receiver asks for a profile (hd, sd, ld: enum profile_id, 0 is the
 * largest). When its feedback shows congestion it is moved down one
 * profile; when it has been clean for a while it is tried one step back up,
 * never above what it asked for. Congestion is judged against what the
 * receiver actually gets, not the profile's target: a REMB estimate below
 * 80% of the measured bitrate of its stream, or loss above 10% (RR fraction
 * 26/256), held for 2 s. Recovery is REMB at least 130% of the measured
 * bitrate (or no REMB at all) and loss under 2%, held for the hold-off,
 * which starts at 8 s and doubles after each up-step that had to be undone
 * within 10 s (at most 64 s). Plain data, owned by one room thread.
 */
#ifndef MCU_ADAPT_H
#define MCU_ADAPT_H

#include <stdint.h>

struct adapt {
	int wanted;               /* the profile it asked for */
	int current;              /* the profile it gets now */
	int64_t bad_since_us;     /* congestion seen continuously since, 0 none */
	int64_t good_since_us;    /* clean continuously since, 0 none */
	int64_t last_up_us;       /* when it last moved up, 0 never */
	int64_t holdoff_us;       /* clean time needed before moving up */
};

/* Starts at the wanted profile (0..n_profiles-1). */
void adapt_init(struct adapt *a, int wanted);

/*
 * One observation at now_us: remb_bps (0 when the receiver sent none since
 * the last call), loss_fraction (0..255, -1 when none), and the measured
 * bitrate in bit/s of what it was sent lately. n_profiles bounds the
 * lowest. Returns the profile it should get now (a->current).
 */
int adapt_update(struct adapt *a, int64_t now_us, uint32_t remb_bps, int loss_fraction,
		 uint32_t sent_bps, int n_profiles);

#endif
