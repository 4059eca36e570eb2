/*
 * json_api.c - fuzzes the JSON request bodies of the API (signaling/rooms.c
 * and apijson.c) through api_route, as http.c hands them over: the input is
 * the body of POST /api/rooms, PATCH /api/rooms/x and
 * POST /api/rooms/y/participants, each with Content-Type application/json. Links the full archives (the
 * routes reach the registry, the mixer and the recorder).
 *
 * The registry lives across inputs (made on the first call, destroyed at
 * exit), as it does in the server, with recordings in a mkdtemp directory
 * under $TMPDIR (else /tmp), removed at exit.
 * It holds one room, "x", so that PATCH reaches registry_update_room; each
 * input's side effects are undone before the next (rooms it created are
 * deleted, x is set back to grid and not recording), so inputs stay
 * independent. Participants join "y", which never exists, with
 * auto_create_rooms off: the body is parsed, the SDP in it parsed and
 * negotiated, and the join stops at the registry with a 404 before any ICE
 * agent or socket would be made (that needs transport threads that no
 * fuzzer should start).
 *
 * Checks beyond "no crash": every reply has a status in 200..599 and a
 * body that is a JSON object; an error reply's has string "error" and
 * "message".
 */
#include "mcu/config.h"
#include "base/log.h"
#include "mcu/registry.h"
#include "signaling/api.h"
#include "signaling/httpmsg.h"

#include <jansson.h>
#include <libavutil/log.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: check failed: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

struct world {
	struct config cfg;
	struct endpoint_env ep_env;
	struct registry *reg;
	struct signaling_env env;
	char rec_dir[200];
};

static struct world *world;

static void world_end(void)
{
	registry_destroy(world->reg); /* finalizes recordings into rec_dir first */
	char cmd[sizeof(world->rec_dir) + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", world->rec_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "json_api: cannot remove %s\n", world->rec_dir);
	free(world);
	world = NULL;
}

static void world_begin(void)
{
	log_set_level(LOG_ERROR); /* rooms come and go thousands of times */
	av_log_set_level(AV_LOG_ERROR); /* the recorder's encoders chat at INFO */
	struct world *w = calloc(1, sizeof(*w));
	CHECK(w);
	config_defaults(&w->cfg);
	w->cfg.auto_create_rooms = false;
	w->cfg.empty_room_timeout_s = 86400; /* x stays empty: housekeeping must not end it */
	/* A crash skips world_end: run-fuzzers.sh points TMPDIR into the build
	 * tree, so what a crash leaves behind goes with `make clean`. */
	const char *tmp = getenv("TMPDIR");
	snprintf(w->rec_dir, sizeof(w->rec_dir), "%s/fuzz_json_api.XXXXXX",
		 tmp && *tmp && strlen(tmp) < 150 ? tmp : "/tmp");
	CHECK(mkdtemp(w->rec_dir));
	snprintf(w->cfg.recordings_dir, sizeof(w->cfg.recordings_dir), "%s", w->rec_dir);
	w->ep_env.cfg = &w->cfg;
	CHECK(registry_create(&w->ep_env, 8, &w->reg) == 0);
	w->env = (struct signaling_env){ .cfg = &w->cfg, .registry = w->reg, .version = "fuzz",
					 .fingerprint = "AA", .recordings_dir = w->rec_dir };
	struct room_settings s = { .layout = "grid", .max_participants = 4 };
	struct room_info info;
	CHECK(registry_create_room(w->reg, "x", &s, &info) == 0);
	world = w;
	atexit(world_end);
}

static void check_reply(const struct httpmsg_reply *r)
{
	CHECK(r->status >= 200 && r->status <= 599);
	CHECK(r->file_fd == -1);
	CHECK(r->body && r->body_len > 0);
	json_error_t e;
	json_t *j = json_loadb(r->body, r->body_len, 0, &e);
	if (!j)
		fprintf(stderr, "reply %d is not JSON (%s): %.*s\n", r->status, e.text,
			(int)r->body_len, r->body);
	CHECK(j && json_is_object(j));
	if (r->status >= 400) {
		CHECK(json_is_string(json_object_get(j, "error")));
		/* Bad input is the client's fault, never an internal error. */
		CHECK(r->status >= 500 || strcmp(json_string_value(json_object_get(j, "error")), "internal"));
		CHECK(json_is_string(json_object_get(j, "message")));
	}
	json_decref(j);
}

static int route(const char *method, const char *path, const uint8_t *data, size_t size)
{
	struct httpmsg_reply reply;
	httpmsg_reply_init(&reply);
	struct httpmsg_request req = {
		.method = method, .path = path, .content_type = "application/json",
		.authorization = "", .if_match = "", .range = "",
		.body = size ? (const char *)data : NULL, .body_len = size,
	};
	int status = api_route(&world->env, &req, &reply);
	CHECK(status == reply.status);
	check_reply(&reply);
	httpmsg_reply_clear(&reply);
	return status;
}

/* Deletes every room but x: what a POST /api/rooms made. */
static void drop_new_rooms(void)
{
	struct room_info *rooms = NULL;
	int n = 0;
	CHECK(registry_list(world->reg, &rooms, &n) == 0);
	for (int i = 0; i < n; i++)
		if (strcmp(rooms[i].name, "x"))
			CHECK(registry_delete_room(world->reg, rooms[i].name) == 0);
	free(rooms);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!world)
		world_begin();
	if (route("POST", "/api/rooms", data, size) == 201)
		drop_new_rooms();

	route("PATCH", "/api/rooms/x", data, size);
	struct room_info info;
	CHECK(registry_update_room(world->reg, "x", "grid", 0, &info) == 0);

	int status = route("POST", "/api/rooms/y/participants", data, size);
	CHECK(status != 201); /* y does not exist and is not made */
	return 0;
}
