/*
 * recapi.h - the recordings' routes of API.md: GET /api/recordings (the
 * list), GET and DELETE /api/recordings/{file}, and GET /recordings/{file}
 * (the MP4, with byte ranges). Names and files are recorder/recordings.c's:
 * anything that is not a recording's name is 404.
 */
#ifndef MCU_RECAPI_H
#define MCU_RECAPI_H

#include "env.h"
#include "httpmsg.h"

/*
 * Answers /recordings/{file} (segs[0] "recordings") or
 * /api/recordings[/{file}] (segs[0] "api", segs[1] "recordings"); segs are
 * the path's n segments (n >= 1). The caller has checked the operator key.
 * Returns the reply's status. Thread: an HTTP worker.
 */
int recapi_route(const struct signaling_env *env, const struct httpmsg_request *req,
		 char **segs, int n, struct httpmsg_reply *reply);

#endif
