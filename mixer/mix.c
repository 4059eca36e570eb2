/*
 * mix.c - see mix.h: the room thread, its participants and its commands.
 *
 * DESIGN: one thread per room sleeps on a condition variable to absolute
 * CLOCK_MONOTONIC deadlines: every 20 ms an audio tick, every 1/30 s a
 * video tick. Commands (add, remove) wake it early; the caller waits for the
 * acknowledgement (bounded), so it may free the port afterwards (two-phase
 * close). The participant list changes only on the room thread while it
 * holds m->lock, so other threads may read it under that lock; the room
 * thread reads it without.
 *
 * Each wake drains every port's inbound queue: audio into a jitter buffer,
 * video into a frame assembler (under the sender's vlock). The room thread
 * then mixes and sends the audio itself; the video tick (decoding what
 * arrived, composing, encoding, sending, answering feedback) it hands as a
 * job to a pool shared by every room, whose threads run at a lower
 * priority: audio never waits for video. A video tick due while the last
 * one still runs is shed and counted. While a job runs it owns the video
 * state and reads the participant list, so commands wait for it to end.
 * The audio and video work lives in mixaudio.c and mixvideo.c; what they
 * share is mix_internal.h.
 */
#include "mix_internal.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "codecs/jpeg.h"
#include "base/workq.h"

#include <errno.h>
#include <libavutil/frame.h>
#include <stdlib.h>
#include <string.h>

#define AUDIO_TICK_US 20000
#define VIDEO_TICK_US 33333
#define VJB_CAPACITY 1024
#define VJB_MAX_WAIT_US 150000
#define AJB_CAPACITY 64
#define AJB_TARGET 1

static void part_free(struct mix_part *p)
{
	if (!p)
		return;
	ajb_destroy(p->ajb);
	acodec_dec_destroy(p->adec);
	acodec_enc_destroy(p->minus_enc);
	vjb_destroy(p->vjb);
	vdec_destroy(p->vdec);
	av_frame_free(&p->picture);
	pthread_mutex_destroy(&p->vlock);
	free(p);
}

/* Builds a participant's receive state on the caller's thread. */
static int part_create(const struct port_info *info, const struct port_ops *ops, void *port,
		       struct mix_part **out)
{
	struct mix_part *p = calloc(1, sizeof(*p));
	if (!p)
		return MCU_ENOMEM;
	p->info = *info;
	p->ops = ops;
	p->port = port;
	p->slot = -1;
	pthread_mutex_init(&p->vlock, NULL);
	p->picture = av_frame_alloc();
	int rc = p->picture ? 0 : MCU_ENOMEM;
	if (!rc && info->sends_audio)
		rc = ajb_create(AJB_CAPACITY, AJB_TARGET, &p->ajb);
	if (!rc && info->sends_audio)
		rc = acodec_dec_create(info->audio_codec, &p->adec);
	if (!rc && info->sends_video)
		rc = vjb_create(VJB_CAPACITY, VJB_MAX_WAIT_US, &p->vjb);
	adapt_init(&p->adapt, info->profile);
	atomic_store(&p->profile_now, info->profile);
	if (rc) {
		part_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

/* ---- commands ------------------------------------------------------- */

#define DEFAULT_COMMAND_TIMEOUT_MS 2000

static void cmd_free(struct mix_cmd *cmd)
{
	part_free(cmd->part);
	free(cmd);
}

/*
 * Caller holds m->lock. Queues cmd (from the heap) and waits until the room
 * thread did it, for command_timeout_ms at most: a stuck room thread must
 * not hold up the caller (an HTTP worker) for ever. On expiry a command
 * that may be undone is taken back (the caller frees it); one that must not
 * be lost (a removal: keep) stays queued, detached, and the room thread
 * frees it when it gets to it. Returns the command's result or
 * MCU_ETIMEDOUT.
 */
static int run_command(struct mix *m, struct mix_cmd *cmd, bool keep)
{
	cmd->next = NULL;
	struct mix_cmd **tail = &m->cmds;
	while (*tail)
		tail = &(*tail)->next;
	*tail = cmd;
	pthread_cond_signal(&m->wake);
	int64_t deadline = clock_now_us() + (int64_t)m->cfg.command_timeout_ms * 1000;
	struct timespec ts = clock_timespec(deadline);
	while (!cmd->done)
		if (pthread_cond_timedwait(&m->done, &m->lock, &ts) == ETIMEDOUT)
			break;
	if (cmd->done)
		return cmd->result;
	/* Not taken yet: run_commands takes and runs a command under m->lock,
	 * which we hold, so it is still in the queue. */
	if (keep) {
		cmd->detached = true;
	} else {
		for (tail = &m->cmds; *tail != cmd; tail = &(*tail)->next)
			;
		*tail = cmd->next;
	}
	LOG_W("mix", "room=%s a command waited %d ms for the room thread: %s", m->room,
	      m->cfg.command_timeout_ms, keep ? "left queued" : "given up");
	return MCU_ETIMEDOUT;
}

static int find_part(const struct mix *m, const void *port)
{
	for (int i = 0; i < m->n_parts; i++)
		if (m->parts[i]->port == port)
			return i;
	return -1;
}

/* Room thread, m->lock held. */
static void do_add(struct mix *m, struct mix_cmd *cmd)
{
	struct mix_part *p = cmd->part;
	if (find_part(m, p->port) >= 0) {
		cmd->result = MCU_EEXIST;
		return;
	}
	if (m->n_parts == m->cap_parts) {
		int cap = m->cap_parts ? m->cap_parts * 2 : 8;
		struct mix_part **grown = realloc(m->parts, (size_t)cap * sizeof(*grown));
		if (!grown) {
			cmd->result = MCU_ENOMEM;
			return;
		}
		m->parts = grown;
		m->cap_parts = cap;
	}
	if (p->info.sends_audio) {
		int rc = mixaudio_assign_slot(m, p);
		if (rc) {
			cmd->result = rc;
			return;
		}
	}
	m->parts[m->n_parts++] = p;
	if (p->info.sends_video)
		mixvideo_request_keyframe(m, p, clock_now_us());
	if (p->info.receives_video)
		mixvideo_receiver_joined(m, p);
	cmd->part = NULL; /* the room owns it now */
	cmd->result = 0;
	LOG_I("mix", "room=%s ep=%s added (%d in the room)", m->room, p->info.id, m->n_parts);
}

/* Room thread, m->lock held. */
static void do_remove(struct mix *m, struct mix_cmd *cmd)
{
	int i = find_part(m, cmd->port);
	if (i < 0) {
		cmd->result = MCU_ENOTFOUND;
		return;
	}
	struct mix_part *p = m->parts[i];
	memmove(&m->parts[i], &m->parts[i + 1], (size_t)(m->n_parts - i - 1) * sizeof(m->parts[0]));
	m->n_parts--;
	mixaudio_release_slot(m, p);
	cmd->part = p; /* the caller frees it off the room thread */
	cmd->result = 0;
	LOG_I("mix", "room=%s ep=%s removed (%d in the room)", m->room, p->info.id, m->n_parts);
}

/* Room thread: a deep copy of the composite (the canvas is drawn on again
 * next tick). At most once a second per room, so the allocation is fine. */
static int copy_canvas(struct mix *m, AVFrame **out)
{
	const AVFrame *canvas = canvas_frame(m->canvas);
	*out = NULL;
	if (!canvas->data[0] || !atomic_load(&m->pub.frames_composed))
		return MCU_ENOTFOUND;
	AVFrame *copy = av_frame_alloc();
	if (!copy)
		return MCU_ENOMEM;
	copy->format = canvas->format;
	copy->width = canvas->width;
	copy->height = canvas->height;
	if (av_frame_get_buffer(copy, 0) < 0 || av_frame_copy(copy, canvas) < 0) {
		av_frame_free(&copy);
		return MCU_ENOMEM;
	}
	*out = copy;
	return 0;
}

/* Room thread (or mix_destroy once it is gone), m->lock held. */
static void run_commands(struct mix *m)
{
	while (m->cmds) {
		struct mix_cmd *cmd = m->cmds;
		m->cmds = cmd->next;
		if (cmd->kind == MIX_CMD_ADD)
			do_add(m, cmd);
		else if (cmd->kind == MIX_CMD_REMOVE)
			do_remove(m, cmd);
		else
			cmd->result = copy_canvas(m, &cmd->picture);
		cmd->done = true;
		if (cmd->detached) /* nobody waits: a removal, whose part goes here */
			cmd_free(cmd);
	}
	if (m->rec_gen != atomic_load(&m->rec_gen_done)) {
		bool starts = m->rec_want && m->rec_want != m->rec;
		m->rec = m->rec_want;
		m->rec_opus = m->rec_want_opus;
		if (starts) /* the recording starts at a keyframe: make one */
			m->vout[mix_output(PROFILE_HD, 1)].idr_pending = true;
		atomic_store(&m->rec_gen_done, m->rec_gen);
	}
	pthread_cond_broadcast(&m->done);
}

int mix_add(struct mix *m, const struct port_info *info, const struct port_ops *ops, void *port)
{
	if (!info || !ops || !port || info->profile < 0 || info->profile >= PROFILE_COUNT ||
	    (int)info->audio_codec < 0 || (int)info->audio_codec >= CODEC_AUDIO_COUNT)
		return MCU_EINVAL;
	struct mix_cmd *cmd = calloc(1, sizeof(*cmd));
	if (!cmd)
		return MCU_ENOMEM;
	cmd->kind = MIX_CMD_ADD;
	int rc = part_create(info, ops, port, &cmd->part);
	if (!rc) {
		pthread_mutex_lock(&m->lock);
		rc = run_command(m, cmd, false);
		pthread_mutex_unlock(&m->lock);
	}
	cmd_free(cmd); /* its part is NULL once the room took it */
	return rc;
}

int mix_remove(struct mix *m, void *port)
{
	struct mix_cmd *cmd = calloc(1, sizeof(*cmd));
	if (!cmd)
		return MCU_ENOMEM;
	cmd->kind = MIX_CMD_REMOVE;
	cmd->port = port;
	pthread_mutex_lock(&m->lock);
	int rc = run_command(m, cmd, true);
	pthread_mutex_unlock(&m->lock);
	if (rc != MCU_ETIMEDOUT)
		cmd_free(cmd);
	return rc;
}

bool mix_holds(struct mix *m, const void *port)
{
	pthread_mutex_lock(&m->lock);
	bool held = find_part(m, port) >= 0;
	for (const struct mix_cmd *c = m->cmds; c && !held; c = c->next)
		held = c->kind == MIX_CMD_ADD && c->part && c->part->port == port;
	pthread_mutex_unlock(&m->lock);
	return held;
}

uint64_t mix_set_recorder(struct mix *m, struct recorder *rec, bool opus_audio)
{
	pthread_mutex_lock(&m->lock);
	m->rec_want = rec;
	m->rec_want_opus = opus_audio;
	uint64_t gen = ++m->rec_gen;
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->lock);
	return gen;
}

bool mix_recorder_applied(struct mix *m, uint64_t change, int timeout_ms)
{
	int64_t deadline = clock_now_us() + (int64_t)timeout_ms * 1000;
	struct timespec ts = clock_timespec(deadline);
	pthread_mutex_lock(&m->lock);
	while (atomic_load(&m->rec_gen_done) < change)
		if (pthread_cond_timedwait(&m->done, &m->lock, &ts) == ETIMEDOUT)
			break;
	bool applied = atomic_load(&m->rec_gen_done) >= change;
	pthread_mutex_unlock(&m->lock);
	return applied;
}

void mix_burn(struct mix *m, int ms)
{
	atomic_store(&m->burn_ms, ms);
}

/* The test hook of mix_burn: spins until the thread used ms of CPU. */
static void burn(int ms)
{
	int64_t until = clock_thread_cpu_us() + (int64_t)ms * 1000;
	while (clock_thread_cpu_us() < until)
		;
}

void mix_stall(struct mix *m, int ms)
{
	pthread_mutex_lock(&m->lock);
	atomic_store(&m->stall_ms, ms);
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->lock);
}

#define SNAPSHOT_MAX_AGE_US 1000000

int mix_snapshot(struct mix *m, uint8_t **out, size_t *len)
{
	int rc = 0;
	pthread_mutex_lock(&m->snap_lock);
	if (!m->snap || clock_now_us() - m->snap_us >= SNAPSHOT_MAX_AGE_US) {
		struct mix_cmd *cmd = calloc(1, sizeof(*cmd));
		rc = cmd ? 0 : MCU_ENOMEM;
		if (cmd) {
			cmd->kind = MIX_CMD_SNAPSHOT;
			pthread_mutex_lock(&m->lock);
			rc = run_command(m, cmd, false);
			pthread_mutex_unlock(&m->lock);
		}
		uint8_t *jpeg = NULL;
		size_t n = 0;
		if (!rc)
			rc = jpeg_encode(cmd->picture, &jpeg, &n);
		if (cmd)
			av_frame_free(&cmd->picture);
		free(cmd);
		if (!rc) {
			free(m->snap);
			m->snap = jpeg;
			m->snap_len = n;
			m->snap_us = clock_now_us();
		}
	}
	if (!rc) {
		*out = malloc(m->snap_len);
		if (*out) {
			memcpy(*out, m->snap, m->snap_len);
			*len = m->snap_len;
		} else {
			rc = MCU_ENOMEM;
		}
	}
	pthread_mutex_unlock(&m->snap_lock);
	return rc;
}

void mix_set_layout(struct mix *m, enum layout_kind layout)
{
	atomic_store(&m->layout, (int)layout);
}

int mix_profile_of(struct mix *m, void *port)
{
	pthread_mutex_lock(&m->lock);
	int i = find_part(m, port);
	int profile = i < 0 ? -1 : atomic_load(&m->parts[i]->profile_now);
	pthread_mutex_unlock(&m->lock);
	return profile;
}

void mix_get_stats(struct mix *m, struct mix_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->participants = atomic_load(&m->pub.participants);
	out->video_decoders = atomic_load(&m->pub.video_decoders);
	out->audio_decoders = atomic_load(&m->pub.audio_decoders);
	out->video_encoders = atomic_load(&m->pub.video_encoders);
	out->audio_encoders = atomic_load(&m->pub.audio_encoders);
	out->profiles_mask = atomic_load(&m->pub.profiles_mask);
	out->video_senders = atomic_load(&m->pub.video_senders);
	out->ticks = atomic_load(&m->pub.ticks);
	out->overruns = atomic_load(&m->pub.overruns);
	out->frames_composed = atomic_load(&m->pub.frames_composed);
	out->frames_encoded = atomic_load(&m->pub.frames_encoded);
	out->keyframes = atomic_load(&m->pub.keyframes);
	out->tick_us_last = atomic_load(&m->pub.tick_us_last);
	out->tick_us_max = atomic_load(&m->pub.tick_us_max);
	out->decode_us = atomic_load(&m->pub.decode_us);
	out->encode_us = atomic_load(&m->pub.encode_us);
	out->dropped_packets = atomic_load(&m->pub.dropped_packets);
	out->audio_skipped = atomic_load(&m->pub.audio_skipped);
	out->audio_misses = atomic_load(&m->pub.audio_misses);
	out->video_misses = atomic_load(&m->pub.video_misses);
	out->cpu_us = atomic_load(&m->pub.cpu_us);
}

/* ---- inbound -------------------------------------------------------- */

/* Takes everything the ports queued since the last wake. */
static void drain_inputs(struct mix *m, int64_t now)
{
	struct port_packet *pkt = &m->inbound;
	for (int i = 0; i < m->n_parts; i++) {
		struct mix_part *p = m->parts[i];
		if (p->ops->pull)
			p->ops->pull(p->port);
		/* Bounded per wake so one flooding sender cannot starve the tick;
		 * what is left waits in its queue (which drops the oldest). */
		for (int k = 0; k < 512 && p->ops->recv(p->port, pkt) == 1; k++) {
			if (pkt->kind == PORT_AUDIO && p->ajb)
				mixaudio_input(m, p, pkt, now);
			else if (pkt->kind == PORT_VIDEO && p->vjb)
				mixvideo_input(m, p, pkt, now);
		}
	}
}

/* ---- the thread ----------------------------------------------------- */

static void publish_counts(struct mix *m)
{
	int vsend = 0;
	for (int i = 0; i < m->n_parts; i++)
		vsend += m->parts[i]->info.sends_video;
	/* audio_decoders is the audio tick's to publish, video_decoders the
	 * video job's: each knows which ran. */
	atomic_store(&m->pub.participants, m->n_parts);
	atomic_store(&m->pub.video_senders, vsend < LAYOUT_MAX_TILES ? vsend : LAYOUT_MAX_TILES);
}

static void account_tick(struct mix *m, int64_t started)
{
	uint64_t work = (uint64_t)(clock_now_us() - started);
	atomic_store(&m->pub.tick_us_last, work);
	if (work > atomic_load(&m->pub.tick_us_max))
		atomic_store(&m->pub.tick_us_max, work);
}

/* How long without a late tick ends an episode of falling behind. */
#define BEHIND_QUIET_US 5000000

/* Logs once when the room starts falling behind real time and once when it
 * has kept up again for BEHIND_QUIET_US: an overloaded node says so
 * without a line per tick. */
static void note_behind(struct mix *m, const char *medium, int64_t late_us, int64_t now)
{
	if (medium) {
		if (!m->behind) {
			m->behind = true;
			m->behind_since_us = now;
			m->behind_audio0 = atomic_load(&m->pub.audio_misses);
			m->behind_video0 = atomic_load(&m->pub.video_misses);
			LOG_W("mix", "room=%s falls behind real time: a %s tick ran %lld ms late",
			      m->room, medium, (long long)(late_us / 1000));
		}
		m->last_miss_us = now;
	} else if (m->behind && now - m->last_miss_us >= BEHIND_QUIET_US) {
		m->behind = false;
		LOG_I("mix", "room=%s keeps real time again, after %lld s behind (%llu audio and "
		      "%llu video ticks late)", m->room,
		      (long long)((m->last_miss_us - m->behind_since_us) / 1000000),
		      (unsigned long long)(atomic_load(&m->pub.audio_misses) - m->behind_audio0),
		      (unsigned long long)(atomic_load(&m->pub.video_misses) - m->behind_video0));
	}
}

/* Caller holds m->lock. Is there a command or a recorder change to make? */
static bool commands_due(const struct mix *m)
{
	return m->cmds || m->rec_gen != atomic_load(&m->rec_gen_done);
}

/* The video job (on the pool): decodes what arrived, makes and sends the
 * tick's frame, answers feedback; then lets the room thread run the
 * commands it held back. cancelled: the pool ended first. */
static void video_job(void *arg, bool cancelled)
{
	struct mix *m = arg;
	if (!cancelled) {
		int64_t cpu0 = clock_thread_cpu_us();
		int64_t start = clock_now_us();
		mixvideo_decode(m, start);
		mixvideo_tick(m, m->video_capture_us);
		int work = atomic_load(&m->burn_ms);
		if (work > 0)
			burn(work);
		mixvideo_service(m, clock_now_us());
		account_tick(m, start);
		atomic_fetch_add(&m->pub.cpu_us, (uint64_t)(clock_thread_cpu_us() - cpu0));
	}
	pthread_mutex_lock(&m->lock);
	atomic_store(&m->video_busy, false);
	pthread_cond_signal(&m->wake);
	pthread_cond_broadcast(&m->done);
	pthread_mutex_unlock(&m->lock);
}

/* Room thread: hands the tick at capture_us to the video job, unless the
 * last one still runs: then the room sheds this frame (a video miss), and
 * the audio goes on. */
static void start_video(struct mix *m, int64_t capture_us, int64_t now)
{
	if (!atomic_load(&m->video_busy)) {
		m->video_capture_us = capture_us;
		atomic_store(&m->video_busy, true);
		if (!workq_push(m->pool, video_job, m))
			return;
		atomic_store(&m->video_busy, false);
	}
	atomic_fetch_add(&m->pub.overruns, 1);
	atomic_fetch_add(&m->pub.video_misses, 1);
	note_behind(m, "video", now - capture_us, now);
}

/* Waits for the next deadline or a command; runs commands. */
static void wait_until(struct mix *m, int64_t deadline_us)
{
	struct timespec ts = clock_timespec(deadline_us);
	pthread_mutex_lock(&m->lock);
	while (!m->stop && !(commands_due(m) && !atomic_load(&m->video_busy)) &&
	       !atomic_load(&m->stall_ms) && clock_now_us() < deadline_us)
		if (pthread_cond_timedwait(&m->wake, &m->lock, &ts) == ETIMEDOUT)
			break;
	if (!atomic_load(&m->video_busy)) /* the job reads parts: change them after it */
		run_commands(m);
	pthread_mutex_unlock(&m->lock);
	int stall = atomic_exchange(&m->stall_ms, 0);
	if (stall > 0) { /* the test hook: a room thread stuck in its work */
		LOG_W("mix", "room=%s stalled for %d ms (test hook)", m->room, stall);
		struct timespec nap = clock_timespec((int64_t)stall * 1000);
		nanosleep(&nap, NULL);
	}
}

/* A deadline missed by more than one period is a miss: the room fell
 * behind real time. The deadline moves to now, so a stall is counted, not
 * made up for with a burst of ticks. */
static int64_t next_deadline(struct mix *m, int64_t deadline, int64_t period, int64_t now,
			     bool audio)
{
	deadline += period;
	if (now - deadline > period) {
		atomic_fetch_add(&m->pub.overruns, 1);
		atomic_fetch_add(audio ? &m->pub.audio_misses : &m->pub.video_misses, 1);
		note_behind(m, audio ? "audio" : "video", now - deadline, now);
		deadline = now + period;
	}
	return deadline;
}

static void *room_thread(void *arg)
{
	struct mix *m = arg;
	int64_t next_audio = clock_now_us() + AUDIO_TICK_US;
	int64_t next_video = next_audio;
	for (;;) {
		wait_until(m, next_audio < next_video ? next_audio : next_video);
		if (m->stop)
			break;
		int64_t cpu0 = clock_thread_cpu_us();
		int64_t now = clock_now_us();
		drain_inputs(m, now);
		if (now >= next_audio) {
			mixaudio_tick(m, next_audio);
			account_tick(m, now);
			next_audio = next_deadline(m, next_audio, AUDIO_TICK_US, now, true);
			atomic_fetch_add(&m->pub.ticks, 1);
		}
		if (now >= next_video) {
			/* An empty room has no video work (but the test hook's):
			 * its jobs would only queue before other rooms' on the
			 * shared pool. */
			if (m->n_parts > 0 || atomic_load(&m->burn_ms) > 0)
				start_video(m, next_video, now);
			next_video = next_deadline(m, next_video, VIDEO_TICK_US, now, false);
		}
		publish_counts(m);
		note_behind(m, NULL, 0, now);
		atomic_fetch_add(&m->pub.cpu_us, (uint64_t)(clock_thread_cpu_us() - cpu0));
	}
	return NULL;
}

int mix_create(const struct mix_config *cfg, struct mix **out)
{
	if (cfg->max_mixed_speakers < 1 || cfg->max_mixed_speakers > AMIX_MAX_MIXED ||
	    cfg->encoder_threads < 1)
		return MCU_EINVAL;
	struct mix *m = calloc(1, sizeof(*m));
	if (!m)
		return MCU_ENOMEM;
	m->cfg = *cfg;
	snprintf(m->room, sizeof(m->room), "%s", cfg->room ? cfg->room : "");
	snprintf(m->preset, sizeof(m->preset), "%s", cfg->x264_preset ? cfg->x264_preset : "veryfast");
	m->cfg.room = m->room;
	m->cfg.x264_preset = m->preset;
	if (m->cfg.command_timeout_ms <= 0)
		m->cfg.command_timeout_ms = DEFAULT_COMMAND_TIMEOUT_MS;
	atomic_store(&m->layout, (int)cfg->layout);
	m->origin_us = clock_now_us();
	pthread_mutex_init(&m->lock, NULL);
	pthread_mutex_init(&m->snap_lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&m->wake, &attr);
	pthread_cond_init(&m->done, &attr);
	pthread_condattr_destroy(&attr);
	m->pool = cfg->pool;
	/* A room given no shared pool (the tests) gets a thread of its own. */
	int rc = m->pool ? 0 : workq_create(1, 4, "video", 0, &m->own_pool);
	if (!m->pool)
		m->pool = m->own_pool;
	if (!rc)
		rc = mixaudio_init(m);
	if (!rc)
		rc = mixvideo_init(m);
	if (!rc && pthread_create(&m->thread, NULL, room_thread, m) != 0)
		rc = MCU_ENOMEM;
	if (!rc) {
		/* Named for top -H and perf: otherwise it shows as the HTTP
		 * worker that made it. The kernel keeps 15 bytes. */
		char name[16];
		snprintf(name, sizeof(name), "room %.10s", m->room);
		pthread_setname_np(m->thread, name);
	}
	if (rc) {
		mix_destroy(m);
		return rc;
	}
	m->started = true;
	*out = m;
	return 0;
}

/* How long mix_destroy waits for the room thread and the video job to end. */
#define JOIN_TIMEOUT_S 10

/* Waits (JOIN_TIMEOUT_S at most) for a video job queued or running to end:
 * it uses the room. */
static bool video_job_ended(struct mix *m)
{
	int64_t deadline = clock_now_us() + JOIN_TIMEOUT_S * 1000000LL;
	struct timespec ts = clock_timespec(deadline);
	pthread_mutex_lock(&m->lock);
	while (atomic_load(&m->video_busy))
		if (pthread_cond_timedwait(&m->done, &m->lock, &ts) == ETIMEDOUT)
			break;
	bool ended = !atomic_load(&m->video_busy);
	pthread_mutex_unlock(&m->lock);
	return ended;
}

int mix_destroy(struct mix *m)
{
	if (!m)
		return 0;
	if (m->started) {
		pthread_mutex_lock(&m->lock);
		m->stop = true;
		pthread_cond_signal(&m->wake);
		pthread_mutex_unlock(&m->lock);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts); /* pthread_timedjoin_np's clock */
		ts.tv_sec += JOIN_TIMEOUT_S;
		if (pthread_timedjoin_np(m->thread, NULL, &ts) != 0) {
			/* Its memory and its ports stay in use: leak them rather
			 * than free them under it. */
			LOG_E("mix", "room=%s thread did not end in %d s: left running", m->room,
			      JOIN_TIMEOUT_S);
			pthread_detach(m->thread);
			return MCU_ETIMEDOUT;
		}
	}
	if (!video_job_ended(m)) {
		LOG_E("mix", "room=%s video job did not end in %d s: left running", m->room,
		      JOIN_TIMEOUT_S);
		return MCU_ETIMEDOUT;
	}
	workq_destroy(m->own_pool);
	pthread_mutex_lock(&m->lock);
	run_commands(m); /* removals left queued: free their parts */
	pthread_mutex_unlock(&m->lock);
	for (int i = 0; i < m->n_parts; i++)
		part_free(m->parts[i]);
	free(m->parts);
	mixvideo_fini(m);
	mixaudio_fini(m);
	pthread_cond_destroy(&m->wake);
	pthread_cond_destroy(&m->done);
	pthread_mutex_destroy(&m->lock);
	pthread_mutex_destroy(&m->snap_lock);
	free(m->snap);
	free(m);
	return 0;
}
