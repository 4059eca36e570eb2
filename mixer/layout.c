/*
 * layout.c - see layout.h: where each picture goes in the composite.
 *
 * DESIGN: every size is rounded down to even before it is used, and every
 * offset that centres something is rounded down to even too, so the sum of
 * tiles never exceeds the canvas and 4:2:0 chroma stays aligned. The few
 * pixels that rounding leaves over are shared out as a centring margin
 * rather than given to one tile, so all tiles of a layout are the same size
 * (a scaler can then be set up once per size, not once per tile).
 */
#include "layout.h"

#include <stdint.h>
#include <string.h>

#include "base/err.h"

#define MIN_CANVAS 32

static int even_down(int v)
{
	return v & ~1;
}

/* v/2 rounded down to even: a centring margin that keeps offsets even. */
static int half_even(int v)
{
	return even_down(v / 2);
}

/* Columns and rows of the grid for n pictures, as layout.h lists them. */
static void grid_shape(int n, int *cols, int *rows)
{
	if (n <= 1) {
		*cols = 1;
		*rows = 1;
	} else if (n == 2) {
		*cols = 2;
		*rows = 1;
	} else if (n <= 4) {
		*cols = 2;
		*rows = 2;
	} else if (n <= 9) {
		*cols = 3;
		*rows = 3;
	} else if (n <= 16) {
		*cols = 4;
		*rows = 4;
	} else {
		*cols = 5;
		*rows = 5;
	}
}

static void grid_tiles(int n, int w, int h, struct layout_rect *tiles)
{
	int cols, rows;
	grid_shape(n, &cols, &rows);
	int cw = even_down(w / cols);
	int ch = even_down(h / rows);
	int x0 = half_even(w - cols * cw);
	int y0 = half_even(h - rows * ch);
	int last_row = (n - 1) / cols;
	int in_last = n - last_row * cols;

	for (int i = 0; i < n; i++) {
		int r = i / cols, c = i % cols;
		/* A short last row is shifted by half the width it leaves empty. */
		int shift = r == last_row ? half_even((cols - in_last) * cw) : 0;
		tiles[i].x = x0 + shift + c * cw;
		tiles[i].y = y0 + r * ch;
		tiles[i].w = cw;
		tiles[i].h = ch;
	}
}

static void speaker_tiles(int n, int speaker, int w, int h,
			  struct layout_rect *tiles)
{
	if (speaker < 0 || speaker >= n)
		speaker = 0;
	if (n == 1) {
		tiles[0] = (struct layout_rect){ 0, 0, w, h };
		return;
	}
	int top = even_down(h * 3 / 4);
	int sh = h - top;
	int m = n - 1;
	int tw = even_down(w / m);
	/* Few thumbnails would otherwise be very wide letterboxed strips. */
	int max_w = even_down(sh * 16 / 9);
	if (tw > max_w)
		tw = max_w;
	int x = half_even(w - m * tw);

	tiles[speaker] = (struct layout_rect){ 0, 0, w, top };
	for (int i = 0; i < n; i++) {
		if (i == speaker)
			continue;
		tiles[i] = (struct layout_rect){ x, top, tw, sh };
		x += tw;
	}
}

int layout_tiles(enum layout_kind kind, int n, int speaker, int w, int h,
		 struct layout_rect *tiles)
{
	if (n < 0 || n > LAYOUT_MAX_TILES || (n > 0 && !tiles))
		return MCU_EINVAL;
	if (w < MIN_CANVAS || h < MIN_CANVAS || (w & 1) || (h & 1))
		return MCU_EINVAL;
	/* 16:9 of the strip is computed in int: keep w*16 and h*16 in range. */
	if (w > INT32_MAX / 16 || h > INT32_MAX / 16)
		return MCU_EINVAL;
	if (kind == LAYOUT_GRID)
		grid_tiles(n, w, h, tiles);
	else if (kind == LAYOUT_SPEAKER)
		speaker_tiles(n, speaker, w, h, tiles);
	else
		return MCU_EINVAL;
	return n;
}

/* v * num / den rounded to the nearest even integer, at least 2. */
static int scale_even(int64_t v, int64_t num, int64_t den)
{
	int64_t q = (v * num + den) / (2 * den) * 2;
	return q < 2 ? 2 : (int)q;
}

int layout_fit(const struct layout_rect *tile, int src_w, int src_h,
	       struct layout_rect *out)
{
	if (!tile || !out || src_w <= 0 || src_h <= 0)
		return MCU_EINVAL;
	if (tile->w <= 0 || tile->h <= 0)
		return MCU_EINVAL;
	/* Fit inside the even-aligned part of the tile, so an odd tile still
	 * gives an even rectangle that does not spill out of it. */
	int x0 = tile->x + (tile->x & 1);
	int y0 = tile->y + (tile->y & 1);
	int tw = even_down(tile->x + tile->w - x0);
	int th = even_down(tile->y + tile->h - y0);
	if (tw < 2 || th < 2)
		return MCU_EINVAL;

	int w, h;
	if ((int64_t)src_w * th >= (int64_t)src_h * tw) {
		/* Wider than the tile: full width, bars above and below. The
		 * exact height is at most th, and th is even and >= 2, so
		 * neither rounding to the nearest even nor the floor of 2 can
		 * take h past th (likewise w past tw below). */
		w = tw;
		h = scale_even(tw, src_h, src_w);
	} else {
		h = th;
		w = scale_even(th, src_w, src_h);
	}
	out->x = x0 + half_even(tw - w);
	out->y = y0 + half_even(th - h);
	out->w = w;
	out->h = h;
	return 0;
}

bool layout_at_half_or_less(const struct layout_rect *tile, int src_w, int src_h)
{
	return tile->w * 2 <= src_w && tile->h * 2 <= src_h;
}

int layout_parse(const char *name, enum layout_kind *out)
{
	if (!name || !out)
		return MCU_EINVAL;
	if (strcmp(name, "grid") == 0)
		*out = LAYOUT_GRID;
	else if (strcmp(name, "speaker") == 0)
		*out = LAYOUT_SPEAKER;
	else
		return MCU_EINVAL;
	return 0;
}
