/*
 * canvas.h - the room's composite picture: tiles of senders' pictures,
 * scaled with their aspect kept, on a black background, in YUV 4:2:0.
 *
 * A tile is redrawn only when what it shows changed (a new picture, another
 * sender, a new layout): a static participant costs nothing per frame. The
 * canvas is one AVFrame the encoders read; x264 copies its input, so the
 * canvas can be drawn on again at once. Owned by one room thread.
 */
#ifndef MCU_CANVAS_H
#define MCU_CANVAS_H

#include "layout.h"

#include <stdbool.h>
#include <stdint.h>

struct AVFrame;
struct SwsContext;
struct canvas;

int canvas_create(struct canvas **out);     /* 0 or MCU_ENOMEM */
void canvas_destroy(struct canvas *c);      /* accepts NULL */

/*
 * Sets the canvas size (even) and the tiles (n <= LAYOUT_MAX_TILES, copied).
 * A change of size or of any tile's rectangle clears the canvas to black and
 * marks every tile for redrawing. Returns 0 or MCU_ENOMEM.
 */
int canvas_layout(struct canvas *c, int w, int h, const struct layout_rect *tiles, int n);

/*
 * Draws tile i: picture (YUV420P, borrowed for the call) scaled to fit, or
 * a grey placeholder when picture is NULL. source and generation identify
 * what is shown (a sender and its picture count): when both equal the last
 * drawn ones, nothing is done. Returns 0, MCU_EINVAL or MCU_ENOMEM.
 */
int canvas_draw(struct canvas *c, int i, const struct AVFrame *picture, const void *source,
		uint64_t generation);

/* The composite (borrowed; valid until canvas_layout or canvas_destroy). */
const struct AVFrame *canvas_frame(const struct canvas *c);

/*
 * Scales src (YUV420P) into dst, allocating dst's buffer for w x h on first
 * use or when the size changes; *sws caches the scaler. The next smaller
 * profile is made from the one above it (ARCHITECTURE.md). Returns 0 or
 * MCU_ENOMEM.
 */
int canvas_scale(const struct AVFrame *src, struct AVFrame *dst, int w, int h,
		 struct SwsContext **sws);

#endif
