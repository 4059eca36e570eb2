/*
 * rooms.h - the /api/rooms routes of API.md: rooms (list, create, get,
 * change, delete), their participants (join by SDP offer, kick), join
 * tokens and the composite's snapshot. Rooms come from the registry as
 * snapshots, so no handler holds a lock while it writes JSON.
 */
#ifndef MCU_ROOMS_H
#define MCU_ROOMS_H

#include "env.h"
#include "httpmsg.h"

/*
 * Answers a request for /api/rooms[/...]: segs are the path's n segments,
 * segs[0] "api", segs[1] "rooms" (n >= 2). The caller has checked the
 * operator key, or a join token for POST .../participants. Returns the
 * reply's status. Thread: an HTTP worker.
 */
int rooms_route(const struct signaling_env *env, const struct httpmsg_request *req,
		char **segs, int n, struct httpmsg_reply *reply);

#endif
