/*
 * api.c - see api.h. The router: splits the path, answers the pages and
 * /api/health without a key, hands /whip and /whep to whip.c, checks the
 * operator key (or, for a JSON join with join tokens on, a join token) and
 * passes the rest to its module: metrics.c, recapi.c, rooms.c.
 */
#include "api.h"
#include "auth.h"
#include "metrics.h"
#include "pages.h"
#include "recapi.h"
#include "rooms.h"
#include "mcu/config.h"
#include "whip.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MAX_SEGS 6

/* Splits path into at most MAX_SEGS segments in buf. Returns the count, or
 * -1 when there are more (no route is that deep). */
static int split_path(const char *path, char *buf, size_t size, char **segs)
{
	snprintf(buf, size, "%s", path);
	int n = 0;
	for (char *save = NULL, *s = strtok_r(buf, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
		if (n == MAX_SEGS)
			return -1;
		segs[n++] = s;
	}
	return n;
}

int api_route(const struct signaling_env *env, const struct httpmsg_request *req,
	      struct httpmsg_reply *reply)
{
	char buf[512];
	char *segs[MAX_SEGS];
	int n = strlen(req->path) < sizeof(buf) ? split_path(req->path, buf, sizeof(buf), segs) : -1;
	if (n < 0)
		return httpmsg_error(reply, 404, "not_found", "no such resource");
	int page = pages_route(env, req, segs, n, reply);
	if (page)
		return page;
	if (n < 1)
		return httpmsg_error(reply, 404, "not_found", "no such resource");
	bool is_api = !strcmp(segs[0], "api");
	if (is_api && n == 2 && !strcmp(segs[1], "health")) {
		if (!httpmsg_is_get(req->method))
			return httpmsg_not_allowed(reply, "GET, HEAD");
		return metrics_health(env, reply);
	}
	if (!strcmp(segs[0], "whip") || !strcmp(segs[0], "whep"))
		return whip_handle(env, req, segs, n, reply);
	bool is_metrics = n == 1 && !strcmp(segs[0], "metrics");
	/* /recordings/... is outside /api but serves the same operator data. */
	bool is_files = !strcmp(segs[0], "recordings");
	if (!is_api && !is_metrics && !is_files)
		return httpmsg_error(reply, 404, "not_found", "no such resource: %s", req->path);
	/* With join tokens on, the JSON twin of WHIP takes a join token as WHIP
	 * does (or the operator key). */
	bool is_join = is_api && n == 4 && !strcmp(segs[1], "rooms") &&
		       !strcmp(segs[3], "participants") && !strcmp(req->method, "POST");
	if (is_join && env->cfg->join_secret[0] && !auth_operator_presented(env, req)) {
		int denied = whip_check_join(env, req, segs[2], reply);
		return denied ? denied : rooms_route(env, req, segs, n, reply);
	}
	if (!auth_operator_ok(env, req)) {
		httpmsg_header(reply, "WWW-Authenticate", "Bearer");
		return httpmsg_error(reply, 401, "unauthorized", "this needs Authorization: Bearer <operator_key>");
	}
	if (is_metrics)
		return httpmsg_is_get(req->method) ? metrics_prometheus(env, reply)
						   : httpmsg_not_allowed(reply, "GET, HEAD");
	if (is_files || (n >= 2 && !strcmp(segs[1], "recordings")))
		return recapi_route(env, req, segs, n, reply);
	if (n >= 2 && !strcmp(segs[1], "rooms"))
		return rooms_route(env, req, segs, n, reply);
	return httpmsg_error(reply, 404, "not_found", "no such resource: %s", req->path);
}
