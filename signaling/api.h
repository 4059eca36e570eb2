/*
 * api.h - the router of API.md's routes: the pages (pages.c), health and
 * metrics (metrics.c), rooms, participants and tokens (rooms.c),
 * recordings (recapi.c), and the hand-off of /whip and /whep to whip.c; the
 * operator key is checked here, once (auth.c). Knows nothing of the HTTP
 * library: requests and replies are httpmsg plain data.
 */
#ifndef MCU_API_H
#define MCU_API_H

#include "env.h"
#include "httpmsg.h"

/*
 * Answers one complete request (CORS preflight and body limits are http.c's).
 * Checks the operator key where API.md asks for it. Returns the reply's
 * status. Thread: an HTTP worker.
 */
int api_route(const struct signaling_env *env, const struct httpmsg_request *req,
	      struct httpmsg_reply *reply);

#endif
