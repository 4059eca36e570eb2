/*
 * sdpwriter.h - SDP answers written into the caller's buffer.
 *
 * Both answer modules (sdpanswer.h for WebRTC, sdprtp.h for plain RTP)
 * write their text line by line through one of these. A line that does not
 * fit marks the writer as overflowed and every later one is skipped, so a
 * writer never leaves a truncated answer: sdpwriter_end() turns the overflow
 * into an error and an empty buffer.
 *
 * The struct is public because it lives on the caller's stack for the one
 * answer it writes (nothing is allocated); its fields are the writer's own.
 * Thread: any (one writer is used by one thread).
 */
#ifndef MCU_SDPWRITER_H
#define MCU_SDPWRITER_H

#include <stdbool.h>
#include <stddef.h>

struct sdpwriter {
	char *buf;                  /* borrowed: the caller's buffer */
	size_t size;                /* its size in bytes, > 0 */
	size_t len;                 /* bytes written so far, without the NUL */
	bool overflow;              /* some text did not fit */
};

/* Appends printf-style text to w->buf, NUL-terminated. Text that does not
 * fit in full marks the writer as overflowed (the buffer then holds a cut
 * line until sdpwriter_end() empties it) and nothing after it is written. */
void sdpwriter_put(struct sdpwriter *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Ends the text: returns its length in bytes (without the NUL), or
 * MCU_EINVAL with w->buf emptied when some of it did not fit. */
int sdpwriter_end(struct sdpwriter *w);

#endif
