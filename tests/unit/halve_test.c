/* halve_test.c - the 2x2 box downscale: known blocks give their rounded
 * averages without overflow, odd widths and heights repeat the edge, rows
 * wide enough for the vectorized blocks match a plain reference, strides are
 * honoured and nothing outside the output is written, and a 4:2:0 picture
 * of odd size gets its chroma halved to the rounded-up sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mixer/halve.h"

#include <stdlib.h>
#include <string.h>

#define GUARD 0xA5

/* The definition, sample by sample, with the edge repeated. */
static uint8_t reference(const uint8_t *src, int stride, int w, int h, int x, int y)
{
	int x1 = 2 * x + 1 < w ? 2 * x + 1 : 2 * x;
	int y1 = 2 * y + 1 < h ? 2 * y + 1 : 2 * y;
	int sum = src[2 * y * stride + 2 * x] + src[2 * y * stride + x1] +
		  src[y1 * stride + 2 * x] + src[y1 * stride + x1];
	return (uint8_t)((sum + 2) / 4);
}

static void test_known_blocks(void **state)
{
	(void)state;
	const uint8_t src[4 * 4] = {
		1, 2,     0, 0,
		3, 4,     0, 1,
		255, 255, 1, 1,
		255, 255, 1, 0,
	};
	uint8_t dst[2 * 2];
	memset(dst, GUARD, sizeof(dst));
	halve_plane(dst, 2, src, 4, 4, 4);
	assert_int_equal(dst[0], 3);    /* 10 / 4 = 2.5 rounds up */
	assert_int_equal(dst[1], 0);    /* 1 / 4 rounds down */
	assert_int_equal(dst[2], 255);  /* no overflow */
	assert_int_equal(dst[3], 1);    /* 3 / 4 rounds up */
}

static void test_odd_sizes_repeat_the_edge(void **state)
{
	(void)state;
	/* 5 x 3: output 3 x 2 */
	const uint8_t src[3 * 5] = {
		10, 20, 30, 40, 51,
		10, 20, 30, 40, 60,
		100, 0, 7, 9, 200,
	};
	uint8_t dst[2 * 4];
	memset(dst, GUARD, sizeof(dst));
	halve_plane(dst, 4, src, 5, 5, 3);
	assert_int_equal(dst[0], 15);
	assert_int_equal(dst[1], 35);
	assert_int_equal(dst[2], 56);   /* last column: (51 + 60 + 1) / 2 */
	assert_int_equal(dst[3], GUARD); /* past the row: untouched */
	assert_int_equal(dst[4], 50);   /* last row with itself: (100 + 0) / 2 */
	assert_int_equal(dst[5], 8);    /* (7 + 9) / 2 */
	assert_int_equal(dst[6], 200);  /* the corner repeats both ways */
	assert_int_equal(dst[7], GUARD);

	/* a single sample */
	uint8_t one = 77, out = 0;
	halve_plane(&out, 1, &one, 1, 1, 1);
	assert_int_equal(out, 77);
}

/* Wide rows go through the vectorized blocks and the leftover loop: every
 * sample must still be the definition's, with strides wider than the rows
 * and the bytes between rows left alone. */
static void test_wide_rows_match_reference(void **state)
{
	(void)state;
	static const int widths[] = { 2, 31, 32, 33, 64, 101, 130, 255, 1280 };
	static const int heights[] = { 2, 3, 9 };
	srand(7);
	for (size_t wi = 0; wi < sizeof(widths) / sizeof(widths[0]); wi++) {
		for (size_t hi = 0; hi < sizeof(heights) / sizeof(heights[0]); hi++) {
			int w = widths[wi], h = heights[hi];
			int ss = w + 13, ow = (w + 1) / 2, oh = (h + 1) / 2, ds = ow + 7;
			uint8_t *src = malloc((size_t)ss * h);
			uint8_t *dst = malloc((size_t)ds * oh);
			assert_non_null(src);
			assert_non_null(dst);
			for (int i = 0; i < ss * h; i++)
				src[i] = (uint8_t)rand();
			memset(dst, GUARD, (size_t)ds * oh);
			halve_plane(dst, ds, src, ss, w, h);
			for (int y = 0; y < oh; y++) {
				for (int x = 0; x < ow; x++) {
					uint8_t want = reference(src, ss, w, h, x, y);
					if (dst[y * ds + x] != want)
						fail_msg("%dx%d at (%d,%d): %d, want %d", w, h, x, y,
							 dst[y * ds + x], want);
				}
				for (int x = ow; x < ds; x++)
					assert_int_equal(dst[y * ds + x], GUARD);
			}
			free(src);
			free(dst);
		}
	}
}

/* A 7 x 5 picture: luma 4 x 3 out, chroma 4 x 3 in and 2 x 2 out. */
static void test_yuv420_odd_picture(void **state)
{
	(void)state;
	uint8_t y[5 * 7], u[3 * 4], v[3 * 4];
	for (int i = 0; i < 35; i++)
		y[i] = (uint8_t)(i * 7);
	for (int i = 0; i < 12; i++) {
		u[i] = (uint8_t)(200 - i * 9);
		v[i] = (uint8_t)(i * 13);
	}
	uint8_t oy[3 * 8], ou[2 * 8], ov[2 * 8];
	memset(oy, GUARD, sizeof(oy));
	memset(ou, GUARD, sizeof(ou));
	memset(ov, GUARD, sizeof(ov));
	const uint8_t *const src[3] = { y, u, v };
	const int src_stride[3] = { 7, 4, 4 };
	uint8_t *const dst[3] = { oy, ou, ov };
	const int dst_stride[3] = { 8, 8, 8 };
	halve_yuv420(dst, dst_stride, src, src_stride, 7, 5);
	for (int r = 0; r < 3; r++)
		for (int c = 0; c < 8; c++)
			assert_int_equal(oy[r * 8 + c], c < 4 ? reference(y, 7, 7, 5, c, r) : GUARD);
	for (int r = 0; r < 2; r++)
		for (int c = 0; c < 8; c++) {
			assert_int_equal(ou[r * 8 + c], c < 2 ? reference(u, 4, 4, 3, c, r) : GUARD);
			assert_int_equal(ov[r * 8 + c], c < 2 ? reference(v, 4, 4, 3, c, r) : GUARD);
		}
	/* a chroma value checked by hand: rows 2 and 2 of u, columns 0-1 */
	assert_int_equal(ou[8], (uint8_t)((200 - 72 + 200 - 81 + 1) / 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_blocks),
		cmocka_unit_test(test_odd_sizes_repeat_the_edge),
		cmocka_unit_test(test_wide_rows_match_reference),
		cmocka_unit_test(test_yuv420_odd_picture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
