/* layout_test.c - composite geometry: for every tile count and both layouts
 * on three canvas sizes, tiles stay inside, never overlap, are even and take
 * the documented shape; aspect-kept fitting; parsing; bad arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "mixer/layout.h"

#include <stdlib.h>

static const int canvases[][2] = { { 1280, 720 }, { 640, 360 }, { 320, 180 } };
#define N_CANVASES (int)(sizeof(canvases) / sizeof(canvases[0]))

static int overlap(const struct layout_rect *a, const struct layout_rect *b)
{
	return a->x < b->x + b->w && b->x < a->x + a->w &&
	       a->y < b->y + b->h && b->y < a->y + a->h;
}

static void assert_even_rect(const struct layout_rect *r)
{
	assert_int_equal(r->x & 1, 0);
	assert_int_equal(r->y & 1, 0);
	assert_int_equal(r->w & 1, 0);
	assert_int_equal(r->h & 1, 0);
	assert_true(r->w >= 2);
	assert_true(r->h >= 2);
}

static void assert_inside(const struct layout_rect *r, int x, int y, int w, int h)
{
	assert_true(r->x >= x);
	assert_true(r->y >= y);
	assert_true(r->x + r->w <= x + w);
	assert_true(r->y + r->h <= y + h);
}

/* What every layout owes: even tiles, inside the canvas, disjoint. */
static void assert_sane(const struct layout_rect *t, int n, int w, int h)
{
	for (int i = 0; i < n; i++) {
		assert_even_rect(&t[i]);
		assert_inside(&t[i], 0, 0, w, h);
		for (int j = 0; j < i; j++)
			assert_false(overlap(&t[i], &t[j]));
	}
}

static int expected_cols(int n)
{
	return n <= 1 ? 1 : n == 2 ? 2 : n <= 4 ? 2 : n <= 9 ? 3 : n <= 16 ? 4 : 5;
}

static int expected_rows(int n)
{
	return n <= 2 ? 1 : n <= 4 ? 2 : n <= 9 ? 3 : n <= 16 ? 4 : 5;
}

static void check_grid(int n, int w, int h)
{
	struct layout_rect t[LAYOUT_MAX_TILES];
	assert_int_equal(layout_tiles(LAYOUT_GRID, n, 0, w, h, t), n);
	assert_sane(t, n, w, h);

	int cols = expected_cols(n), rows = expected_rows(n);
	/* Equal cells, as large as the grid allows (rounding costs < 2 px). */
	for (int i = 0; i < n; i++) {
		assert_int_equal(t[i].w, t[0].w);
		assert_int_equal(t[i].h, t[0].h);
	}
	assert_true(t[0].w * cols <= w && t[0].w * cols > w - 2 * cols);
	assert_true(t[0].h * rows <= h && t[0].h * rows > h - 2 * rows);

	/* Row by row: tile i sits in row i / cols, left to right. */
	for (int i = 0; i < n; i++) {
		assert_int_equal(t[i].y, t[0].y + (i / cols) * t[0].h);
		if (i % cols)
			assert_int_equal(t[i].x, t[i - 1].x + t[i - 1].w);
	}

	/* Full rows start at the grid's left edge; a short last row is
	 * centred between the full rows' edges (within even rounding). */
	int left = t[0].x, right = t[0].x + cols * t[0].w;
	int last = (n - 1) / cols * cols;
	int lm = t[last].x - left;
	int rm = right - (t[n - 1].x + t[n - 1].w);
	assert_true(abs(lm - rm) <= 2);
	if (n % cols)
		assert_true(lm > 0);
	/* The whole grid is centred on the canvas too. */
	assert_true(abs(left - (w - right)) <= 2);
}

static void test_grid_all(void **state)
{
	(void)state;
	for (int c = 0; c < N_CANVASES; c++)
		for (int n = 1; n <= LAYOUT_MAX_TILES; n++)
			check_grid(n, canvases[c][0], canvases[c][1]);
}

static void test_grid_named_shapes(void **state)
{
	(void)state;
	struct layout_rect t[LAYOUT_MAX_TILES];

	assert_int_equal(layout_tiles(LAYOUT_GRID, 1, 0, 1280, 720, t), 1);
	assert_int_equal(t[0].x, 0);
	assert_int_equal(t[0].y, 0);
	assert_int_equal(t[0].w, 1280);
	assert_int_equal(t[0].h, 720);

	assert_int_equal(layout_tiles(LAYOUT_GRID, 2, 0, 1280, 720, t), 2);
	assert_int_equal(t[0].x, 0);
	assert_int_equal(t[1].x, 640);
	assert_int_equal(t[0].y, t[1].y);
	assert_int_equal(t[0].w, 640);
	assert_int_equal(t[0].h, 720);

	assert_int_equal(layout_tiles(LAYOUT_GRID, 4, 0, 1280, 720, t), 4);
	assert_int_equal(t[3].x, 640);
	assert_int_equal(t[3].y, 360);
	assert_int_equal(t[3].w, 640);
	assert_int_equal(t[3].h, 360);

	/* 3 on a 2x2 grid: the lone bottom tile is in the middle. */
	assert_int_equal(layout_tiles(LAYOUT_GRID, 3, 0, 1280, 720, t), 3);
	assert_int_equal(t[2].x, 320);
	assert_int_equal(t[2].y, 360);

	assert_int_equal(layout_tiles(LAYOUT_GRID, 9, 0, 1280, 720, t), 9);
	assert_int_equal(t[8].y, 2 * 240);
	assert_int_equal(t[8].w, 426);
	assert_int_equal(t[8].h, 240);

	assert_int_equal(layout_tiles(LAYOUT_GRID, 16, 0, 1280, 720, t), 16);
	assert_int_equal(t[15].x, 960);
	assert_int_equal(t[15].y, 540);
	assert_int_equal(t[15].w, 320);
	assert_int_equal(t[15].h, 180);

	/* 25 on 5x5: 256 x 144 cells, the last at the bottom right. */
	assert_int_equal(layout_tiles(LAYOUT_GRID, 25, 0, 1280, 720, t), 25);
	assert_int_equal(t[24].x, 1024);
	assert_int_equal(t[24].y, 576);
	assert_int_equal(t[24].w, 256);
	assert_int_equal(t[24].h, 144);
	/* 17 on 5x5: 5 + 5 + 5 + 2, the last pair centred. */
	assert_int_equal(layout_tiles(LAYOUT_GRID, 17, 0, 1280, 720, t), 17);
	assert_int_equal(t[15].x, 384);
	assert_int_equal(t[16].x, 640);
	assert_int_equal(t[16].y, 432);

	/* 10 on 4x4: 4 + 4 + 2, the last pair centred. */
	assert_int_equal(layout_tiles(LAYOUT_GRID, 10, 0, 1280, 720, t), 10);
	assert_int_equal(t[8].x, 320);
	assert_int_equal(t[9].x, 640);
	assert_int_equal(t[9].y, 360);

	assert_int_equal(layout_tiles(LAYOUT_GRID, 0, 0, 1280, 720, t), 0);
	assert_int_equal(layout_tiles(LAYOUT_GRID, 0, 0, 1280, 720, NULL), 0);
}

static void check_speaker(int n, int speaker, int w, int h)
{
	struct layout_rect t[LAYOUT_MAX_TILES];
	assert_int_equal(layout_tiles(LAYOUT_SPEAKER, n, speaker, w, h, t), n);
	assert_sane(t, n, w, h);

	int sp = speaker >= 0 && speaker < n ? speaker : 0;
	if (n == 1) {
		assert_int_equal(t[0].w, w);
		assert_int_equal(t[0].h, h);
		return;
	}
	assert_int_equal(t[sp].x, 0);
	assert_int_equal(t[sp].y, 0);
	assert_int_equal(t[sp].w, w);
	assert_true(abs(t[sp].h - h * 3 / 4) <= 1);

	int strip = h - t[sp].h;
	int prev = -1, first = -1;
	for (int i = 0; i < n; i++) {
		if (i == sp)
			continue;
		/* The speaker's tile is the largest by far. */
		assert_true((int64_t)t[i].w * t[i].h < (int64_t)t[sp].w * t[sp].h);
		assert_int_equal(t[i].y, t[sp].h);
		assert_int_equal(t[i].h, strip);
		assert_true(t[i].w * 9 <= strip * 16);
		if (prev >= 0)
			assert_int_equal(t[i].x, t[prev].x + t[prev].w);
		else
			first = i;
		prev = i;
	}
	int lm = t[first].x, rm = w - (t[prev].x + t[prev].w);
	assert_true(abs(lm - rm) <= 2);
}

static void test_speaker_all(void **state)
{
	(void)state;
	for (int c = 0; c < N_CANVASES; c++) {
		int w = canvases[c][0], h = canvases[c][1];
		for (int n = 1; n <= LAYOUT_MAX_TILES; n++) {
			for (int sp = 0; sp < n; sp++)
				check_speaker(n, sp, w, h);
			check_speaker(n, -1, w, h);
			check_speaker(n, n, w, h);
			check_speaker(n, 1000, w, h);
		}
	}
}

static void test_speaker_named(void **state)
{
	(void)state;
	struct layout_rect t[LAYOUT_MAX_TILES];

	/* Two others: capped at 16:9 of the 180-px strip, centred. */
	assert_int_equal(layout_tiles(LAYOUT_SPEAKER, 3, 1, 1280, 720, t), 3);
	assert_int_equal(t[1].w, 1280);
	assert_int_equal(t[1].h, 540);
	assert_int_equal(t[0].w, 320);
	assert_int_equal(t[0].x, 320);
	assert_int_equal(t[2].x, 640);
	assert_int_equal(t[0].y, 540);

	/* Many others: equal shares of the width. */
	assert_int_equal(layout_tiles(LAYOUT_SPEAKER, 9, 0, 1280, 720, t), 9);
	assert_int_equal(t[1].w, 160);
	assert_int_equal(t[1].x, 0);
	assert_int_equal(t[8].x, 1120);

	/* The smallest canvas still gives every tile some even area. */
	assert_int_equal(layout_tiles(LAYOUT_SPEAKER, 16, 0, 32, 32, t), 16);
	assert_sane(t, 16, 32, 32);
	assert_int_equal(layout_tiles(LAYOUT_GRID, 16, 0, 32, 32, t), 16);
	assert_sane(t, 16, 32, 32);
	assert_int_equal(layout_tiles(LAYOUT_GRID, 25, 0, 32, 32, t), 25);
	assert_sane(t, 25, 32, 32);
	assert_int_equal(layout_tiles(LAYOUT_SPEAKER, 25, 0, 64, 64, t), 25);
	assert_sane(t, 25, 64, 64);
}

static void check_fit(const struct layout_rect *tile, int sw, int sh)
{
	struct layout_rect o;
	assert_int_equal(layout_fit(tile, sw, sh, &o), 0);
	assert_even_rect(&o);
	assert_inside(&o, tile->x, tile->y, tile->w, tile->h);

	/* Largest: it touches the tile's edges along one axis. */
	int full_w = o.w >= (tile->w & ~1), full_h = o.h >= (tile->h & ~1);
	assert_true(full_w || full_h);

	/* Aspect kept: the other side is within 2 px of exact, unless the
	 * exact size is below the 2 px floor. */
	double exact = full_w ? (double)o.w * sh / sw : (double)o.h * sw / sh;
	double got = full_w ? o.h : o.w;
	assert_true(got - exact <= 2.0 || exact < 2.0);
	assert_true(exact - got <= 2.0);

	/* Centred within even rounding. */
	int lm = o.x - tile->x, rm = tile->x + tile->w - (o.x + o.w);
	int tm = o.y - tile->y, bm = tile->y + tile->h - (o.y + o.h);
	assert_true(abs(lm - rm) <= 2);
	assert_true(abs(tm - bm) <= 2);
}

static void test_fit(void **state)
{
	(void)state;
	static const int srcs[][2] = {
		{ 1920, 1080 }, { 1280, 720 }, { 640, 480 }, { 1080, 1920 },
		{ 480, 640 }, { 100, 100 }, { 352, 288 }, { 10000, 1 },
		{ 1, 10000 }, { 2, 2 }, { 1, 1 }, { 1366, 768 },
	};
	struct layout_rect t[LAYOUT_MAX_TILES];
	for (int c = 0; c < N_CANVASES; c++) {
		for (int n = 1; n <= LAYOUT_MAX_TILES; n++) {
			for (int kind = 0; kind < 2; kind++) {
				layout_tiles((enum layout_kind)kind, n, 0, canvases[c][0],
					     canvases[c][1], t);
				for (int i = 0; i < n; i++)
					for (size_t s = 0; s < sizeof(srcs) / sizeof(srcs[0]); s++)
						check_fit(&t[i], srcs[s][0], srcs[s][1]);
			}
		}
	}

	struct layout_rect o, tile = { 0, 0, 1280, 720 };
	assert_int_equal(layout_fit(&tile, 640, 480, &o), 0);
	assert_int_equal(o.x, 160);
	assert_int_equal(o.y, 0);
	assert_int_equal(o.w, 960);
	assert_int_equal(o.h, 720);
	assert_int_equal(layout_fit(&tile, 1920, 1080, &o), 0);
	assert_int_equal(o.x, 0);
	assert_int_equal(o.w, 1280);
	assert_int_equal(o.h, 720);

	/* An odd tile still yields an even rectangle inside it. */
	struct layout_rect odd = { 1, 3, 101, 77 };
	check_fit(&odd, 640, 480);
	check_fit(&odd, 480, 640);
}

/* Half size or less both ways, by the tile's own size: a 720p sender in a
 * 2x2 grid of 720p is, in two side by side (640x720) it is not. */
static void test_at_half_or_less(void **state)
{
	(void)state;
	struct layout_rect quad = { 640, 360, 640, 360 }, side = { 0, 0, 640, 720 };
	assert_true(layout_at_half_or_less(&quad, 1280, 720));
	assert_true(layout_at_half_or_less(&quad, 1920, 1080));
	assert_false(layout_at_half_or_less(&quad, 1278, 720));
	assert_false(layout_at_half_or_less(&quad, 1280, 718));
	assert_false(layout_at_half_or_less(&side, 1280, 720));
	assert_true(layout_at_half_or_less(&side, 1280, 1440));
}

static void test_parse(void **state)
{
	(void)state;
	enum layout_kind k = LAYOUT_SPEAKER;
	assert_int_equal(layout_parse("grid", &k), 0);
	assert_int_equal(k, LAYOUT_GRID);
	assert_int_equal(layout_parse("speaker", &k), 0);
	assert_int_equal(k, LAYOUT_SPEAKER);
	assert_int_equal(layout_parse("", &k), MCU_EINVAL);
	assert_int_equal(layout_parse("grids", &k), MCU_EINVAL);
	assert_int_equal(layout_parse("speake", &k), MCU_EINVAL);
	assert_int_equal(layout_parse(NULL, &k), MCU_EINVAL);
	assert_int_equal(layout_parse("grid", NULL), MCU_EINVAL);
	assert_int_equal(k, LAYOUT_SPEAKER); /* untouched on failure */
}

static void test_bad_args(void **state)
{
	(void)state;
	struct layout_rect t[LAYOUT_MAX_TILES + 1], o;
	assert_int_equal(layout_tiles(LAYOUT_GRID, -1, 0, 1280, 720, t), MCU_EINVAL);
	assert_int_equal(layout_tiles(LAYOUT_GRID, 26, 0, 1280, 720, t), MCU_EINVAL);
	assert_int_equal(layout_tiles(LAYOUT_GRID, 1, 0, 1280, 720, NULL), MCU_EINVAL);
	assert_int_equal(layout_tiles(LAYOUT_GRID, 1, 0, 30, 720, t), MCU_EINVAL);
	assert_int_equal(layout_tiles(LAYOUT_GRID, 1, 0, 1280, 30, t), MCU_EINVAL);
	assert_int_equal(layout_tiles(LAYOUT_GRID, 1, 0, 0, 0, t), MCU_EINVAL);
	assert_int_equal(layout_tiles(LAYOUT_GRID, 1, 0, -1280, 720, t), MCU_EINVAL);
	assert_int_equal(layout_tiles(LAYOUT_GRID, 1, 0, 1281, 720, t), MCU_EINVAL);
	assert_int_equal(layout_tiles(LAYOUT_SPEAKER, 1, 0, 1280, 721, t), MCU_EINVAL);
	assert_int_equal(layout_tiles(LAYOUT_GRID, 1, 0, 1 << 30, 720, t), MCU_EINVAL);
	assert_int_equal(layout_tiles((enum layout_kind)7, 1, 0, 1280, 720, t), MCU_EINVAL);
	assert_int_equal(layout_tiles(LAYOUT_GRID, 1, 0, 32, 32, t), 1);

	struct layout_rect tile = { 0, 0, 320, 180 };
	assert_int_equal(layout_fit(&tile, 0, 480, &o), MCU_EINVAL);
	assert_int_equal(layout_fit(&tile, 640, 0, &o), MCU_EINVAL);
	assert_int_equal(layout_fit(&tile, -640, 480, &o), MCU_EINVAL);
	assert_int_equal(layout_fit(NULL, 640, 480, &o), MCU_EINVAL);
	assert_int_equal(layout_fit(&tile, 640, 480, NULL), MCU_EINVAL);
	struct layout_rect empty = { 0, 0, 0, 180 };
	assert_int_equal(layout_fit(&empty, 640, 480, &o), MCU_EINVAL);
	struct layout_rect thin = { 1, 0, 2, 180 }; /* no even column inside */
	assert_int_equal(layout_fit(&thin, 640, 480, &o), MCU_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grid_all),
		cmocka_unit_test(test_grid_named_shapes),
		cmocka_unit_test(test_speaker_all),
		cmocka_unit_test(test_at_half_or_less),
		cmocka_unit_test(test_speaker_named),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_bad_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
