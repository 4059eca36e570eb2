/*
 * participant.h - what the registry needs of a participant, whatever
 * carries its media: a small vtable each kind implements (the WebRTC
 * endpoint, net/endpoint.h; the plain-RTP endpoint, net/rtpep.h; tests define
 * their own), so the registry and the rooms never branch on the kind. A
 * new kind (a cascade link, a SIP call) is one new file that fills these.
 *
 * The registry owns a participant from its join: it reads it from any
 * thread (id, info, gone), hands its port to the room's mixer, and
 * destroys it once the mixer has let go of the port.
 */
#ifndef MCU_PARTICIPANT_H
#define MCU_PARTICIPANT_H

#include <stddef.h>
#include <stdint.h>

struct endpoint_info;
struct endpoint_local;
struct port_info;
struct port_ops;
struct config;

struct participant_ops {
	/* Its id, ENDPOINT_ID_LEN hex characters; borrowed. */
	const char *(*id)(const void *self);
	/* A snapshot for the API and the events. */
	void (*info)(void *self, struct endpoint_info *out);
	/* What the mixer runs for it, and how the mixer drives it: self is
	 * the port's pointer. */
	void (*port_info)(const void *self, struct port_info *out);
	const struct port_ops *port_ops;
	/* Why it should be taken as gone (static text), or NULL while it
	 * lives; now is monotonic µs. */
	const char *(*gone)(void *self, int64_t now_us, const struct config *cfg);
	/* Stops its transport and frees it. */
	void (*destroy)(void *self);
	/* ICE (trickle, restart), for the kinds that have it; NULL otherwise,
	 * and the registry answers that the session is not found. */
	int (*trickle)(void *self, const char *const *candidates, int n, int end);
	void (*remote_ufrag)(void *self, char *buf, size_t size);
	int (*restart_ice)(void *self, const char *ufrag, const char *pwd,
			   const char *const *candidates, int n, struct endpoint_local *out);
};

/* One participant: its kind's operations and itself. */
struct participant {
	const struct participant_ops *ops;
	void *self;
};

#endif
