/*
 * jitter.c - fuzzes the receive buffers of mixer/jitter.c with arbitrary
 * packet sequences. Links mixer/jitter.o, mcu/rtp.o and mcu/err.o only.
 *
 * The input is a program: the first byte sizes the buffers, then each op
 * byte picks an action (low 3 bits) and the bytes after it its arguments:
 * insert a video or audio packet (seq as a signed step from the last one,
 * or a jump; timestamp; marker; length up to one past VJB_MAX_PAYLOAD),
 * pop video frames until none is ready, pop one audio packet, ask for
 * NACKs, let time pass, reset. Buffers are made and freed per input, so
 * LeakSanitizer sees any slot that escapes.
 *
 * Each payload carries its own seq, timestamp, marker, level and length in
 * its first bytes, so what comes out can be checked against what went in:
 * a video frame's payloads are consecutive seqs from first_seq, all with
 * the frame's timestamp, only the last with the marker; a frame without
 * discontinuity follows the previous one directly (unless we reset the
 * buffer); audio packets come out in sequence order with the length and
 * level they went in with (between resyncs); counts stay within capacity
 * and max.
 */
#include "mixer/ajb.h"
#include "mixer/vjb.h"
#include "base/err.h"
#include "base/rtp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: check failed: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

#define VHDR 7 /* seq16 ts32 marker8 */
#define AHDR 5 /* seq16 level8 len16 */

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t take(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint16_t take16(struct input *in)
{
	uint16_t hi = take(in);
	return (uint16_t)(hi << 8 | take(in));
}

/* Both buffers take the same largest payload; the lengths below serve both. */
_Static_assert(VJB_MAX_PAYLOAD == AJB_MAX_PAYLOAD, "one largest payload");

/* 0 and one too many are rare but wanted; else room for the header. */
static size_t payload_len(uint8_t b, size_t hdr)
{
	if (b == 255)
		return VJB_MAX_PAYLOAD + 1;
	if (b == 254)
		return 0;
	return hdr + (size_t)b * 5;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

struct state {
	struct vjb *vjb;
	struct ajb *ajb;
	int vcap, acap;
	int64_t now;
	uint8_t buf[VJB_MAX_PAYLOAD + 1];
	uint16_t vseq, aseq;
	uint32_t vts;
	/* what came out */
	bool have_frame;          /* last_seq is valid for the continuity check */
	uint16_t last_seq;
	bool have_audio;
	uint16_t last_audio;
};

static void insert_video(struct state *s, uint8_t op, struct input *in)
{
	uint8_t how = take(in);
	if (how & 0x80)
		s->vseq = take16(in);
	else
		s->vseq = (uint16_t)(s->vseq + (how & 0x7f) - 64);
	uint8_t t = take(in);
	if (t & 0x80)
		s->vts += 3000u * (t & 0x7f);
	else if (t & 0x40)
		s->vts -= 3000u * (t & 0x3f);
	bool marker = op & 0x80;
	size_t len = payload_len(take(in), VHDR);
	uint8_t *b = s->buf;
	memset(b, (int)s->vseq, len);
	if (len >= VHDR) {
		b[0] = (uint8_t)(s->vseq >> 8), b[1] = (uint8_t)s->vseq;
		b[2] = (uint8_t)(s->vts >> 24), b[3] = (uint8_t)(s->vts >> 16);
		b[4] = (uint8_t)(s->vts >> 8), b[5] = (uint8_t)s->vts;
		b[6] = marker;
	}
	int rc = vjb_insert(s->vjb, s->vseq, s->vts, marker, len ? b : NULL, len, s->now);
	CHECK(rc == 0 || rc == MCU_EEXIST || rc == MCU_EPROTO);
	if (len > VJB_MAX_PAYLOAD)
		CHECK(rc == MCU_EPROTO);
}

/* Payloads of the frame being popped; checked once info is known. */
struct popped {
	int n;
	uint16_t seqs[4096];
	uint32_t ts[4096];
	int8_t marker[4096];      /* -1: payload too short to tell */
	size_t len[4096];
};

static void on_payload(void *user, const uint8_t *payload, size_t len)
{
	struct popped *p = user;
	CHECK(p->n < 4096);
	CHECK(len <= VJB_MAX_PAYLOAD);
	CHECK(len == 0 || payload);
	p->len[p->n] = len;
	p->marker[p->n] = -1;
	if (len >= VHDR) {
		p->seqs[p->n] = get16(payload);
		p->ts[p->n] = get32(payload + 2);
		p->marker[p->n] = (int8_t)payload[6];
	}
	p->n++;
}

static void pop_video(struct state *s)
{
	static struct popped p; /* 40 KB: not on the fuzzer's stack */
	struct vjb_frame f;
	for (int guard = 0; guard <= s->vcap; guard++) {
		p.n = 0;
		memset(&f, 0, sizeof(f));
		int rc = vjb_pop(s->vjb, s->now, on_payload, &p, &f);
		CHECK(rc == 0 || rc == 1);
		if (rc == 0) {
			CHECK(p.n == 0);
			return;
		}
		CHECK(f.n_packets == p.n && p.n >= 1 && p.n <= s->vcap);
		CHECK((uint16_t)(f.last_seq - f.first_seq) == p.n - 1);
		for (int i = 0; i < p.n; i++) {
			if (p.marker[i] < 0)
				continue;
			CHECK(p.seqs[i] == (uint16_t)(f.first_seq + i));
			CHECK(p.ts[i] == f.ts);
			CHECK(p.marker[i] == (i == p.n - 1));
		}
		if (s->have_frame && !f.discontinuity)
			CHECK(f.first_seq == (uint16_t)(s->last_seq + 1));
		s->have_frame = true;
		s->last_seq = f.last_seq;
	}
	CHECK(!"vjb_pop handed out more frames than it can hold");
}

static void nacks(struct state *s, struct input *in)
{
	uint16_t seqs[64];
	int max = take(in) % 65;
	int64_t retry = (int64_t)take(in) * 1000;
	int n = vjb_nacks(s->vjb, s->now, retry, seqs, max);
	CHECK(n >= 0 && n <= max);
	for (int i = 1; i < n; i++)
		CHECK(rtp_seq_after(seqs[i], seqs[i - 1]));
}

static void insert_audio(struct state *s, uint8_t op, struct input *in)
{
	uint8_t how = take(in);
	if (how & 0x80)
		s->aseq = take16(in);
	else
		s->aseq = (uint16_t)(s->aseq + (how & 0x7f) - 64);
	int level = (op & 0x80) ? (int)(take(in) % 130) - 1 : -1;
	size_t len = payload_len(take(in), AHDR);
	uint8_t *b = s->buf;
	memset(b, (int)s->aseq, len);
	if (len >= AHDR) {
		b[0] = (uint8_t)(s->aseq >> 8), b[1] = (uint8_t)s->aseq;
		b[2] = (uint8_t)(level >= 0 && level <= 127 ? level : 0xff);
		b[3] = (uint8_t)(len >> 8), b[4] = (uint8_t)len;
	}
	int rc = ajb_insert(s->ajb, s->aseq, len ? b : NULL, len, level, s->now);
	CHECK(rc == 0 || rc == MCU_EEXIST || rc == MCU_EPROTO);
	/* A packet a capacity or more ahead resyncs the buffer to it: order
	 * is only promised from there on (two such jumps may add up to more
	 * than half the sequence space). */
	if (rc == 0 && s->have_audio && (uint16_t)(s->aseq - s->last_audio) > s->acap)
		s->have_audio = false;
	if (len > AJB_MAX_PAYLOAD)
		CHECK(rc == MCU_EPROTO);
}

static void pop_audio(struct state *s)
{
	struct ajb_out out;
	enum ajb_result r = ajb_pop(s->ajb, s->now, &out);
	CHECK(r == AJB_EMPTY || r == AJB_PACKET || r == AJB_LOST);
	if (r == AJB_PACKET) {
		CHECK(out.len <= AJB_MAX_PAYLOAD && (out.len == 0 || out.payload));
		CHECK(out.level >= -1 && out.level <= 127);
		if (out.len >= AHDR) {
			uint16_t seq = get16(out.payload);
			CHECK(get16(out.payload + 3) == out.len);
			CHECK(out.level == (out.payload[2] == 0xff ? -1 : out.payload[2]));
			if (s->have_audio)
				CHECK(rtp_seq_after(seq, s->last_audio));
			s->have_audio = true;
			s->last_audio = seq;
		}
	} else if (r == AJB_LOST) {
		CHECK(!out.next || out.next_len <= AJB_MAX_PAYLOAD);
	} else {
		CHECK(!out.payload && !out.len);
	}
	int depth = ajb_depth(s->ajb);
	CHECK(depth >= 0 && depth <= s->acap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	static struct state s;
	memset(&s, 0, sizeof(s));
	uint8_t cfg = take(&in);
	/* Small rings: every path (wrap, overflow, resync) is reached as well,
	 * and the slots calloc'd per input (at most ~300 KB) keep it fast. */
	s.vcap = 64 << (cfg & 1);              /* 64, 128 */
	s.acap = 8 << ((cfg >> 1) & 3);        /* 8..64 */
	int target = 1 + (cfg >> 3) % (s.acap / 2);
	int64_t max_wait = (int64_t)(take(&in) % 200) * 1000;
	CHECK(vjb_create(s.vcap, max_wait, &s.vjb) == 0);
	CHECK(ajb_create(s.acap, target, &s.ajb) == 0);
	s.now = 1000000;

	while (in.n) {
		uint8_t op = take(&in);
		switch (op & 7) {
		case 0: case 1: insert_video(&s, op, &in); break;
		case 2: pop_video(&s); break;
		case 3: nacks(&s, &in); break;
		case 4: insert_audio(&s, op, &in); break;
		case 5: pop_audio(&s); break;
		case 6: /* time passes: up to 120 ms, or up to 3.2 s */
			s.now += (op & 0x80) ? (int64_t)take(&in) * 12500 : (int64_t)(op >> 3) * 8000;
			break;
		case 7:
			if (op & 0x80) {
				vjb_reset(s.vjb);
				s.have_frame = false;
			} else if (op & 0x40) {
				ajb_reset(s.ajb);
				s.have_audio = false;
			} else {
				pop_video(&s);
				pop_audio(&s);
			}
			break;
		}
	}
	pop_video(&s);
	vjb_destroy(s.vjb);
	ajb_destroy(s.ajb);
	return 0;
}
