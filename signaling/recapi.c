/*
 * recapi.c - see recapi.h. Recordings come from the recordings directory
 * (recorder/recordings.c, which alone turns a name into a file); whether one
 * is still being written is the recorder's word, through env's hook.
 */
#include "recapi.h"
#include "apijson.h"
#include "base/err.h"
#include "base/log.h"
#include "recorder/recordings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *recordings_dir(const struct signaling_env *env)
{
	return env->recordings_dir ? env->recordings_dir : "recordings";
}

/* What this server's own recorder of file says, or NULL when it has none. */
static const char *live_state(const struct signaling_env *env, const char *file)
{
	return env->recording_state ? env->recording_state(env->recording_ctx, file) : NULL;
}

static bool recording_live(const struct signaling_env *env, const char *file)
{
	const char *st = live_state(env, file);
	return st && !strcmp(st, "recording");
}

/* The state to show: recordings_state() says which. */
static const char *recording_state(const struct signaling_env *env,
				   const struct recording_info *r)
{
	return recordings_state(r, live_state(env, r->file));
}

static json_t *recording_json(const struct signaling_env *env, const struct recording_info *r)
{
	return json_pack("{s:s, s:s, s:o, s:f, s:I, s:s}", "file", r->file, "room", r->room,
			 "started", apijson_time(r->started_wall_us), "duration_s", r->duration_s,
			 "bytes", (json_int_t)r->bytes, "state", recording_state(env, r));
}

static int recording_not_found(struct httpmsg_reply *reply, const char *name)
{
	return httpmsg_error(reply, 404, "recording_not_found", "no recording '%.160s'", name);
}

static int list_recordings(const struct signaling_env *env, struct httpmsg_reply *reply)
{
	struct recording_info *recs = NULL;
	int n = 0;
	int rc = recordings_list(recordings_dir(env), &recs, &n);
	if (rc) {
		LOG_W("api", "recordings: cannot list %s: %s", recordings_dir(env), err_str(rc));
		return httpmsg_error(reply, 500, "internal", "cannot list recordings: %s", err_str(rc));
	}
	json_t *list = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(list, recording_json(env, &recs[i]));
	free(recs);
	return apijson_reply(reply, 200, json_pack("{s:o}", "recordings", list));
}

/* GET /api/recordings/{file}: one recording's object (an extension of
 * API.md: the list's element alone). */
static int get_recording(const struct signaling_env *env, const char *name,
			 struct httpmsg_reply *reply)
{
	struct recording_info info;
	if (recordings_get(recordings_dir(env), name, &info))
		return recording_not_found(reply, name);
	return apijson_reply(reply, 200, recording_json(env, &info));
}

static int delete_recording(const struct signaling_env *env, const char *name,
			    struct httpmsg_reply *reply)
{
	int rc = recordings_delete(recordings_dir(env), name, recording_live(env, name));
	if (rc == MCU_EINVAL || rc == MCU_ENOTFOUND)
		return recording_not_found(reply, name);
	if (rc == MCU_EAGAIN)
		return httpmsg_error(reply, 409, "recording_in_progress",
				     "'%s' is still being recorded; end the room's recording first", name);
	if (rc) {
		LOG_W("api", "recordings: cannot delete %s: %s", name, err_str(rc));
		return httpmsg_error(reply, 500, "internal", "cannot delete: %s", err_str(rc));
	}
	LOG_I("api", "recordings: deleted %s", name);
	return httpmsg_text(reply, 200, "application/json", "{}", 2);
}

/*
 * GET or HEAD /recordings/{file}: the MP4, whole (200) or one byte range
 * (206, RFC 9110 section 14); an unsatisfiable range is 416 with the size.
 * Range applies to GET only (RFC 9110 14.2: HEAD has no range semantics).
 */
static int serve_recording(const struct signaling_env *env, const struct httpmsg_request *req,
			   const char *name, struct httpmsg_reply *reply)
{
	uint64_t size = 0;
	int fd = recordings_open(recordings_dir(env), name, &size);
	if (fd < 0)
		return recording_not_found(reply, name);
	uint64_t first = 0, last = 0;
	int rc = 0;
	if (!strcmp(req->method, "GET"))
		rc = recordings_parse_range(req->range, size, &first, &last);
	char value[96];
	if (rc < 0) {
		close(fd);
		snprintf(value, sizeof(value), "bytes */%llu", (unsigned long long)size);
		httpmsg_header(reply, "Content-Range", value);
		return httpmsg_error(reply, 416, "range_not_satisfiable",
				     "the recording has %llu bytes", (unsigned long long)size);
	}
	httpmsg_header(reply, "Accept-Ranges", "bytes");
	if (rc == 0)
		return httpmsg_file(reply, 200, "video/mp4", fd, 0, size);
	snprintf(value, sizeof(value), "bytes %llu-%llu/%llu", (unsigned long long)first,
		 (unsigned long long)last, (unsigned long long)size);
	httpmsg_header(reply, "Content-Range", value);
	return httpmsg_file(reply, 206, "video/mp4", fd, first, last - first + 1);
}

/* /recordings/{file} (segs[0] "recordings") and /api/recordings[/{file}]
 * (segs[0] "api"). Names are checked by recordings.c: anything that is not
 * a recording's name is 404, whatever it tries to point at. */
int recapi_route(const struct signaling_env *env, const struct httpmsg_request *req,
		 char **segs, int n, struct httpmsg_reply *reply)
{
	const char *m = req->method;
	bool is_api = !strcmp(segs[0], "api");
	int depth = is_api ? n - 1 : n; /* segments from "recordings" on */
	if (!is_api) {
		if (depth != 2)
			return recording_not_found(reply, n > 1 ? segs[1] : "");
		if (!httpmsg_is_get(m))
			return httpmsg_not_allowed(reply, "GET, HEAD");
		return serve_recording(env, req, segs[1], reply);
	}
	if (depth == 1) {
		if (!httpmsg_is_get(m))
			return httpmsg_not_allowed(reply, "GET, HEAD");
		return list_recordings(env, reply);
	}
	if (depth != 2)
		return recording_not_found(reply, segs[2]);
	if (!strcmp(m, "DELETE"))
		return delete_recording(env, segs[2], reply);
	if (httpmsg_is_get(m))
		return get_recording(env, segs[2], reply);
	return httpmsg_not_allowed(reply, "GET, HEAD, DELETE");
}
