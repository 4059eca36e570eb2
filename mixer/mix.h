/*
 * mix.h - one room's mixer: a thread that decodes every participant's audio
 * and video, builds one composite picture and one sound, and encodes them
 * once per output profile (video) and once per mixed speaker plus one shared
 * mix (audio), then sends each receiver its profile's packets.
 *
 * Participants come and go through commands the room thread carries out
 * between ticks. Every wait for the room thread is bounded
 * (command_timeout_ms): a stuck room makes its callers fail with
 * MCU_ETIMEDOUT, never hang. After mix_remove succeeds, or once mix_holds
 * says no, the room never touches that port again. Counters are published
 * as atomics for the API and /metrics.
 */
#ifndef MCU_MIX_H
#define MCU_MIX_H

#include "layout.h"
#include "mixer/port.h"

#include <stdbool.h>
#include <stdint.h>

struct mix;

/* The niceness a pool running video work should have (mix_config.pool):
 * the room threads' audio then wins the CPU whenever both want it, so
 * under overload video sheds frames before audio is late. */
#define MIX_VIDEO_NICE 5

struct mix_config {
	const char *room;              /* for logs (copied) */
	enum layout_kind layout;
	int max_mixed_speakers;        /* 1..AMIX_MAX_MIXED; every audio sender is a candidate */
	int video_timeout_ms;          /* a sender silent this long shows a placeholder */
	int keyframe_min_interval_ms;  /* at most one forced IDR per profile per this */
	const char *x264_preset;       /* copied */
	int encoder_threads;           /* x264 threads per encoder */
	int audio_bitrate;             /* bit/s of each Opus encoder */
	int command_timeout_ms;        /* longest wait for the room thread; 0: 2000 */
	struct workq *pool;            /* runs the video work of every room (base/workq.h;
					* borrowed, outlives the room); NULL: one of its own */
};

/* A snapshot of what the room runs now. */
struct mix_stats {
	int participants;
	int video_decoders;
	int audio_decoders;            /* audio senders decoded in the last tick: those
					* that may be mixed (see mixaudio.c) */
	int video_encoders, audio_encoders;
	unsigned profiles_mask;        /* bit p: profile p encoded now */
	int video_senders;             /* tiles in the composite */
	uint64_t ticks, overruns;      /* audio ticks, and ticks that ran late (either medium) */
	uint64_t audio_misses;         /* audio ticks that ran late */
	uint64_t video_misses;         /* video ticks that ran late */
	uint64_t cpu_us;               /* CPU time of the room's work so far */
	uint64_t frames_composed, frames_encoded, keyframes;
	uint64_t tick_us_last, tick_us_max; /* work of one loop, µs */
	uint64_t decode_us, encode_us; /* room thread CPU in video decode and encode */
	uint64_t dropped_packets;      /* inbound packets the buffers refused */
	uint64_t audio_skipped;        /* audio packets not decoded: quiet and not mixed */
};

/* Starts the room thread. Returns 0, MCU_EINVAL or MCU_ENOMEM. Thread: any. */
int mix_create(const struct mix_config *cfg, struct mix **out);

/* Stops the thread and frees the room and the participants still in it
 * (their ports are not touched after it returns 0); accepts NULL. Returns
 * 0, or MCU_ETIMEDOUT when the thread did not end within 10 s: then
 * nothing is freed and the ports stay in use for ever. Thread: any but the
 * room's. */
int mix_destroy(struct mix *m);

/*
 * Adds a participant: info is copied; ops and port are borrowed until
 * the room lets go of the port (mix_remove, mix_holds). Its decoders and
 * buffers are made on the caller's thread. Returns 0, MCU_EINVAL,
 * MCU_ENOMEM, MCU_EEXIST (port already in) or MCU_ETIMEDOUT (the room
 * thread did not take it in time: it is not in the room). Thread: any but
 * the room's; waits for the room thread, bounded.
 */
int mix_add(struct mix *m, const struct port_info *info, const struct port_ops *ops, void *port);

/* Removes a participant. Returns 0, MCU_ENOTFOUND, MCU_ENOMEM, or
 * MCU_ETIMEDOUT: the removal stays queued and the room thread does it when
 * it can; mix_holds tells when. Thread: any but the room's; waits for the
 * room thread, bounded. */
int mix_remove(struct mix *m, void *port);

/* Does the room still use port (in it, or about to be)? Thread: any. */
bool mix_holds(struct mix *m, const void *port);

struct recorder;

/*
 * Asks the room thread to tee its output into rec (NULL: stop) from its
 * next wake, and returns at once with the number of this change. A
 * recorder the room stops teeing into may be stopped (recorder_stop waits
 * for disk; the room thread never does) once mix_recorder_applied says the
 * change that replaced it is made. While recording, the hd encoder runs
 * even with no hd receiver, and the full mix is made even with no
 * listener: opus_audio says whether rec takes the mix's Opus packets or
 * its PCM. Thread: any but the room's.
 */
uint64_t mix_set_recorder(struct mix *m, struct recorder *rec, bool opus_audio);

/* Has the room thread made recorder change `change` (or a later one)?
 * Waits for it timeout_ms at most (0: only looks). Thread: any but the room's. */
bool mix_recorder_applied(struct mix *m, uint64_t change, int timeout_ms);

/* A test hook: the room thread sleeps ms at its next wake, as a room stuck
 * in its work would. Thread: any. */
void mix_stall(struct mix *m, int ms);

/* A test hook: every video tick from now on also spins ms of CPU (0:
 * stops), as a room whose video costs more than expected would. Thread: any. */
void mix_burn(struct mix *m, int ms);

/*
 * A JPEG of the room's current composite (API.md: snapshot.jpg) in *out
 * (malloc'd, the caller frees), made at most once a second and only when
 * asked: the room thread copies its canvas at its next wake, the JPEG is
 * encoded on the caller's thread. Returns 0, MCU_ENOTFOUND (no composite:
 * nobody receives video yet), MCU_ENOMEM, MCU_EIO or MCU_ETIMEDOUT.
 * Thread: any but the room's; waits for the room thread, bounded.
 */
int mix_snapshot(struct mix *m, uint8_t **out, size_t *len);

/* Switches the layout from the next frame on. Thread: any. */
void mix_set_layout(struct mix *m, enum layout_kind layout);

/* The profile a participant gets now (after adaptation), or -1. Thread: any. */
int mix_profile_of(struct mix *m, void *port);

/* Fills *out. Thread: any. */
void mix_get_stats(struct mix *m, struct mix_stats *out);

#endif
