/*
 * env.h - what the signaling handlers are lent by main: plain data, every
 * pointer borrowed and outliving the HTTP server.
 */
#ifndef MCU_SIGNALING_ENV_H
#define MCU_SIGNALING_ENV_H

#include <stdbool.h>
#include <stdint.h>

struct config;
struct registry;
struct revocations;

struct signaling_env {
	const struct config *cfg;
	struct registry *registry;
	int64_t started_us;        /* monotonic µs at start, for uptime */
	const char *version;
	const char *fingerprint;   /* sha-256 of our DTLS certificate */
	const char *recordings_dir; /* config recordings_dir; NULL = "recordings" (cwd) */
	const struct iceservers *ice_servers; /* told to joining clients; NULL = none */
	struct webhook *webhook;   /* events' delivery, for /metrics; NULL = none */
	struct revocations *revocations; /* rooms deleted, whose older tokens fail; NULL = none */
	/*
	 * The state of file (a recording's base name, "{room}-{stamp}.mp4") as
	 * this server's recorder of it reports it: "recording" or "failed"
	 * while that recorder exists, NULL when none has it (finished, or left
	 * by a crash: the sidecar's word stands, and a sidecar still saying
	 * "recording" is listed as "done": it plays to its last fragment). A
	 * recording in progress cannot be deleted (409). NULL hook: no live
	 * recordings. Thread: an HTTP worker; must answer quickly and never
	 * wait on a room thread.
	 */
	const char *(*recording_state)(void *ctx, const char *file);
	void *recording_ctx;       /* passed to recording_state */
};

#endif
