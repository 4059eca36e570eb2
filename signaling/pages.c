/*
 * pages.c - see pages.h. The pages are files of signaling/www built into the
 * binary (assets.c); the console's page needs the operator key, asked for
 * with a Basic challenge so that a browser prompts once.
 */
#include "pages.h"
#include "assets.h"
#include "auth.h"
#include "mcu/registry.h"

#include <string.h>

/* GET of one of the pages or their files, built into the binary. */
static int serve_asset(const struct httpmsg_request *req, const char *name,
		       struct httpmsg_reply *reply)
{
	if (!httpmsg_is_get(req->method))
		return httpmsg_not_allowed(reply, "GET, HEAD");
	struct asset a;
	if (assets_find(name, &a))
		return httpmsg_error(reply, 404, "not_found", "no such file: %.100s", name);
	httpmsg_text(reply, 200, a.content_type, (const char *)a.data, a.len);
	httpmsg_header(reply, "Cache-Control", "no-cache");
	return 200;
}

int pages_route(const struct signaling_env *env, const struct httpmsg_request *req,
		char **segs, int n, struct httpmsg_reply *reply)
{
	if (n == 0 || (n == 2 && !strcmp(segs[0], "room") && room_valid_name(segs[1])))
		return serve_asset(req, "index.html", reply);
	if (n == 2 && !strcmp(segs[0], "static"))
		return serve_asset(req, segs[1], reply);
	if (n == 1 && !strcmp(segs[0], "admin")) {
		if (!auth_operator_ok(env, req)) {
			httpmsg_header(reply, "WWW-Authenticate", "Basic realm=\"mcu operator\"");
			return httpmsg_error(reply, 401, "unauthorized",
					     "the console needs the operator key (any user name)");
		}
		return serve_asset(req, "admin.html", reply);
	}
	return 0;
}
