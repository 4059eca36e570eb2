/*
 * profile.h - the output profiles of API.md section 4: what one encoder of a
 * room produces and every receiver of that profile shares.
 *
 * Plain data in base/: signaling reads the words hd/sd/ld here once, and the
 * ids travel through every layer above (endpoint parameters, the port, the
 * mixer), which name a profile from the same table.
 */
#ifndef MCU_PROFILE_H
#define MCU_PROFILE_H

enum profile_id { PROFILE_HD = 0, PROFILE_SD = 1, PROFILE_LD = 2 };
#define PROFILE_COUNT 3

struct profile {
	enum profile_id id;
	const char *name;      /* "hd", "sd", "ld" */
	int width, height;
	int fps;
	int bitrate_kbps;      /* target, also the VBV cap */
};

/* The profile's description (static), or NULL when id is none of the
 * PROFILE_COUNT ids. Thread: any. */
const struct profile *profile_get(enum profile_id id);

/* Parses "hd", "sd" or "ld". Returns 0 or MCU_EINVAL. Thread: any. */
int profile_parse(const char *name, enum profile_id *out);

#endif
