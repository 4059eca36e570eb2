/*
 * apijson.c - see apijson.h. The JSON routes' shared pieces, with jansson.
 */
#include "apijson.h"
#include "base/clock.h"

#include <stdlib.h>
#include <string.h>

int apijson_reply(struct httpmsg_reply *reply, int status, json_t *obj)
{
	char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	if (!text)
		return httpmsg_error(reply, 500, "internal", "out of memory");
	httpmsg_text(reply, status, "application/json", text, strlen(text));
	free(text);
	return status;
}

json_t *apijson_time(int64_t wall_us)
{
	char buf[32];
	return json_string(clock_format_utc(wall_us, buf, sizeof(buf)));
}

json_t *apijson_parse_body(const struct httpmsg_request *req, struct httpmsg_reply *reply)
{
	if (!httpmsg_content_type_is(req, "application/json")) {
		httpmsg_error(reply, 415, "unsupported_media_type", "send the body as application/json");
		return NULL;
	}
	json_error_t jerr;
	json_t *obj = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj) {
		httpmsg_error(reply, 400, "bad_json", "line %d: %s", jerr.line, jerr.text);
		return NULL;
	}
	if (!json_is_object(obj)) {
		json_decref(obj);
		httpmsg_error(reply, 400, "bad_json", "the body must be a JSON object");
		return NULL;
	}
	return obj;
}
