/*
 * rtpstats.c - see rtpstats.h: RFC 3550 A.1 sequence validation, A.3
 * expected/lost and A.8 interarrival jitter for one inbound stream.
 *
 * Where this departs from A.1, and why:
 *  - Probation packets are counted as they arrive and base_seq is the first
 *    of the run, so once a stream is validated `received` includes the
 *    packets that validated it (A.1 leaves the first out and starts the
 *    stream at the second). A clean stream therefore shows received ==
 *    expected from its first packet. If the run breaks during probation the
 *    provisional counts are dropped and probation restarts at the breaking
 *    packet, as A.1 restarts it.
 *  - `bytes` never goes down: it is every payload byte of every packet for
 *    which rtpstats_update() returned true, so a bitrate computed from its
 *    deltas stays sane across a resync. `received` does restart on a resync,
 *    as A.1 says, because it must stay comparable with `expected`.
 *  - Jitter's transit is re-seeded whenever counting restarts (first packet,
 *    probation restart, resync): a restarted sender has a new random
 *    timestamp base, and one difference against the old base would add
 *    about 2^32/16 timestamp units of jitter.
 * Duplicates are counted, as in A.1 (telling a duplicate from a late packet
 * needs per-sequence memory A.1 does not keep), so they can hide losses;
 * rtpstats_lost() clamps at 0.
 */
#include "rtpstats.h"

#include <string.h>

#define RTP_SEQ_MOD (1u << 16)
#define MIN_SEQUENTIAL 2
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100
#define US_PER_S 1000000

void rtpstats_init(struct rtpstats *s, uint32_t ssrc, uint32_t clock_rate)
{
	memset(s, 0, sizeof(*s));
	s->ssrc = ssrc;
	s->clock_rate = clock_rate;
	s->bad_seq = RTP_SEQ_MOD + 1; /* matches no 16-bit sequence number */
}

/* Starts counting afresh at seq (A.1 init_seq); received is re-seeded by
 * the count() that follows, transit with it. */
static void restart(struct rtpstats *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = RTP_SEQ_MOD + 1;
	s->cycles = 0;
	s->received = 0;
}

/*
 * Arrival time in timestamp units, split so it cannot overflow int64 for
 * any realistic clock_rate and uptime (arrival_us * 90000 would after
 * about three years).
 */
static int64_t arrival_units(int64_t arrival_us, uint32_t clock_rate)
{
	int64_t secs = arrival_us / US_PER_S, rem = arrival_us % US_PER_S;
	return secs * clock_rate + rem * clock_rate / US_PER_S;
}

/* A.8. Transit is kept modulo 2^32, like the timestamps, so a timestamp
 * wrap is one ordinary small step rather than a jump of 2^32. */
static void count(struct rtpstats *s, uint32_t timestamp, uint32_t payload_bytes,
		  int64_t arrival_us)
{
	uint32_t transit = (uint32_t)arrival_units(arrival_us, s->clock_rate) - timestamp;
	if (s->received > 0) {
		int32_t d = (int32_t)(transit - (uint32_t)s->transit);
		double ad = d < 0 ? -(double)d : (double)d;
		s->jitter += (ad - s->jitter) / 16.0;
	}
	s->transit = transit;
	s->received++;
	s->bytes += payload_bytes;
}

/* A.1 once validated: returns false for an unconfirmed big jump. */
static bool update_valid(struct rtpstats *s, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - s->max_seq);
	if (udelta < MAX_DROPOUT) {
		/* In order, with a permissible gap (0 is a duplicate). */
		if (seq < s->max_seq)
			s->cycles += RTP_SEQ_MOD;
		s->max_seq = seq;
	} else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
		/* A very large jump: believe it once the next packet follows
		 * it (the sender restarted), until then it is a stray. */
		if (seq != s->bad_seq) {
			s->bad_seq = (seq + 1u) & (RTP_SEQ_MOD - 1);
			return false;
		}
		restart(s, seq);
	}
	/* else a duplicate or a packet reordered by up to MAX_MISORDER:
	 * counted, max_seq unchanged. */
	return true;
}

bool rtpstats_update(struct rtpstats *s, uint16_t seq, uint32_t timestamp,
		     uint32_t payload_bytes, int64_t arrival_us)
{
	if (!s->started) {
		s->started = true;
		restart(s, seq);
		s->probation = MIN_SEQUENTIAL - 1;
	} else if (s->probation) {
		if (seq == (uint16_t)(s->max_seq + 1)) {
			if (seq < s->max_seq)
				s->cycles += RTP_SEQ_MOD;
			s->max_seq = seq;
			s->probation--;
		} else {
			restart(s, seq);
			s->probation = MIN_SEQUENTIAL - 1;
		}
	} else if (!update_valid(s, seq)) {
		return false;
	}
	count(s, timestamp, payload_bytes, arrival_us);
	return true;
}

uint64_t rtpstats_expected(const struct rtpstats *s)
{
	if (!s->started)
		return 0;
	return (uint64_t)s->cycles + s->max_seq - s->base_seq + 1;
}

uint64_t rtpstats_lost(const struct rtpstats *s)
{
	uint64_t expected = rtpstats_expected(s);
	return expected > s->received ? expected - s->received : 0;
}

/* 0 for a stream without a clock rate rather than a division by zero. */
double rtpstats_jitter_ms(const struct rtpstats *s)
{
	if (s->clock_rate == 0)
		return 0.0;
	return s->jitter / s->clock_rate * 1000.0;
}
