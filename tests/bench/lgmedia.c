/*
 * lgmedia.c - see lgmedia.h.
 *
 * Everything is made before the measured window: reading and cutting the
 * H.264 clips costs a few milliseconds per second of video, encoding one
 * second of Opus a few more. The packets are kept in one growing buffer per
 * clip, so a replay is a pointer, a length and a 12-byte header.
 */
#include "lgmedia.h"
#include "codecs/h264pkt.h"
#include "codecs/opuscodec.h"
#include "mixer/amix.h"
#include "base/err.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PAYLOAD 1200
#define LOOP_FRAMES 50             /* one second of 20 ms Opus frames */
#define OPUS_BITRATE 32000
#define OPUS_COMPLEXITY 5
#define CLICK_AT 24000             /* samples: 0.5 s */
#define CLICK_SAMPLES 480          /* 10 ms */
#define CLICK_FIND_LEVEL 9000      /* a decoded sample this loud is the click */

/* Appends one payload to the clip (h264pkt_pack's emit). */
static int emit(void *user, const uint8_t *payload, size_t len, bool marker)
{
	struct lgclip *c = user;
	size_t used = c->n_pkts ? c->pkts[c->n_pkts - 1].off + c->pkts[c->n_pkts - 1].len : 0;
	/* Growth by doubling: the clip is made once, its size is a few MB. */
	if (c->n_pkts == c->cap_pkts) {
		int cap = c->cap_pkts ? c->cap_pkts * 2 : 64;
		struct lgpkt *p = realloc(c->pkts, (size_t)cap * sizeof(*p));
		if (p)
			c->pkts = p;
		uint8_t *d = p ? realloc(c->data, (size_t)cap * MAX_PAYLOAD) : NULL;
		if (d)
			c->data = d;
		if (!p || !d)
			return MCU_ENOMEM;
		c->cap_pkts = cap;
	}
	memcpy(c->data + used, payload, len);
	c->pkts[c->n_pkts++] = (struct lgpkt){ (uint32_t)used, (uint16_t)len, marker, 127 };
	return 0;
}

/* Index of the byte after the next start code at or after i, or len. */
static size_t next_nal(const uint8_t *b, size_t len, size_t i, size_t *sc)
{
	for (; i + 3 <= len; i++) {
		if (b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1) {
			*sc = i > 0 && b[i - 1] == 0 ? i - 1 : i;
			return i + 3;
		}
	}
	*sc = len;
	return len;
}

/* Does the NAL unit at nal (after its start code) begin a new access unit,
 * given that the current one already holds a slice? */
static bool starts_au(const uint8_t *nal, size_t left)
{
	int type = nal[0] & 0x1f;
	if (type == H264_NAL_AUD || type == H264_NAL_SPS || type == H264_NAL_PPS ||
	    type == H264_NAL_SEI)
		return true;
	/* first_mb_in_slice is ue(v): 0 is the single bit 1. */
	return (type == H264_NAL_SLICE || type == H264_NAL_IDR) && left > 1 && (nal[1] & 0x80);
}

static int add_frame(struct lgclip *c, const uint8_t *au, size_t len, uint32_t **first, int *cap)
{
	if (c->n_frames + 2 > *cap) {
		*cap = *cap ? *cap * 2 : 64;
		uint32_t *f = realloc(*first, (size_t)*cap * sizeof(*f));
		if (!f)
			return MCU_ENOMEM;
		*first = f;
	}
	(*first)[c->n_frames] = (uint32_t)c->n_pkts;
	uint8_t scratch[MAX_PAYLOAD];
	int rc = h264pkt_pack(au, len, MAX_PAYLOAD, 1, scratch, emit, c);
	if (rc)
		return rc;
	c->n_frames++;
	return 0;
}

static int read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return MCU_EIO;
	int rc = MCU_EIO;
	uint8_t *buf = NULL;
	long size;
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET))
		goto done;
	buf = malloc((size_t)size);
	rc = MCU_ENOMEM;
	if (!buf)
		goto done;
	rc = MCU_EIO;
	if (fread(buf, 1, (size_t)size, f) != (size_t)size)
		goto done;
	*out = buf;
	*len = (size_t)size;
	buf = NULL;
	rc = 0;
done:
	free(buf);
	fclose(f);
	return rc;
}

int lgmedia_load_h264(const char *path, struct lgclip *out)
{
	memset(out, 0, sizeof(*out));
	uint8_t *b = NULL;
	size_t len = 0;
	int rc = read_file(path, &b, &len);
	if (rc)
		return rc;
	int cap = 0;
	size_t sc, au_start = len;
	bool has_slice = false;
	size_t i = next_nal(b, len, 0, &sc);
	au_start = sc;
	while (!rc && i < len) {
		size_t next_sc;
		size_t next = next_nal(b, len, i, &next_sc);
		int type = b[i] & 0x1f;
		if (has_slice && starts_au(b + i, next_sc - i)) {
			rc = add_frame(out, b + au_start, sc - au_start, &out->first, &cap);
			au_start = sc;
			has_slice = false;
		}
		if (type == H264_NAL_SLICE || type == H264_NAL_IDR)
			has_slice = true;
		sc = next_sc;
		i = next;
	}
	if (!rc && has_slice)
		rc = add_frame(out, b + au_start, len - au_start, &out->first, &cap);
	free(b);
	if (!rc && out->n_frames == 0)
		rc = MCU_EPROTO;
	if (rc) {
		lgmedia_free(out);
		return rc;
	}
	out->first[out->n_frames] = (uint32_t)out->n_pkts;
	out->fps = 30;
	out->ts_step = 3000;
	out->video = true;
	out->event_frame = -1;
	return 0;
}

/* Sample i (of the whole synthesis) of the kind's sound. */
static int16_t synth(enum lgaudio_kind kind, int freq, long i)
{
	double t = (double)i / OPUS_RATE;
	if (kind == LGAUDIO_SILENCE)
		return 0;
	if (kind == LGAUDIO_TONE)
		return (int16_t)lrint(8192.0 * sin(2 * M_PI * freq * t));
	double v = 1000.0 * sin(2 * M_PI * 300 * t);
	long in_loop = i % OPUS_RATE;
	if (in_loop >= CLICK_AT && in_loop < CLICK_AT + CLICK_SAMPLES)
		v += 23000.0 * sin(2 * M_PI * 1000 * (double)(in_loop - CLICK_AT) / OPUS_RATE);
	return (int16_t)lrint(v);
}

/* Decodes the loop twice and finds the click in the second pass. */
static int find_click(struct lgclip *c)
{
	struct opusdec *dec = NULL;
	int rc = opuscodec_dec_create(&dec);
	if (rc)
		return rc;
	static int16_t pcm[OPUS_MAX_FRAME_SAMPLES];
	c->event_frame = -1;
	for (int pass = 0; pass < 2 && c->event_frame < 0; pass++) {
		for (int k = 0; k < c->n_frames && c->event_frame < 0; k++) {
			const struct lgpkt *p = &c->pkts[k];
			int n = opuscodec_dec_decode(dec, c->data + p->off, p->len, false, 0, pcm,
					       OPUS_MAX_FRAME_SAMPLES);
			for (int s = 0; pass == 1 && s < n; s++)
				if (abs(pcm[s]) >= CLICK_FIND_LEVEL) {
					c->event_frame = k;
					c->event_offset = s;
					break;
				}
		}
	}
	opuscodec_dec_destroy(dec);
	return c->event_frame < 0 ? MCU_EPROTO : 0;
}

int lgmedia_make_opus(enum lgaudio_kind kind, int freq, struct lgclip *out)
{
	memset(out, 0, sizeof(*out));
	if (kind == LGAUDIO_TONE && (freq <= 0 || freq >= OPUS_RATE / 2))
		return MCU_EINVAL;
	struct opusenc *enc = NULL;
	int rc = opuscodec_enc_create(OPUS_BITRATE, OPUS_COMPLEXITY, &enc);
	if (rc)
		return rc;
	out->first = calloc(LOOP_FRAMES + 1, sizeof(*out->first));
	if (!out->first)
		rc = MCU_ENOMEM;
	/* Two seconds are encoded and the second kept: the encoder has settled,
	 * and a 1 s loop of an integer frequency joins without a step. */
	int16_t pcm[OPUS_FRAME_SAMPLES];
	uint8_t pkt[OPUS_MAX_PACKET];
	for (int k = 0; !rc && k < 2 * LOOP_FRAMES; k++) {
		for (int s = 0; s < OPUS_FRAME_SAMPLES; s++)
			pcm[s] = synth(kind, freq, (long)k * OPUS_FRAME_SAMPLES + s);
		int n = opuscodec_enc_encode(enc, pcm, pkt, sizeof(pkt));
		if (n <= 0) {
			rc = MCU_EINVAL;
			break;
		}
		if (k < LOOP_FRAMES)
			continue;
		out->first[out->n_frames] = (uint32_t)out->n_pkts;
		rc = emit(out, pkt, (size_t)n, false);
		/* What a browser puts in its level extension: the captured sound's. */
		if (!rc)
			out->pkts[out->n_pkts - 1].level = (uint8_t)amix_level(pcm, OPUS_FRAME_SAMPLES);
		out->n_frames++;
	}
	opuscodec_enc_destroy(enc);
	if (!rc) {
		out->first[out->n_frames] = (uint32_t)out->n_pkts;
		out->fps = 50;
		out->ts_step = OPUS_FRAME_SAMPLES;
		out->event_frame = -1;
		if (kind == LGAUDIO_CLICK)
			rc = find_click(out);
	}
	if (rc)
		lgmedia_free(out);
	return rc;
}

int lgmedia_set_event(struct lgclip *c, int frame)
{
	if (frame < 0 || frame >= c->n_frames)
		return MCU_EPROTO;
	c->event_frame = frame;
	c->event_offset = 0;
	return 0;
}

void lgmedia_free(struct lgclip *c)
{
	free(c->data);
	free(c->pkts);
	free(c->first);
	memset(c, 0, sizeof(*c));
}
