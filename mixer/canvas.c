/*
 * canvas.c - see canvas.h.
 *
 * DESIGN: each tile remembers what it last showed (source pointer,
 * generation, placeholder or not) and counts its redraws. Scaling writes
 * straight into the canvas planes at the fitted rectangle's offset, so no
 * intermediate picture is made; one cached swscale context per tile
 * follows its source's size. A 720p sender in a 2x2 grid of a 720p canvas
 * is an exact halving, done with halve.h's box average at a fraction of
 * swscale's cost. A picture more than twice its fitted size is first
 * halved into the tile's scratch picture: a 720p sender in a 4x4 grid is
 * then two exact halvings, and in a 3x3 grid swscale reads a quarter of
 * the samples with a filter half as wide.
 *
 * The copies for smaller profiles remember the layout (epoch) and each
 * tile's redraw count they show; bringing one up to date halves only the
 * tiles whose count moved, or scales everything when the sizes are not
 * 2:1. A tile's redrawn area is its rectangle widened to multiples of 4 so
 * that the halved chroma samples it touches are whole.
 */
#include "canvas.h"
#include "halve.h"
#include "base/err.h"

#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <stdlib.h>
#include <string.h>

#define BLACK_Y 16
#define GREY_Y 48
#define CHROMA_MID 128

struct tile {
	struct layout_rect rect;
	const void *source;
	uint64_t generation;
	uint64_t redraws;          /* times its area was written */
	bool drawn;
	bool placeholder;          /* what is drawn is the grey placeholder */
	int pic_w, pic_h;          /* size of the picture drawn */
	struct SwsContext *sws;
	AVFrame *half;             /* a picture over twice the fit, halved */
};

/* A smaller copy of the composite and what of it the copy shows. */
struct copy {
	AVFrame *frame;
	struct SwsContext *sws;
	uint64_t epoch;                      /* 0: shows nothing yet */
	uint64_t redraws[LAYOUT_MAX_TILES];
};

struct canvas {
	AVFrame *frame;
	struct tile tiles[LAYOUT_MAX_TILES];
	int n_tiles;
	uint64_t epoch;            /* counts clears of the whole canvas, from 1 */
	struct copy copies[CANVAS_COPIES];
};

int canvas_create(struct canvas **out)
{
	struct canvas *c = calloc(1, sizeof(*c));
	if (!c)
		return MCU_ENOMEM;
	c->frame = av_frame_alloc();
	if (!c->frame) {
		free(c);
		return MCU_ENOMEM;
	}
	c->epoch = 1;
	*out = c;
	return 0;
}

void canvas_destroy(struct canvas *c)
{
	if (!c)
		return;
	for (int i = 0; i < LAYOUT_MAX_TILES; i++) {
		sws_freeContext(c->tiles[i].sws);
		av_frame_free(&c->tiles[i].half);
	}
	for (int k = 0; k < CANVAS_COPIES; k++) {
		av_frame_free(&c->copies[k].frame);
		sws_freeContext(c->copies[k].sws);
	}
	av_frame_free(&c->frame);
	free(c);
}

/* Fills a rectangle of a YUV420P frame with one colour. */
static void fill_rect(AVFrame *f, const struct layout_rect *r, uint8_t y, uint8_t uv)
{
	for (int row = 0; row < r->h; row++)
		memset(f->data[0] + (size_t)(r->y + row) * f->linesize[0] + r->x, y, (size_t)r->w);
	for (int p = 1; p < 3; p++)
		for (int row = 0; row < r->h / 2; row++)
			memset(f->data[p] + (size_t)(r->y / 2 + row) * f->linesize[p] + r->x / 2, uv,
			       (size_t)r->w / 2);
}

static int alloc_frame(AVFrame *f, int w, int h)
{
	av_frame_unref(f);
	f->format = AV_PIX_FMT_YUV420P;
	f->width = w;
	f->height = h;
	return av_frame_get_buffer(f, 0) < 0 ? MCU_ENOMEM : 0;
}

int canvas_layout(struct canvas *c, int w, int h, const struct layout_rect *tiles, int n)
{
	if (n < 0 || n > LAYOUT_MAX_TILES || w < 2 || h < 2 || (w | h) & 1)
		return MCU_EINVAL;
	bool resized = c->frame->width != w || c->frame->height != h || !c->frame->data[0];
	bool moved = n != c->n_tiles;
	for (int i = 0; i < n && !moved; i++)
		moved = memcmp(&tiles[i], &c->tiles[i].rect, sizeof(tiles[i])) != 0;
	if (!resized && !moved)
		return 0;
	if (resized && alloc_frame(c->frame, w, h))
		return MCU_ENOMEM;
	struct layout_rect all = { 0, 0, w, h };
	fill_rect(c->frame, &all, BLACK_Y, CHROMA_MID);
	for (int i = 0; i < LAYOUT_MAX_TILES; i++) {
		c->tiles[i].drawn = false;
		if (i < n)
			c->tiles[i].rect = tiles[i];
	}
	c->n_tiles = n;
	c->epoch++;
	return 0;
}

/* The planes of f at luma position (x, y), both even. */
static void planes_at(const AVFrame *f, int x, int y, uint8_t *out[3])
{
	out[0] = f->data[0] + (ptrdiff_t)y * f->linesize[0] + x;
	for (int p = 1; p < 3; p++)
		out[p] = f->data[p] + (ptrdiff_t)(y / 2) * f->linesize[p] + x / 2;
}

/* Halves pic into t->half (made or resized as needed). */
static int halve_to_scratch(struct tile *t, const AVFrame *pic)
{
	int w = (pic->width + 1) / 2, h = (pic->height + 1) / 2;
	if (!t->half && !(t->half = av_frame_alloc()))
		return MCU_ENOMEM;
	if ((t->half->width != w || t->half->height != h || !t->half->data[0]) &&
	    alloc_frame(t->half, w, h))
		return MCU_ENOMEM;
	halve_yuv420(t->half->data, t->half->linesize, (const uint8_t *const *)pic->data,
		     pic->linesize, pic->width, pic->height);
	return 0;
}

static int draw_picture(struct canvas *c, struct tile *t, const AVFrame *pic)
{
	struct layout_rect fit;
	if (layout_fit(&t->rect, pic->width, pic->height, &fit))
		return MCU_EINVAL;
	if (fit.w < 2 || fit.h < 2)
		return 0;
	AVFrame *f = c->frame;
	uint8_t *dst[3];
	planes_at(f, fit.x, fit.y, dst);
	/* Full-range (YUVJ) pictures go through swscale, which converts them
	 * to the canvas's limited range. */
	bool plain = pic->format == AV_PIX_FMT_YUV420P;
	if (plain && pic->width >= 2 * fit.w && pic->height >= 2 * fit.h &&
	    (pic->width != 2 * fit.w || pic->height != 2 * fit.h)) {
		int rc = halve_to_scratch(t, pic);
		if (rc)
			return rc;
		pic = t->half;
	}
	if (plain && pic->width == 2 * fit.w && pic->height == 2 * fit.h) {
		halve_yuv420(dst, f->linesize, (const uint8_t *const *)pic->data, pic->linesize,
			     pic->width, pic->height);
		return 0;
	}
	if (plain && pic->width == fit.w && pic->height == fit.h) {
		for (int p = 0; p < 3; p++)
			av_image_copy_plane(dst[p], f->linesize[p], pic->data[p], pic->linesize[p],
					    p ? fit.w / 2 : fit.w, p ? fit.h / 2 : fit.h);
		return 0;
	}
	t->sws = sws_getCachedContext(t->sws, pic->width, pic->height, pic->format, fit.w, fit.h,
				      AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
	if (!t->sws)
		return MCU_ENOMEM;
	sws_scale(t->sws, (const uint8_t *const *)pic->data, pic->linesize, 0, pic->height, dst,
		  f->linesize);
	return 0;
}

int canvas_draw(struct canvas *c, int i, const AVFrame *picture, const void *source,
		uint64_t generation)
{
	if (i < 0 || i >= c->n_tiles || !c->frame->data[0])
		return MCU_EINVAL;
	struct tile *t = &c->tiles[i];
	if (t->drawn && t->source == source && t->generation == generation)
		return 0;
	/* A picture covers only its fitted area: clear the bars first unless
	 * the last one drawn here had the same source and size, and so covered
	 * exactly the same area. */
	bool same_area = t->drawn && !t->placeholder && t->source == source && picture &&
			 picture->width == t->pic_w && picture->height == t->pic_h;
	t->redraws++; /* before anything is written: a copy must redo it */
	if (!same_area)
		fill_rect(c->frame, &t->rect, picture ? BLACK_Y : GREY_Y, CHROMA_MID);
	int rc = picture ? draw_picture(c, t, picture) : 0;
	if (rc)
		return rc;
	t->source = source;
	t->generation = generation;
	t->drawn = true;
	t->placeholder = !picture;
	t->pic_w = picture ? picture->width : 0;
	t->pic_h = picture ? picture->height : 0;
	return 0;
}

const AVFrame *canvas_frame(const struct canvas *c)
{
	return c->frame;
}

static bool is_half(const AVFrame *src, int w, int h)
{
	return src->format == AV_PIX_FMT_YUV420P && src->width == 2 * w && src->height == 2 * h;
}

/* Scales all of src into dst (of its final size) with *sws. */
static int scale_all(const AVFrame *src, AVFrame *dst, struct SwsContext **sws)
{
	if (is_half(src, dst->width, dst->height)) {
		halve_yuv420(dst->data, dst->linesize, (const uint8_t *const *)src->data,
			     src->linesize, src->width, src->height);
		return 0;
	}
	*sws = sws_getCachedContext(*sws, src->width, src->height, src->format, dst->width,
				    dst->height, AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
	if (!*sws)
		return MCU_ENOMEM;
	sws_scale(*sws, (const uint8_t *const *)src->data, src->linesize, 0, src->height, dst->data,
		  dst->linesize);
	return 0;
}

/* Halves the part of src under r (src coordinates) into dst, src being
 * exactly twice dst's size. */
static void halve_rect(const AVFrame *src, AVFrame *dst, const struct layout_rect *r)
{
	int x0 = r->x & ~3, y0 = r->y & ~3;
	int x1 = (r->x + r->w + 3) & ~3, y1 = (r->y + r->h + 3) & ~3;
	if (x1 > src->width)
		x1 = src->width;
	if (y1 > src->height)
		y1 = src->height;
	if (x1 <= x0 || y1 <= y0)
		return;
	uint8_t *s[3], *d[3];
	planes_at(src, x0, y0, s);
	planes_at(dst, x0 / 2, y0 / 2, d);
	halve_yuv420(d, dst->linesize, (const uint8_t *const *)s, src->linesize, x1 - x0, y1 - y0);
}

int canvas_copy(struct canvas *c, int k, int from, int w, int h, const AVFrame **out)
{
	if (k < 0 || k >= CANVAS_COPIES || from < -1 || from >= CANVAS_COPIES || from == k ||
	    w < 2 || h < 2 || (w | h) & 1 || !c->frame->data[0])
		return MCU_EINVAL;
	struct copy *d = &c->copies[k];
	const AVFrame *src = c->frame;
	uint64_t epoch = c->epoch;
	uint64_t redraws[LAYOUT_MAX_TILES] = { 0 };
	for (int i = 0; i < c->n_tiles; i++)
		redraws[i] = c->tiles[i].redraws;
	if (from >= 0) {
		const struct copy *s = &c->copies[from];
		if (!s->epoch)
			return MCU_EINVAL;
		src = s->frame;
		epoch = s->epoch;
		memcpy(redraws, s->redraws, sizeof(redraws));
	}
	if (!d->frame && !(d->frame = av_frame_alloc()))
		return MCU_ENOMEM;
	if (d->frame->width != w || d->frame->height != h || !d->frame->data[0]) {
		d->epoch = 0;
		if (alloc_frame(d->frame, w, h))
			return MCU_ENOMEM;
	}
	/* Tile by tile only when the tiles are those of the layout both show. */
	bool by_tile = d->epoch == epoch && epoch == c->epoch && is_half(src, w, h);
	bool changed = d->epoch != epoch;
	for (int i = 0; i < c->n_tiles && !changed; i++)
		changed = d->redraws[i] != redraws[i];
	if (changed && by_tile) {
		for (int i = 0; i < c->n_tiles; i++)
			if (d->redraws[i] != redraws[i])
				halve_rect(src, d->frame, &c->tiles[i].rect);
	} else if (changed) {
		d->epoch = 0; /* a failed scale leaves a picture of nothing */
		if (scale_all(src, d->frame, &d->sws))
			return MCU_ENOMEM;
	}
	d->epoch = epoch;
	memcpy(d->redraws, redraws, sizeof(redraws));
	*out = d->frame;
	return 0;
}

int canvas_scale(const AVFrame *src, AVFrame *dst, int w, int h, struct SwsContext **sws)
{
	if (dst->width != w || dst->height != h || !dst->data[0]) {
		if (alloc_frame(dst, w, h))
			return MCU_ENOMEM;
	}
	return scale_all(src, dst, sws);
}
