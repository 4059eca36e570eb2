/*
 * layout.h - where each sender's picture goes in the room's composite.
 *
 * Pure geometry on integers, no state. Every rectangle has even x, y, w and
 * h, so that 4:2:0 chroma planes line up with the luma plane. Thread: any.
 */
#ifndef MCU_LAYOUT_H
#define MCU_LAYOUT_H

#include <stdbool.h>

#define LAYOUT_MAX_TILES 25

struct layout_rect {
	int x, y, w, h;
};

enum layout_kind { LAYOUT_GRID, LAYOUT_SPEAKER };

/*
 * Tiles for n pictures (0..LAYOUT_MAX_TILES) on a canvas of w x h (even,
 * >= 32 x 32), in join order, written to tiles[0..n-1].
 * grid: 1 fills the canvas; 2 side by side; 3-4 a 2x2 grid; 5-9 3x3; 10-16
 * 4x4; 17-25 5x5; cells fill the grid row by row, and a last row that is not full is
 * centred horizontally.
 * speaker: tile `speaker` (0..n-1; any other value means 0) takes the top
 * three quarters of the canvas; the others share a strip along the bottom
 * quarter, in join order, each as wide as an equal share of the canvas
 * (never wider than 16:9 of the strip height), centred. With n == 1 the
 * speaker fills the canvas.
 * Returns n, or MCU_EINVAL for a bad n, size or kind.
 */
int layout_tiles(enum layout_kind kind, int n, int speaker, int w, int h,
		 struct layout_rect *tiles);

/*
 * Fits a src_w x src_h picture into tile keeping its aspect ratio: the
 * largest even-sized rectangle centred in the tile (letterbox or pillarbox
 * bars around it). Returns 0, or MCU_EINVAL when a size is not positive.
 */
int layout_fit(const struct layout_rect *tile, int src_w, int src_h,
	       struct layout_rect *out);

/* Is a src_w x src_h picture shown in tile at half its size or less, both
 * ways? The room then decodes it without deblocking (vdec_set_fast). */
bool layout_at_half_or_less(const struct layout_rect *tile, int src_w, int src_h);

/* Parses "grid" or "speaker". Returns 0 or MCU_EINVAL. */
int layout_parse(const char *name, enum layout_kind *out);

#endif
