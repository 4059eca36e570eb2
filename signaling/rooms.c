/*
 * rooms.c - see rooms.h. JSON in and out with jansson; rooms and
 * participants through the registry, which returns snapshots, so no handler
 * holds a lock while it writes JSON. Joins go through whip_join, as WHIP's
 * do, so both doors admit alike.
 */
#include "rooms.h"
#include "apijson.h"
#include "auth.h"
#include "base/clock.h"
#include "mcu/config.h"
#include "base/err.h"
#include "mcu/registry.h"
#include "base/profile.h"
#include "iceservers.h"
#include "revocations.h"
#include "token.h"
#include "whip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static json_t *media_stats_json(const struct endpoint_media_stats *m)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:f}", "ssrc", (json_int_t)m->ssrc,
			 "packets_in", (json_int_t)m->packets_in, "bytes_in", (json_int_t)m->bytes_in,
			 "lost", (json_int_t)m->lost, "jitter_ms", m->jitter_ms);
}

static json_t *participant_json(const struct endpoint_info *p)
{
	json_t *stats = json_pack("{s:s, s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:I, s:I}",
				  "ice", p->ice_state, "dtls", p->dtls_state, "srtp", p->srtp_profile,
				  "audio", media_stats_json(&p->audio),
				  "video", media_stats_json(&p->video),
				  "rtcp_in", (json_int_t)p->rtcp_in,
				  "srtp_errors", (json_int_t)p->srtp_errors,
				  "other_in", (json_int_t)p->other_in,
				  "packets_out", (json_int_t)p->packets_out,
				  "bytes_out", (json_int_t)p->bytes_out);
	json_object_set_new(stats, "ice_transport", json_string(p->ice_transport ? p->ice_transport : ""));
	json_object_set_new(stats, "queue_dropped", json_integer((json_int_t)p->queue_dropped));
	json_object_set_new(stats, "rate_limited", json_integer((json_int_t)p->rate_limited));
	const char *receiving = p->receiving_profile >= 0 && p->receiving_profile < PROFILE_COUNT
				? profile_get((enum profile_id)p->receiving_profile)->name : "";
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "id", p->id, "name", p->name,
			 "kind", p->legacy ? "rtp" : "webrtc", "direction", p->direction,
			 "profile", p->profile,
			 "receiving_profile", receiving,
			 "joined", apijson_time(p->joined_wall_us), "stats", stats);
}

/* What the room's mixer runs: the cost model of ARCHITECTURE.md, live. */
static json_t *mixer_json(const struct mix_stats *s)
{
	json_t *profiles = json_array();
	for (int p = 0; p < PROFILE_COUNT; p++)
		if (s->profiles_mask & (1u << p))
			json_array_append_new(profiles, json_string(profile_get((enum profile_id)p)->name));
	return json_pack("{s:i, s:i, s:i, s:i, s:o, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
			 " s:I, s:I, s:I}",
			 "video_decoders", s->video_decoders, "audio_decoders", s->audio_decoders,
			 "video_encoders", s->video_encoders, "audio_encoders", s->audio_encoders,
			 "profiles", profiles, "tiles", s->video_senders,
			 "ticks", (json_int_t)s->ticks, "overruns", (json_int_t)s->overruns,
			 "frames_encoded", (json_int_t)s->frames_encoded,
			 "keyframes", (json_int_t)s->keyframes,
			 "tick_us_last", (json_int_t)s->tick_us_last,
			 "tick_us_max", (json_int_t)s->tick_us_max,
			 "dropped_packets", (json_int_t)s->dropped_packets,
			 "audio_skipped", (json_int_t)s->audio_skipped,
			 "decode_us", (json_int_t)s->decode_us, "encode_us", (json_int_t)s->encode_us,
			 "audio_misses", (json_int_t)s->audio_misses,
			 "video_misses", (json_int_t)s->video_misses, "cpu_us", (json_int_t)s->cpu_us);
}

static json_t *room_json(const struct room_info *r, const struct endpoint_info *parts, int n)
{
	json_t *list = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(list, participant_json(&parts[i]));
	json_t *cost = json_pack("{s:f, s:o}", "model", r->cost_model, "measured",
				 r->cost_measured < 0 ? json_null() : json_real(r->cost_measured));
	return json_pack("{s:s, s:s, s:b, s:i, s:o, s:o, s:o, s:o}", "room", r->name,
			 "layout", r->settings.layout, "record", r->settings.record,
			 "max_participants", r->settings.max_participants,
			 "created", apijson_time(r->created_wall_us), "participants", list,
			 "mixer", mixer_json(&r->mixer), "cost", cost);
}

/* A room as JSON with its participants; NULL when it vanished meanwhile. */
static json_t *load_room_json(const struct signaling_env *env, const char *name)
{
	struct room_info info;
	struct endpoint_info *parts = NULL;
	int n = 0;
	if (registry_room(env->registry, name, &info, &parts, &n))
		return NULL;
	json_t *obj = room_json(&info, parts, n);
	free(parts);
	return obj;
}

static int reply_room(const struct signaling_env *env, const char *name, int status,
		      struct httpmsg_reply *reply)
{
	json_t *obj = load_room_json(env, name);
	if (!obj)
		return httpmsg_error(reply, 404, "room_not_found", "no room '%s'", name);
	return apijson_reply(reply, status, obj);
}

/* Reads layout/record/max_participants from obj into s (fields absent keep
 * their value; record_out -1 when absent). Returns 0 or sets a 400 reply. */
static int read_room_fields(json_t *obj, struct room_settings *s, int *record_out,
			    bool *layout_given, struct httpmsg_reply *reply)
{
	json_t *layout = json_object_get(obj, "layout");
	json_t *record = json_object_get(obj, "record");
	json_t *maxp = json_object_get(obj, "max_participants");
	*layout_given = layout != NULL;
	*record_out = -1;
	if (layout) {
		if (!json_is_string(layout) || !room_valid_layout(json_string_value(layout)))
			return httpmsg_error(reply, 400, "bad_layout", "layout must be \"grid\" or \"speaker\"");
		snprintf(s->layout, sizeof(s->layout), "%s", json_string_value(layout));
	}
	if (record) {
		if (!json_is_boolean(record))
			return httpmsg_error(reply, 400, "bad_record", "record must be true or false");
		s->record = json_is_true(record);
		*record_out = s->record;
	}
	if (maxp) {
		if (!json_is_integer(maxp) || json_integer_value(maxp) < 1 || json_integer_value(maxp) > 1000)
			return httpmsg_error(reply, 400, "bad_max_participants",
					     "max_participants must be an integer in 1..1000");
		s->max_participants = (int)json_integer_value(maxp);
	}
	return 0;
}

static void random_room_name(char *out, size_t size)
{
	uint32_t r;
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint32_t)clock_now_us();
	snprintf(out, size, "room-%08x", r);
}

static int post_room(const struct signaling_env *env, const struct httpmsg_request *req,
		     struct httpmsg_reply *reply)
{
	json_t *obj = apijson_parse_body(req, reply);
	if (!obj)
		return reply->status;
	struct room_settings s = { .layout = "grid", .record = env->cfg->record,
				   .max_participants = env->cfg->max_participants };
	char name[ROOM_NAME_MAX + 1];
	int record;
	bool layout_given;
	int status = read_room_fields(obj, &s, &record, &layout_given, reply);
	json_t *jname = json_object_get(obj, "room");
	if (!status && jname && (!json_is_string(jname) || !room_valid_name(json_string_value(jname))))
		status = httpmsg_error(reply, 400, "bad_room", "room names are 1-64 of [A-Za-z0-9_-]");
	if (!status) {
		if (jname)
			snprintf(name, sizeof(name), "%s", json_string_value(jname));
		else
			random_room_name(name, sizeof(name));
	}
	json_decref(obj);
	if (status)
		return status;
	struct room_info info;
	int rc = registry_create_room(env->registry, name, &s, &info);
	if (rc == MCU_EEXIST)
		return httpmsg_error(reply, 409, "room_exists", "room '%s' already exists", name);
	if (rc == MCU_ELIMIT) {
		httpmsg_header(reply, "Retry-After", "30");
		return httpmsg_error(reply, 503, "at_capacity", "the server has its maximum of rooms");
	}
	if (rc)
		return httpmsg_error(reply, 400, "bad_room", "%s", err_str(rc));
	return apijson_reply(reply, 201, room_json(&info, NULL, 0));
}

static int patch_room(const struct signaling_env *env, const char *name,
		      const struct httpmsg_request *req, struct httpmsg_reply *reply)
{
	json_t *obj = apijson_parse_body(req, reply);
	if (!obj)
		return reply->status;
	struct room_settings s = { .layout = "grid", .max_participants = 1 };
	int record;
	bool layout_given;
	int status = read_room_fields(obj, &s, &record, &layout_given, reply);
	if (!status && json_object_get(obj, "max_participants"))
		status = httpmsg_error(reply, 400, "bad_request", "max_participants cannot be changed");
	json_decref(obj);
	if (status)
		return status;
	struct room_info info;
	if (registry_update_room(env->registry, name, layout_given ? s.layout : NULL, record, &info))
		return httpmsg_error(reply, 404, "room_not_found", "no room '%s'", name);
	return reply_room(env, name, 200, reply);
}

static int list_rooms(const struct signaling_env *env, struct httpmsg_reply *reply)
{
	struct room_info *rooms = NULL;
	int n = 0;
	if (registry_list(env->registry, &rooms, &n))
		return httpmsg_error(reply, 500, "internal", "out of memory");
	json_t *list = json_array();
	for (int i = 0; i < n; i++) {
		json_t *obj = load_room_json(env, rooms[i].name);
		if (obj) /* NULL: ended between the two calls */
			json_array_append_new(list, obj);
	}
	free(rooms);
	return apijson_reply(reply, 200, json_pack("{s:o}", "rooms", list));
}

static int post_participant(const struct signaling_env *env, const char *room,
			    const struct httpmsg_request *req, struct httpmsg_reply *reply)
{
	json_t *obj = apijson_parse_body(req, reply);
	if (!obj)
		return reply->status;
	json_t *sdp = json_object_get(obj, "sdp");
	json_t *profile = json_object_get(obj, "profile");
	json_t *name = json_object_get(obj, "name");
	int status = 0;
	if (!json_is_string(sdp))
		status = httpmsg_error(reply, 400, "bad_request", "\"sdp\" (the offer, a string) is required");
	else if ((profile && !json_is_string(profile)) || (name && !json_is_string(name)))
		status = httpmsg_error(reply, 400, "bad_request", "\"profile\" and \"name\" are strings");
	struct whip_join_result res;
	struct whip_origin origin = { .client_addr = req->client_addr,
				      .operator_key = auth_operator_presented(env, req) };
	if (!status)
		status = whip_join(env, room, WHIP_ANY, json_string_value(sdp), json_string_length(sdp),
				   profile ? json_string_value(profile) : NULL,
				   name ? json_string_value(name) : NULL, &origin, &res, reply);
	json_decref(obj);
	if (status)
		return status;
	char location[160];
	snprintf(location, sizeof(location), "/api/rooms/%s/participants/%s", room, res.id);
	httpmsg_header(reply, "Location", location);
	json_t *out = json_pack("{s:s, s:s, s:s}", "id", res.id, "sdp", res.answer, "location", location);
	free(res.answer);
	char user[ICESERVERS_CRED_MAX], cred[ICESERVERS_CRED_MAX];
	if (out && iceservers_count(env->ice_servers) &&
	    !iceservers_credentials(env->ice_servers, clock_wall_us() / 1000000, user, cred))
		json_object_set_new(out, "ice_servers", iceservers_json(env->ice_servers, user, cred));
	return apijson_reply(reply, 201, out);
}

static int participant_route(const struct signaling_env *env, const struct httpmsg_request *req,
			     char **segs, int n, struct httpmsg_reply *reply)
{
	const char *room = segs[2];
	if (n == 4) {
		if (strcmp(req->method, "POST"))
			return httpmsg_not_allowed(reply, "POST");
		return post_participant(env, room, req, reply);
	}
	if (strcmp(req->method, "DELETE"))
		return httpmsg_not_allowed(reply, "DELETE");
	if (registry_leave(env->registry, room, segs[4], "kicked"))
		return httpmsg_error(reply, 404, "participant_not_found", "no participant '%s' in room '%s'",
				     segs[4], room);
	return httpmsg_text(reply, 200, "application/json", "{}", 2);
}

static int get_snapshot(const struct signaling_env *env, const char *room,
			struct httpmsg_reply *reply)
{
	uint8_t *jpeg = NULL;
	size_t len = 0;
	bool no_room = false;
	int rc = registry_snapshot(env->registry, room, &jpeg, &len, &no_room);
	if (rc == MCU_ENOTFOUND && no_room)
		return httpmsg_error(reply, 404, "room_not_found", "no room '%s'", room);
	if (rc == MCU_ENOTFOUND)
		return httpmsg_error(reply, 404, "no_picture",
				     "room '%s' has no composite yet: nobody receives its video", room);
	if (rc == MCU_ETIMEDOUT) {
		httpmsg_header(reply, "Retry-After", "5");
		return httpmsg_error(reply, 503, "room_unresponsive",
				     "room '%s' did not answer in time", room);
	}
	if (rc)
		return httpmsg_error(reply, 500, "snapshot_failed", "%s", err_str(rc));
	httpmsg_text(reply, 200, "image/jpeg", (const char *)jpeg, len);
	httpmsg_header(reply, "Cache-Control", "no-cache");
	free(jpeg);
	return 200;
}

/* POST /api/rooms/{room}/tokens {"ttl_s": N}: a join token for room. */
static int post_token(const struct signaling_env *env, const char *room,
		      const struct httpmsg_request *req, struct httpmsg_reply *reply)
{
	if (!env->cfg->join_secret[0])
		return httpmsg_error(reply, 409, "no_join_secret",
				     "joins are open: set join_secret to use join tokens");
	if (!room_valid_name(room))
		return httpmsg_error(reply, 400, "bad_room", "room names are 1-64 of [A-Za-z0-9_-]");
	json_int_t ttl = 3600;
	if (req->body_len) {
		json_t *obj = apijson_parse_body(req, reply);
		if (!obj)
			return reply->status;
		json_t *jttl = json_object_get(obj, "ttl_s");
		bool ok = !jttl || (json_is_integer(jttl) && json_integer_value(jttl) >= 1 &&
				    json_integer_value(jttl) <= 7 * 86400);
		if (jttl && ok)
			ttl = json_integer_value(jttl);
		json_decref(obj);
		if (!ok)
			return httpmsg_error(reply, 400, "bad_ttl", "ttl_s must be an integer in 1..604800");
	}
	char token[TOKEN_MAX];
	int64_t now_us = clock_wall_us(), now = now_us / 1000000;
	if (token_mint(env->cfg->join_secret, room, now_us, ttl, token))
		return httpmsg_error(reply, 500, "internal", "cannot mint a token");
	return apijson_reply(reply, 201, json_pack("{s:s, s:s, s:o}", "token", token, "room", room,
						   "expires", apijson_time((now + ttl) * 1000000)));
}

/* An optional integer member in lo..hi: its value, -1 when absent, or -2
 * when malformed. */
static int int_member(const json_t *obj, const char *key, int lo, int hi)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return -1;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return -2;
	return (int)json_integer_value(v);
}

/* POST /api/rooms/{room}/stall {"ms": N, "video_work_ms": M}: the test
 * hooks (test_hooks): the room thread sleeps N ms once, or works M ms of
 * CPU at every video tick from now on (0: stops). */
static int post_stall(const struct signaling_env *env, const char *room,
		      const struct httpmsg_request *req, struct httpmsg_reply *reply)
{
	json_t *obj = apijson_parse_body(req, reply);
	if (!obj)
		return reply->status;
	int ms = int_member(obj, "ms", 1, 60000);
	int work = int_member(obj, "video_work_ms", 0, 30);
	json_decref(obj);
	if (ms == -2 || work == -2 || (ms == -1 && work == -1))
		return httpmsg_error(reply, 400, "bad_hook",
				     "give ms (1..60000) and/or video_work_ms (0..30)");
	if (registry_stall(env->registry, room, ms > 0 ? ms : 0, work))
		return httpmsg_error(reply, 404, "room_not_found", "no room '%s'", room);
	return httpmsg_text(reply, 202, "application/json", "{}", 2);
}

int rooms_route(const struct signaling_env *env, const struct httpmsg_request *req,
		char **segs, int n, struct httpmsg_reply *reply)
{
	const char *m = req->method;
	if (n == 2) {
		if (httpmsg_is_get(m))
			return list_rooms(env, reply);
		if (!strcmp(m, "POST"))
			return post_room(env, req, reply);
		return httpmsg_not_allowed(reply, "GET, HEAD, POST");
	}
	if (n == 3) {
		if (httpmsg_is_get(m))
			return reply_room(env, segs[2], 200, reply);
		if (!strcmp(m, "PATCH"))
			return patch_room(env, segs[2], req, reply);
		if (!strcmp(m, "DELETE")) {
			/* The meeting is over, live or not: the join tokens handed
			 * out for it must not bring it back. */
			if (room_valid_name(segs[2]))
				revocations_add(env->revocations, segs[2], clock_wall_us());
			if (registry_delete_room(env->registry, segs[2]))
				return httpmsg_error(reply, 404, "room_not_found",
						     "no room '%s' (its join tokens are revoked all the same)",
						     segs[2]);
			return httpmsg_text(reply, 200, "application/json", "{}", 2);
		}
		return httpmsg_not_allowed(reply, "GET, HEAD, PATCH, DELETE");
	}
	if (n == 4 && !strcmp(segs[3], "tokens")) {
		if (strcmp(m, "POST"))
			return httpmsg_not_allowed(reply, "POST");
		return post_token(env, segs[2], req, reply);
	}
	if (n == 4 && !strcmp(segs[3], "snapshot.jpg")) {
		if (!httpmsg_is_get(m))
			return httpmsg_not_allowed(reply, "GET, HEAD");
		return get_snapshot(env, segs[2], reply);
	}
	if (n == 4 && !strcmp(segs[3], "stall") && env->cfg->test_hooks) {
		if (strcmp(m, "POST"))
			return httpmsg_not_allowed(reply, "POST");
		return post_stall(env, segs[2], req, reply);
	}
	if ((n == 4 || n == 5) && !strcmp(segs[3], "participants"))
		return participant_route(env, req, segs, n, reply);
	return httpmsg_error(reply, 404, "not_found", "no such resource: %s", req->path);
}
