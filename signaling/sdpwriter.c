/*
 * sdpwriter.c - see sdpwriter.h.
 */
#include "sdpwriter.h"
#include "base/err.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

void sdpwriter_put(struct sdpwriter *w, const char *fmt, ...)
{
	if (w->overflow)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(w->buf + w->len, w->size - w->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->size - w->len) {
		w->overflow = true;
		return;
	}
	w->len += (size_t)n;
}

int sdpwriter_end(struct sdpwriter *w)
{
	/* The length travels back as an int, like every other return here. */
	if (w->overflow || w->len > INT32_MAX) {
		w->buf[0] = '\0';
		return MCU_EINVAL;
	}
	return (int)w->len;
}
