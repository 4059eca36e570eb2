/*
 * pages.h - the pages built into the binary (assets.c): the meeting page at
 * "/" and "/room/{room}", its files under "/static/", and the operator's
 * console at "/admin", which asks the browser for the operator key.
 */
#ifndef MCU_PAGES_H
#define MCU_PAGES_H

#include "env.h"
#include "httpmsg.h"

/*
 * Answers the request when its path (split into n segments, segs) is one of
 * the pages; returns the reply's status then, 0 when the path is none of
 * them (the reply untouched). Thread: an HTTP worker.
 */
int pages_route(const struct signaling_env *env, const struct httpmsg_request *req,
		char **segs, int n, struct httpmsg_reply *reply);

#endif
