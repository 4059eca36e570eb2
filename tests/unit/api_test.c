/* api_test.c - api_route and httpmsg on plain requests, no socket: routing,
 * the error model, the operator key, rooms, health, metrics and recordings
 * (a temporary directory of fake files; file replies read back with pread). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mcu/config.h"
#include "mcu/registry.h"
#include "signaling/api.h"
#include "signaling/httpmsg.h"
#include "signaling/iceservers.h"
#include "signaling/token.h"
#include "signaling/whip.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct fixture {
	struct config cfg;
	struct endpoint_env ep_env;
	struct registry *reg;
	struct signaling_env env;
	struct httpmsg_reply reply;
	char rec_dir[64];   /* where rooms with "record": true write, not the cwd */
};

static int setup(void **state)
{
	static struct fixture f;
	memset(&f, 0, sizeof(f));
	config_defaults(&f.cfg);
	snprintf(f.rec_dir, sizeof(f.rec_dir), "/tmp/api_test_rooms.XXXXXX");
	if (!mkdtemp(f.rec_dir))
		return -1;
	snprintf(f.cfg.recordings_dir, sizeof(f.cfg.recordings_dir), "%s", f.rec_dir);
	f.ep_env.cfg = &f.cfg;
	if (registry_create(&f.ep_env, 8, &f.reg))
		return -1;
	f.env = (struct signaling_env){ .cfg = &f.cfg, .registry = f.reg, .version = "test",
					.fingerprint = "AA" };
	httpmsg_reply_init(&f.reply);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	httpmsg_reply_clear(&f->reply);
	registry_destroy(f->reg); /* finalizes recordings into rec_dir first */
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->rec_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Routes one request; returns the status and leaves the reply in f->reply. */
static int call(struct fixture *f, const char *method, const char *path, const char *ctype,
		const char *body)
{
	httpmsg_reply_clear(&f->reply);
	struct httpmsg_request req = { .method = method, .path = path,
				       .content_type = ctype ? ctype : "", .authorization = "",
				       .body = body, .body_len = body ? strlen(body) : 0 };
	return api_route(&f->env, &req, &f->reply);
}

/* A bodiless request with a Range and an Authorization header. */
static int call_hdr(struct fixture *f, const char *method, const char *path, const char *range,
		    const char *auth)
{
	httpmsg_reply_clear(&f->reply);
	struct httpmsg_request req = { .method = method, .path = path, .content_type = "",
				       .authorization = auth, .if_match = "", .range = range };
	return api_route(&f->env, &req, &f->reply);
}

static const char *reply_header(const struct fixture *f, const char *name)
{
	for (int i = 0; i < f->reply.n_headers; i++)
		if (!strcmp(f->reply.header_names[i], name))
			return f->reply.header_values[i];
	return NULL;
}

static json_t *reply_json(struct fixture *f)
{
	json_t *j = json_loadb(f->reply.body, f->reply.body_len, 0, NULL);
	assert_non_null(j);
	return j;
}

static void assert_error_code(struct fixture *f, const char *code)
{
	json_t *j = reply_json(f);
	assert_string_equal(json_string_value(json_object_get(j, "error")), code);
	assert_true(json_is_string(json_object_get(j, "message")));
	json_decref(j);
}

static void test_health_and_errors(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(call(f, "GET", "/api/health", NULL, NULL), 200);
	json_t *j = reply_json(f);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
	assert_int_equal(json_integer_value(json_object_get(j, "rooms")), 0);
	json_decref(j);
	assert_int_equal(call(f, "POST", "/api/health", NULL, NULL), 405);
	assert_int_equal(call(f, "GET", "/nothing", NULL, NULL), 404);
	assert_error_code(f, "not_found");
	assert_int_equal(call(f, "GET", "/a/b/c/d/e/f/g/h", NULL, NULL), 404);
	assert_int_equal(call(f, "GET", "/api/nothing", NULL, NULL), 404);
	assert_int_equal(call(f, "POST", "/api/rooms", "text/plain", "{}"), 415);
	assert_int_equal(call(f, "POST", "/api/rooms", "application/json", "[1]"), 400);
	assert_error_code(f, "bad_json");
	assert_int_equal(call(f, "POST", "/api/rooms", "application/json", "{\"room\":1}"), 400);
	assert_int_equal(call(f, "POST", "/api/rooms", "application/json",
			      "{\"max_participants\":0}"), 400);
	assert_int_equal(call(f, "POST", "/whip/r", "application/json", "x"), 415);
	assert_int_equal(call(f, "POST", "/whip/r", "application/sdp", NULL), 400);
	assert_int_equal(call(f, "GET", "/whip/r", NULL, NULL), 405);
	assert_int_equal(call(f, "DELETE", "/whip/r/0123456789abcdef", NULL, NULL), 404);
	assert_int_equal(call(f, "PATCH", "/whip/r/0123456789abcdef", "text/plain", "x"), 415);
	assert_int_equal(call(f, "PATCH", "/whip/r/0123456789abcdef",
			      "application/trickle-ice-sdpfrag", "a=end-of-candidates\r\n"), 404);
}

static void test_rooms(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(call(f, "POST", "/api/rooms", "application/json; charset=utf-8",
			      "{\"room\":\"r1\",\"layout\":\"speaker\",\"record\":true}"), 201);
	json_t *j = reply_json(f);
	assert_string_equal(json_string_value(json_object_get(j, "layout")), "speaker");
	assert_true(json_is_true(json_object_get(j, "record")));
	json_decref(j);
	assert_int_equal(call(f, "POST", "/api/rooms", "application/json", "{\"room\":\"r1\"}"), 409);
	assert_int_equal(call(f, "GET", "/api/rooms/r1", NULL, NULL), 200);
	assert_int_equal(call(f, "PATCH", "/api/rooms/r1", "application/json", "{\"layout\":\"grid\"}"), 200);
	j = reply_json(f);
	assert_string_equal(json_string_value(json_object_get(j, "layout")), "grid");
	json_decref(j);
	assert_int_equal(call(f, "PATCH", "/api/rooms/r1", "application/json", "{\"record\":\"yes\"}"), 400);
	assert_int_equal(call(f, "PUT", "/api/rooms/r1", NULL, NULL), 405);
	assert_int_equal(call(f, "GET", "/api/rooms", NULL, NULL), 200);
	j = reply_json(f);
	assert_int_equal(json_array_size(json_object_get(j, "rooms")), 1);
	json_decref(j);
	assert_int_equal(call(f, "POST", "/api/rooms/r1/participants", "application/json", "{}"), 400);
	assert_int_equal(call(f, "DELETE", "/api/rooms/r1/participants/abc", NULL, NULL), 404);
	assert_int_equal(call(f, "DELETE", "/api/rooms/r1", NULL, NULL), 200);
	assert_int_equal(call(f, "GET", "/api/rooms/r1", NULL, NULL), 404);
	assert_error_code(f, "room_not_found");
}

static void test_operator_key_and_metrics(void **state)
{
	struct fixture *f = *state;
	strcpy(f->cfg.operator_key, "k3y");
	assert_int_equal(call(f, "GET", "/api/rooms", NULL, NULL), 401);
	assert_int_equal(call(f, "GET", "/metrics", NULL, NULL), 401);
	assert_int_equal(call(f, "GET", "/api/health", NULL, NULL), 200);
	httpmsg_reply_clear(&f->reply);
	struct httpmsg_request req = { .method = "GET", .path = "/metrics", .content_type = "",
				       .authorization = "Bearer k3y" };
	assert_int_equal(api_route(&f->env, &req, &f->reply), 200);
	assert_non_null(strstr(f->reply.body, "mcu_rooms 0\n"));
	assert_non_null(strstr(f->reply.body, "# TYPE mcu_joins_total counter\n"));
	req.authorization = "Bearer k3yy";
	assert_int_equal(api_route(&f->env, &req, &f->reply), 401);
	f->cfg.operator_key[0] = '\0';
}

/* An error message quoting invalid or cut UTF-8 still makes a JSON body
 * with the right code (the bytes become '?'), never "internal". */
static void test_error_message_utf8(void **state)
{
	(void)state;
	struct httpmsg_reply reply;
	httpmsg_reply_init(&reply);
	httpmsg_error(&reply, 400, "bad_json", "near '%s' and '%s' and '%s'", "\x22\x5c\xd0",
		      "\xed\xa0\x80", "caf\xc3\xa9");
	json_t *j = json_loadb(reply.body, reply.body_len, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "error")), "bad_json");
	assert_string_equal(json_string_value(json_object_get(j, "message")),
			    "near '\"\\?' and '?" "?" "?' and 'caf\xc3\xa9'");
	assert_int_equal((int)strlen(reply.body), (int)reply.body_len); /* no NUL inside */
	json_decref(j);
	httpmsg_reply_clear(&reply);
}

static void test_httpmsg(void **state)
{
	(void)state;
	struct httpmsg_request req = { .content_type = "Application/SDP ; charset=x",
				       .arg_keys = { "profile", "name" }, .arg_values = { "sd", "" },
				       .n_args = 2 };
	assert_true(httpmsg_content_type_is(&req, "application/sdp"));
	assert_false(httpmsg_content_type_is(&req, "application/sd"));
	req.content_type = "application/sdpx";
	assert_false(httpmsg_content_type_is(&req, "application/sdp"));
	assert_string_equal(httpmsg_arg(&req, "profile"), "sd");
	assert_string_equal(httpmsg_arg(&req, "name"), "");
	assert_null(httpmsg_arg(&req, "other"));
	assert_true(httpmsg_is_get("GET"));
	assert_true(httpmsg_is_get("HEAD"));
	assert_false(httpmsg_is_get("POST"));
	assert_false(httpmsg_is_get("get")); /* methods are case-sensitive (RFC 9110 9.1) */
	assert_false(httpmsg_is_get("GETX"));

	struct httpmsg_reply reply = HTTPMSG_REPLY_INIT;
	assert_int_equal(reply.file_fd, -1);
	assert_int_equal(httpmsg_error(&reply, 400, "bad", "n=%d \"q\"", 5), 400);
	json_t *j = json_loadb(reply.body, reply.body_len, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "message")), "n=5 \"q\"");
	json_decref(j);
	for (int i = 0; i < HTTPMSG_MAX_HEADERS + 2; i++)
		httpmsg_header(&reply, "X-A", "b");
	assert_int_equal(reply.n_headers, HTTPMSG_MAX_HEADERS);
	httpmsg_reply_clear(&reply);
	assert_null(reply.body);
	assert_int_equal(reply.file_fd, -1);

	/* A file body replaces a buffer and the other way round; the reply owns
	 * the fd and closes it when it lets go. */
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	httpmsg_text(&reply, 200, "text/plain", "x", 1);
	assert_int_equal(httpmsg_file(&reply, 206, "video/mp4", fd, 5, 10), 206);
	assert_null(reply.body);
	assert_int_equal(reply.body_len, 0);
	assert_int_equal(reply.file_fd, fd);
	assert_int_equal(reply.file_offset, 5);
	assert_int_equal(reply.file_len, 10);
	assert_string_equal(reply.content_type, "video/mp4");
	httpmsg_error(&reply, 416, "range", "no");
	assert_int_equal(reply.file_fd, -1);
	assert_int_equal(fcntl(fd, F_GETFD), -1); /* closed */
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	httpmsg_file(&reply, 200, "video/mp4", fd, 0, 0);
	httpmsg_reply_clear(&reply);
	assert_int_equal(reply.file_fd, -1);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	int stdin_flags = fcntl(0, F_GETFD);
	httpmsg_reply_init(&reply);
	httpmsg_reply_clear(&reply); /* clearing an empty reply closes nothing, fd 0 least */
	assert_int_equal(fcntl(0, F_GETFD), stdin_flags);
}

#define REC "lobby-20261123T071500Z.mp4"
#define REC2 "lobby-20261123T081500Z.mp4"

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *out = fopen(path, "wb");
	assert_non_null(out);
	assert_int_equal(fwrite(data, 1, len, out), len);
	assert_int_equal(fclose(out), 0);
}

static const char *live_rec2(void *ctx, const char *file)
{
	int *calls = ctx;
	(*calls)++;
	return !strcmp(file, REC2) ? "recording" : NULL;
}

/* The reply's file span as it would be sent, compared with data[from..]. */
static void assert_file_body(const struct fixture *f, const unsigned char *data, uint64_t from,
			     uint64_t len)
{
	assert_true(f->reply.file_fd >= 0);
	assert_null(f->reply.body);
	assert_int_equal(f->reply.file_offset, from);
	assert_int_equal(f->reply.file_len, len);
	unsigned char buf[1000];
	assert_true(len <= sizeof(buf));
	assert_int_equal(pread(f->reply.file_fd, buf, (size_t)len, (off_t)from), (ssize_t)len);
	assert_memory_equal(buf, data + from, (size_t)len);
}

static void test_recordings_list_and_get(void **state)
{
	struct fixture *f = *state;
	char dir[] = "/tmp/api_test_rec.XXXXXX";
	assert_non_null(mkdtemp(dir));
	f->env.recordings_dir = dir;
	assert_int_equal(call(f, "GET", "/api/recordings", NULL, NULL), 200);
	assert_string_equal(f->reply.body, "{\"recordings\":[]}");

	unsigned char data[1000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 31 + 7);
	write_file(dir, REC, data, sizeof(data));
	const char *side = "{\"room\":\"lobby\",\"file\":\"" REC "\",\"started\":\"2026-11-23T07:15:00Z\","
			   "\"ended\":\"2026-11-23T07:16:00Z\",\"state\":\"done\",\"duration_s\":60.5,"
			   "\"bytes\":1,\"participants\":[]}";
	write_file(dir, REC ".json", side, strlen(side));
	write_file(dir, REC2, data, 10);
	const char *side2 = "{\"state\":\"recording\",\"duration_s\":2}";
	write_file(dir, REC2 ".json", side2, strlen(side2));

	assert_int_equal(call(f, "GET", "/api/recordings", NULL, NULL), 200);
	json_t *j = reply_json(f);
	json_t *list = json_object_get(j, "recordings");
	assert_int_equal(json_array_size(list), 2);
	json_t *r = json_array_get(list, 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "file")), REC2);
	assert_string_equal(json_string_value(json_object_get(r, "file")), REC);
	assert_string_equal(json_string_value(json_object_get(r, "room")), "lobby");
	assert_string_equal(json_string_value(json_object_get(r, "started")), "2026-11-23T07:15:00Z");
	assert_true(json_real_value(json_object_get(r, "duration_s")) == 60.5);
	assert_int_equal(json_integer_value(json_object_get(r, "bytes")), 1000);
	assert_string_equal(json_string_value(json_object_get(r, "state")), "done");
	/* No recorder here has it: a sidecar saying "recording" was cut short. */
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "state")),
			    "incomplete");
	json_decref(j);

	/* With a hook, a "recording" the server does not write was cut short
	 * (a crash) and plays up to its last fragment: "incomplete", never
	 * "done". */
	int calls = 0;
	f->env.recording_state = live_rec2;
	f->env.recording_ctx = &calls;
	assert_int_equal(call(f, "GET", "/api/recordings/" REC2, NULL, NULL), 200);
	j = reply_json(f);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "recording");
	json_decref(j);
	write_file(dir, REC ".json", side2, strlen(side2));
	assert_int_equal(call(f, "GET", "/api/recordings/" REC, NULL, NULL), 200);
	j = reply_json(f);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "incomplete");
	json_decref(j);
	assert_true(calls > 0);
	f->env.recording_state = NULL;
	f->env.recording_ctx = NULL;

	assert_int_equal(call(f, "GET", "/api/recordings/lobby-20991123T071500Z.mp4", NULL, NULL), 404);
	assert_error_code(f, "recording_not_found");
	assert_int_equal(call(f, "POST", "/api/recordings", "application/json", "{}"), 405);
	assert_int_equal(call(f, "PUT", "/api/recordings/" REC, NULL, NULL), 405);

	/* A missing directory is an empty list; a file in its place is a 500. */
	char missing[64];
	snprintf(missing, sizeof(missing), "%s/none", dir);
	f->env.recordings_dir = missing;
	assert_int_equal(call(f, "GET", "/api/recordings", NULL, NULL), 200);
	assert_string_equal(f->reply.body, "{\"recordings\":[]}");
	char plain[64];
	snprintf(plain, sizeof(plain), "%s/" REC, dir);
	f->env.recordings_dir = plain;
	assert_int_equal(call(f, "GET", "/api/recordings", NULL, NULL), 500);

	f->env.recordings_dir = NULL;
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_recordings_files(void **state)
{
	struct fixture *f = *state;
	char dir[] = "/tmp/api_test_rec.XXXXXX", outside[] = "/tmp/api_test_out.XXXXXX";
	assert_non_null(mkdtemp(dir));
	assert_non_null(mkdtemp(outside));
	f->env.recordings_dir = dir;
	unsigned char data[1000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 13 + 1);
	write_file(dir, REC, data, sizeof(data));
	const char *p = "/recordings/" REC;

	assert_int_equal(call_hdr(f, "GET", p, "", ""), 200);
	assert_string_equal(f->reply.content_type, "video/mp4");
	assert_string_equal(reply_header(f, "Accept-Ranges"), "bytes");
	assert_null(reply_header(f, "Content-Range"));
	assert_file_body(f, data, 0, 1000);
	assert_int_equal(call_hdr(f, "GET", p, NULL, ""), 200);   /* range NULL: absent */
	assert_int_equal(call_hdr(f, "HEAD", p, "bytes=1-2", ""), 200); /* HEAD ignores Range */
	assert_int_equal(f->reply.file_len, 1000);

	assert_int_equal(call_hdr(f, "GET", p, "bytes=100-199", ""), 206);
	assert_string_equal(reply_header(f, "Content-Range"), "bytes 100-199/1000");
	assert_file_body(f, data, 100, 100);
	assert_int_equal(call_hdr(f, "GET", p, "bytes=-10", ""), 206);
	assert_string_equal(reply_header(f, "Content-Range"), "bytes 990-999/1000");
	assert_file_body(f, data, 990, 10);
	assert_int_equal(call_hdr(f, "GET", p, "bytes=900-5000", ""), 206);
	assert_string_equal(reply_header(f, "Content-Range"), "bytes 900-999/1000");
	assert_int_equal(call_hdr(f, "GET", p, "bytes=0-1,5-6", ""), 200);
	assert_int_equal(f->reply.file_len, 1000);

	assert_int_equal(call_hdr(f, "GET", p, "bytes=5000-", ""), 416);
	assert_string_equal(reply_header(f, "Content-Range"), "bytes */1000");
	assert_int_equal(f->reply.file_fd, -1);
	assert_error_code(f, "range_not_satisfiable");

	assert_int_equal(call_hdr(f, "DELETE", p, "", ""), 405);
	assert_string_equal(reply_header(f, "Allow"), "GET, HEAD, OPTIONS");
	assert_int_equal(call_hdr(f, "POST", p, "", ""), 405);

	/* Nothing outside the directory, however it is named. */
	write_file(outside, "secret", "SECRET", 6);
	char link_path[128], target[128];
	snprintf(target, sizeof(target), "%s/secret", outside);
	snprintf(link_path, sizeof(link_path), "%s/evil-20261123T071500Z.mp4", dir);
	assert_int_equal(symlink(target, link_path), 0);
	write_file(dir, "notes.txt", "notes", 5);
	static const char *const bad[] = {
		"/recordings/..", "/recordings/../etc/passwd", "/recordings/%2e%2e%2fx",
		"/recordings/a/b.mp4", "/recordings/x.mp4%00.json", "/recordings/" REC "%00.json",
		"/recordings/evil-20261123T071500Z.mp4", "/recordings/notes.txt",
		"/recordings/" REC ".json", "/recordings/../../../../etc/passwd",
		"/recordings//etc/passwd", "/recordings/", "/recordings",
		"/api/recordings/..", "/api/recordings/../x", "/api/recordings/a/b.mp4",
		"/api/recordings/evil-20261123T071500Z.mp4",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int status = call_hdr(f, "GET", bad[i], "", "");
		if (status != 404 || f->reply.file_fd != -1)
			fail_msg("GET %s: %d", bad[i], status);
		json_t *j = reply_json(f); /* paths past MAX_SEGS deep are plain not_found */
		const char *code = json_string_value(json_object_get(j, "error"));
		assert_true(!strcmp(code, "recording_not_found") || !strcmp(code, "not_found"));
		json_decref(j);
		status = call_hdr(f, "DELETE", bad[i], "", "");
		if (status != 404 && status != 405)
			fail_msg("DELETE %s: %d", bad[i], status);
	}
	struct stat st;
	assert_int_equal(lstat(link_path, &st), 0);       /* the symlink stays */
	assert_int_equal(stat(target, &st), 0);           /* and so does its target */

	f->env.recordings_dir = NULL;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir, outside);
	assert_int_equal(system(cmd), 0);
}

static void test_recordings_delete_and_key(void **state)
{
	struct fixture *f = *state;
	char dir[] = "/tmp/api_test_rec.XXXXXX";
	assert_non_null(mkdtemp(dir));
	f->env.recordings_dir = dir;
	write_file(dir, REC, "abc", 3);
	write_file(dir, REC ".json", "{}", 2);
	write_file(dir, REC2, "abc", 3);

	strcpy(f->cfg.operator_key, "k3y");
	static const char *const guarded[][2] = {
		{ "GET", "/api/recordings" }, { "GET", "/recordings/" REC },
		{ "GET", "/recordings/x.mp4" }, { "HEAD", "/recordings/" REC },
		{ "DELETE", "/api/recordings/" REC }, { "GET", "/api/recordings/" REC },
		{ "GET", "/recordings/../etc/passwd" }, { "GET", "/recordings" },
	};
	for (size_t i = 0; i < sizeof(guarded) / sizeof(guarded[0]); i++) {
		assert_int_equal(call_hdr(f, guarded[i][0], guarded[i][1], "", ""), 401);
		assert_int_equal(f->reply.file_fd, -1);
		assert_int_equal(call_hdr(f, guarded[i][0], guarded[i][1], "", "Bearer nope"), 401);
	}
	assert_int_equal(call_hdr(f, "GET", "/recordings/" REC, "", "Bearer k3y"), 200);
	assert_int_equal(call_hdr(f, "GET", "/api/recordings", "", "Bearer k3y"), 200);

	int calls = 0;
	f->env.recording_state = live_rec2;
	f->env.recording_ctx = &calls;
	assert_int_equal(call_hdr(f, "DELETE", "/api/recordings/" REC2, "", "Bearer k3y"), 409);
	assert_error_code(f, "recording_in_progress");
	char path[128];
	snprintf(path, sizeof(path), "%s/" REC2, dir);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(call_hdr(f, "DELETE", "/api/recordings/" REC, "", "Bearer k3y"), 200);
	assert_string_equal(f->reply.body, "{}");
	snprintf(path, sizeof(path), "%s/" REC, dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/" REC ".json", dir);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(call_hdr(f, "DELETE", "/api/recordings/" REC, "", "Bearer k3y"), 404);
	assert_int_equal(call_hdr(f, "GET", "/recordings/" REC, "", "Bearer k3y"), 404);
	f->env.recording_state = NULL;
	f->env.recording_ctx = NULL;
	assert_int_equal(call_hdr(f, "DELETE", "/api/recordings/" REC2, "", "Bearer k3y"), 200);
	assert_int_equal(call_hdr(f, "DELETE", "/api/recordings", "", "Bearer k3y"), 405);

	f->cfg.operator_key[0] = '\0';
	f->env.recordings_dir = NULL;
	assert_int_equal(rmdir(dir), 0); /* nothing left behind */
}

/* The pages and their files; the console behind the key, by Bearer or by a
 * Basic password (what a browser sends after its prompt). */
static void test_pages_and_basic_auth(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(call(f, "GET", "/", NULL, NULL), 200);
	assert_string_equal(f->reply.content_type, "text/html; charset=utf-8");
	assert_true(f->reply.body_len > 0);
	assert_int_equal(call(f, "GET", "/room/lobby", NULL, NULL), 200);
	assert_int_equal(call(f, "GET", "/room/bad..name", NULL, NULL), 404);
	assert_int_equal(call(f, "GET", "/static/mcu.css", NULL, NULL), 200);
	assert_string_equal(f->reply.content_type, "text/css; charset=utf-8");
	assert_int_equal(call(f, "GET", "/static/client.js", NULL, NULL), 200);
	assert_int_equal(call(f, "GET", "/static/../mcu.conf", NULL, NULL), 404);
	assert_int_equal(call(f, "GET", "/static/nope.js", NULL, NULL), 404);
	assert_int_equal(call(f, "POST", "/", NULL, NULL), 405);
	assert_int_equal(call(f, "GET", "/admin", NULL, NULL), 200); /* no key set: open */

	snprintf(f->cfg.operator_key, sizeof(f->cfg.operator_key), "sekret");
	assert_int_equal(call_hdr(f, "GET", "/admin", "", ""), 401);
	assert_non_null(strstr(reply_header(f, "WWW-Authenticate"), "Basic"));
	/* base64("op:sekret") and base64("op:wrong"), base64("sekret") (no colon). */
	assert_int_equal(call_hdr(f, "GET", "/admin", "", "Basic b3A6c2VrcmV0"), 200);
	assert_int_equal(call_hdr(f, "GET", "/admin", "", "Basic b3A6d3Jvbmc="), 401);
	assert_int_equal(call_hdr(f, "GET", "/admin", "", "Basic c2VrcmV0"), 401);
	assert_int_equal(call_hdr(f, "GET", "/admin", "", "Basic !!!!"), 401);
	assert_int_equal(call_hdr(f, "GET", "/admin", "", "Bearer sekret"), 200);
	assert_int_equal(call_hdr(f, "GET", "/api/rooms", "", "Basic b3A6c2VrcmV0"), 200);
	assert_int_equal(call_hdr(f, "GET", "/api/rooms", "", "Basic b3A6d3Jvbmc="), 401);
	assert_int_equal(call_hdr(f, "GET", "/", "", ""), 200); /* the client stays open */
	f->cfg.operator_key[0] = '\0';
}

/* A room with no receiver has no composite yet: 404 no_picture; an unknown
 * room is room_not_found. */
static void test_snapshot_without_picture(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(call(f, "POST", "/api/rooms", "application/json", "{\"room\":\"pic\"}"), 201);
	assert_int_equal(call(f, "GET", "/api/rooms/pic/snapshot.jpg", NULL, NULL), 404);
	assert_error_code(f, "no_picture");
	assert_int_equal(call(f, "GET", "/api/rooms/nope/snapshot.jpg", NULL, NULL), 404);
	assert_error_code(f, "room_not_found");
	assert_int_equal(call(f, "POST", "/api/rooms/pic/snapshot.jpg", NULL, NULL), 405);
	assert_int_equal(call(f, "DELETE", "/api/rooms/pic", NULL, NULL), 200);
}

/* OPTIONS on a WHIP/WHEP endpoint: Accept-Post always; the ICE servers'
 * Link headers only on /whip|whep/{room} and, with join tokens on, only for
 * a request that may join. */
static void test_options_ice_links(void **state)
{
	struct fixture *f = *state;
	struct iceservers_config ice = { .urls = "stun:127.0.0.1:3478 turn:127.0.0.1:3478",
					 .username = "u", .secret = "s3cret", .ttl_s = 60 };
	struct iceservers *servers = NULL;
	char err[128];
	assert_int_equal(iceservers_create(&ice, &servers, err, sizeof(err)), 0);
	f->env.ice_servers = servers;
	struct httpmsg_request req = { .method = "OPTIONS", .path = "/whip/lobby", .content_type = "",
				       .authorization = "" };
	httpmsg_reply_clear(&f->reply);
	assert_int_equal(whip_options(&f->env, &req, &f->reply), 204);
	assert_string_equal(reply_header(f, "Accept-Post"), "application/sdp");
	int links = 0;
	for (int i = 0; i < f->reply.n_headers; i++)
		links += !strcmp(f->reply.header_names[i], "Link");
	assert_int_equal(links, 2);
	assert_non_null(strstr(f->reply.header_values[1], "<stun:127.0.0.1:3478>; rel=\"ice-server\""));
	assert_non_null(strstr(f->reply.header_values[2], ":u\"; credential=\""));

	/* A session's URL, or a bad room: no Link. */
	req.path = "/whep/lobby/0123456789abcdef";
	httpmsg_reply_clear(&f->reply);
	assert_int_equal(whip_options(&f->env, &req, &f->reply), 204);
	assert_null(reply_header(f, "Link"));
	req.path = "/whip/no%20such";
	httpmsg_reply_clear(&f->reply);
	whip_options(&f->env, &req, &f->reply);
	assert_null(reply_header(f, "Link"));

	/* Join tokens on: nothing without one, the links with one. */
	snprintf(f->cfg.join_secret, sizeof(f->cfg.join_secret), "%s", "joinsecret");
	req.path = "/whip/lobby";
	httpmsg_reply_clear(&f->reply);
	whip_options(&f->env, &req, &f->reply);
	assert_null(reply_header(f, "Link"));
	char token[TOKEN_MAX], auth[TOKEN_MAX + 8];
	assert_int_equal(token_mint("joinsecret", "lobby", (int64_t)time(NULL) * 1000000, 60, token), 0);
	snprintf(auth, sizeof(auth), "Bearer %s", token);
	req.authorization = auth;
	httpmsg_reply_clear(&f->reply);
	whip_options(&f->env, &req, &f->reply);
	assert_non_null(reply_header(f, "Link"));
	f->cfg.join_secret[0] = '\0';

	httpmsg_reply_clear(&f->reply);
	f->env.ice_servers = NULL;
	iceservers_destroy(servers);
}

/* Every 405 says what the path allows (RFC 9110 15.5.6), and every GET
 * route answers HEAD as GET (the HTTP library leaves the body out). */
static void test_allow_and_head(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(call(f, "POST", "/api/rooms", "application/json", "{\"room\":\"ah\"}"), 201);
	static const struct {
		const char *method, *path, *allow;
	} cases[] = {
		{ "POST", "/api/health", "GET, HEAD, OPTIONS" },
		{ "POST", "/metrics", "GET, HEAD, OPTIONS" },
		{ "PUT", "/api/rooms", "GET, HEAD, POST, OPTIONS" },
		{ "PUT", "/api/rooms/ah", "GET, HEAD, PATCH, DELETE, OPTIONS" },
		{ "GET", "/api/rooms/ah/tokens", "POST, OPTIONS" },
		{ "POST", "/api/rooms/ah/snapshot.jpg", "GET, HEAD, OPTIONS" },
		{ "GET", "/api/rooms/ah/participants", "POST, OPTIONS" },
		{ "GET", "/api/rooms/ah/participants/x", "DELETE, OPTIONS" },
		{ "POST", "/api/recordings", "GET, HEAD, OPTIONS" },
		{ "PUT", "/api/recordings/ah-20261123T071500Z.mp4", "GET, HEAD, DELETE, OPTIONS" },
		{ "DELETE", "/recordings/ah-20261123T071500Z.mp4", "GET, HEAD, OPTIONS" },
		{ "POST", "/", "GET, HEAD, OPTIONS" },
		{ "GET", "/whip/ah", "POST, OPTIONS" },
		{ "GET", "/whep/ah", "POST, OPTIONS" },
		{ "GET", "/whip/ah/0123456789abcdef", "PATCH, DELETE, OPTIONS" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(call(f, cases[i].method, cases[i].path, NULL, NULL), 405);
		assert_string_equal(reply_header(f, "Allow"), cases[i].allow);
		assert_error_code(f, "method_not_allowed");
	}
	const char *gets[] = { "/api/health", "/metrics", "/api/rooms", "/api/rooms/ah", "/" };
	for (size_t i = 0; i < sizeof(gets) / sizeof(gets[0]); i++) {
		assert_int_equal(call(f, "GET", gets[i], NULL, NULL), 200);
		char type[sizeof(f->reply.content_type)];
		memcpy(type, f->reply.content_type, sizeof(type));
		assert_int_equal(call(f, "HEAD", gets[i], NULL, NULL), 200);
		assert_string_equal(f->reply.content_type, type);
	}
	assert_int_equal(call(f, "DELETE", "/api/rooms/ah", NULL, NULL), 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health_and_errors),
		cmocka_unit_test(test_rooms),
		cmocka_unit_test(test_operator_key_and_metrics),
		cmocka_unit_test(test_httpmsg),
		cmocka_unit_test(test_recordings_list_and_get),
		cmocka_unit_test(test_recordings_files),
		cmocka_unit_test(test_recordings_delete_and_key),
		cmocka_unit_test(test_pages_and_basic_auth),
		cmocka_unit_test(test_error_message_utf8),
		cmocka_unit_test(test_snapshot_without_picture),
		cmocka_unit_test(test_options_ice_links),
		cmocka_unit_test(test_allow_and_head),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
