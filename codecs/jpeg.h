/*
 * jpeg.h - one still picture as JPEG (libavcodec's MJPEG encoder), for the
 * room snapshot of API.md section 2.
 */
#ifndef MCU_JPEG_H
#define MCU_JPEG_H

#include <stddef.h>
#include <stdint.h>

struct AVFrame;

/*
 * Encodes frame (YUV420P, limited range as the room draws it; borrowed)
 * into a new JPEG in *out (malloc'd, the caller frees) of *len bytes,
 * converting to full range as JPEG readers expect. Returns 0, MCU_EINVAL,
 * MCU_ENOMEM or MCU_EIO. Thread: any (it keeps no state).
 */
int jpeg_encode(const struct AVFrame *frame, uint8_t **out, size_t *len);

#endif
