/*
 * halve.h - picture downscaling by exactly two with a 2x2 box average.
 *
 * The composite's smaller profiles (hd 1280x720 -> sd 640x360 -> ld
 * 320x180) and a 720p sender in a 2x2 grid tile are exact halvings. For
 * those an average of each 2x2 block is as good as bilinear (no aliasing
 * worth the name at 2:1) and several times cheaper than swscale: the
 * inner loop is plain C the compiler vectorizes. Pure functions, no state.
 * Thread: any.
 */
#ifndef MCU_HALVE_H
#define MCU_HALVE_H

#include <stdint.h>

/*
 * Writes the (w + 1) / 2 x (h + 1) / 2 plane dst, each sample the rounded
 * average of a 2x2 block of the w x h plane src (w, h >= 1). An odd last
 * column or row is averaged with itself, as if the edge were repeated.
 * Strides in bytes; the planes must not overlap.
 */
void halve_plane(uint8_t *restrict dst, int dst_stride, const uint8_t *restrict src,
		 int src_stride, int w, int h);

/*
 * Halves a w x h YUV 4:2:0 picture (planes src[0..2], chroma planes of
 * (w + 1) / 2 x (h + 1) / 2) into dst[0..2], whose luma is then
 * (w + 1) / 2 x (h + 1) / 2 and chroma half that, rounded up. The pointers
 * may point into larger pictures (a tile, a region): only those samples
 * are read and written.
 */
void halve_yuv420(uint8_t *const dst[3], const int dst_stride[3], const uint8_t *const src[3],
		  const int src_stride[3], int w, int h);

#endif
