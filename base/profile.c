/* profile.c - see profile.h. The table is API.md section 4. */
#include "profile.h"
#include "base/err.h"

#include <string.h>

static const struct profile profiles[PROFILE_COUNT] = {
	{ PROFILE_HD, "hd", 1280, 720, 30, 2000 },
	{ PROFILE_SD, "sd", 640, 360, 30, 700 },
	{ PROFILE_LD, "ld", 320, 180, 15, 200 },
};

const struct profile *profile_get(enum profile_id id)
{
	/* Unsigned: an id cast from a negative int is out of range too. */
	return (unsigned)id < PROFILE_COUNT ? &profiles[id] : NULL;
}

int profile_parse(const char *name, enum profile_id *out)
{
	for (int i = 0; i < PROFILE_COUNT; i++)
		if (name && !strcmp(name, profiles[i].name)) {
			*out = profiles[i].id;
			return 0;
		}
	return MCU_EINVAL;
}
