/*
 * recorder.c - see recorder.h. One room's recording: a queue the room
 * thread fills, and a thread of its own that encodes the audio
 * (codecs/aacenc.h), muxes a fragmented MP4 (mp4mux.h), keeps the two
 * streams in step and keeps the JSON sidecar beside it (sidecar.h).
 *
 * DESIGN: the room thread must never wait for this thread or for the disk,
 * so a push only copies the bytes into a queue under a short mutex and
 * signals a condition variable (only when the thread sleeps, so wake-ups
 * coalesce). The queue is bounded twice: queue_packets descriptors, and a
 * byte ring (4-32 MiB by picture size, made at create) that holds their
 * payloads back to back, so a steady stream allocates nothing. Full means
 * the oldest item goes and is counted in `dropped`; when that item is video,
 * the later video that referenced it is useless, so the queued video up to
 * the next keyframe is dropped with it (and, if none is queued, pushes wait
 * for the next keyframe). The thread copies one item out at a time into a
 * work buffer as large as the ring, so the mutex is held only for a memcpy.
 *
 * Time: the recording starts at the first keyframe's capture time (start_us);
 * video pts = (capture - start) in 90 kHz; audio pts count samples from the
 * first kept sample, which sits at its capture offset from start_us. Audio
 * whose capture times skip ahead (the queue dropped some) is padded with
 * silence, and audio that overlaps what was written is trimmed, so the two
 * streams stay in step without trusting every capture time to the sample.
 *
 * Disk: a fragment starts at each keyframe and at least every 2 s, and
 * the file is flushed at every packet (mp4mux.h; the muxer holds a fragment
 * in memory and writes it whole, so that costs a write per fragment, not
 * per packet): after a crash, all but the last fragment can be read. The
 * first write or mux error ends the recording as "failed" (logged once
 * with the reason); the file is closed, later pushes
 * are dropped at the door, and the sidecar says "failed": on a full disk
 * it is rewritten in place (sidecar.h). The first sidecar is written before
 * any media: a recording whose sidecar cannot be written fails at once and
 * leaves no file, since a file without a sidecar would be listed "done".
 *
 * Locks: `lock` covers the queue and the status; the sidecar's participant
 * list has a lock of its own (sidecar.c), so building the sidecar never
 * holds up a push. Neither is taken while the other is held.
 */
#include "recorder.h"
#include "mp4mux.h"
#include "sidecar.h"
#include "codecs/aacenc.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <libavcodec/avcodec.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MOD "recorder"
#define RATE MP4MUX_AUDIO_RATE
#define AAC_BITRATE 64000
#define OPUS_FRAME 960               /* 20 ms at 48 kHz */
#define RING_MIN (4u << 20)
#define RING_MAX (32u << 20)
#define SIDECAR_PERIOD_US 2000000
#define AUDIO_SLACK 1920             /* samples (40 ms) of capture jitter ignored */
#define MAX_FILL (2 * RATE)          /* samples of silence added per push at most */

enum item_kind { ITEM_VIDEO, ITEM_PCM, ITEM_OPUS };

/* One queued push. Its bytes sit in the ring at virtual offset pos (the
 * ring index is pos % ring_size; an item never wraps). */
struct item {
	uint64_t pos;
	uint32_t len;
	uint8_t kind;                 /* enum item_kind */
	bool key;
	bool skip;                    /* video after a dropped one, before a keyframe */
	int64_t capture_us;
};

struct recorder {
	/* Set by create, read-only after. */
	char *room, *dir, *path;
	struct sidecar *side;
	char file[160];               /* base name of path */
	int width, height, fps;
	enum recorder_audio audio;
	int64_t started_wall_us;

	bool sync_ready;              /* the locks below are initialized */
	pthread_mutex_t lock;
	pthread_cond_t wake;          /* CLOCK_MONOTONIC */
	bool thread_started;
	pthread_t thread;

	/* Under lock: the queue. */
	struct item *items;
	int cap, head, count;
	uint8_t *ring;
	size_t ring_size;
	uint64_t ring_end;            /* virtual offset just after the newest item */
	bool key_seen;                /* a keyframe was ever queued */
	bool need_key;                /* video was dropped: wait for a keyframe */
	bool stopping, sleeping, notes_dirty;
	/* Under lock: what recorder_get_status shows. */
	enum recorder_state state;
	uint64_t dropped, bytes;
	double duration_s;
	int64_t ended_wall_us;

	/* The thread's own. */
	struct mp4mux *mux;           /* NULL once closed */
	struct aacenc *aac;           /* RECORDER_AAC */
	AVPacket *pkt;                /* RECORDER_OPUS: for the mix's packets */
	uint8_t *work;                /* one item's bytes, then zeroed padding */
	bool owns_name;               /* the file was created by us: the sidecar is ours */
	bool failed, warned_no_sps, sidecar_warned;
	int64_t start_us;             /* capture µs of the first keyframe */
	int64_t audio_in;             /* next sample position into the encoder/file, -1 before any */
};

const char *recorder_state_name(enum recorder_state s)
{
	switch (s) {
	case RECORDER_RECORDING: return "recording";
	case RECORDER_DONE: return "done";
	case RECORDER_FAILED: return "failed";
	}
	return "unknown";
}

/* ---- queue (room thread in, recorder thread out) -------------------- */

/* Where an item of len bytes would go, and whether it fits beside the
 * queued ones. Called with lock held. */
static bool ring_place(const struct recorder *r, size_t len, uint64_t *pos)
{
	uint64_t p = r->ring_end;
	size_t off = (size_t)(p % r->ring_size);
	if (off + len > r->ring_size)
		p += r->ring_size - off;  /* never wrap an item: skip the tail */
	*pos = p;
	if (r->count == 0)
		return true;
	return p + len - r->items[r->head].pos <= r->ring_size;
}

/* Marks the queued video after a drop, up to the next keyframe, as useless;
 * if no keyframe is queued, later pushes wait for one. Called with lock held. */
static void video_broken(struct recorder *r)
{
	for (int i = 0; i < r->count; i++) {
		struct item *it = &r->items[(r->head + i) % r->cap];
		if (it->kind != ITEM_VIDEO || it->skip)
			continue;
		if (it->key)
			return;
		it->skip = true;
		r->dropped++;
	}
	r->need_key = true;
}

/* Called with lock held and count > 0. */
static void drop_oldest(struct recorder *r)
{
	struct item it = r->items[r->head];
	r->head = (r->head + 1) % r->cap;
	r->count--;
	if (it.skip)
		return;  /* already counted */
	r->dropped++;
	if (it.kind == ITEM_VIDEO)
		video_broken(r);
}

static void push(struct recorder *r, enum item_kind kind, const void *data, size_t len,
		 bool key, int64_t capture_us)
{
	pthread_mutex_lock(&r->lock);
	if (r->state != RECORDER_RECORDING || r->stopping)
		goto out;
	if (kind == ITEM_VIDEO && key) {
		r->key_seen = true;
		r->need_key = false;
	}
	if (!r->key_seen)
		goto out;  /* the recording has not started: not a drop */
	if (len > r->ring_size || (kind == ITEM_VIDEO && r->need_key)) {
		r->dropped++;  /* the newest: nothing queued refers to it */
		if (kind == ITEM_VIDEO)
			r->need_key = true;
		goto out;
	}
	uint64_t pos;
	while (r->count == r->cap || !ring_place(r, len, &pos))
		drop_oldest(r);
	memcpy(r->ring + pos % r->ring_size, data, len);
	r->items[(r->head + r->count) % r->cap] = (struct item){
		.pos = pos, .len = (uint32_t)len, .kind = (uint8_t)kind, .key = key,
		.capture_us = capture_us,
	};
	r->count++;
	r->ring_end = pos + len;
	if (r->sleeping)
		pthread_cond_signal(&r->wake);
out:
	pthread_mutex_unlock(&r->lock);
}

void recorder_push_video(struct recorder *r, const uint8_t *au, size_t len, bool keyframe,
			 int64_t capture_us)
{
	if (r && au && len)
		push(r, ITEM_VIDEO, au, len, keyframe, capture_us);
}

void recorder_push_pcm(struct recorder *r, const int16_t *pcm, int samples, int64_t capture_us)
{
	if (r && pcm && samples > 0 && r->audio == RECORDER_AAC)
		push(r, ITEM_PCM, pcm, (size_t)samples * sizeof(*pcm), false, capture_us);
}

void recorder_push_opus(struct recorder *r, const uint8_t *pkt, size_t len, int64_t capture_us)
{
	if (r && pkt && len && r->audio == RECORDER_OPUS)
		push(r, ITEM_OPUS, pkt, len, false, capture_us);
}

/*
 * Waits until there is an item, a participant note, a stop or the deadline
 * (monotonic µs). Copies the oldest item's bytes into r->work. Returns 1
 * with *it set, 0 without; *stop when stopping and drained, *dirty when the
 * participants changed. Thread: the recorder's.
 */
static int next_item(struct recorder *r, int64_t deadline_us, struct item *it, bool *stop,
		     bool *dirty)
{
	struct timespec ts = clock_timespec(deadline_us);
	int got = 0;
	pthread_mutex_lock(&r->lock);
	while (r->count == 0 && !r->stopping && !r->notes_dirty) {
		r->sleeping = true;
		int rc = pthread_cond_timedwait(&r->wake, &r->lock, &ts);
		r->sleeping = false;
		if (rc == ETIMEDOUT)
			break;
	}
	if (r->count > 0) {
		*it = r->items[r->head];
		memcpy(r->work, r->ring + it->pos % r->ring_size, it->len);
		memset(r->work + it->len, 0, AV_INPUT_BUFFER_PADDING_SIZE);
		r->head = (r->head + 1) % r->cap;
		r->count--;
		got = 1;
	}
	*stop = r->stopping && r->count == 0;
	*dirty = r->notes_dirty;
	r->notes_dirty = false;
	pthread_mutex_unlock(&r->lock);
	return got;
}

/* ---- the sidecar ----------------------------------------------------- */

/* Rewrites the sidecar. Once the recording is over (done or failed) a
 * brief form goes in place of the old one if the full one cannot be saved
 * (a full disk), so the last word is never "recording". A failure is
 * logged once. Returns 0 or MCU_EIO/MCU_ENOMEM. Thread: the recorder's. */
static int write_sidecar(struct recorder *r)
{
	if (!r->owns_name)
		return 0;  /* never clobber another recording's sidecar */
	pthread_mutex_lock(&r->lock);
	struct sidecar_facts f = { .room = r->room, .file = r->file,
				   .state = recorder_state_name(r->state),
				   .started_wall_us = r->started_wall_us,
				   .ended_wall_us = r->ended_wall_us,
				   .duration_s = r->duration_s, .bytes = r->bytes };
	bool final = r->state != RECORDER_RECORDING;
	pthread_mutex_unlock(&r->lock);
	int err = 0;
	int rc = sidecar_save(r->side, &f, final, &err);
	if (rc == SIDECAR_BRIEF)
		LOG_W(MOD, "room=%s cannot write %s (%s): its brief form was written in place",
		      r->room, sidecar_path(r->side), strerror(err));
	else if (rc && !r->sidecar_warned)
		LOG_W(MOD, "room=%s cannot write %s: %s", r->room, sidecar_path(r->side),
		      err ? strerror(err) : err_str(rc));
	r->sidecar_warned |= rc < 0;
	return rc < 0 ? rc : 0;
}

/* ---- failure and status ---------------------------------------------- */

/* Closes the output (without a trailer unless one was written). */
static void close_output(struct recorder *r)
{
	mp4mux_destroy(r->mux);
	r->mux = NULL;
}

/* Ends the recording as failed: logs the reason once, closes the file and
 * updates the sidecar. Thread: the recorder's. */
static void __attribute__((format(printf, 2, 3))) fail(struct recorder *r, const char *fmt, ...)
{
	if (r->failed)
		return;
	r->failed = true;
	char reason[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	LOG_E(MOD, "room=%s recording %s failed: %s", r->room, r->file, reason);
	close_output(r);
	pthread_mutex_lock(&r->lock);
	r->state = RECORDER_FAILED;
	pthread_mutex_unlock(&r->lock);
	write_sidecar(r);
}

/* Publishes how much media and how many bytes are written. */
static void update_status(struct recorder *r)
{
	int64_t end_us = mp4mux_duration_us(r->mux);
	uint64_t bytes = mp4mux_bytes(r->mux);
	pthread_mutex_lock(&r->lock);
	r->duration_s = (double)end_us / 1e6;
	if (bytes > 0)
		r->bytes = bytes;
	pthread_mutex_unlock(&r->lock);
}

/* After a muxer call: publishes the progress, or fails the recording with
 * the muxer's cause. Returns rc. */
static int mux_result(struct recorder *r, int rc)
{
	if (rc < 0)
		fail(r, "%s", mp4mux_error(r->mux));
	else
		update_status(r);
	return rc;
}

/* ---- opening ----------------------------------------------------------- */

/* mkdir -p. Returns 0 or an errno. */
static int make_dirs(const char *dir)
{
	char buf[PATH_MAX];
	size_t n = strlen(dir);
	if (n >= sizeof(buf))
		return ENAMETOOLONG;
	memcpy(buf, dir, n + 1);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return errno;
		*p = c;
		if (!c)
			return 0;
	}
}

/* Makes the directory and the file, the audio encoder and the muxer. The
 * header waits for the first keyframe's SPS/PPS. */
static int open_output(struct recorder *r)
{
	int err = make_dirs(r->dir);
	if (err) {
		fail(r, "mkdir %s: %s", r->dir, strerror(err));
		return MCU_EIO;
	}
	/* Claim the name: two recordings of a room in one second must not
	 * share a file. */
	int fd = open(r->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = errno;
		fail(r, "create %s: %s", r->path, strerror(err));
		return err == EEXIST ? MCU_EEXIST : MCU_EIO;
	}
	close(fd);
	r->owns_name = true;
	int rc = 0;
	if (r->audio == RECORDER_AAC)
		rc = aacenc_create(AAC_BITRATE, &r->aac);
	else if (!(r->pkt = av_packet_alloc()))
		rc = MCU_ENOMEM;
	if (rc) {
		fail(r, "%s: %s", r->audio == RECORDER_AAC ? "aac encoder" : "opus", err_str(rc));
		return rc;
	}
	struct mp4mux_config mc = {
		.path = r->path, .width = r->width, .height = r->height, .fps = r->fps,
		.audio = r->audio == RECORDER_AAC ? MP4MUX_AAC : MP4MUX_OPUS, .aac = r->aac,
	};
	char why[256];
	rc = mp4mux_create(&mc, &r->mux, why, sizeof(why));
	if (rc)
		fail(r, "%s", why);
	return rc;
}

/* ---- media -------------------------------------------------------------- */

/* At the first keyframe: the muxer takes its SPS/PPS and writes the
 * header. Returns 1 when the recording started, 0 when this keyframe lacks
 * SPS/PPS, or an MCU code. */
static int start_recording(struct recorder *r, const uint8_t *au, size_t len, int64_t capture_us)
{
	int rc = mp4mux_start(r->mux, au, len);
	if (rc == 0) {
		if (!r->warned_no_sps)
			LOG_W(MOD, "room=%s keyframe without SPS/PPS: waiting for another",
			      r->room);
		r->warned_no_sps = true;
		return 0;
	}
	if (rc < 0)
		return mux_result(r, rc);
	r->start_us = capture_us;
	LOG_I(MOD, "room=%s recording %s: first keyframe, %dx%d", r->room, r->file, r->width,
	      r->height);
	update_status(r);
	return 1;
}

static int write_video(struct recorder *r, const struct item *it)
{
	if (!mp4mux_started(r->mux)) {
		int rc = it->key ? start_recording(r, r->work, it->len, it->capture_us) : 0;
		if (rc <= 0)
			return rc;
	}
	return mux_result(r, mp4mux_write_video(r->mux, r->work, it->len, it->key,
						it->capture_us - r->start_us));
}

/* Sample position of a capture time from the recording start. */
static int64_t sample_pos(const struct recorder *r, int64_t capture_us)
{
	return av_rescale(capture_us - r->start_us, RATE, 1000000);
}

/* aacenc_emit_fn: muxes one AAC packet. */
static int mux_aac(void *user, AVPacket *pkt)
{
	struct recorder *r = user;
	/* The encoder's priming packet sits 1024 samples before the first
	 * input. A fragment cannot start before 0 (FFmpeg 5.1's mov muxer
	 * then stacks two packets at 0, and audio plays 21 ms late), so a
	 * negative one is left out: the first 21 ms decode without their
	 * overlap, a fade-in nobody hears. */
	if (pkt->pts < 0)
		return 0;
	return mux_result(r, mp4mux_write_audio(r->mux, pkt));
}

/* Fails the recording when the encoder did (a mux error failed it already). */
static int aac_result(struct recorder *r, int rc)
{
	if (rc)
		fail(r, "aac encode: %s", err_str(rc));
	return rc;
}

/* Codes n samples (pcm, or silence when NULL) and muxes what comes out. */
static int encode_pcm(struct recorder *r, const int16_t *pcm, int64_t n)
{
	r->audio_in += n;
	return aac_result(r, aacenc_push(r->aac, pcm, n, mux_aac, r));
}

/*
 * Places a PCM chunk by its capture time: what lies before the start or
 * overlaps what was written is cut; a gap beyond the slack (the queue
 * dropped audio) is filled with silence, at most MAX_FILL per chunk.
 */
static int write_pcm(struct recorder *r, const struct item *it)
{
	const int16_t *pcm = (const int16_t *)r->work;
	int64_t n = it->len / (uint32_t)sizeof(int16_t);
	int64_t pos = sample_pos(r, it->capture_us);
	if (r->audio_in < 0) {
		r->audio_in = pos > 0 ? pos : 0;  /* a late start is an offset */
		aacenc_set_pts(r->aac, r->audio_in);
	} else if (pos > r->audio_in + AUDIO_SLACK) {
		int64_t gap = pos - r->audio_in;
		int rc = encode_pcm(r, NULL, gap > MAX_FILL ? MAX_FILL : gap);
		if (rc)
			return rc;
	} else if (pos >= r->audio_in - AUDIO_SLACK) {
		pos = r->audio_in;  /* jitter: keep the samples contiguous */
	}
	int64_t cut = r->audio_in - pos;
	if (cut >= n)
		return 0;
	if (cut > 0) {
		pcm += cut;
		n -= cut;
	}
	return encode_pcm(r, pcm, n);
}

static int write_opus(struct recorder *r, const struct item *it)
{
	int64_t pos = sample_pos(r, it->capture_us);
	if (r->audio_in < 0) {
		if (pos < -OPUS_FRAME / 2)
			return 0;  /* mostly before the start */
		r->audio_in = pos > 0 ? pos : 0;
	} else if (pos > r->audio_in + AUDIO_SLACK) {
		r->audio_in = pos;  /* a gap: the player fills it */
	} else if (pos < r->audio_in - AUDIO_SLACK) {
		return 0;  /* overlaps what was written */
	}
	AVPacket *pkt = r->pkt;
	pkt->data = r->work;
	pkt->size = (int)it->len;
	pkt->pts = pkt->dts = r->audio_in;
	pkt->duration = OPUS_FRAME;
	pkt->flags = AV_PKT_FLAG_KEY;
	r->audio_in += OPUS_FRAME;
	return mux_result(r, mp4mux_write_audio(r->mux, pkt));
}

static void handle_item(struct recorder *r, const struct item *it)
{
	if (r->failed || !r->mux || it->skip)
		return;
	if (it->kind == ITEM_VIDEO)
		write_video(r, it);
	else if (!mp4mux_started(r->mux))
		return;  /* audio queued before the first keyframe was taken */
	else if (it->kind == ITEM_PCM)
		write_pcm(r, it);
	else
		write_opus(r, it);
}

/* Flushes the audio, finishes the last fragment and closes the file. */
static void finish_output(struct recorder *r)
{
	if (r->failed || !r->mux)
		return;
	if (!mp4mux_started(r->mux)) {
		LOG_W(MOD, "room=%s recording %s: no keyframe arrived, the file is empty",
		      r->room, r->file);
		close_output(r);
		return;
	}
	if (r->aac && aac_result(r, aacenc_flush(r->aac, mux_aac, r)))
		return;
	if (mux_result(r, mp4mux_finish(r->mux)))
		return;
	close_output(r);
}

static void *recorder_main(void *arg)
{
	struct recorder *r = arg;
	/* A failure shows as RECORDER_FAILED. */
	if (open_output(r) == 0 && write_sidecar(r)) {
		/* Nothing is written yet: drop the empty file rather than leave
		 * one no sidecar can ever mark as cut short. */
		unlink(r->path);
		r->owns_name = false;
		fail(r, "cannot write the sidecar");
	}
	int64_t next_sidecar = clock_now_us() + SIDECAR_PERIOD_US;
	for (;;) {
		struct item it;
		bool stop, dirty;
		if (next_item(r, next_sidecar, &it, &stop, &dirty))
			handle_item(r, &it);
		if (stop)
			break;
		/* Notes always; the periodic rewrite only while it records. */
		int64_t now = clock_now_us();
		if (dirty || (now >= next_sidecar && !r->failed)) {
			write_sidecar(r);
			next_sidecar = now + SIDECAR_PERIOD_US;
		}
	}
	finish_output(r);
	struct stat st;
	pthread_mutex_lock(&r->lock);
	if (r->state == RECORDER_RECORDING)
		r->state = RECORDER_DONE;
	if (r->owns_name && stat(r->path, &st) == 0)
		r->bytes = (uint64_t)st.st_size;
	r->ended_wall_us = clock_wall_us();
	enum recorder_state state = r->state;
	double duration = r->duration_s;
	unsigned long long bytes = r->bytes, dropped = r->dropped;
	pthread_mutex_unlock(&r->lock);
	write_sidecar(r);
	LOG_I(MOD, "room=%s recording %s: %s, %.1f s, %llu bytes, %llu dropped", r->room,
	      r->file, recorder_state_name(state), duration, bytes, dropped);
	return NULL;
}

/* ---- participants -------------------------------------------------------- */

void recorder_note(struct recorder *r, const char *id, const char *name, bool joined,
		   int64_t wall_us)
{
	if (!r || !id)
		return;
	int rc = sidecar_note(r->side, id, name, joined, wall_us);
	if (rc == MCU_ELIMIT)
		LOG_W(MOD, "room=%s recording %s: the sidecar's participant list is full, "
		      "later ones are not noted", r->room, r->file);
	if (rc <= 0)
		return;
	pthread_mutex_lock(&r->lock);
	r->notes_dirty = true;
	if (r->sleeping)
		pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
}

/* ---- life cycle ---------------------------------------------------------- */

void recorder_get_status(struct recorder *r, struct recorder_status *out)
{
	memset(out, 0, sizeof(*out));
	if (!r)
		return;
	snprintf(out->file, sizeof(out->file), "%s", r->file);
	out->started_wall_us = r->started_wall_us;
	pthread_mutex_lock(&r->lock);
	out->state = r->state;
	out->duration_s = r->duration_s;
	out->bytes = r->bytes;
	out->dropped = r->dropped;
	pthread_mutex_unlock(&r->lock);
}

/* Frees everything create may have built; the thread has ended or never ran. */
static void destroy(struct recorder *r)
{
	close_output(r);
	aacenc_destroy(r->aac);
	av_packet_free(&r->pkt);
	free(r->work);
	free(r->ring);
	free(r->items);
	if (r->sync_ready) {
		pthread_cond_destroy(&r->wake);
		pthread_mutex_destroy(&r->lock);
	}
	sidecar_destroy(r->side);
	free(r->path);
	free(r->dir);
	free(r->room);
	free(r);
}

static bool valid_room(const char *room)
{
	size_t n = strlen(room);
	if (n < 1 || n > 64)
		return false;
	return strspn(room, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_-") == n;
}

static bool valid_config(const struct recorder_config *c)
{
	return c && c->dir && c->dir[0] && c->room && valid_room(c->room) && c->width >= 16 &&
	       c->height >= 16 && c->width <= 8192 && c->height <= 8192 && c->fps >= 1 &&
	       c->fps <= 240 && (c->audio == RECORDER_AAC || c->audio == RECORDER_OPUS) &&
	       c->queue_packets >= 64;
}

/* Names the file from the wall clock now: {room}-{YYYYmmddTHHMMSSZ}.mp4.
 * A name taken already (the room recorded twice within a second) moves on
 * to the next second's, so every recording keeps a name of that form; the
 * sidecar holds the true start. The thread's O_EXCL open stays the guard. */
static int make_names(struct recorder *r)
{
	time_t secs = (time_t)(r->started_wall_us / 1000000);
	for (int k = 0; k < 60; k++, secs++) {
		struct tm tm;
		char stamp[32];
		gmtime_r(&secs, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		snprintf(r->file, sizeof(r->file), "%s-%s.mp4", r->room, stamp);
		free(r->path);
		if (asprintf(&r->path, "%s/%s", r->dir, r->file) < 0) {
			r->path = NULL;
			break;
		}
		if (access(r->path, F_OK) != 0)
			break;
	}
	if (!r->path)
		return MCU_ENOMEM;
	return sidecar_create(r->dir, r->file, &r->side);
}

static int init_sync(struct recorder *r)
{
	pthread_condattr_t attr;
	if (pthread_condattr_init(&attr))
		return MCU_ENOMEM;
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	int rc = pthread_cond_init(&r->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (rc)
		return MCU_ENOMEM;
	if (pthread_mutex_init(&r->lock, NULL)) {
		pthread_cond_destroy(&r->wake);
		return MCU_ENOMEM;
	}
	r->sync_ready = true;
	return 0;
}

int recorder_create(const struct recorder_config *cfg, struct recorder **out)
{
	if (!out)
		return MCU_EINVAL;
	*out = NULL;
	if (!valid_config(cfg))
		return MCU_EINVAL;
	struct recorder *r = calloc(1, sizeof(*r));
	if (!r)
		return MCU_ENOMEM;
	r->width = cfg->width;
	r->height = cfg->height;
	r->fps = cfg->fps;
	r->audio = cfg->audio;
	r->cap = cfg->queue_packets;
	r->state = RECORDER_RECORDING;
	r->audio_in = -1;
	r->started_wall_us = clock_wall_us();
	size_t ring = (size_t)cfg->width * (size_t)cfg->height * 4;
	r->ring_size = ring < RING_MIN ? RING_MIN : ring > RING_MAX ? RING_MAX : ring;
	r->room = strdup(cfg->room);
	r->dir = strdup(cfg->dir);
	if (!r->room || !r->dir || make_names(r))
		goto fail;
	r->items = calloc((size_t)r->cap, sizeof(*r->items));
	r->ring = malloc(r->ring_size);
	r->work = malloc(r->ring_size + AV_INPUT_BUFFER_PADDING_SIZE);
	if (!r->items || !r->ring || !r->work)
		goto fail;
	if (init_sync(r))
		goto fail;
	LOG_I(MOD, "room=%s recording to %s (%s audio)", r->room, r->path,
	      r->audio == RECORDER_AAC ? "aac" : "opus");
	if (pthread_create(&r->thread, NULL, recorder_main, r))
		goto fail;
	r->thread_started = true;
	*out = r;
	return 0;
fail:
	destroy(r);
	return MCU_ENOMEM;
}

void recorder_stop(struct recorder *r, struct recorder_status *final)
{
	if (final)
		memset(final, 0, sizeof(*final));
	if (!r)
		return;
	if (r->thread_started) {
		pthread_mutex_lock(&r->lock);
		r->stopping = true;
		pthread_cond_signal(&r->wake);
		pthread_mutex_unlock(&r->lock);
		pthread_join(r->thread, NULL);
	}
	if (final)
		recorder_get_status(r, final);
	destroy(r);
}
