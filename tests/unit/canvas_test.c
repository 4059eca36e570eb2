/* canvas_test.c - the composite picture: a picture drawn into a tile keeps
 * its colour and aspect (black bars around it), an empty tile is the grey
 * placeholder, a tile whose source and generation did not change is not
 * redrawn (a poisoned pixel survives), a new layout clears to black, the
 * scaled copy for a smaller profile keeps the colours, an exact halving is
 * the 2x2 box average, the kept copies redo only what changed, and bad
 * arguments are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "mixer/canvas.h"
#include "mixer/layout.h"

#include <libavutil/frame.h>
#include <libswscale/swscale.h>
#include <stdlib.h>
#include <string.h>

#define W 320
#define H 180

/* BT.601 limited range. */
#define RED_Y 81
#define RED_U 90
#define RED_V 240
#define BLUE_Y 41
#define BLUE_U 240
#define BLUE_V 110
#define BLACK_Y 16
#define GREY_Y 48
#define MID 128
#define TOL 8

static void assert_near(long v, long want, long tol, const char *what, int x, int y)
{
	if (v < want - tol || v > want + tol)
		fail_msg("%s at (%d,%d) is %ld, want %ld +- %ld", what, x, y, v, want, tol);
}

static AVFrame *solid_picture(int w, int h, uint8_t y, uint8_t u, uint8_t v)
{
	AVFrame *f = av_frame_alloc();
	assert_non_null(f);
	f->format = AV_PIX_FMT_YUV420P;
	f->width = w;
	f->height = h;
	assert_int_equal(av_frame_get_buffer(f, 0), 0);
	for (int r = 0; r < h; r++)
		memset(f->data[0] + (size_t)r * f->linesize[0], y, (size_t)w);
	for (int r = 0; r < h / 2; r++) {
		memset(f->data[1] + (size_t)r * f->linesize[1], u, (size_t)w / 2);
		memset(f->data[2] + (size_t)r * f->linesize[2], v, (size_t)w / 2);
	}
	return f;
}

static uint8_t *luma(const AVFrame *f, int x, int y)
{
	return f->data[0] + (size_t)y * f->linesize[0] + x;
}

static uint8_t *chroma(const AVFrame *f, int plane, int x, int y)
{
	return f->data[plane] + (size_t)(y / 2) * f->linesize[plane] + x / 2;
}

/* Every luma sample of r (in luma coordinates) near y, every chroma sample
 * near u and v. */
static void assert_rect(const AVFrame *f, const struct layout_rect *r, int y, int u, int v,
			long tol)
{
	for (int row = r->y; row < r->y + r->h; row++)
		for (int col = r->x; col < r->x + r->w; col++)
			assert_near(*luma(f, col, row), y, tol, "Y", col, row);
	for (int row = r->y; row < r->y + r->h; row += 2)
		for (int col = r->x; col < r->x + r->w; col += 2) {
			assert_near(*chroma(f, 1, col, row), u, tol, "U", col, row);
			assert_near(*chroma(f, 2, col, row), v, tol, "V", col, row);
		}
}

/* Writes a colour no step of the canvas produces, at a point. */
static void poison(const AVFrame *cf, int x, int y)
{
	AVFrame *f = (AVFrame *)cf; /* the test pokes the composite on purpose */
	*luma(f, x, y) = 0;
	*chroma(f, 1, x, y) = 0;
	*chroma(f, 2, x, y) = 0;
}

static bool poisoned(const AVFrame *f, int x, int y)
{
	return *luma(f, x, y) == 0 && *chroma(f, 1, x, y) == 0 && *chroma(f, 2, x, y) == 0;
}

struct fixture {
	struct canvas *c;
	struct layout_rect tiles[2];
	AVFrame *red;         /* 320x180: 16:9 */
	AVFrame *other;       /* a test's second picture (freed by teardown) */
	int src0, src1;       /* their addresses are the sources */
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	assert_int_equal(canvas_create(&fx->c), 0);
	assert_int_equal(layout_tiles(LAYOUT_GRID, 2, 0, W, H, fx->tiles), 2);
	/* two side by side, each 160x180 */
	assert_int_equal(fx->tiles[0].x, 0);
	assert_int_equal(fx->tiles[0].w, 160);
	assert_int_equal(fx->tiles[0].h, 180);
	assert_int_equal(fx->tiles[1].x, 160);
	assert_int_equal(canvas_layout(fx->c, W, H, fx->tiles, 2), 0);
	fx->red = solid_picture(320, 180, RED_Y, RED_U, RED_V);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	av_frame_free(&fx->red);
	av_frame_free(&fx->other);
	canvas_destroy(fx->c);
	free(fx);
	return 0;
}

/* The fitted area of a 16:9 picture in tile 0: 160x90, centred. */
static struct layout_rect fit0(const struct fixture *fx, int w, int h)
{
	struct layout_rect fit;
	assert_int_equal(layout_fit(&fx->tiles[0], w, h, &fit), 0);
	return fit;
}

static void test_draw_picture_and_placeholder(void **state)
{
	struct fixture *fx = *state;
	const AVFrame *f = canvas_frame(fx->c);
	assert_non_null(f);
	assert_int_equal(f->width, W);
	assert_int_equal(f->height, H);
	assert_int_equal(f->format, AV_PIX_FMT_YUV420P);

	assert_int_equal(canvas_draw(fx->c, 0, fx->red, &fx->src0, 1), 0);
	assert_int_equal(canvas_draw(fx->c, 1, NULL, &fx->src1, 0), 0);
	assert_ptr_equal(canvas_frame(fx->c), f);

	struct layout_rect fit = fit0(fx, 320, 180);
	assert_int_equal(fit.x, 0);
	assert_int_equal(fit.w, 160);
	assert_int_equal(fit.h, 90);
	assert_true(fit.y >= 44 && fit.y <= 46);
	assert_rect(f, &fit, RED_Y, RED_U, RED_V, TOL);

	/* letterbox bars above and below: black */
	struct layout_rect top = { 0, 0, 160, fit.y };
	struct layout_rect bottom = { 0, fit.y + fit.h, 160, H - fit.y - fit.h };
	assert_true(top.h > 0 && bottom.h > 0);
	assert_rect(f, &top, BLACK_Y, MID, MID, 0);
	assert_rect(f, &bottom, BLACK_Y, MID, MID, 0);

	/* the empty tile: grey, neutral chroma, all of it */
	assert_rect(f, &fx->tiles[1], GREY_Y, MID, MID, 0);
}

static void test_unchanged_is_not_redrawn(void **state)
{
	struct fixture *fx = *state;
	const AVFrame *f = canvas_frame(fx->c);
	assert_int_equal(canvas_draw(fx->c, 0, fx->red, &fx->src0, 1), 0);
	assert_int_equal(canvas_draw(fx->c, 1, NULL, &fx->src1, 0), 0);

	poison(f, 80, 90);   /* inside the picture */
	poison(f, 80, 10);   /* in a bar */
	poison(f, 240, 90);  /* the placeholder */
	assert_int_equal(canvas_draw(fx->c, 0, fx->red, &fx->src0, 1), 0);
	assert_int_equal(canvas_draw(fx->c, 1, NULL, &fx->src1, 0), 0);
	assert_true(poisoned(f, 80, 90));
	assert_true(poisoned(f, 80, 10));
	assert_true(poisoned(f, 240, 90));

	/* the same layout again changes nothing either */
	assert_int_equal(canvas_layout(fx->c, W, H, fx->tiles, 2), 0);
	assert_true(poisoned(f, 80, 90));
	assert_true(poisoned(f, 240, 90));
	assert_int_equal(canvas_draw(fx->c, 0, fx->red, &fx->src0, 1), 0);
	assert_true(poisoned(f, 80, 90));

	/* a new picture (generation) of the same source is drawn */
	assert_int_equal(canvas_draw(fx->c, 0, fx->red, &fx->src0, 2), 0);
	assert_false(poisoned(f, 80, 90));
	assert_near(*luma(f, 80, 90), RED_Y, TOL, "Y", 80, 90);
	assert_near(*chroma(f, 2, 80, 90), RED_V, TOL, "V", 80, 90);
	assert_true(poisoned(f, 240, 90)); /* the other tile is left alone */

	/* another source with the same generation is drawn, bars included */
	poison(f, 80, 90);
	assert_int_equal(canvas_draw(fx->c, 0, fx->red, &fx->src1, 2), 0);
	assert_near(*luma(f, 80, 90), RED_Y, TOL, "Y", 80, 90);
	assert_int_equal(*luma(f, 80, 10), BLACK_Y);
	assert_int_equal(*chroma(f, 1, 80, 10), MID);

	/* the placeholder comes back when the picture goes */
	assert_int_equal(canvas_draw(fx->c, 0, NULL, &fx->src1, 0), 0);
	assert_rect(f, &fx->tiles[0], GREY_Y, MID, MID, 0);
	/* and a picture replaces it */
	assert_int_equal(canvas_draw(fx->c, 1, fx->red, &fx->src0, 7), 0);
	struct layout_rect fit1;
	assert_int_equal(layout_fit(&fx->tiles[1], 320, 180, &fit1), 0);
	assert_rect(f, &fit1, RED_Y, RED_U, RED_V, TOL);
}

/* A sender shows the placeholder (source itself, generation 0) until its
 * first picture decodes; the picture then has black bars, not grey ones. */
static void test_placeholder_to_picture_clears_bars(void **state)
{
	struct fixture *fx = *state;
	const AVFrame *f = canvas_frame(fx->c);
	assert_int_equal(canvas_draw(fx->c, 0, NULL, &fx->src0, 0), 0);
	assert_int_equal(*luma(f, 80, 10), GREY_Y);
	assert_int_equal(canvas_draw(fx->c, 0, fx->red, &fx->src0, 1), 0);
	struct layout_rect fit = fit0(fx, 320, 180);
	assert_rect(f, &fit, RED_Y, RED_U, RED_V, TOL);
	struct layout_rect top = { 0, 0, 160, fit.y };
	struct layout_rect bottom = { 0, fit.y + fit.h, 160, H - fit.y - fit.h };
	assert_rect(f, &top, BLACK_Y, MID, MID, 0);
	assert_rect(f, &bottom, BLACK_Y, MID, MID, 0);
}

/* A source whose picture changes shape (a sender that turns its camera or
 * drops resolution) leaves nothing of its old picture in the new bars. */
static void test_new_aspect_clears_bars(void **state)
{
	struct fixture *fx = *state;
	const AVFrame *f = canvas_frame(fx->c);
	AVFrame *blue43 = fx->other = solid_picture(240, 180, BLUE_Y, BLUE_U, BLUE_V);
	assert_int_equal(canvas_draw(fx->c, 0, blue43, &fx->src0, 1), 0);
	struct layout_rect tall = fit0(fx, 240, 180);
	assert_rect(f, &tall, BLUE_Y, BLUE_U, BLUE_V, TOL);
	assert_int_equal(canvas_draw(fx->c, 0, fx->red, &fx->src0, 2), 0);
	struct layout_rect fit = fit0(fx, 320, 180);
	assert_true(tall.y < fit.y);
	assert_rect(f, &fit, RED_Y, RED_U, RED_V, TOL);
	struct layout_rect top = { 0, 0, 160, fit.y };
	assert_rect(f, &top, BLACK_Y, MID, MID, 0);
}

static void test_new_layout_clears(void **state)
{
	struct fixture *fx = *state;
	const AVFrame *f = canvas_frame(fx->c);
	assert_int_equal(canvas_draw(fx->c, 0, fx->red, &fx->src0, 1), 0);
	assert_int_equal(canvas_draw(fx->c, 1, NULL, &fx->src1, 0), 0);

	/* one tile now: the whole canvas black until drawn */
	struct layout_rect one;
	assert_int_equal(layout_tiles(LAYOUT_GRID, 1, 0, W, H, &one), 1);
	assert_int_equal(canvas_layout(fx->c, W, H, &one, 1), 0);
	f = canvas_frame(fx->c);
	struct layout_rect all = { 0, 0, W, H };
	assert_rect(f, &all, BLACK_Y, MID, MID, 0);
	/* tile 1 is gone */
	assert_int_equal(canvas_draw(fx->c, 1, NULL, &fx->src1, 0), MCU_EINVAL);
	/* and tile 0 is drawn again although its source and generation are
	 * the same as before the new layout */
	assert_int_equal(canvas_draw(fx->c, 0, fx->red, &fx->src0, 1), 0);
	assert_rect(f, &all, RED_Y, RED_U, RED_V, TOL);

	/* the same tiles at another position: also a new layout */
	struct layout_rect moved[2] = { fx->tiles[1], fx->tiles[0] };
	assert_int_equal(canvas_layout(fx->c, W, H, moved, 2), 0);
	assert_rect(f, &all, BLACK_Y, MID, MID, 0);

	/* a new size: a new frame of that size, black */
	struct layout_rect small;
	assert_int_equal(layout_tiles(LAYOUT_GRID, 1, 0, 160, 90, &small), 1);
	assert_int_equal(canvas_layout(fx->c, 160, 90, &small, 1), 0);
	f = canvas_frame(fx->c);
	assert_int_equal(f->width, 160);
	assert_int_equal(f->height, 90);
	struct layout_rect all_small = { 0, 0, 160, 90 };
	assert_rect(f, &all_small, BLACK_Y, MID, MID, 0);
	assert_int_equal(canvas_draw(fx->c, 0, fx->red, &fx->src0, 1), 0);
	assert_rect(f, &all_small, RED_Y, RED_U, RED_V, TOL);

	/* no tiles at all: a black canvas, nothing to draw */
	assert_int_equal(canvas_layout(fx->c, W, H, NULL, 0), 0);
	f = canvas_frame(fx->c);
	assert_rect(f, &all, BLACK_Y, MID, MID, 0);
	assert_int_equal(canvas_draw(fx->c, 0, fx->red, &fx->src0, 2), MCU_EINVAL);
}

static void test_scale(void **state)
{
	struct fixture *fx = *state;
	assert_int_equal(canvas_draw(fx->c, 0, fx->red, &fx->src0, 1), 0);
	assert_int_equal(canvas_draw(fx->c, 1, NULL, &fx->src1, 0), 0);
	const AVFrame *f = canvas_frame(fx->c);

	AVFrame *dst = av_frame_alloc();
	assert_non_null(dst);
	struct SwsContext *sws = NULL;
	assert_int_equal(canvas_scale(f, dst, 160, 90, &sws), 0);
	assert_null(sws); /* an exact halving is a box average, no swscale */
	assert_int_equal(dst->width, 160);
	assert_int_equal(dst->height, 90);
	assert_int_equal(dst->format, AV_PIX_FMT_YUV420P);
	/* the picture's middle (tile 0's fitted area at half size) */
	struct layout_rect pic = { 4, 26, 72, 38 };
	assert_rect(dst, &pic, RED_Y, RED_U, RED_V, TOL);
	/* the placeholder's middle */
	struct layout_rect grey = { 84, 4, 72, 82 };
	assert_rect(dst, &grey, GREY_Y, MID, MID, TOL);
	/* a bar's middle */
	struct layout_rect bar = { 4, 2, 72, 16 };
	assert_rect(dst, &bar, BLACK_Y, MID, MID, TOL);

	/* the next tick reuses the buffer; a new picture shows in it */
	uint8_t *buf = dst->data[0];
	assert_int_equal(canvas_draw(fx->c, 1, fx->red, &fx->src1, 1), 0);
	assert_int_equal(canvas_scale(f, dst, 160, 90, &sws), 0);
	assert_ptr_equal(dst->data[0], buf);
	struct layout_rect pic1 = { 84, 26, 72, 38 };
	assert_rect(dst, &pic1, RED_Y, RED_U, RED_V, TOL);

	/* another size reallocates */
	assert_int_equal(canvas_scale(f, dst, 64, 36, &sws), 0);
	assert_non_null(sws);
	assert_int_equal(dst->width, 64);
	assert_int_equal(dst->height, 36);
	struct layout_rect pic2 = { 4, 12, 24, 12 };
	assert_rect(dst, &pic2, RED_Y, RED_U, RED_V, TOL);

	sws_freeContext(sws);
	av_frame_free(&dst);
}

/* A picture of random samples (nothing a wrong filter could get right). */
static AVFrame *noise_picture(int w, int h, unsigned seed)
{
	AVFrame *f = solid_picture(w, h, 0, 0, 0);
	srand(seed);
	for (int p = 0; p < 3; p++)
		for (int r = 0; r < (p ? h / 2 : h); r++)
			for (int c = 0; c < (p ? w / 2 : w); c++)
				f->data[p][(size_t)r * f->linesize[p] + c] = (uint8_t)rand();
	return f;
}

/* The rounded 2x2 average of plane p of big at (x, y) of the half size. */
static int box(const AVFrame *big, int p, int x, int y)
{
	const uint8_t *s = big->data[p] + (size_t)(2 * y) * big->linesize[p] + 2 * x;
	return (s[0] + s[1] + s[big->linesize[p]] + s[big->linesize[p] + 1] + 2) / 4;
}

/* Every sample of r (luma coordinates of small) of small is the box
 * average of big, twice its size. */
static void assert_box_of(const AVFrame *small, const AVFrame *big, const struct layout_rect *r)
{
	for (int p = 0; p < 3; p++) {
		int d = p ? 2 : 1;
		for (int y = r->y / d; y < (r->y + r->h) / d; y++)
			for (int x = r->x / d; x < (r->x + r->w) / d; x++) {
				int got = small->data[p][(size_t)y * small->linesize[p] + x];
				if (got != box(big, p, x, y))
					fail_msg("plane %d at (%d,%d): %d, want %d", p, x, y, got,
						 box(big, p, x, y));
			}
	}
}

/* The fitted area fit of the canvas f is the box average of big, twice
 * its size. */
static void assert_fit_is_box_of(const AVFrame *f, const struct layout_rect *fit, const AVFrame *big)
{
	for (int p = 0; p < 3; p++) {
		int d = p ? 2 : 1;
		for (int y = 0; y < fit->h / d; y++)
			for (int x = 0; x < fit->w / d; x++)
				assert_int_equal(f->data[p][(size_t)(fit->y / d + y) * f->linesize[p] +
							    fit->x / d + x],
						 box(big, p, x, y));
	}
}

/* A 720p sender in a 640x360 grid cell, in small: drawn as the exact box
 * average; a picture of the fitted size is copied as it is. */
static void test_draw_half_and_same_size(void **state)
{
	struct fixture *fx = *state;
	const AVFrame *f = canvas_frame(fx->c);
	AVFrame *big = fx->other = noise_picture(320, 180, 1);
	assert_int_equal(canvas_draw(fx->c, 0, big, &fx->src0, 1), 0);
	struct layout_rect fit = fit0(fx, 320, 180);
	assert_fit_is_box_of(f, &fit, big);

	AVFrame *same = noise_picture(160, 90, 2);
	struct layout_rect fit1;
	assert_int_equal(layout_fit(&fx->tiles[1], 160, 90, &fit1), 0);
	assert_int_equal(fit1.w, 160);
	assert_int_equal(canvas_draw(fx->c, 1, same, &fx->src1, 1), 0);
	for (int p = 0; p < 3; p++) {
		int d = p ? 2 : 1;
		for (int y = 0; y < fit1.h / d; y++)
			assert_memory_equal(f->data[p] + (size_t)(fit1.y / d + y) * f->linesize[p] +
						    fit1.x / d,
					    same->data[p] + (size_t)y * same->linesize[p],
					    (size_t)(fit1.w / d));
	}
	av_frame_free(&same);
}

/* More than twice the fitted size: halved first. Four times the fit (a
 * 720p sender in a 4x4 grid) is two exact box averages; three times goes
 * on through swscale from the half, and keeps its colour. */
static void test_draw_quarter_and_third(void **state)
{
	struct fixture *fx = *state;
	const AVFrame *f = canvas_frame(fx->c);
	AVFrame *big = fx->other = noise_picture(640, 360, 3);
	assert_int_equal(canvas_draw(fx->c, 0, big, &fx->src0, 1), 0);
	struct layout_rect fit = fit0(fx, 640, 360);
	assert_int_equal(fit.w, 160);
	AVFrame *half = solid_picture(320, 180, 0, 0, 0);
	for (int p = 0; p < 3; p++) {
		int d = p ? 2 : 1;
		for (int y = 0; y < 180 / d; y++)
			for (int x = 0; x < 320 / d; x++)
				half->data[p][(size_t)y * half->linesize[p] + x] = (uint8_t)box(big, p, x, y);
	}
	assert_fit_is_box_of(f, &fit, half);
	av_frame_free(&half);

	/* 480x270 (odd half height) into tile 1's 160x90 */
	AVFrame *third = solid_picture(480, 270, RED_Y, RED_U, RED_V);
	assert_int_equal(canvas_draw(fx->c, 1, third, &fx->src1, 1), 0);
	struct layout_rect fit1;
	assert_int_equal(layout_fit(&fx->tiles[1], 480, 270, &fit1), 0);
	struct layout_rect inner = { fit1.x + 4, fit1.y + 4, fit1.w - 8, fit1.h - 8 };
	assert_rect(f, &inner, RED_Y, RED_U, RED_V, TOL);
	av_frame_free(&third);
}

/* A copy for a smaller profile redoes only the tiles drawn since it was
 * made (a poisoned sample elsewhere survives), and is then the box average
 * of the composite everywhere, also across tile edges that are not on a
 * multiple of 4 (the 2x2 grid's middle row is at y = 90); a new layout
 * redoes all of it. */
static void test_copy_redoes_changed_tiles(void **state)
{
	struct fixture *fx = *state;
	struct layout_rect grid[4];
	assert_int_equal(layout_tiles(LAYOUT_GRID, 4, 0, W, H, grid), 4);
	assert_int_equal(grid[2].y, 90);
	assert_int_equal(canvas_layout(fx->c, W, H, grid, 4), 0);
	const AVFrame *f = canvas_frame(fx->c);
	AVFrame *noise = fx->other = noise_picture(320, 180, 3);
	for (int i = 0; i < 4; i++)
		assert_int_equal(canvas_draw(fx->c, i, i == 1 ? NULL : fx->red, &fx->src0, 1), 0);

	const AVFrame *sd = NULL, *again = NULL;
	struct layout_rect all = { 0, 0, W / 2, H / 2 };
	assert_int_equal(canvas_copy(fx->c, 1, -1, W / 2, H / 2, &sd), 0);
	assert_int_equal(sd->width, W / 2);
	assert_int_equal(sd->height, H / 2);
	assert_box_of(sd, f, &all);

	/* nothing drawn: nothing redone */
	poison(sd, 40, 20);   /* tile 0 */
	poison(sd, 40, 70);   /* tile 2 */
	assert_int_equal(canvas_copy(fx->c, 1, -1, W / 2, H / 2, &again), 0);
	assert_ptr_equal(again, sd);
	assert_true(poisoned(sd, 40, 20));
	assert_true(poisoned(sd, 40, 70));

	/* tile 2 drawn anew: only it is redone */
	assert_int_equal(canvas_draw(fx->c, 2, noise, &fx->src1, 1), 0);
	assert_int_equal(canvas_copy(fx->c, 1, -1, W / 2, H / 2, &sd), 0);
	assert_true(poisoned(sd, 40, 20));
	assert_false(poisoned(sd, 40, 70));
	struct layout_rect lower = { 0, 44, W / 2, H / 2 - 44 };
	assert_box_of(sd, f, &lower);

	/* a copy of another size is scaled, and keeps the colours */
	const AVFrame *odd = NULL;
	assert_int_equal(canvas_copy(fx->c, 3, -1, 100, 56, &odd), 0);
	assert_int_equal(odd->width, 100);
	struct layout_rect red = { 4, 4, 40, 20 };     /* tile 0 */
	assert_rect(odd, &red, RED_Y, RED_U, RED_V, TOL);
	struct layout_rect grey = { 56, 4, 40, 20 };
	assert_rect(odd, &grey, GREY_Y, MID, MID, TOL);

	/* a new layout redoes everything */
	assert_int_equal(canvas_layout(fx->c, W, H, fx->tiles, 2), 0);
	assert_int_equal(canvas_copy(fx->c, 1, -1, W / 2, H / 2, &sd), 0);
	assert_false(poisoned(sd, 40, 20));
	assert_box_of(sd, f, &all);
}

/* sd from the composite, ld from sd: a copy shows what its source shows,
 * even when the source was not brought up to date first, and catches up
 * when it is. */
static void test_copy_chain(void **state)
{
	struct fixture *fx = *state;
	struct layout_rect one = { 0, 0, 640, 360 };
	assert_int_equal(canvas_layout(fx->c, 640, 360, &one, 1), 0);
	AVFrame *blue = fx->other = solid_picture(640, 360, BLUE_Y, BLUE_U, BLUE_V);
	AVFrame *red = solid_picture(640, 360, RED_Y, RED_U, RED_V);
	const AVFrame *sd = NULL, *ld = NULL;
	struct layout_rect sd_all = { 0, 0, 320, 180 }, ld_all = { 0, 0, 160, 90 };

	assert_int_equal(canvas_draw(fx->c, 0, red, &fx->src0, 1), 0);
	assert_int_equal(canvas_copy(fx->c, 1, -1, 320, 180, &sd), 0);
	assert_int_equal(canvas_copy(fx->c, 2, 1, 160, 90, &ld), 0);
	assert_box_of(ld, sd, &ld_all);
	assert_rect(ld, &ld_all, RED_Y, RED_U, RED_V, 0);

	/* the composite changes but sd is not made: ld stays as sd is */
	assert_int_equal(canvas_draw(fx->c, 0, blue, &fx->src0, 2), 0);
	assert_int_equal(canvas_copy(fx->c, 2, 1, 160, 90, &ld), 0);
	assert_rect(ld, &ld_all, RED_Y, RED_U, RED_V, 0);
	/* then both are */
	assert_int_equal(canvas_copy(fx->c, 1, -1, 320, 180, &sd), 0);
	assert_rect(sd, &sd_all, BLUE_Y, BLUE_U, BLUE_V, 0);
	assert_int_equal(canvas_copy(fx->c, 2, 1, 160, 90, &ld), 0);
	assert_rect(ld, &ld_all, BLUE_Y, BLUE_U, BLUE_V, 0);
	av_frame_free(&red);
}

static void test_copy_bad_arguments(void **state)
{
	(void)state;
	struct canvas *c = NULL;
	const AVFrame *out = NULL;
	assert_int_equal(canvas_create(&c), 0);
	/* nothing to copy before a layout */
	assert_int_equal(canvas_copy(c, 1, -1, 160, 90, &out), MCU_EINVAL);
	struct layout_rect one = { 0, 0, W, H };
	assert_int_equal(canvas_layout(c, W, H, &one, 1), 0);
	assert_int_equal(canvas_copy(c, -1, -1, 160, 90, &out), MCU_EINVAL);
	assert_int_equal(canvas_copy(c, CANVAS_COPIES, -1, 160, 90, &out), MCU_EINVAL);
	assert_int_equal(canvas_copy(c, 1, 1, 160, 90, &out), MCU_EINVAL);
	assert_int_equal(canvas_copy(c, 1, -2, 160, 90, &out), MCU_EINVAL);
	assert_int_equal(canvas_copy(c, 1, CANVAS_COPIES, 160, 90, &out), MCU_EINVAL);
	assert_int_equal(canvas_copy(c, 1, 2, 80, 44, &out), MCU_EINVAL); /* 2 never made */
	assert_int_equal(canvas_copy(c, 1, -1, 161, 90, &out), MCU_EINVAL);
	assert_int_equal(canvas_copy(c, 1, -1, 160, 0, &out), MCU_EINVAL);
	assert_null(out);
	assert_int_equal(canvas_copy(c, 1, -1, 160, 90, &out), 0);
	assert_non_null(out);
	assert_int_equal(canvas_copy(c, 2, 1, 80, 44, &out), 0);
	canvas_destroy(c);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	struct canvas *c = NULL;
	assert_int_equal(canvas_create(&c), 0);
	AVFrame *red = solid_picture(64, 36, RED_Y, RED_U, RED_V);
	int src;

	/* nothing to draw on before a layout */
	assert_int_equal(canvas_draw(c, 0, red, &src, 1), MCU_EINVAL);
	assert_int_equal(canvas_draw(c, 0, NULL, &src, 0), MCU_EINVAL);

	struct layout_rect tiles[LAYOUT_MAX_TILES + 1];
	assert_int_equal(layout_tiles(LAYOUT_GRID, 2, 0, W, H, tiles), 2);
	assert_int_equal(canvas_layout(c, W + 1, H, tiles, 2), MCU_EINVAL);
	assert_int_equal(canvas_layout(c, W, H + 1, tiles, 2), MCU_EINVAL);
	assert_int_equal(canvas_layout(c, 0, H, tiles, 2), MCU_EINVAL);
	assert_int_equal(canvas_layout(c, W, -2, tiles, 2), MCU_EINVAL);
	assert_int_equal(canvas_layout(c, W, H, tiles, -1), MCU_EINVAL);
	assert_int_equal(canvas_layout(c, W, H, tiles, LAYOUT_MAX_TILES + 1), MCU_EINVAL);
	/* still nothing to draw on */
	assert_int_equal(canvas_draw(c, 0, red, &src, 1), MCU_EINVAL);

	assert_int_equal(canvas_layout(c, W, H, tiles, 2), 0);
	assert_int_equal(canvas_draw(c, -1, red, &src, 1), MCU_EINVAL);
	assert_int_equal(canvas_draw(c, 2, red, &src, 1), MCU_EINVAL);
	assert_int_equal(canvas_draw(c, LAYOUT_MAX_TILES, red, &src, 1), MCU_EINVAL);

	/* a picture of no size */
	AVFrame *empty = av_frame_alloc();
	assert_non_null(empty);
	empty->format = AV_PIX_FMT_YUV420P;
	assert_int_equal(canvas_draw(c, 0, empty, &src, 1), MCU_EINVAL);
	av_frame_free(&empty);

	/* the good calls still work afterwards */
	assert_int_equal(canvas_draw(c, 1, red, &src, 1), 0);
	av_frame_free(&red);
	canvas_destroy(c);
	canvas_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_draw_picture_and_placeholder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unchanged_is_not_redrawn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_placeholder_to_picture_clears_bars, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_aspect_clears_bars, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_layout_clears, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_draw_half_and_same_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_draw_quarter_and_third, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_redoes_changed_tiles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_chain, setup, teardown),
		cmocka_unit_test(test_copy_bad_arguments),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
