/*
 * recorder.h - one room's recording: a tee of the room's output (the hd
 * H.264 access units the room already encodes, and its full audio mix) into
 * a fragmented MP4 on disk, written by a thread of its own.
 *
 * The room thread only copies what it made into a bounded queue and never
 * waits: the recorder's thread encodes the audio (AAC-LC 48 kHz mono, or
 * copies the mix's Opus packets) and muxes with libavformat into
 * {dir}/{room}-{YYYYmmddTHHMMSSZ}.mp4 with a fragment at each keyframe and
 * at most every 2 s (movflags frag_keyframe+empty_moov+default_base_moof),
 * so a crash loses at most the last fragment. Beside it, {file}.json is the
 * sidecar: room, file, started, ended, state, duration and every
 * participant's join and leave times, rewritten as it changes. A write
 * error (a full disk) ends the recording as "failed", and the sidecar says
 * so even then (sidecar.h); the room goes on.
 */
#ifndef MCU_RECORDER_H
#define MCU_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct recorder;

enum recorder_audio { RECORDER_AAC, RECORDER_OPUS };
enum recorder_state { RECORDER_RECORDING, RECORDER_DONE, RECORDER_FAILED };

struct recorder_config {
	const char *dir;              /* recordings directory (made if missing) */
	const char *room;             /* room name, in the file name and sidecar */
	int width, height;            /* of the video access units */
	int fps;                      /* nominal frame rate */
	enum recorder_audio audio;
	int queue_packets;            /* queue bound (>= 64): beyond it the oldest goes */
};

/* "recording", "done", "failed". */
const char *recorder_state_name(enum recorder_state s);

/*
 * Starts a recording: names the file from the wall clock now, starts the
 * thread (which opens the file; an open error shows as RECORDER_FAILED).
 * Returns 0, MCU_EINVAL or MCU_ENOMEM. Thread: any but a room thread (it
 * spawns a thread).
 */
int recorder_create(const struct recorder_config *cfg, struct recorder **out);

struct recorder_status;

/*
 * Finalizes: the thread drains the queue, writes the last fragment and the
 * sidecar with state "done" (or "failed"), closes the file and exits; then
 * everything is freed. final (may be NULL) receives the finished
 * recording's status (zeros for a NULL r). Accepts NULL. Thread: any but a
 * room thread (it waits for disk).
 */
void recorder_stop(struct recorder *r, struct recorder_status *final);

/*
 * The room thread's tee (copies; never blocks, never touches disk). Times
 * are room-clock monotonic µs of capture. Video before the first keyframe
 * is dropped; the recording starts at that keyframe, and audio before it is
 * dropped too, so both streams start together.
 */
void recorder_push_video(struct recorder *r, const uint8_t *au, size_t len, bool keyframe,
			 int64_t capture_us);
/* 48 kHz mono PCM of the full mix (any count of samples, usually 960). */
void recorder_push_pcm(struct recorder *r, const int16_t *pcm, int samples, int64_t capture_us);
/* One 20 ms Opus packet of the full mix (RECORDER_OPUS). */
void recorder_push_opus(struct recorder *r, const uint8_t *pkt, size_t len, int64_t capture_us);

/* Notes a participant joining (joined true) or leaving, at wall-clock µs,
 * for the sidecar. id and name are copied. Thread: any. */
void recorder_note(struct recorder *r, const char *id, const char *name, bool joined,
		   int64_t wall_us);

struct recorder_status {
	char file[160];               /* base name, e.g. "lobby-20261123T071500Z.mp4" */
	enum recorder_state state;
	int64_t started_wall_us;
	double duration_s;            /* media written so far */
	uint64_t bytes;               /* file size so far */
	uint64_t dropped;             /* packets the queue dropped */
};

/* Thread: any. */
void recorder_get_status(struct recorder *r, struct recorder_status *out);

#endif
