/*
 * canvas.h - the room's composite picture: tiles of senders' pictures,
 * scaled with their aspect kept, on a black background, in YUV 4:2:0.
 *
 * A tile is redrawn only when what it shows changed (a new picture, another
 * sender, a new layout): a static participant costs nothing per frame, in
 * the composite and in its smaller copies for the smaller profiles. The
 * canvas and each copy is one AVFrame the encoders read; x264 copies its
 * input, so they can be drawn on again at once. Owned by one room thread.
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
 * Draws tile i: picture (YUV420P, borrowed for the call) scaled to fit (a
 * 2x2 box average when it is exactly twice the fitted size, a copy at the
 * same size, else swscale bilinear, after a box-average halving when it is
 * more than twice the fitted size), or a grey placeholder when picture is
 * NULL. source and generation identify
 * what is shown (a sender and its picture count): when both equal the last
 * drawn ones, nothing is done. Returns 0, MCU_EINVAL or MCU_ENOMEM.
 */
int canvas_draw(struct canvas *c, int i, const struct AVFrame *picture, const void *source,
		uint64_t generation);

/* The composite (borrowed; valid until canvas_layout or canvas_destroy). */
const struct AVFrame *canvas_frame(const struct canvas *c);

/* Smaller copies of the composite a canvas keeps (canvas_copy). */
#define CANVAS_COPIES 4

/*
 * Brings copy k (0..CANVAS_COPIES-1) of the composite up to date at w x h
 * (even, allocated on first use or when the size changes) from `from`: -1
 * for the composite itself, else copy `from` (another k, brought up to date
 * before in this tick). A copy remembers what of the composite it shows,
 * so only the tiles drawn since it was last made are redone: with a 2x2 box
 * average when the source is exactly twice w x h (hd -> sd -> ld), else
 * the whole picture with swscale (bilinear); nothing when nothing changed.
 * *out is borrowed: it changes with the next call for k and lives until
 * canvas_destroy. Returns 0, MCU_EINVAL (bad k, from or size; a copy never
 * made as source) or MCU_ENOMEM.
 */
int canvas_copy(struct canvas *c, int k, int from, int w, int h, const struct AVFrame **out);

/*
 * Scales src (YUV420P) into dst, allocating dst's buffer for w x h on first
 * use or when the size changes; *sws caches the scaler (not used for an
 * exact halving, which is a 2x2 box average). For a one-off picture; the
 * room uses canvas_copy. Returns 0 or MCU_ENOMEM.
 */
int canvas_scale(const struct AVFrame *src, struct AVFrame *dst, int w, int h,
		 struct SwsContext **sws);

#endif
