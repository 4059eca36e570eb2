/*
 * recordings.h - the recordings directory as the API shows it: which files
 * there are, their sidecar facts, and safe names.
 *
 * Only names of the form {room}-{YYYYmmddTHHMMSSZ}.mp4 (room as in API.md:
 * 1-64 of [A-Za-z0-9_-]) are ever served or deleted, so no path outside the
 * directory ("..", "/", percent-encoded forms, NUL) can be named. Thread: any.
 */
#ifndef MCU_RECORDINGS_H
#define MCU_RECORDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Is name a recording's file name (and nothing else)? */
bool recordings_valid_name(const char *name);

struct recording_info {
	char file[160];
	char room[65];
	int64_t started_wall_us;
	double duration_s;
	uint64_t bytes;
	char state[16];               /* "recording", "done", "failed" or "incomplete" */
};

/*
 * Lists the recordings in dir (their sidecars; a file without one gets its
 * facts from the name and size, state "done"; one whose sidecar cannot be
 * read, or counts more bytes than the file has, "incomplete"), newest first. *out is a new
 * array the caller frees (NULL when *n is 0). Returns 0, MCU_ENOMEM, or
 * MCU_EIO when dir cannot be read (a missing dir is an empty list).
 */
int recordings_list(const char *dir, struct recording_info **out, int *n);

/*
 * The state the API shows for r: live, the word of this server's recorder
 * of that file (NULL: it has none), wins, since the sidecar may be
 * mid-rewrite; a sidecar still saying "recording" with no recorder behind
 * it was cut short (a crash, kill -9, a full disk before the sidecar could
 * say more) and plays up to its last fragment: "incomplete". Returns a
 * static string or live.
 */
const char *recordings_state(const struct recording_info *r, const char *live);

/* One recording's facts. Returns 0, MCU_EINVAL (bad name) or MCU_ENOTFOUND. */
int recordings_get(const char *dir, const char *name, struct recording_info *out);

/* Opens a recording for reading. Returns an fd (>= 0) with *size, or
 * MCU_EINVAL (bad name) or MCU_ENOTFOUND. The caller closes it. */
int recordings_open(const char *dir, const char *name, uint64_t *size);

/* Deletes a recording and its sidecar. Returns 0, MCU_EINVAL, MCU_ENOTFOUND,
 * MCU_EAGAIN while it is still being recorded (state "recording" in a
 * live server: the caller says which are live through is_live), or MCU_EIO
 * when unlinking fails. */
int recordings_delete(const char *dir, const char *name, bool is_live);

/*
 * Parses a Range header value for a resource of size bytes: "bytes=a-b",
 * "bytes=a-", "bytes=-n" (one range only). Returns 1 with *first and *last
 * (inclusive) set, 0 when the header is absent or not a single byte range
 * (serve the whole file), or MCU_ELIMIT when it is unsatisfiable (416).
 */
int recordings_parse_range(const char *header, uint64_t size, uint64_t *first, uint64_t *last);

#endif
