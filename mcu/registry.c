/*
 * registry.c - see registry.h.
 *
 * DESIGN: rooms sit in a growable array of references; a few dozen rooms
 * make a linear search cheaper than any index. Every call finds its room
 * under the lock, takes a reference, lets go of the lock and works on the
 * room (room.h), which has its own lock; so no call here ever waits for a
 * room's thread with the registry's lock held.
 *
 * Joining is three steps, so that no lock is held while libnice gathers or
 * DTLS is set up: check (and take descriptors), build the transport
 * unlocked, then book a place under the lock (the room may have filled,
 * ended or the CPU budget run out meanwhile) and admit it into the room
 * outside. A housekeeping thread drops participants that are gone and
 * ends rooms left empty too long.
 */
#include "registry.h"
#include "admission.h"
#include "config.h"
#include "fdbudget.h"
#include "rtpdest.h"
#include "mcu/net/rtpep.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/workq.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Video jobs queued at most: one per room at a time. */
#define MEDIA_QUEUE 4096

struct registry {
	const struct endpoint_env *env;
	int max_rooms;
	struct room_context room_ctx;  /* its listener is on_room_event */
	pthread_mutex_t lock;          /* guards rooms */
	struct room **rooms;
	int n_rooms, cap_rooms;
	struct admission *admission;
	struct workq *media_pool;      /* every room's video work: a thread per core */

	/* Totals, for /api/health without any lock. */
	_Atomic int pub_rooms, pub_participants;
	_Atomic uint64_t pub_joins, pub_leaves;
	pthread_mutex_t departed_lock; /* taken inside a room's lock: innermost */
	struct room_traffic departed;  /* of participants already gone */

	room_listener_fn *listener;
	void *listener_ctx;

	pthread_t reaper;
	bool reaper_started, stopping;
	pthread_cond_t reaper_wake;    /* CLOCK_MONOTONIC; with lock */
};

/* Every room event passes here: the totals, then the listener. */
static void on_room_event(void *ctx, const struct room_event *ev)
{
	struct registry *reg = ctx;
	if (ev->type == ROOM_JOINED) {
		atomic_fetch_add(&reg->pub_joins, 1);
		atomic_fetch_add(&reg->pub_participants, 1);
	} else if (ev->type == ROOM_LEFT) {
		atomic_fetch_add(&reg->pub_leaves, 1);
		atomic_fetch_sub(&reg->pub_participants, 1);
		pthread_mutex_lock(&reg->departed_lock);
		room_traffic_add(&reg->departed, ev->participant);
		pthread_mutex_unlock(&reg->departed_lock);
	}
	if (reg->listener)
		reg->listener(reg->listener_ctx, ev);
}

void registry_set_listener(struct registry *reg, room_listener_fn *fn, void *ctx)
{
	reg->listener = fn;
	reg->listener_ctx = ctx;
}

/* ---- the table ------------------------------------------------------ */

/* Caller holds reg->lock. */
static int find_room(const struct registry *reg, const char *name)
{
	for (int i = 0; i < reg->n_rooms; i++)
		if (!strcmp(room_name(reg->rooms[i]), name))
			return i;
	return -1;
}

/* A reference to the room called name, or NULL. */
static struct room *get_room(struct registry *reg, const char *name)
{
	pthread_mutex_lock(&reg->lock);
	int i = find_room(reg, name);
	struct room *r = i < 0 ? NULL : reg->rooms[i];
	if (r)
		room_ref(r);
	pthread_mutex_unlock(&reg->lock);
	return r;
}

/* Caller holds reg->lock. Takes room i out of the table, ending it; the
 * caller lets go of the table's reference after unlocking. */
static struct room *take_room(struct registry *reg, int i, const char *why)
{
	struct room *r = reg->rooms[i];
	reg->rooms[i] = reg->rooms[--reg->n_rooms];
	atomic_store(&reg->pub_rooms, reg->n_rooms);
	room_end(r, why);
	return r;
}

/* Caller holds reg->lock. Makes a room and puts it in the table; returns
 * its index or an error. */
static int add_room(struct registry *reg, const char *name, const struct room_settings *s)
{
	if (reg->n_rooms >= reg->max_rooms)
		return MCU_ELIMIT;
	if (reg->n_rooms == reg->cap_rooms) {
		int cap = reg->cap_rooms ? reg->cap_rooms * 2 : 8;
		struct room **grown = realloc(reg->rooms, (size_t)cap * sizeof(*grown));
		if (!grown)
			return MCU_ENOMEM;
		reg->rooms = grown;
		reg->cap_rooms = cap;
	}
	struct room *r = NULL;
	int rc = room_create(&reg->room_ctx, name, s, &r);
	if (rc)
		return rc;
	reg->rooms[reg->n_rooms] = r;
	atomic_store(&reg->pub_rooms, reg->n_rooms + 1);
	return reg->n_rooms++;
}

/* References to every room (*n of them, a new array), or NULL. */
static struct room **all_rooms(struct registry *reg, int *n)
{
	pthread_mutex_lock(&reg->lock);
	struct room **rooms = calloc((size_t)reg->n_rooms + 1, sizeof(*rooms));
	*n = rooms ? reg->n_rooms : 0;
	for (int i = 0; i < *n; i++) {
		rooms[i] = reg->rooms[i];
		room_ref(rooms[i]);
	}
	pthread_mutex_unlock(&reg->lock);
	return rooms;
}

static void unref_all(struct room **rooms, int n)
{
	for (int i = 0; i < n; i++)
		room_unref(rooms[i]);
	free(rooms);
}

/* ---- housekeeping --------------------------------------------------- */

/* Ends the rooms left empty too long. */
static void end_expired(struct registry *reg)
{
	int64_t timeout = (int64_t)reg->env->cfg->empty_room_timeout_s * 1000000;
	struct room *ended[16];
	int n = 0;
	pthread_mutex_lock(&reg->lock);
	int64_t now = clock_now_us();
	for (int i = reg->n_rooms - 1; i >= 0 && n < 16; i--)
		if (room_expired(reg->rooms[i], now, timeout)) {
			LOG_I("registry", "room=%s ends: empty for %d s", room_name(reg->rooms[i]),
			      reg->env->cfg->empty_room_timeout_s);
			ended[n++] = take_room(reg, i, "empty");
		}
	pthread_mutex_unlock(&reg->lock);
	for (int i = 0; i < n; i++)
		room_unref(ended[i]);
}

/* The housekeeping thread: once a second, drops participants that are
 * gone (participant.h) and ends rooms left empty. */
static void *reaper_main(void *arg)
{
	struct registry *reg = arg;
	pthread_mutex_lock(&reg->lock);
	while (!reg->stopping) {
		int64_t wake = clock_now_us() + 1000000;
		struct timespec ts = clock_timespec(wake);
		pthread_cond_timedwait(&reg->reaper_wake, &reg->lock, &ts);
		if (reg->stopping)
			break;
		pthread_mutex_unlock(&reg->lock);
		int n = 0;
		struct room **rooms = all_rooms(reg, &n);
		for (int i = 0; i < n; i++)
			room_reap(rooms[i], clock_now_us());
		unref_all(rooms, n);
		end_expired(reg);
		pthread_mutex_lock(&reg->lock);
	}
	pthread_mutex_unlock(&reg->lock);
	return NULL;
}

int registry_create(const struct endpoint_env *env, int max_rooms, struct registry **out)
{
	struct rtpdest_cidr cidrs[RTPDEST_MAX_CIDRS];
	int n_cidrs;
	char err[160];
	if (rtpdest_parse_cidrs(env->cfg->rtp_allowed_destinations, cidrs, RTPDEST_MAX_CIDRS, &n_cidrs,
				err, sizeof(err))) {
		LOG_E("registry", "rtp_allowed_destinations: %s", err);
		return MCU_EINVAL;
	}
	struct registry *reg = calloc(1, sizeof(*reg));
	if (!reg)
		return MCU_ENOMEM;
	reg->env = env;
	reg->max_rooms = max_rooms;
	reg->room_ctx = (struct room_context){ .cfg = env->cfg, .listener = on_room_event,
					       .listener_ctx = reg };
	int rc = admission_create(env->cfg, &reg->admission);
	if (rc) {
		free(reg);
		return rc;
	}
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	rc = workq_create(cores < 1 ? 1 : cores > 64 ? 64 : (int)cores, MEDIA_QUEUE, "media",
			  MIX_VIDEO_NICE, &reg->media_pool);
	if (rc) {
		admission_destroy(reg->admission);
		free(reg);
		return rc;
	}
	reg->room_ctx.media_pool = reg->media_pool;
	pthread_mutex_init(&reg->lock, NULL);
	pthread_mutex_init(&reg->departed_lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&reg->reaper_wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&reg->reaper, NULL, reaper_main, reg) != 0) {
		registry_destroy(reg);
		return MCU_ENOMEM;
	}
	reg->reaper_started = true;
	*out = reg;
	return 0;
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
	while (reg->n_rooms > 0) {
		pthread_mutex_lock(&reg->lock);
		struct room *r = take_room(reg, reg->n_rooms - 1, "shutdown");
		pthread_mutex_unlock(&reg->lock);
		room_unref(r);
	}
	pthread_cond_destroy(&reg->reaper_wake);
	free(reg->rooms);
	workq_destroy(reg->media_pool); /* after the rooms: none has a job left */
	admission_destroy(reg->admission);
	pthread_mutex_destroy(&reg->departed_lock);
	pthread_mutex_destroy(&reg->lock);
	free(reg);
}

/* ---- rooms ---------------------------------------------------------- */

int registry_create_room(struct registry *reg, const char *name,
			 const struct room_settings *settings, struct room_info *out)
{
	if (!room_valid_name(name) || !room_valid_settings(settings))
		return MCU_EINVAL;
	pthread_mutex_lock(&reg->lock);
	int rc = find_room(reg, name) >= 0 ? MCU_EEXIST : add_room(reg, name, settings);
	struct room *r = rc >= 0 ? reg->rooms[rc] : NULL;
	if (r)
		room_ref(r);
	pthread_mutex_unlock(&reg->lock);
	if (!r)
		return rc;
	room_get(r, out, NULL, NULL);
	room_unref(r);
	return 0;
}

int registry_update_room(struct registry *reg, const char *name, const char *layout,
			 int record, struct room_info *out)
{
	if (layout && !room_valid_layout(layout))
		return MCU_EINVAL;
	struct room *r = get_room(reg, name);
	if (!r)
		return MCU_ENOTFOUND;
	int rc = room_update(r, layout, record, out);
	room_unref(r);
	return rc;
}

int registry_delete_room(struct registry *reg, const char *name)
{
	pthread_mutex_lock(&reg->lock);
	int i = find_room(reg, name);
	struct room *r = i < 0 ? NULL : take_room(reg, i, "deleted");
	pthread_mutex_unlock(&reg->lock);
	if (!r)
		return MCU_ENOTFOUND;
	room_unref(r);
	return 0;
}

int registry_room(struct registry *reg, const char *name, struct room_info *out,
		  struct endpoint_info **parts, int *n_parts)
{
	struct room *r = get_room(reg, name);
	if (!r)
		return MCU_ENOTFOUND;
	int rc = room_get(r, out, parts, n_parts);
	room_unref(r);
	return rc;
}

int registry_list(struct registry *reg, struct room_info **out, int *n_out)
{
	int n = 0;
	struct room **rooms = all_rooms(reg, &n);
	*n_out = 0;
	*out = rooms ? calloc((size_t)n + 1, sizeof(**out)) : NULL;
	if (*out) {
		for (int i = 0; i < n; i++)
			room_get(rooms[i], &(*out)[i], NULL, NULL);
		*n_out = n;
	}
	int rc = *out ? 0 : MCU_ENOMEM;
	if (rooms)
		unref_all(rooms, n);
	return rc;
}

int registry_snapshot(struct registry *reg, const char *name, uint8_t **out, size_t *len,
		      bool *no_room)
{
	struct room *r = get_room(reg, name);
	*no_room = !r;
	if (!r)
		return MCU_ENOTFOUND;
	int rc = room_snapshot(r, out, len);
	room_unref(r);
	return rc;
}

const char *registry_recording_state(struct registry *reg, const char *file)
{
	int n = 0;
	struct room **rooms = all_rooms(reg, &n);
	const char *state = NULL;
	for (int i = 0; i < n && !state; i++)
		state = room_recording_state(rooms[i], file);
	if (rooms)
		unref_all(rooms, n);
	return state;
}

void registry_totals(struct registry *reg, struct registry_totals *out)
{
	out->rooms = atomic_load(&reg->pub_rooms);
	out->participants = atomic_load(&reg->pub_participants);
	out->joins = atomic_load(&reg->pub_joins);
	out->leaves = atomic_load(&reg->pub_leaves);
}

void registry_traffic(struct registry *reg, struct room_traffic *out)
{
	int n = 0;
	struct room **rooms = all_rooms(reg, &n);
	pthread_mutex_lock(&reg->departed_lock);
	*out = reg->departed;
	pthread_mutex_unlock(&reg->departed_lock);
	for (int i = 0; i < n; i++)
		room_traffic(rooms[i], out);
	if (rooms)
		unref_all(rooms, n);
}

int registry_stall(struct registry *reg, const char *name, int ms, int video_work_ms)
{
	struct room *r = get_room(reg, name);
	if (!r)
		return MCU_ENOTFOUND;
	room_stall(r, ms, video_work_ms);
	room_unref(r);
	return 0;
}

/* ---- participants --------------------------------------------------- */

/* Caller holds reg->lock. Would a participant like info joining room r
 * (NULL: a new room called name) take the node past its CPU budget? */
static int within_budget(struct registry *reg, struct room *r, const char *name,
			 const struct port_info *info)
{
	if (!admission_limits_cpu(reg->admission))
		return 0;
	double after = r ? 0 : admission_new_room_cost(reg->admission, info);
	int64_t now = clock_now_us();
	for (int i = 0; i < reg->n_rooms; i++)
		after += room_cost(reg->rooms[i], now, reg->rooms[i] == r ? info : NULL);
	return admission_check_cpu(reg->admission, after, name);
}

/* Caller holds reg->lock. Finds or makes the room and books p a place in
 * it; *r gets a reference to it (also on failure, when found). On failure
 * p is still the caller's. */
static int book(struct registry *reg, const char *name, bool create, struct participant p,
		struct room **r, struct room_member **booked)
{
	struct port_info info;
	p.ops->port_info(p.self, &info);
	int i = find_room(reg, name);
	int rc = i < 0 && !create ? MCU_ENOTFOUND
		 : i < 0 && reg->n_rooms >= reg->max_rooms ? MCU_ELIMIT
		 : within_budget(reg, i < 0 ? NULL : reg->rooms[i], name, &info);
	if (!rc && i < 0) {
		struct room_settings s = { .layout = "grid", .record = reg->env->cfg->record,
					   .max_participants = reg->env->cfg->max_participants };
		i = add_room(reg, name, &s);
		rc = i < 0 ? i : 0;
	}
	if (rc)
		return rc;
	*r = reg->rooms[i];
	room_ref(*r);
	return room_book(*r, p, booked);
}

int registry_add_participant(struct registry *reg, const char *name, bool create,
			     struct participant p, char id[ENDPOINT_ID_LEN + 1])
{
	if (!room_valid_name(name)) {
		p.ops->destroy(p.self);
		return MCU_EINVAL;
	}
	/* Copied while it is still ours alone: once in, it may leave. */
	memcpy(id, p.ops->id(p.self), ENDPOINT_ID_LEN + 1);
	struct room *r = NULL;
	struct room_member *booked = NULL;
	pthread_mutex_lock(&reg->lock);
	int rc = book(reg, name, create, p, &r, &booked);
	pthread_mutex_unlock(&reg->lock);
	if (rc)
		p.ops->destroy(p.self); /* unlocked: it waits for its transport thread */
	else
		rc = room_admit(r, booked);
	room_unref(r);
	return rc;
}

/*
 * What every join asks before it makes a transport: a valid name, a place
 * in the room (or a new room), and the descriptors it will open (*need, to
 * be given back once the transport is made or failed). Returns 0,
 * MCU_EINVAL, MCU_ENOTFOUND, MCU_ELIMIT or MCU_ERESOURCE (err says why).
 */
static int precheck(struct registry *reg, const char *name, bool create, int need_fds,
		    int *need, char *err, size_t err_size)
{
	if (!room_valid_name(name))
		return MCU_EINVAL;
	struct room *r = get_room(reg, name);
	int rc = 0;
	if (!r && !create)
		rc = MCU_ENOTFOUND;
	else if (!r && atomic_load(&reg->pub_rooms) >= reg->max_rooms)
		rc = MCU_ELIMIT;
	else if (r) {
		struct room_info info;
		room_get(r, &info, NULL, NULL);
		rc = info.n_participants >= info.settings.max_participants ? MCU_ELIMIT : 0;
	}
	room_unref(r);
	if (rc)
		return rc;
	*need = need_fds + (r ? 0 : FDBUDGET_ROOM);
	rc = admission_take_fds(reg->admission, *need, err, err_size);
	if (rc)
		LOG_W("registry", "room=%s join refused: %s", name, err);
	return rc;
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
	admission_give_fds(reg->admission, need);
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
	admission_give_fds(reg->admission, need);
	if (rc)
		return rc;
	rtpep_local(r, local);
	return registry_add_participant(reg, room, create,
					(struct participant){ rtpep_participant_ops(), r }, id);
}

int registry_leave(struct registry *reg, const char *room, const char *id, const char *why)
{
	struct room *r = get_room(reg, room);
	int rc = r ? room_leave(r, id, why) : MCU_ENOTFOUND;
	room_unref(r);
	return rc;
}

/* Calls fn with the participant, under its room's lock. */
static int with_participant(struct registry *reg, const char *room, const char *id,
			    int (*fn)(struct participant *p, void *ctx), void *ctx)
{
	struct room *r = get_room(reg, room);
	int rc = r ? room_with_participant(r, id, fn, ctx) : MCU_ENOTFOUND;
	room_unref(r);
	return rc;
}

/* The ICE calls below run under the room's lock across a libnice call:
 * that only takes the agent's own lock, which no transport callback holds
 * while taking a room's. A participant without ICE is no ICE session:
 * MCU_ENOTFOUND. */
struct ice_call {
	const char *ufrag, *pwd;
	const char *const *candidates;
	int n, end;
	char *buf;
	size_t size;
	struct endpoint_local *out;
};

static int call_trickle(struct participant *p, void *ctx)
{
	const struct ice_call *c = ctx;
	return p->ops->trickle ? p->ops->trickle(p->self, c->candidates, c->n, c->end) : MCU_ENOTFOUND;
}

static int call_remote_ufrag(struct participant *p, void *ctx)
{
	const struct ice_call *c = ctx;
	if (!p->ops->remote_ufrag)
		return MCU_ENOTFOUND;
	p->ops->remote_ufrag(p->self, c->buf, c->size);
	return 0;
}

static int call_restart_ice(struct participant *p, void *ctx)
{
	const struct ice_call *c = ctx;
	return p->ops->restart_ice
	       ? p->ops->restart_ice(p->self, c->ufrag, c->pwd, c->candidates, c->n, c->out)
	       : MCU_ENOTFOUND;
}

int registry_trickle(struct registry *reg, const char *room, const char *id,
		     const char *const *candidates, int n, int end)
{
	struct ice_call c = { .candidates = candidates, .n = n, .end = end };
	return with_participant(reg, room, id, call_trickle, &c);
}

int registry_remote_ufrag(struct registry *reg, const char *room, const char *id,
			  char *buf, size_t size)
{
	struct ice_call c = { .buf = buf, .size = size };
	return with_participant(reg, room, id, call_remote_ufrag, &c);
}

int registry_restart_ice(struct registry *reg, const char *room, const char *id,
			 const char *ufrag, const char *pwd, const char *const *candidates,
			 int n, struct endpoint_local *out)
{
	struct ice_call c = { .ufrag = ufrag, .pwd = pwd, .candidates = candidates, .n = n,
			      .out = out };
	return with_participant(reg, room, id, call_restart_ice, &c);
}
