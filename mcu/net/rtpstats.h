/*
 * rtpstats.h - receive statistics of one inbound RTP stream (one SSRC):
 * packets, bytes, loss and interarrival jitter as RFC 3550 A.1, A.3 and A.8
 * define them. Plain data, updated by the transport thread per packet.
 */
#ifndef MCU_RTPSTATS_H
#define MCU_RTPSTATS_H

#include <stdbool.h>
#include <stdint.h>

struct rtpstats {
	uint32_t ssrc;
	uint32_t clock_rate;     /* Hz of the RTP timestamps */
	bool started;
	uint16_t max_seq;        /* highest sequence number seen */
	uint32_t cycles;         /* wraps of the sequence number, << 16 */
	uint32_t base_seq;
	uint32_t bad_seq;
	uint32_t probation;
	uint64_t received;       /* packets since base_seq, duplicates included (RFC 3550 A.1) */
	uint64_t bytes;          /* payload bytes */
	int64_t transit;         /* previous relative transit, timestamp units */
	double jitter;           /* RFC 3550 interarrival jitter, timestamp units */
};

/* Resets *s for a stream with the given clock rate (90000 video, 48000 Opus). */
void rtpstats_init(struct rtpstats *s, uint32_t ssrc, uint32_t clock_rate);

/*
 * Counts one packet: seq and timestamp from its header, payload bytes, and
 * its arrival time in monotonic µs. Returns false when the packet was judged
 * a stray (a big jump not yet confirmed, RFC 3550 A.1) and not counted.
 */
bool rtpstats_update(struct rtpstats *s, uint16_t seq, uint32_t timestamp,
		     uint32_t payload_bytes, int64_t arrival_us);

/* Packets expected from the first to the highest sequence number seen. */
uint64_t rtpstats_expected(const struct rtpstats *s);

/* Cumulative packets lost (expected - received), never negative. */
uint64_t rtpstats_lost(const struct rtpstats *s);

/* Interarrival jitter in milliseconds. */
double rtpstats_jitter_ms(const struct rtpstats *s);

#endif
