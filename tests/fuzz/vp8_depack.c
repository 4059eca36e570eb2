/*
 * vp8_depack.c - fuzzes the VP8 depacketizer (codecs/vp8pkt.c). Links
 * codecs/vp8pkt.o and mcu/err.o only.
 *
 * The input is a list of RTP payloads, each a length byte followed by that
 * many bytes (the last one takes what is left), fed to
 * vp8pkt_depack_begin/add/end into a 64 KiB buffer and again into a buffer
 * only as large as the first byte says, so the "out is full" path runs
 * with ASan watching the exact-size heap buffer.
 *
 * Checks beyond "no crash": results are those the header allows; the frame
 * never grows past cap; a frame that ends well started, is not broken and
 * is no longer than the payload bytes handed in, and its keyframe flag is
 * the P bit of its first byte.
 */
#include "codecs/vp8pkt.h"
#include "base/err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: check failed: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

#define FRAME_CAP (64 * 1024)

static void depack(const uint8_t *data, size_t size, size_t cap)
{
	uint8_t *out = cap ? malloc(cap) : NULL;
	CHECK(!cap || out);
	struct vp8_depack d;
	vp8pkt_depack_begin(&d, out, cap);
	size_t pos = 0, fed = 0;
	while (pos < size) {
		size_t n = data[pos++];
		if (n > size - pos)
			n = size - pos;
		int rc = vp8pkt_depack_add(&d, data + pos, n);
		CHECK(rc == 0 || rc == MCU_EPROTO || rc == MCU_ELIMIT);
		CHECK(d.len <= cap);
		fed += n;
		pos += n;
	}
	int len = vp8pkt_depack_end(&d);
	CHECK(len == MCU_EPROTO || (len > 0 && (size_t)len == d.len));
	if (len > 0) {
		CHECK(d.started && !d.broken && (size_t)len < fed);
		CHECK(d.keyframe == !(out[0] & 0x01)); /* the frame tag's P bit */
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	depack(data, size, FRAME_CAP);
	if (size > 0)
		depack(data, size, data[0]);
	return 0;
}
