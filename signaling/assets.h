/*
 * assets.h - the browser client and operator console the server serves
 * (signaling/www/), built into the binary so the MCU serves them from any
 * working directory with nothing installed beside it.
 */
#ifndef MCU_ASSETS_H
#define MCU_ASSETS_H

#include <stddef.h>

struct asset {
	const char *name;          /* file name in signaling/www/ */
	const char *content_type;
	const unsigned char *data; /* static */
	size_t len;
};

/* Fills *out with the asset called name. Returns 0 or MCU_ENOTFOUND.
 * Thread: any. */
int assets_find(const char *name, struct asset *out);

#endif
