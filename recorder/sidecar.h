/*
 * sidecar.h - a recording's JSON sidecar ({file}.json beside the MP4): the
 * participant list it keeps, and its writing to disk so that its last word
 * survives a full disk.
 *
 * The document: room, file, started, ended, state, duration_s, bytes and
 * participants (id, name, joined, left; wall-clock ISO 8601 or null).
 * A save writes the document to a hidden temporary name and renames it
 * over, so a reader never sees half of one. Every saved file is padded with
 * white space (which JSON allows after the value) to at least
 * SIDECAR_RESERVE bytes, which the file then owns on disk. When the disk is
 * full the temporary file cannot be written; the save then writes a brief
 * document (the final state without the long parts) over the existing file
 * in place, into those bytes, so the final word ("failed", "done") needs no
 * free space. Without that, a recording that failed on a full disk kept a
 * sidecar saying "recording" and was later shown as a whole one.
 *
 * In-place writes do not help on copy-on-write file systems (btrfs, ZFS),
 * which need new blocks for any write; there the save fails as before.
 * Thread: sidecar_note any; the rest one thread at a time (the recorder's).
 */
#ifndef MCU_SIDECAR_H
#define MCU_SIDECAR_H

#include <stdbool.h>
#include <stdint.h>

struct sidecar;

/* Bytes every saved sidecar holds at least: room for a brief document
 * (room and file names of their longest, two times, state, numbers). */
#define SIDECAR_RESERVE 1024

/* sidecar_save's answer when only the brief document was written. */
#define SIDECAR_BRIEF 1

/* What a save says beside the participants (borrowed strings). */
struct sidecar_facts {
	const char *room, *file;
	const char *state;            /* "recording", "done" or "failed" */
	int64_t started_wall_us, ended_wall_us; /* 0: unknown / not yet */
	double duration_s;
	uint64_t bytes;
};

/*
 * A sidecar for the recording file (a base name) in dir: {dir}/{file}.json,
 * saved through {dir}/.{file}.json.tmp (hidden: a listing never shows it).
 * Touches no file. Strings are copied. Returns 0 or MCU_ENOMEM.
 */
int sidecar_create(const char *dir, const char *file, struct sidecar **out);

/* Frees; the file stays. Accepts NULL. */
void sidecar_destroy(struct sidecar *s);

/* The sidecar's path (owned by s). */
const char *sidecar_path(const struct sidecar *s);

/*
 * Notes a participant joining (a new entry) or leaving (closes its latest
 * open entry; a leave without a join is an entry whose join is unknown), at
 * wall-clock µs. id and name (NULL: "") are copied, cut to 255 bytes at a
 * UTF-8 boundary. Returns 1 when the list changed, 0 when not (out of
 * memory, or full), MCU_ELIMIT the first time an entry is refused because
 * the list holds its most (4096). Thread: any.
 */
int sidecar_note(struct sidecar *s, const char *id, const char *name, bool joined,
		 int64_t wall_us);

/*
 * Saves the facts and the participants: to the temporary file, then renamed
 * over. If that fails and final is set (the state is the last one), writes
 * a brief document (the facts without participants) over the existing
 * sidecar in place, padded to its size, when it fits. Returns 0 (saved),
 * SIDECAR_BRIEF (only the brief one), MCU_ENOMEM, or MCU_EIO (nothing
 * saved; the old file is as it was), with *os_err (may be NULL) the errno
 * of the failed save, or 0.
 */
int sidecar_save(struct sidecar *s, const struct sidecar_facts *f, bool final, int *os_err);

#endif
