/*
 * canvas.c - see canvas.h.
 *
 * DESIGN: each tile remembers what it last showed (source pointer,
 * generation, placeholder or not). Scaling writes straight into the canvas
 * planes at the fitted rectangle's offset, so no intermediate picture is
 * made; one cached swscale context per tile follows its source's size.
 */
#include "canvas.h"
#include "mcu/err.h"

#include <libavutil/frame.h>
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
	bool drawn;
	bool placeholder;          /* what is drawn is the grey placeholder */
	int pic_w, pic_h;          /* size of the picture drawn */
	struct SwsContext *sws;
};

struct canvas {
	AVFrame *frame;
	struct tile tiles[LAYOUT_MAX_TILES];
	int n_tiles;
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
	*out = c;
	return 0;
}

void canvas_destroy(struct canvas *c)
{
	if (!c)
		return;
	for (int i = 0; i < LAYOUT_MAX_TILES; i++)
		sws_freeContext(c->tiles[i].sws);
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
	return 0;
}

static int draw_picture(struct canvas *c, struct tile *t, const AVFrame *pic)
{
	struct layout_rect fit;
	if (layout_fit(&t->rect, pic->width, pic->height, &fit))
		return MCU_EINVAL;
	if (fit.w < 2 || fit.h < 2)
		return 0;
	t->sws = sws_getCachedContext(t->sws, pic->width, pic->height, pic->format, fit.w, fit.h,
				      AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
	if (!t->sws)
		return MCU_ENOMEM;
	AVFrame *f = c->frame;
	uint8_t *dst[4] = {
		f->data[0] + (size_t)fit.y * f->linesize[0] + fit.x,
		f->data[1] + (size_t)(fit.y / 2) * f->linesize[1] + fit.x / 2,
		f->data[2] + (size_t)(fit.y / 2) * f->linesize[2] + fit.x / 2,
		NULL,
	};
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

int canvas_scale(const AVFrame *src, AVFrame *dst, int w, int h, struct SwsContext **sws)
{
	if (dst->width != w || dst->height != h || !dst->data[0]) {
		if (alloc_frame(dst, w, h))
			return MCU_ENOMEM;
	}
	*sws = sws_getCachedContext(*sws, src->width, src->height, src->format, w, h,
				    AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
	if (!*sws)
		return MCU_ENOMEM;
	sws_scale(*sws, (const uint8_t *const *)src->data, src->linesize, 0, src->height, dst->data,
		  dst->linesize);
	return 0;
}
