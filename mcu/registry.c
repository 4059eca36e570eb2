/*
 * registry.c - see registry.h.
 *
 * DESIGN: rooms sit in a growable array of pointers, participants in a
 * growable array per room; a few dozen rooms of a few dozen people make a
 * linear search cheaper than any index. Joining is three steps so the mutex
 * is never held while libnice gathers or DTLS is set up: check under the lock,
 * build the endpoint unlocked, re-check and insert under the lock (the room
 * may have filled or ended meanwhile; then the new endpoint is torn down).
 *
 * Each room has a mixer (mixer/mix.h) with its own thread. Adding a port to
 * it and removing one happen under the lock: they wait for the room thread
 * (one tick at most), and holding the lock keeps the room from being freed
 * meanwhile. A housekeeping thread ends rooms left empty too long.
 */
#include "registry.h"
#include "base/clock.h"
#include "participant.h"
#include "rtpdest.h"
#include "mcu/net/rtpep.h"
#include "cost.h"
#include "fdbudget.h"
#include "recorder/recorder.h"
#include "config.h"
#include "base/err.h"
#include "base/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

/* A participant of a room, of whatever kind (participant.h). */
struct member {
	struct participant p;
	struct port_info info;         /* what the room runs for it (admission) */
	int64_t joined_us;             /* monotonic */
};

/*
 * Admission charges a WebRTC participant what it runs only once its media
 * can flow (DTLS done, SRTP keyed). Before that it costs PENDING_COST, the
 * handshake's share, and after PENDING_CHARGE_US without keys nothing: ICE
 * has given up by then (about 7 s without a pair), so offers that never do
 * ICE cannot fill the budget while they wait for media_timeout_s.
 */
#define PENDING_COST 0.01          /* CPU-s per s */
#define PENDING_CHARGE_US 10000000

struct room {
	struct room_info info;         /* n_participants mirrors n_eps */
	struct member **eps;
	int n_eps, cap_eps;
	struct mix *mix;
	struct recorder *rec;          /* while it records; the mixer tees into it */
	int64_t empty_since_us;        /* monotonic; when the last one left */
	int snapshots;                 /* mix_snapshot calls on it, made unlocked */
};

struct registry {
	const struct endpoint_env *env;
	int max_rooms;
	pthread_mutex_t lock;
	struct room **rooms;
	int n_rooms, cap_rooms;
	uint64_t joins, leaves;
	/* What /api/health reads without the lock, which a join holds while
	 * it waits for a room's thread: written under the lock. */
	_Atomic int pub_rooms, pub_participants;
	_Atomic uint64_t pub_joins, pub_leaves;
	struct registry_traffic departed; /* of endpoints already destroyed */

	double cpu_budget;             /* CPU-s per s all rooms may cost; 0: no limit */
	struct fdbudget *fds;          /* descriptors joins may open */

	registry_listener_fn *listener;
	void *listener_ctx;

	pthread_t reaper;
	bool reaper_started, stopping;
	pthread_cond_t reaper_wake;    /* CLOCK_MONOTONIC */
	pthread_cond_t snapshot_done;  /* a room's snapshot call returned */
};

bool registry_valid_room_name(const char *name)
{
	size_t n = strlen(name);
	if (n < 1 || n > REGISTRY_ROOM_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '-';
		if (!ok)
			return false;
	}
	return true;
}

bool registry_valid_layout(const char *layout)
{
	return !strcmp(layout, "grid") || !strcmp(layout, "speaker");
}

static void room_free(struct registry *reg, struct room *room, const char *why);
static struct member *take_member(struct registry *reg, struct room *room, int k,
				  const char *why);
static void member_free(struct member *m);
static const char *member_id(const struct member *m);
static void member_info(const struct member *m, struct endpoint_info *out);

void registry_set_listener(struct registry *reg, registry_listener_fn *fn, void *ctx)
{
	reg->listener = fn;
	reg->listener_ctx = ctx;
}

static void tell(const struct registry *reg, enum registry_event_type type, const char *room,
		 const struct endpoint_info *participant, const char *reason,
		 const struct recorder_status *recording)
{
	if (!reg->listener)
		return;
	struct registry_event ev = { .type = type, .room = room, .participant = participant,
				     .reason = reason, .recording = recording };
	reg->listener(reg->listener_ctx, &ev);
}

/* Tells that member mb left room, and why. */
static void tell_left(const struct registry *reg, const char *room, const struct member *mb,
		      const char *why)
{
	if (!reg->listener)
		return;
	struct endpoint_info info;
	member_info(mb, &info);
	tell(reg, REGISTRY_LEFT, room, &info, why, NULL);
}

/* Stops a recorder (waits for disk: never under the lock) and tells. */
static void finish_recording(const struct registry *reg, const char *room, struct recorder *rec)
{
	if (!rec)
		return;
	struct recorder_status final;
	recorder_stop(rec, &final);
	tell(reg, REGISTRY_RECORDING_FINISHED, room, NULL, NULL, &final);
}

/* Caller holds reg->lock. Takes out the first room empty for longer than
 * the timeout, or returns NULL. */
static struct room *take_expired(struct registry *reg, int64_t now)
{
	int64_t timeout = (int64_t)reg->env->cfg->empty_room_timeout_s * 1000000;
	for (int i = 0; i < reg->n_rooms; i++) {
		struct room *room = reg->rooms[i];
		if (room->n_eps == 0 && now - room->empty_since_us >= timeout) {
			reg->rooms[i] = reg->rooms[--reg->n_rooms];
			atomic_store(&reg->pub_rooms, reg->n_rooms);
			return room;
		}
	}
	return NULL;
}

/* Why member mb should go (static text), or NULL while it lives. */
static const char *member_gone(const struct registry *reg, struct member *mb, int64_t now)
{
	const struct config *cfg = reg->env->cfg;
	return mb->p.ops->gone(mb->p.self, now, cfg);
}

/* Caller holds reg->lock. Takes out the first member that is gone (dead
 * transport, or silent too long), with its room's name and why, or NULL. */
static struct member *take_gone(struct registry *reg, int64_t now, char *room_name, size_t size,
				const char **why)
{
	for (int i = 0; i < reg->n_rooms; i++) {
		struct room *room = reg->rooms[i];
		for (int k = 0; k < room->n_eps; k++) {
			*why = member_gone(reg, room->eps[k], now);
			if (*why) {
				snprintf(room_name, size, "%s", room->info.name);
				return take_member(reg, room, k, *why);
			}
		}
	}
	return NULL;
}

/* The housekeeping thread: once a second, drops participants that are
 * gone (see member_gone) and ends rooms left empty. */
static void *reaper_main(void *arg)
{
	struct registry *reg = arg;
	pthread_mutex_lock(&reg->lock);
	while (!reg->stopping) {
		int64_t wake = clock_now_us() + 1000000;
		struct timespec ts = { .tv_sec = wake / 1000000, .tv_nsec = (long)(wake % 1000000) * 1000 };
		pthread_cond_timedwait(&reg->reaper_wake, &reg->lock, &ts);
		struct member *mb;
		char name[REGISTRY_ROOM_NAME_MAX + 1];
		const char *why = NULL;
		while (!reg->stopping &&
		       (mb = take_gone(reg, clock_now_us(), name, sizeof(name), &why))) {
			pthread_mutex_unlock(&reg->lock);
			LOG_I("registry", "room=%s ep=%s dropped: %s", name, member_id(mb), why);
			member_free(mb);
			pthread_mutex_lock(&reg->lock);
		}
		struct room *room;
		while (!reg->stopping && (room = take_expired(reg, clock_now_us()))) {
			pthread_mutex_unlock(&reg->lock);
			LOG_I("registry", "room=%s ended: empty for %d s", room->info.name,
			      reg->env->cfg->empty_room_timeout_s);
			room_free(reg, room, "empty");
			pthread_mutex_lock(&reg->lock);
		}
	}
	pthread_mutex_unlock(&reg->lock);
	return NULL;
}

int registry_create(const struct endpoint_env *env, int max_rooms, struct registry **out)
{
	struct registry *reg = calloc(1, sizeof(*reg));
	if (!reg)
		return MCU_ENOMEM;
	reg->env = env;
	reg->max_rooms = max_rooms;
	if (cost_parse_budget(env->cfg->cpu_budget, &reg->cpu_budget)) {
		LOG_E("registry", "cpu_budget: '%s' is not auto, off or a number of CPUs",
		      env->cfg->cpu_budget);
		free(reg);
		return MCU_EINVAL;
	}
	struct rtpdest_cidr cidrs[RTPDEST_MAX_CIDRS];
	int n_cidrs;
	char err[160];
	if (rtpdest_parse_cidrs(env->cfg->rtp_allowed_destinations, cidrs, RTPDEST_MAX_CIDRS, &n_cidrs,
				err, sizeof(err))) {
		LOG_E("registry", "rtp_allowed_destinations: %s", err);
		free(reg);
		return MCU_EINVAL;
	}
	if (fdbudget_create(&reg->fds)) {
		free(reg);
		return MCU_ENOMEM;
	}
	pthread_mutex_init(&reg->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&reg->reaper_wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&reg->snapshot_done, NULL);
	if (pthread_create(&reg->reaper, NULL, reaper_main, reg) != 0) {
		registry_destroy(reg);
		return MCU_ENOMEM;
	}
	reg->reaper_started = true;
	*out = reg;
	return 0;
}

static void add_traffic(struct registry_traffic *t, const struct endpoint_info *p)
{
	t->audio_packets_in += p->audio.packets_in;
	t->audio_bytes_in += p->audio.bytes_in;
	t->video_packets_in += p->video.packets_in;
	t->video_bytes_in += p->video.bytes_in;
	t->rtcp_in += p->rtcp_in;
	t->srtp_errors += p->srtp_errors;
	t->other_in += p->other_in;
	t->packets_out += p->packets_out;
	t->bytes_out += p->bytes_out;
}

static const char *member_id(const struct member *m)
{
	return m->p.ops->id(m->p.self);
}

static void member_info(const struct member *m, struct endpoint_info *out)
{
	m->p.ops->info(m->p.self, out);
}

/* The port pointer the room's mixer knows the member by. */
static void *member_port(const struct member *m)
{
	return m->p.self;
}

static void member_free(struct member *m)
{
	if (!m)
		return;
	m->p.ops->destroy(m->p.self);
	free(m);
}

/* Caller holds reg->lock: books a leaving member's traffic as departed. */
static void book_departure(struct registry *reg, struct member *m)
{
	struct endpoint_info info;
	member_info(m, &info);
	add_traffic(&reg->departed, &info);
	reg->leaves++;
	atomic_store(&reg->pub_leaves, reg->leaves);
	atomic_fetch_sub(&reg->pub_participants, 1);
}

void registry_traffic(struct registry *reg, struct registry_traffic *out)
{
	pthread_mutex_lock(&reg->lock);
	*out = reg->departed;
	for (int i = 0; i < reg->n_rooms; i++) {
		struct room *room = reg->rooms[i];
		for (int k = 0; k < room->n_eps; k++) {
			struct endpoint_info info;
			member_info(room->eps[k], &info);
			add_traffic(out, &info);
		}
	}
	pthread_mutex_unlock(&reg->lock);
}

/* Ends a room taken out of the registry (not under the lock), and tells:
 * its participants left, its recording finished, it ended (why). */
static void room_free(struct registry *reg, struct room *room, const char *why)
{
	/* Out of the registry, no snapshot starts on it: wait for those that
	 * run (they use its mixer). */
	pthread_mutex_lock(&reg->lock);
	while (room->snapshots)
		pthread_cond_wait(&reg->snapshot_done, &reg->lock);
	pthread_mutex_unlock(&reg->lock);
	for (int i = 0; room->rec && i < room->n_eps; i++) {
		struct endpoint_info info;
		member_info(room->eps[i], &info);
		recorder_note(room->rec, info.id, info.name, false, clock_wall_us());
	}
	mix_destroy(room->mix); /* stops using the ports before they go */
	for (int i = 0; i < room->n_eps; i++)
		tell_left(reg, room->info.name, room->eps[i], "room ended");
	finish_recording(reg, room->info.name, room->rec); /* after the last push */
	for (int i = 0; i < room->n_eps; i++)
		member_free(room->eps[i]);
	tell(reg, REGISTRY_ROOM_ENDED, room->info.name, NULL, why, NULL);
	free(room->eps);
	free(room);
}

void registry_destroy(struct registry *reg)
{
	if (!reg)
		return;
	if (reg->reaper_started) {
		pthread_mutex_lock(&reg->lock);
		reg->stopping = true;
		pthread_cond_signal(&reg->reaper_wake);
		pthread_mutex_unlock(&reg->lock);
		pthread_join(reg->reaper, NULL);
	}
	pthread_cond_destroy(&reg->reaper_wake);
	for (int i = 0; i < reg->n_rooms; i++)
		room_free(reg, reg->rooms[i], "shutdown");
	pthread_cond_destroy(&reg->snapshot_done);
	free(reg->rooms);
	fdbudget_destroy(reg->fds);
	pthread_mutex_destroy(&reg->lock);
	free(reg);
}

/* Caller holds reg->lock. */
static int find_room(struct registry *reg, const char *name)
{
	for (int i = 0; i < reg->n_rooms; i++)
		if (!strcmp(reg->rooms[i]->info.name, name))
			return i;
	return -1;
}

/* Caller holds reg->lock. */
static int find_endpoint(struct room *room, const char *id)
{
	for (int i = 0; i < room->n_eps; i++)
		if (!strcmp(member_id(room->eps[i]), id))
			return i;
	return -1;
}

/* Grows an array of pointers to hold one more. Returns 0 or MCU_ENOMEM. */
static int reserve(void *array_ptr, int n, int *cap)
{
	void ***array = array_ptr;
	if (n < *cap)
		return 0;
	int new_cap = *cap ? *cap * 2 : 8;
	void **grown = realloc(*array, (size_t)new_cap * sizeof(void *));
	if (!grown)
		return MCU_ENOMEM;
	*array = grown;
	*cap = new_cap;
	return 0;
}

static bool valid_settings(const struct room_settings *s)
{
	return registry_valid_layout(s->layout) && s->max_participants >= 1 &&
	       s->max_participants <= 1000;
}

/* Caller holds reg->lock. Starts recording room: the recorder's thread
 * opens the file, so nothing here waits for disk. */
static void start_recording(struct registry *reg, struct room *room)
{
	const struct config *cfg = reg->env->cfg;
	bool opus = !strcmp(cfg->record_audio_codec, "opus");
	struct recorder_config rc = {
		.dir = cfg->recordings_dir, .room = room->info.name, .width = 1280, .height = 720,
		.fps = 30, .audio = opus ? RECORDER_OPUS : RECORDER_AAC, .queue_packets = 1024,
	};
	struct recorder *rec = NULL;
	if (recorder_create(&rc, &rec)) {
		LOG_E("registry", "room=%s cannot start recording", room->info.name);
		return;
	}
	for (int k = 0; k < room->n_eps; k++) {
		struct endpoint_info info;
		member_info(room->eps[k], &info);
		recorder_note(rec, info.id, info.name, true, info.joined_wall_us);
	}
	/* NULL: the room was not recording (room->rec says so). */
	mix_set_recorder(room->mix, rec, opus);
	room->rec = rec;
	struct recorder_status st;
	recorder_get_status(rec, &st);
	LOG_I("registry", "room=%s recording to %s", room->info.name, st.file);
}

/* Caller holds reg->lock. Stops the room's tee and returns the recorder,
 * which the caller stops after unlocking (finalizing waits for disk). */
static struct recorder *detach_recording(struct room *room)
{
	struct recorder *rec = room->rec;
	if (rec)
		mix_set_recorder(room->mix, NULL, false);
	room->rec = NULL;
	return rec;
}

/* Caller holds reg->lock. Returns the new room's index or an error. */
static int add_room(struct registry *reg, const char *name, const struct room_settings *s)
{
	if (reg->n_rooms >= reg->max_rooms)
		return MCU_ELIMIT;
	if (reserve(&reg->rooms, reg->n_rooms, &reg->cap_rooms))
		return MCU_ENOMEM;
	struct room *room = calloc(1, sizeof(*room));
	if (!room)
		return MCU_ENOMEM;
	const struct config *cfg = reg->env->cfg;
	enum layout_kind layout = LAYOUT_GRID;
	layout_parse(s->layout, &layout);
	struct mix_config mc = {
		.room = name, .layout = layout, .max_mixed_speakers = cfg->max_mixed_speakers,
		.video_timeout_ms = cfg->video_timeout_ms,
		.keyframe_min_interval_ms = cfg->keyframe_min_interval_ms,
		.x264_preset = cfg->x264_preset, .encoder_threads = cfg->encoder_threads,
		.audio_bitrate = cfg->audio_bitrate,
	};
	int rc = mix_create(&mc, &room->mix);
	if (rc) {
		free(room);
		return rc;
	}
	room->empty_since_us = clock_now_us();
	snprintf(room->info.name, sizeof(room->info.name), "%s", name);
	room->info.settings = *s;
	room->info.created_wall_us = clock_wall_us();
	reg->rooms[reg->n_rooms] = room;
	if (s->record)
		start_recording(reg, room);
	LOG_I("registry", "room=%s created (layout %s, max %d)", name, s->layout, s->max_participants);
	tell(reg, REGISTRY_ROOM_STARTED, name, NULL, NULL, NULL);
	atomic_store(&reg->pub_rooms, reg->n_rooms + 1);
	return reg->n_rooms++;
}

int registry_create_room(struct registry *reg, const char *name,
			 const struct room_settings *settings, struct room_info *out)
{
	if (!registry_valid_room_name(name) || !valid_settings(settings))
		return MCU_EINVAL;
	pthread_mutex_lock(&reg->lock);
	int rc = find_room(reg, name) >= 0 ? MCU_EEXIST : add_room(reg, name, settings);
	if (rc >= 0) {
		*out = reg->rooms[rc]->info;
		rc = 0;
	}
	pthread_mutex_unlock(&reg->lock);
	return rc;
}

int registry_update_room(struct registry *reg, const char *name, const char *layout,
			 int record, struct room_info *out)
{
	if (layout && !registry_valid_layout(layout))
		return MCU_EINVAL;
	pthread_mutex_lock(&reg->lock);
	int i = find_room(reg, name);
	struct recorder *stopped = NULL;
	if (i >= 0) {
		struct room_settings *s = &reg->rooms[i]->info.settings;
		if (record == 1 && !reg->rooms[i]->rec)
			start_recording(reg, reg->rooms[i]);
		else if (record == 0)
			stopped = detach_recording(reg->rooms[i]);
		enum layout_kind kind;
		if (layout && !layout_parse(layout, &kind)) {
			snprintf(s->layout, sizeof(s->layout), "%s", layout);
			mix_set_layout(reg->rooms[i]->mix, kind);
		}
		if (record >= 0)
			s->record = record != 0;
		*out = reg->rooms[i]->info;
	}
	pthread_mutex_unlock(&reg->lock);
	finish_recording(reg, name, stopped);
	return i >= 0 ? 0 : MCU_ENOTFOUND;
}

int registry_delete_room(struct registry *reg, const char *name)
{
	pthread_mutex_lock(&reg->lock);
	int i = find_room(reg, name);
	struct room *room = NULL;
	if (i >= 0) {
		room = reg->rooms[i];
		reg->rooms[i] = reg->rooms[--reg->n_rooms];
		atomic_store(&reg->pub_rooms, reg->n_rooms);
		for (int k = 0; k < room->n_eps; k++)
			book_departure(reg, room->eps[k]);
	}
	pthread_mutex_unlock(&reg->lock);
	if (!room)
		return MCU_ENOTFOUND;
	LOG_I("registry", "room=%s ended (%d participants removed)", name, room->n_eps);
	room_free(reg, room, "deleted");
	return 0;
}

int registry_room(struct registry *reg, const char *name, struct room_info *out,
		  struct endpoint_info **parts, int *n_parts)
{
	int rc = 0;
	pthread_mutex_lock(&reg->lock);
	int i = find_room(reg, name);
	if (i < 0) {
		rc = MCU_ENOTFOUND;
		goto out;
	}
	struct room *room = reg->rooms[i];
	*out = room->info;
	out->n_participants = room->n_eps;
	mix_get_stats(room->mix, &out->mixer);
	if (!parts)
		goto out;
	*parts = NULL;
	*n_parts = 0;
	if (room->n_eps == 0)
		goto out;
	*parts = calloc((size_t)room->n_eps, sizeof(**parts));
	if (!*parts) {
		rc = MCU_ENOMEM;
		goto out;
	}
	for (int k = 0; k < room->n_eps; k++) {
		member_info(room->eps[k], &(*parts)[k]);
		(*parts)[k].receiving_profile = mix_profile_of(room->mix, member_port(room->eps[k]));
	}
	*n_parts = room->n_eps;
out:
	pthread_mutex_unlock(&reg->lock);
	return rc;
}

int registry_list(struct registry *reg, struct room_info **rooms, int *n_rooms)
{
	int rc = 0;
	pthread_mutex_lock(&reg->lock);
	*rooms = calloc((size_t)reg->n_rooms + 1, sizeof(**rooms));
	*n_rooms = 0;
	if (!*rooms) {
		rc = MCU_ENOMEM;
	} else {
		for (int i = 0; i < reg->n_rooms; i++) {
			(*rooms)[i] = reg->rooms[i]->info;
			(*rooms)[i].n_participants = reg->rooms[i]->n_eps;
			mix_get_stats(reg->rooms[i]->mix, &(*rooms)[i].mixer);
		}
		*n_rooms = reg->n_rooms;
	}
	pthread_mutex_unlock(&reg->lock);
	return rc;
}

/* Holds the lock across the snapshot so the room cannot end meanwhile; a
 * snapshot is made at most once a second per room and then served from
 * the room's cache. */
int registry_snapshot(struct registry *reg, const char *room, uint8_t **out, size_t *len,
		      bool *no_room)
{
	pthread_mutex_lock(&reg->lock);
	int i = find_room(reg, room);
	struct room *r = i < 0 ? NULL : reg->rooms[i];
	if (r)
		r->snapshots++;
	pthread_mutex_unlock(&reg->lock);
	*no_room = !r;
	if (!r)
		return MCU_ENOTFOUND;
	/* Unlocked: it waits for the room thread and encodes a JPEG, which
	 * joins, leaves and the API must not wait for. The count keeps the
	 * room from being freed meanwhile. */
	int rc = mix_snapshot(r->mix, out, len);
	pthread_mutex_lock(&reg->lock);
	if (--r->snapshots == 0)
		pthread_cond_broadcast(&reg->snapshot_done);
	pthread_mutex_unlock(&reg->lock);
	return rc;
}

const char *registry_recording_state(struct registry *reg, const char *file)
{
	const char *state = NULL;
	pthread_mutex_lock(&reg->lock);
	for (int i = 0; i < reg->n_rooms && !state; i++) {
		struct recorder_status st;
		if (!reg->rooms[i]->rec)
			continue;
		recorder_get_status(reg->rooms[i]->rec, &st);
		if (!strcmp(st.file, file))
			state = recorder_state_name(st.state);
	}
	pthread_mutex_unlock(&reg->lock);
	return state;
}

void registry_totals(struct registry *reg, struct registry_totals *out)
{
	out->rooms = atomic_load(&reg->pub_rooms);
	out->participants = atomic_load(&reg->pub_participants);
	out->joins = atomic_load(&reg->pub_joins);
	out->leaves = atomic_load(&reg->pub_leaves);
}

/* Caller holds reg->lock. May the room (index i, -1 when absent) take one more? */
static int admission(struct registry *reg, int i, bool create)
{
	if (i < 0)
		return !create ? MCU_ENOTFOUND : reg->n_rooms >= reg->max_rooms ? MCU_ELIMIT : 0;
	struct room *room = reg->rooms[i];
	return room->n_eps >= room->info.settings.max_participants ? MCU_ELIMIT : 0;
}

static void default_settings(const struct registry *reg, struct room_settings *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->layout, sizeof(s->layout), "grid");
	s->record = reg->env->cfg->record;
	s->max_participants = reg->env->cfg->max_participants;
}

/* What member mb is charged now (see PENDING_COST): its full cost (true),
 * or *pending the provisional charge while its handshake may still end. */
static bool charged_fully(const struct member *mb, int64_t now, double *pending)
{
	*pending = 0;
	if (mb->p.ops->port_ops->ready(mb->p.self))
		return true;
	if (now - mb->joined_us < PENDING_CHARGE_US)
		*pending = PENDING_COST;
	return false;
}

/* Caller holds reg->lock. Estimated CPU of all rooms with `extra` joining
 * room `target`, NULL for a room yet to be made (ARCHITECTURE.md's cost
 * model, mcu/cost.h). extra is charged fully: it must fit once live. */
static double estimate_with(const struct registry *reg, const struct room *target,
			    const struct port_info *extra)
{
	double total = 0;
	int64_t now = clock_now_us();
	for (int i = 0; i < reg->n_rooms; i++) {
		const struct room *room = reg->rooms[i];
		struct cost_room c;
		cost_room_init(&c, reg->env->cfg->max_mixed_speakers, room->rec != NULL);
		for (int k = 0; k < room->n_eps; k++) {
			double pending;
			if (charged_fully(room->eps[k], now, &pending))
				cost_room_add(&c, &room->eps[k]->info);
			total += pending;
		}
		if (room == target)
			cost_room_add(&c, extra);
		total += cost_room_estimate(&c);
	}
	if (!target) { /* it would make a room of its own */
		struct cost_room c;
		cost_room_init(&c, reg->env->cfg->max_mixed_speakers, reg->env->cfg->record);
		cost_room_add(&c, extra);
		total += cost_room_estimate(&c);
	}
	return total;
}

/* Caller holds reg->lock. May a participant like info join room (NULL:
 * a new room called name) without taking the node past cpu_budget?
 * MCU_ELIMIT (503) when not, so the rooms already running keep their frame
 * rate. */
static int within_budget(struct registry *reg, const struct room *room, const char *name,
			 const struct port_info *info)
{
	if (reg->cpu_budget <= 0)
		return 0;
	double after = estimate_with(reg, room, info);
	if (after <= reg->cpu_budget)
		return 0;
	LOG_W("registry", "room=%s join refused: it would cost %.2f CPU of a budget of %.2f",
	      name, after, reg->cpu_budget);
	return MCU_ELIMIT;
}

/* Caller holds reg->lock. Inserts mb into room (made when absent and
 * create) and its port into the room's mixer. */
static int insert_member(struct registry *reg, const char *name, bool create, struct member *mb)
{
	int i = find_room(reg, name);
	int rc = admission(reg, i, create);
	if (rc)
		return rc;
	struct port_info *info = &mb->info;
	mb->p.ops->port_info(mb->p.self, info);
	rc = within_budget(reg, i >= 0 ? reg->rooms[i] : NULL, name, info);
	if (rc)
		return rc;
	if (i < 0) {
		struct room_settings s;
		default_settings(reg, &s);
		i = add_room(reg, name, &s);
		if (i < 0)
			return i;
	}
	struct room *room = reg->rooms[i];
	if (reserve(&room->eps, room->n_eps, &room->cap_eps))
		return MCU_ENOMEM;
	rc = mix_add(room->mix, info, mb->p.ops->port_ops, member_port(mb));
	if (rc)
		return rc;
	mb->joined_us = clock_now_us();
	room->eps[room->n_eps++] = mb;
	reg->joins++;
	atomic_store(&reg->pub_joins, reg->joins);
	atomic_fetch_add(&reg->pub_participants, 1);
	struct endpoint_info ei;
	member_info(mb, &ei);
	if (room->rec)
		recorder_note(room->rec, ei.id, ei.name, true, ei.joined_wall_us);
	tell(reg, REGISTRY_JOINED, room->info.name, &ei, NULL, NULL);
	return 0;
}

/* Inserts under the lock (the room may have filled or ended meanwhile). */
static int insert_checked(struct registry *reg, const char *room, bool create, struct member *mb)
{
	pthread_mutex_lock(&reg->lock);
	int rc = insert_member(reg, room, create, mb);
	pthread_mutex_unlock(&reg->lock);
	return rc;
}

/*
 * What every join asks before it makes a transport: a valid name, a place
 * in the room (or a new room), and the descriptors it will open (*need, to
 * be given back with fdbudget_give once the transport is made or failed).
 * Returns 0, MCU_EINVAL, MCU_ENOTFOUND, MCU_ELIMIT or MCU_ERESOURCE (err
 * says why).
 */
static int precheck(struct registry *reg, const char *room, bool create, int need_fds,
		    int *need, char *err, size_t err_size)
{
	if (!registry_valid_room_name(room))
		return MCU_EINVAL;
	pthread_mutex_lock(&reg->lock);
	int i = find_room(reg, room);
	int rc = admission(reg, i, create);
	pthread_mutex_unlock(&reg->lock);
	if (rc)
		return rc;
	*need = need_fds + (i < 0 ? FDBUDGET_ROOM : 0);
	rc = fdbudget_take(reg->fds, *need);
	if (rc) {
		snprintf(err, err_size, "the server is out of file descriptors (%d of %d open)",
			 fdbudget_open_now(), fdbudget_limit(reg->fds));
		LOG_W("registry", "room=%s join refused: %s", room, err);
	}
	return rc;
}

int registry_add_participant(struct registry *reg, const char *room, bool create,
			     struct participant p, char id[ENDPOINT_ID_LEN + 1])
{
	bool valid = registry_valid_room_name(room);
	struct member *mb = valid ? calloc(1, sizeof(*mb)) : NULL;
	if (!mb) {
		p.ops->destroy(p.self);
		return valid ? MCU_ENOMEM : MCU_EINVAL;
	}
	mb->p = p;
	/* Copied while the member is still ours alone: once in, it may leave. */
	memcpy(id, member_id(mb), ENDPOINT_ID_LEN + 1);
	int rc = insert_checked(reg, room, create, mb);
	if (rc) {
		member_free(mb);
		return rc;
	}
	LOG_I("registry", "room=%s ep=%s joined", room, id);
	return 0;
}

int registry_join(struct registry *reg, const char *room, bool create,
		  const struct endpoint_params *params, struct endpoint_local *local,
		  char id[ENDPOINT_ID_LEN + 1], char *err, size_t err_size)
{
	int need = 0;
	int rc = precheck(reg, room, create, FDBUDGET_WEBRTC, &need, err, err_size);
	if (rc)
		return rc;
	struct endpoint *ep = NULL;
	rc = endpoint_create(reg->env, params, &ep, err, err_size);
	fdbudget_give(reg->fds, need);
	if (rc)
		return rc;
	endpoint_local(ep, local);
	return registry_add_participant(reg, room, create,
					(struct participant){ endpoint_participant_ops(), ep }, id);
}

int registry_join_rtp(struct registry *reg, const char *room, bool create,
		      const struct rtpep_params *params, struct rtpep_local *local,
		      char id[ENDPOINT_ID_LEN + 1], char *err, size_t err_size)
{
	int need = 0;
	int rc = precheck(reg, room, create, FDBUDGET_RTP, &need, err, err_size);
	if (rc)
		return rc;
	struct rtpep *r = NULL;
	rc = rtpep_create(reg->env, params, &r, err, err_size);
	fdbudget_give(reg->fds, need);
	if (rc)
		return rc;
	rtpep_local(r, local);
	return registry_add_participant(reg, room, create,
					(struct participant){ rtpep_participant_ops(), r }, id);
}

/* Caller holds reg->lock. Takes member k out of room and its mixer; the
 * caller frees it after unlocking. */
static struct member *take_member(struct registry *reg, struct room *room, int k,
				  const char *why)
{
	struct member *mb = room->eps[k];
	mix_remove(room->mix, member_port(mb));
	tell_left(reg, room->info.name, mb, why);
	if (room->rec) {
		struct endpoint_info ei;
		member_info(mb, &ei);
		recorder_note(room->rec, ei.id, ei.name, false, clock_wall_us());
	}
	/* Keep join order: the layout places tiles by it. */
	memmove(&room->eps[k], &room->eps[k + 1], (size_t)(room->n_eps - k - 1) * sizeof(room->eps[0]));
	if (--room->n_eps == 0)
		room->empty_since_us = clock_now_us();
	book_departure(reg, mb);
	return mb;
}

int registry_leave(struct registry *reg, const char *room_name, const char *id, const char *why)
{
	struct member *mb = NULL;
	pthread_mutex_lock(&reg->lock);
	int i = find_room(reg, room_name);
	if (i >= 0) {
		int k = find_endpoint(reg->rooms[i], id);
		if (k >= 0)
			mb = take_member(reg, reg->rooms[i], k, why);
	}
	pthread_mutex_unlock(&reg->lock);
	if (!mb)
		return MCU_ENOTFOUND;
	member_free(mb);
	LOG_I("registry", "room=%s ep=%s left (%s)", room_name, id, why);
	return 0;
}

/* Caller holds reg->lock. The participant with that id, or NULL. */
static struct participant *lookup(struct registry *reg, const char *room, const char *id)
{
	int i = find_room(reg, room);
	if (i < 0)
		return NULL;
	int k = find_endpoint(reg->rooms[i], id);
	return k < 0 ? NULL : &reg->rooms[i]->eps[k]->p;
}

/* These hold the registry lock across a libnice call: that only takes the
 * agent's own lock, which no transport callback holds while taking ours.
 * A participant without ICE is no ICE session: MCU_ENOTFOUND. */
int registry_trickle(struct registry *reg, const char *room, const char *id,
		     const char *const *candidates, int n, int end)
{
	pthread_mutex_lock(&reg->lock);
	struct participant *p = lookup(reg, room, id);
	int rc = p && p->ops->trickle ? p->ops->trickle(p->self, candidates, n, end) : MCU_ENOTFOUND;
	pthread_mutex_unlock(&reg->lock);
	return rc;
}

int registry_remote_ufrag(struct registry *reg, const char *room, const char *id,
			  char *buf, size_t size)
{
	pthread_mutex_lock(&reg->lock);
	struct participant *p = lookup(reg, room, id);
	bool ice = p && p->ops->remote_ufrag;
	if (ice)
		p->ops->remote_ufrag(p->self, buf, size);
	pthread_mutex_unlock(&reg->lock);
	return ice ? 0 : MCU_ENOTFOUND;
}

int registry_restart_ice(struct registry *reg, const char *room, const char *id,
			 const char *ufrag, const char *pwd, const char *const *candidates,
			 int n, struct endpoint_local *out)
{
	pthread_mutex_lock(&reg->lock);
	struct participant *p = lookup(reg, room, id);
	int rc = p && p->ops->restart_ice
		 ? p->ops->restart_ice(p->self, ufrag, pwd, candidates, n, out) : MCU_ENOTFOUND;
	pthread_mutex_unlock(&reg->lock);
	return rc;
}
