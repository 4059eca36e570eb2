/* ratecap.c - see ratecap.h. */
#include "ratecap.h"

void ratecap_init(struct ratecap *c, double rate, double burst)
{
	c->rate = rate;
	c->burst = burst > 1 ? burst : 1;
	c->tokens = c->burst;
	c->last_us = 0;
	c->dropped = 0;
}

bool ratecap_take(struct ratecap *c, int64_t now_us)
{
	if (c->rate <= 0)
		return true;
	if (c->last_us && now_us > c->last_us) {
		c->tokens += c->rate * (double)(now_us - c->last_us) / 1e6;
		if (c->tokens > c->burst)
			c->tokens = c->burst;
	}
	c->last_us = now_us;
	if (c->tokens >= 1) {
		c->tokens -= 1;
		return true;
	}
	c->dropped++;
	return false;
}
