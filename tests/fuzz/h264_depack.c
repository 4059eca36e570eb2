/*
 * h264_depack.c - fuzzes codecs/h264pkt.c both ways. Links
 * codecs/h264pkt.o and mcu/err.o only.
 *
 * Depacketizing: the input is a list of RTP payloads, each a length byte
 * followed by that many bytes (the last one takes what is left), fed to
 * h264pkt_depack_begin/add/end into a 64 KiB buffer, and again into a buffer
 * only as large as the first byte says, so the "out is full" paths run
 * with ASan watching the exact-size heap buffer.
 *
 * Packetizing: the whole input as an Annex B access unit goes through
 * h264pkt_is_keyframe and h264pkt_pack in modes 0 and 1 at the smallest and a
 * typical payload size, with a scratch buffer of exactly max_payload bytes.
 * What h264pkt_pack emits is checked (sizes, the marker on the last payload
 * only) and depacketized again: the result must be the access unit's NAL
 * units behind 4-byte start codes, and its keyframe flag h264pkt_is_keyframe's.
 */
#include "codecs/h264pkt.h"
#include "base/err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: check failed: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

#define AU_CAP (64 * 1024)

static void depack(const uint8_t *data, size_t size, size_t cap)
{
	uint8_t *out = cap ? malloc(cap) : NULL;
	CHECK(!cap || out);
	struct h264_depack d;
	h264pkt_depack_begin(&d, out, cap);
	size_t pos = 0;
	while (pos < size) {
		size_t n = data[pos++];
		if (n > size - pos)
			n = size - pos;
		int rc = h264pkt_depack_add(&d, data + pos, n);
		CHECK(rc == 0 || rc == MCU_EPROTO || rc == MCU_EUNSUPPORTED || rc == MCU_ELIMIT);
		CHECK(d.len <= cap);
		pos += n;
	}
	int len = h264pkt_depack_end(&d);
	CHECK(len == MCU_EPROTO || (len > 0 && (size_t)len == d.len));
	if (len > 0)
		CHECK(!d.broken && !d.in_fu);
	free(out);
}

/* The access unit as the depacketizer must rebuild it: each NAL unit that
 * h264pkt_pack sends (AUDs and empty units dropped, trailing zeros cut) behind
 * 00 00 00 01. Written into want (room for 2 * len + 4). Returns its length. */
static size_t expected_au(const uint8_t *au, size_t len, uint8_t *want)
{
	size_t i = 0, w = 0;
	while (i + 3 <= len && !(au[i] == 0 && au[i + 1] == 0 && au[i + 2] == 1))
		i++;
	i += 3;
	while (i < len) {
		size_t end = i;
		while (end < len && !(len - end >= 3 && au[end] == 0 && au[end + 1] == 0 &&
				      au[end + 2] == 1))
			end++;
		if (len - end < 3)
			end = len;
		size_t n = end - i;
		while (n > 0 && au[i + n - 1] == 0)
			n--;
		if (n > 0 && (au[i] & 0x1f) != H264_NAL_AUD) {
			memcpy(want + w, "\0\0\0\1", 4);
			memcpy(want + w + 4, au + i, n);
			w += 4 + n;
		}
		i = end + 3;
	}
	return w;
}

struct emitted {
	struct h264_depack d;
	size_t max_payload;
	int payloads;
	bool marked;         /* the marker went out: nothing may follow */
};

static int on_payload(void *user, const uint8_t *payload, size_t len, bool marker)
{
	struct emitted *e = user;
	CHECK(len > 0 && len <= e->max_payload);
	CHECK(!e->marked);
	e->marked = marker;
	e->payloads++;
	CHECK(h264pkt_depack_add(&e->d, payload, len) == 0);
	return 0;
}

static void pack(const uint8_t *data, size_t size, size_t max_payload, int mode, bool key)
{
	uint8_t *scratch = malloc(max_payload);
	size_t cap = 2 * size + 4;
	uint8_t *out = malloc(cap), *want = malloc(cap);
	CHECK(scratch && out && want);
	struct emitted e = { .max_payload = max_payload };
	h264pkt_depack_begin(&e.d, out, cap);
	int rc = h264pkt_pack(data, size, max_payload, mode, scratch, on_payload, &e);
	CHECK(rc == 0 || rc == MCU_EPROTO || rc == MCU_ELIMIT);
	if (rc == 0) {
		CHECK(e.payloads > 0 && e.marked);
		int len = h264pkt_depack_end(&e.d);
		CHECK(len > 0);
		size_t n = expected_au(data, size, want);
		CHECK((size_t)len == n && !memcmp(out, want, n));
		CHECK(e.d.keyframe == key);
	} else {
		CHECK(e.payloads == 0); /* nothing is emitted unless all passes */
		CHECK(rc != MCU_ELIMIT || mode == 0);
	}
	free(want);
	free(out);
	free(scratch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	depack(data, size, AU_CAP);
	if (size > 0)
		depack(data, size, data[0]);
	bool key = h264pkt_is_keyframe(data, size);
	pack(data, size, 100, 0, key);
	pack(data, size, 100, 1, key);
	pack(data, size, 1200, 0, key);
	pack(data, size, 1200, 1, key);
	return 0;
}
