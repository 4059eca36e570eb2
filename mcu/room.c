/*
 * room.c - see room.h.
 *
 * DESIGN: a participant is in one of three lists. Booked: it has a place
 * and counts in the room's cost, but its port is not in the mixer yet.
 * Members: in the room, seen by the API. Released: it left, but the mixer
 * may still hold its port (a removal left queued when the room thread was
 * stuck), so it is freed only once mix_holds says no, or with the room.
 * A recording stopped while the room thread is stuck waits the same way
 * (retired) until the mixer has stopped teeing into it.
 *
 * Nothing here waits for the room thread with r->lock held: the waits are
 * mix_add, mix_remove, mix_recorder_applied and mix_snapshot, each bounded,
 * each made between two holds of the lock; the reference the caller holds
 * keeps the room (and its mixer) alive meanwhile.
 */
#include "room.h"
#include "config.h"
#include "cost.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The longest wait for the room thread (mix_config.command_timeout_ms). */
#define COMMAND_TIMEOUT_MS 2000

/* The measured cost is the CPU rate of the room's work over the last
 * CPU_SAMPLES samples (one per room_reap, about a second apart), once they
 * span CPU_MIN_SPAN_US. */
#define CPU_SAMPLES 6
#define CPU_MIN_SPAN_US 3000000

struct room_member {
	struct participant p;
	struct port_info info;         /* what the room runs for it (admission) */
	int64_t joined_us;             /* monotonic */
};

/* A growable array of pointers. */
struct ptrs {
	void **at;
	int n, cap;
};

/* A recorder the room stopped teeing into, finished once the mixer made
 * the change that replaced it. */
struct retired {
	struct recorder *rec;
	uint64_t change;
};

struct room {
	const struct room_context *ctx;
	_Atomic int refs;
	pthread_mutex_t lock;
	struct room_info info;         /* n_participants mirrors members.n */
	struct ptrs members;           /* struct room_member *, join order */
	struct ptrs booked;
	struct ptrs released;
	struct retired *retired;
	int n_retired;
	struct mix *mix;
	struct recorder *rec;          /* while it records; the mixer tees into it */
	int64_t empty_since_us;        /* monotonic; when the last one left */
	bool ended;
	const char *end_why;
	/* CPU time of the room's work, sampled by room_reap (a ring). */
	int64_t cpu_at_us[CPU_SAMPLES], cpu_used_us[CPU_SAMPLES];
	int n_cpu, cpu_next;
};

bool room_valid_name(const char *name)
{
	size_t n = strlen(name);
	if (n < 1 || n > ROOM_NAME_MAX)
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

bool room_valid_layout(const char *layout)
{
	enum layout_kind kind;
	return layout_parse(layout, &kind) == 0;
}

bool room_valid_settings(const struct room_settings *s)
{
	return room_valid_layout(s->layout) && s->max_participants >= 1 &&
	       s->max_participants <= 1000;
}

void room_traffic_add(struct room_traffic *t, const struct endpoint_info *p)
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

/* ---- small parts ---------------------------------------------------- */

static int ptrs_push(struct ptrs *a, void *p)
{
	if (a->n == a->cap) {
		int cap = a->cap ? a->cap * 2 : 8;
		void **grown = realloc(a->at, (size_t)cap * sizeof(*grown));
		if (!grown)
			return MCU_ENOMEM;
		a->at = grown;
		a->cap = cap;
	}
	a->at[a->n++] = p;
	return 0;
}

/* Takes out element k, keeping the order (the layout places tiles by join order). */
static void *ptrs_take(struct ptrs *a, int k)
{
	void *p = a->at[k];
	memmove(&a->at[k], &a->at[k + 1], (size_t)(a->n - k - 1) * sizeof(a->at[0]));
	a->n--;
	return p;
}

static int ptrs_find(const struct ptrs *a, const void *p)
{
	for (int i = 0; i < a->n; i++)
		if (a->at[i] == p)
			return i;
	return -1;
}

static const char *member_id(const struct room_member *mb)
{
	return mb->p.ops->id(mb->p.self);
}

static void member_info(const struct room_member *mb, struct endpoint_info *out)
{
	mb->p.ops->info(mb->p.self, out);
}

static struct room_member *member_at(const struct room *r, int k)
{
	return r->members.at[k];
}

static void member_free(struct room_member *mb)
{
	if (!mb)
		return;
	mb->p.ops->destroy(mb->p.self);
	free(mb);
}

static void tell(const struct room *r, enum room_event_type type,
		 const struct endpoint_info *participant, const char *reason,
		 const struct recorder_status *recording)
{
	if (!r->ctx->listener)
		return;
	struct room_event ev = { .type = type, .room = r->info.name, .participant = participant,
				 .reason = reason, .recording = recording };
	r->ctx->listener(r->ctx->listener_ctx, &ev);
}

/* Tells that mb left, and why; notes it in the recording. */
static void tell_left(const struct room *r, const struct room_member *mb, const char *why)
{
	struct endpoint_info info;
	member_info(mb, &info);
	if (r->rec)
		recorder_note(r->rec, info.id, info.name, false, clock_wall_us());
	tell(r, ROOM_LEFT, &info, why, NULL);
}

/* Stops a recorder (waits for disk: never under the lock) and tells. */
static void finish_recording(const struct room *r, struct recorder *rec)
{
	if (!rec)
		return;
	struct recorder_status final;
	recorder_stop(rec, &final);
	tell(r, ROOM_RECORDING_FINISHED, NULL, NULL, &final);
}

/* Caller holds r->lock. Starts recording: the recorder's thread opens the
 * file, so nothing here waits for disk, and the mixer takes it at its next
 * wake without being waited for. */
static void start_recording(struct room *r)
{
	const struct config *cfg = r->ctx->cfg;
	bool opus = !strcmp(cfg->record_audio_codec, "opus");
	struct recorder_config rc = {
		.dir = cfg->recordings_dir, .room = r->info.name, .width = 1280, .height = 720,
		.fps = 30, .audio = opus ? RECORDER_OPUS : RECORDER_AAC, .queue_packets = 1024,
	};
	struct recorder *rec = NULL;
	if (recorder_create(&rc, &rec)) {
		LOG_E("room", "room=%s cannot start recording", r->info.name);
		return;
	}
	for (int k = 0; k < r->members.n; k++) {
		struct endpoint_info info;
		member_info(member_at(r, k), &info);
		recorder_note(rec, info.id, info.name, true, info.joined_wall_us);
	}
	mix_set_recorder(r->mix, rec, opus);
	r->rec = rec;
	struct recorder_status st;
	recorder_get_status(rec, &st);
	LOG_I("room", "room=%s recording to %s", r->info.name, st.file);
}

/* Stops teeing into the recording and finishes it once the mixer has let
 * go of it: now (a bounded wait, unlocked) or at a later room_reap. */
static void stop_recording(struct room *r, struct recorder *rec, uint64_t change)
{
	if (!rec)
		return;
	if (mix_recorder_applied(r->mix, change, COMMAND_TIMEOUT_MS)) {
		finish_recording(r, rec);
		return;
	}
	pthread_mutex_lock(&r->lock);
	struct retired *grown = realloc(r->retired, (size_t)(r->n_retired + 1) * sizeof(*grown));
	if (grown) {
		r->retired = grown;
		r->retired[r->n_retired++] = (struct retired){ rec, change };
	}
	pthread_mutex_unlock(&r->lock);
	if (!grown) /* cannot be finished safely later: leave it unfinished */
		LOG_E("room", "room=%s out of memory: a recording is left unfinished", r->info.name);
}

/* Frees mb once the mixer let go of its port: now (a bounded wait,
 * unlocked), or at a later room_reap or the room's end. */
static void release_member(struct room *r, struct room_member *mb)
{
	int rc = mix_remove(r->mix, mb->p.self);
	if (rc != MCU_ETIMEDOUT && rc != MCU_ENOMEM) {
		member_free(mb);
		return;
	}
	pthread_mutex_lock(&r->lock);
	rc = ptrs_push(&r->released, mb);
	pthread_mutex_unlock(&r->lock);
	if (rc) /* the mixer may use it for ever: leave it */
		LOG_E("room", "room=%s out of memory: participant %s left in place", r->info.name,
		      member_id(mb));
}

/* Caller holds r->lock. Takes member k out, telling why. */
static struct room_member *take_member(struct room *r, int k, const char *why)
{
	struct room_member *mb = ptrs_take(&r->members, k);
	r->info.n_participants = r->members.n;
	if (r->members.n == 0)
		r->empty_since_us = clock_now_us();
	tell_left(r, mb, why);
	return mb;
}

/* Caller holds r->lock. */
static int find_member(const struct room *r, const char *id)
{
	for (int k = 0; k < r->members.n; k++)
		if (!strcmp(member_id(member_at(r, k)), id))
			return k;
	return -1;
}

/* ---- life ----------------------------------------------------------- */

int room_create(const struct room_context *ctx, const char *name, const struct room_settings *s,
		struct room **out)
{
	if (!room_valid_name(name) || !room_valid_settings(s))
		return MCU_EINVAL;
	struct room *r = calloc(1, sizeof(*r));
	if (!r)
		return MCU_ENOMEM;
	const struct config *cfg = ctx->cfg;
	enum layout_kind layout = LAYOUT_GRID;
	layout_parse(s->layout, &layout);
	struct mix_config mc = {
		.room = name, .layout = layout, .max_mixed_speakers = cfg->max_mixed_speakers,
		.video_timeout_ms = cfg->video_timeout_ms,
		.keyframe_min_interval_ms = cfg->keyframe_min_interval_ms,
		.x264_preset = cfg->x264_preset, .encoder_threads = cfg->encoder_threads,
		.audio_bitrate = cfg->audio_bitrate, .command_timeout_ms = COMMAND_TIMEOUT_MS,
		.pool = ctx->media_pool,
	};
	int rc = mix_create(&mc, &r->mix);
	if (rc) {
		free(r);
		return rc;
	}
	r->ctx = ctx;
	atomic_init(&r->refs, 1);
	pthread_mutex_init(&r->lock, NULL);
	snprintf(r->info.name, sizeof(r->info.name), "%s", name);
	r->info.settings = *s;
	r->info.created_wall_us = clock_wall_us();
	r->empty_since_us = clock_now_us();
	if (s->record)
		start_recording(r);
	LOG_I("room", "room=%s created (layout %s, max %d)", name, s->layout, s->max_participants);
	tell(r, ROOM_STARTED, NULL, NULL, NULL);
	*out = r;
	return 0;
}

void room_ref(struct room *r)
{
	atomic_fetch_add(&r->refs, 1);
}

const char *room_name(const struct room *r)
{
	return r->info.name;
}

void room_end(struct room *r, const char *why)
{
	pthread_mutex_lock(&r->lock);
	if (!r->ended) {
		r->ended = true;
		r->end_why = why;
	}
	pthread_mutex_unlock(&r->lock);
}

/* The last reference went: nobody else can reach r. Its participants
 * leave and its recordings finish after the mixer stopped (it uses both). */
static void room_free(struct room *r)
{
	const char *why = r->end_why ? r->end_why : "shutdown";
	if (mix_destroy(r->mix)) {
		LOG_E("room", "room=%s its thread is stuck: its participants and recording are "
		      "left in place", r->info.name);
		return;
	}
	for (int k = 0; k < r->members.n; k++)
		tell_left(r, member_at(r, k), "room ended");
	finish_recording(r, r->rec);
	for (int i = 0; i < r->n_retired; i++)
		finish_recording(r, r->retired[i].rec);
	for (int k = 0; k < r->members.n; k++)
		member_free(member_at(r, k));
	for (int k = 0; k < r->released.n; k++)
		member_free(r->released.at[k]);
	LOG_I("room", "room=%s ended (%s)", r->info.name, why);
	tell(r, ROOM_ENDED, NULL, why, NULL);
	free(r->members.at);
	free(r->booked.at); /* empty: a booked participant's caller holds a reference */
	free(r->released.at);
	free(r->retired);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

void room_unref(struct room *r)
{
	if (r && atomic_fetch_sub(&r->refs, 1) == 1)
		room_free(r);
}

/* ---- joining and leaving -------------------------------------------- */

int room_book(struct room *r, struct participant p, struct room_member **booked)
{
	struct room_member *mb = calloc(1, sizeof(*mb));
	if (!mb)
		return MCU_ENOMEM;
	mb->p = p;
	p.ops->port_info(p.self, &mb->info);
	pthread_mutex_lock(&r->lock);
	int rc = r->ended ? MCU_ENOTFOUND
		 : r->members.n + r->booked.n >= r->info.settings.max_participants ? MCU_ELIMIT
		 : ptrs_push(&r->booked, mb);
	pthread_mutex_unlock(&r->lock);
	if (rc) {
		free(mb);
		return rc;
	}
	*booked = mb;
	return 0;
}

int room_admit(struct room *r, struct room_member *mb)
{
	int rc = mix_add(r->mix, &mb->info, mb->p.ops->port_ops, mb->p.self);
	pthread_mutex_lock(&r->lock);
	ptrs_take(&r->booked, ptrs_find(&r->booked, mb));
	if (!rc && r->ended) {
		/* In the mixer of a room being torn down: goes with it. */
		rc = ptrs_push(&r->released, mb) ? MCU_ENOMEM : MCU_ENOTFOUND;
		if (rc == MCU_ENOTFOUND)
			mb = NULL;
	} else if (!rc) {
		rc = ptrs_push(&r->members, mb);
	}
	if (!rc) {
		mb->joined_us = clock_now_us();
		r->info.n_participants = r->members.n;
		struct endpoint_info info;
		member_info(mb, &info);
		if (r->rec)
			recorder_note(r->rec, info.id, info.name, true, info.joined_wall_us);
		tell(r, ROOM_JOINED, &info, NULL, NULL);
		LOG_I("room", "room=%s ep=%s joined", r->info.name, info.id);
	}
	pthread_mutex_unlock(&r->lock);
	if (rc == MCU_ETIMEDOUT)
		LOG_W("room", "room=%s join refused: the room's thread did not answer in %d ms",
		      r->info.name, COMMAND_TIMEOUT_MS);
	if (rc && mb && mix_holds(r->mix, mb->p.self))
		release_member(r, mb); /* in the mixer, but no place in the lists */
	else if (rc)
		member_free(mb);
	return rc;
}

int room_leave(struct room *r, const char *id, const char *why)
{
	pthread_mutex_lock(&r->lock);
	int k = r->ended ? -1 : find_member(r, id);
	struct room_member *mb = k < 0 ? NULL : take_member(r, k, why);
	pthread_mutex_unlock(&r->lock);
	if (!mb)
		return MCU_ENOTFOUND;
	LOG_I("room", "room=%s ep=%s left (%s)", r->info.name, id, why);
	release_member(r, mb);
	return 0;
}

int room_with_participant(struct room *r, const char *id,
			  int (*fn)(struct participant *p, void *ctx), void *ctx)
{
	pthread_mutex_lock(&r->lock);
	int k = find_member(r, id);
	int rc = k < 0 ? MCU_ENOTFOUND : fn(&member_at(r, k)->p, ctx);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* ---- cost --------------------------------------------------------- */

/* Caller holds r->lock. The CPU rate of the room's work over the samples,
 * or -1 while they span too little time. */
static double measured_cost(const struct room *r)
{
	if (r->n_cpu < 2)
		return -1;
	int newest = (r->cpu_next + CPU_SAMPLES - 1) % CPU_SAMPLES;
	int oldest = r->n_cpu < CPU_SAMPLES ? 0 : r->cpu_next;
	int64_t span = r->cpu_at_us[newest] - r->cpu_at_us[oldest];
	if (span < CPU_MIN_SPAN_US)
		return -1;
	return (double)(r->cpu_used_us[newest] - r->cpu_used_us[oldest]) / (double)span;
}

/* Caller holds r->lock. The model's estimate, with extra (may be NULL). */
static double model_cost(const struct room *r, int64_t now_us, const struct port_info *extra)
{
	const struct config *cfg = r->ctx->cfg;
	struct cost_room c;
	double pending_total = 0;
	cost_room_init(&c, cfg->max_mixed_speakers, r->rec != NULL);
	for (int k = 0; k < r->members.n; k++) {
		const struct room_member *mb = member_at(r, k);
		double pending;
		bool ready = mb->p.ops->port_ops->ready(mb->p.self);
		if (cost_charged_fully(ready, now_us - mb->joined_us, &pending))
			cost_room_add(&c, &mb->info);
		pending_total += pending;
	}
	for (int k = 0; k < r->booked.n; k++) /* charged fully: they must fit once live */
		cost_room_add(&c, &((struct room_member *)r->booked.at[k])->info);
	if (extra)
		cost_room_add(&c, extra);
	return cost_room_estimate(&c) + pending_total;
}

/* ---- state ---------------------------------------------------------- */

/* Caller holds r->lock. */
static void snapshot(struct room *r, struct room_info *out)
{
	*out = r->info;
	out->n_participants = r->members.n;
	mix_get_stats(r->mix, &out->mixer);
	out->cost_model = model_cost(r, clock_now_us(), NULL);
	out->cost_measured = measured_cost(r);
}

int room_get(struct room *r, struct room_info *out, struct endpoint_info **parts, int *n_parts)
{
	int rc = 0;
	pthread_mutex_lock(&r->lock);
	snapshot(r, out);
	if (parts) {
		*parts = NULL;
		*n_parts = 0;
	}
	if (parts && r->members.n > 0) {
		*parts = calloc((size_t)r->members.n, sizeof(**parts));
		rc = *parts ? 0 : MCU_ENOMEM;
		for (int k = 0; !rc && k < r->members.n; k++) {
			member_info(member_at(r, k), &(*parts)[k]);
			(*parts)[k].receiving_profile = mix_profile_of(r->mix, member_at(r, k)->p.self);
		}
		if (!rc)
			*n_parts = r->members.n;
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
}

int room_update(struct room *r, const char *layout, int record, struct room_info *out)
{
	if (layout && !room_valid_layout(layout))
		return MCU_EINVAL;
	struct recorder *stopped = NULL;
	uint64_t change = 0;
	pthread_mutex_lock(&r->lock);
	if (record == 1 && !r->rec && !r->ended) {
		start_recording(r);
	} else if (record == 0 && r->rec) {
		stopped = r->rec;
		r->rec = NULL;
		change = mix_set_recorder(r->mix, NULL, false);
	}
	enum layout_kind kind;
	struct room_settings *s = &r->info.settings;
	if (layout && !layout_parse(layout, &kind)) {
		snprintf(s->layout, sizeof(s->layout), "%s", layout);
		mix_set_layout(r->mix, kind);
	}
	if (record >= 0)
		s->record = record != 0;
	snapshot(r, out);
	pthread_mutex_unlock(&r->lock);
	stop_recording(r, stopped, change);
	return 0;
}

int room_snapshot(struct room *r, uint8_t **out, size_t *len)
{
	return mix_snapshot(r->mix, out, len); /* unlocked: it waits for the room thread */
}

const char *room_recording_state(struct room *r, const char *file)
{
	const char *state = NULL;
	pthread_mutex_lock(&r->lock);
	if (r->rec) {
		struct recorder_status st;
		recorder_get_status(r->rec, &st);
		if (!strcmp(st.file, file))
			state = recorder_state_name(st.state);
	}
	pthread_mutex_unlock(&r->lock);
	return state;
}

void room_traffic(struct room *r, struct room_traffic *t)
{
	pthread_mutex_lock(&r->lock);
	for (int k = 0; k < r->members.n; k++) {
		struct endpoint_info info;
		member_info(member_at(r, k), &info);
		room_traffic_add(t, &info);
	}
	pthread_mutex_unlock(&r->lock);
}

double room_cost(struct room *r, int64_t now_us, const struct port_info *extra)
{
	pthread_mutex_lock(&r->lock);
	double now = model_cost(r, now_us, NULL);
	double with = extra ? model_cost(r, now_us, extra) : now;
	double measured = measured_cost(r);
	pthread_mutex_unlock(&r->lock);
	/* The model prices what a join adds; what the room runs already, it
	 * may underrate (cold caches, a busy machine): then the measure counts. */
	return (measured > now ? measured : now) + (with - now);
}

/* ---- housekeeping --------------------------------------------------- */

/* Caller holds r->lock. Takes out the first member that is gone (dead
 * transport, or silent too long) and says why, or returns NULL. */
static struct room_member *take_gone(struct room *r, int64_t now, const char **why)
{
	for (int k = 0; !r->ended && k < r->members.n; k++) {
		struct room_member *mb = member_at(r, k);
		*why = mb->p.ops->gone(mb->p.self, now, r->ctx->cfg);
		if (*why)
			return take_member(r, k, *why);
	}
	return NULL;
}

/* Caller holds r->lock. Samples the CPU time of the room's work. */
static void sample_cpu(struct room *r, int64_t now_us)
{
	struct mix_stats st;
	mix_get_stats(r->mix, &st);
	r->cpu_at_us[r->cpu_next] = now_us;
	r->cpu_used_us[r->cpu_next] = (int64_t)st.cpu_us;
	r->cpu_next = (r->cpu_next + 1) % CPU_SAMPLES;
	if (r->n_cpu < CPU_SAMPLES)
		r->n_cpu++;
}

void room_reap(struct room *r, int64_t now_us)
{
	struct room_member *mb;
	const char *why = NULL;
	pthread_mutex_lock(&r->lock);
	sample_cpu(r, now_us);
	while ((mb = take_gone(r, now_us, &why))) {
		pthread_mutex_unlock(&r->lock);
		LOG_I("room", "room=%s ep=%s dropped: %s", r->info.name, member_id(mb), why);
		release_member(r, mb);
		pthread_mutex_lock(&r->lock);
	}
	/* What the mixer has let go of since it was left queued. */
	struct ptrs done = { 0 };
	for (int k = r->released.n - 1; k >= 0; k--) {
		struct room_member *gone = r->released.at[k];
		if (!mix_holds(r->mix, gone->p.self) && !ptrs_push(&done, gone))
			ptrs_take(&r->released, k);
	}
	struct recorder *finished[4];
	int n_finished = 0;
	for (int i = r->n_retired - 1; i >= 0 && n_finished < 4; i--)
		if (mix_recorder_applied(r->mix, r->retired[i].change, 0)) {
			finished[n_finished++] = r->retired[i].rec;
			r->retired[i] = r->retired[--r->n_retired];
		}
	pthread_mutex_unlock(&r->lock);
	for (int k = 0; k < done.n; k++)
		member_free(done.at[k]);
	free(done.at);
	for (int i = 0; i < n_finished; i++)
		finish_recording(r, finished[i]);
}

bool room_expired(struct room *r, int64_t now_us, int64_t timeout_us)
{
	pthread_mutex_lock(&r->lock);
	bool expired = !r->ended && r->members.n == 0 && r->booked.n == 0 &&
		       now_us - r->empty_since_us >= timeout_us;
	pthread_mutex_unlock(&r->lock);
	return expired;
}

void room_stall(struct room *r, int ms, int video_work_ms)
{
	LOG_W("room", "room=%s test hook: stall %d ms, video work %d ms", r->info.name, ms,
	      video_work_ms);
	if (ms > 0)
		mix_stall(r->mix, ms);
	if (video_work_ms >= 0)
		mix_burn(r->mix, video_work_ms);
}
