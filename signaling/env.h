/*
 * env.h - what the signaling handlers are lent by main: plain data, every
 * pointer borrowed and outliving the HTTP server.
 */
#ifndef MCU_SIGNALING_ENV_H
#define MCU_SIGNALING_ENV_H

#include <stdint.h>

struct config;
struct registry;

struct signaling_env {
	const struct config *cfg;
	struct registry *registry;
	int64_t started_us;        /* monotonic µs at start, for uptime */
	const char *version;
	const char *fingerprint;   /* sha-256 of our DTLS certificate */
};

#endif
