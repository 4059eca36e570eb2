/*
 * ratecap.h - a token bucket that caps one participant's inbound packets,
 * checked before any decryption or parsing so a flood costs the server
 * almost nothing. Plain data, owned by the thread that receives.
 */
#ifndef MCU_RATECAP_H
#define MCU_RATECAP_H

#include <stdbool.h>
#include <stdint.h>

struct ratecap {
	double rate;        /* packets per second; <= 0: no cap */
	double burst;       /* bucket size in packets */
	double tokens;
	int64_t last_us;    /* monotonic; 0 before the first packet */
	uint64_t dropped;
};

/* A full bucket for rate packets/s with bursts of burst packets. */
void ratecap_init(struct ratecap *c, double rate, double burst);

/* May one more packet arriving at now_us pass? Counts the refused. */
bool ratecap_take(struct ratecap *c, int64_t now_us);

#endif
