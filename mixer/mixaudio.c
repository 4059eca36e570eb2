/*
 * mixaudio.c - the audio half of a room tick (see mix_internal.h).
 *
 * Every 20 ms: each sender's jitter buffer yields one frame (decoded,
 * concealed, or silence), levels pick the mixed speakers, the mixed frames
 * are summed once in int32, and the outputs are made from that one sum:
 * the full mix (limited, encoded once, shared by every receiver that is not
 * a mixed speaker) and one mix-minus per mixed speaker that listens. Costs:
 * decodes = senders, encodes = mixed listening speakers + one full mix per
 * codec in use (Opus for browsers; G.722 or G.711 for legacy endpoints).
 */
#include "mix_internal.h"
#include "mcu/err.h"
#include "mcu/log.h"
#include "mcu/rtcp.h"
#include "recorder/recorder.h"

#include <string.h>

#define HANGOVER_US 1000000
#define CONCEAL_FRAMES 3           /* PLC this many frames, then silence */

int mixaudio_init(struct mix *m)
{
	amix_speakers_init(&m->speakers, m->cfg.max_mixed_speakers, HANGOVER_US);
	amix_limiter_init(&m->full_lim);
	return 0;
}

void mixaudio_fini(struct mix *m)
{
	for (int c = 0; c < ACODEC_COUNT; c++) {
		aenc_destroy(m->full_enc[c]);
		m->full_enc[c] = NULL;
	}
}

void mixaudio_assign_slot(struct mix *m, struct mix_part *p)
{
	p->slot = -1;
	for (int i = 0; i < AMIX_MAX_INPUTS; i++)
		if (!m->slots[i]) {
			m->slots[i] = p;
			p->slot = i;
			amix_speakers_reset_slot(&m->speakers, i);
			return;
		}
	LOG_W("mix", "room=%s ep=%s: more than %d audio senders; this one is not mixed",
	      m->room, p->info.id, AMIX_MAX_INPUTS);
}

void mixaudio_release_slot(struct mix *m, struct mix_part *p)
{
	if (p->slot < 0)
		return;
	m->slots[p->slot] = NULL;
	amix_speakers_reset_slot(&m->speakers, p->slot);
	p->slot = -1;
}

void mixaudio_input(struct mix *m, struct mix_part *p, const struct port_packet *pkt, int64_t now)
{
	int rc = ajb_insert(p->ajb, pkt->seq, pkt->payload, pkt->len, pkt->audio_level, now);
	if (rc && rc != MCU_EEXIST)
		atomic_fetch_add(&m->pub.dropped_packets, 1);
}

/* Decodes into p->pcm; returns samples added (0 on a refused packet). */
static int decode(struct mix_part *p, const uint8_t *pkt, size_t len, bool fec)
{
	int room = (int)(sizeof(p->pcm) / sizeof(p->pcm[0])) - p->pcm_len;
	int n = adec_decode(p->adec, pkt, len, fec, p->pcm + p->pcm_len, room);
	if (n < 0 && pkt) /* a packet the codec refuses: conceal it instead */
		n = adec_decode(p->adec, NULL, 0, false, p->pcm + p->pcm_len, room);
	if (n > 0)
		p->pcm_len += n;
	return n > 0 ? n : 0;
}

/* Fills p->pcm with at least one frame and sets p->level (127: nothing heard). */
static void pull_frame(struct mix_part *p, int64_t now)
{
	int ext_level = -1;
	bool heard = false;
	while (p->pcm_len < AMIX_FRAME) {
		struct ajb_out o;
		enum ajb_result r = ajb_pop(p->ajb, now, &o);
		if (r == AJB_EMPTY)
			break;
		if (r == AJB_PACKET) {
			decode(p, o.payload, o.len, false);
			if (o.level >= 0)
				ext_level = o.level;
		} else if (o.next) { /* lost, and the next packet may carry its FEC */
			decode(p, o.next, o.next_len, true);
		} else {
			decode(p, NULL, 0, false);
		}
		heard = true;
		p->conceal_left = CONCEAL_FRAMES;
	}
	if (p->pcm_len < AMIX_FRAME && p->conceal_left > 0) {
		p->conceal_left--;
		decode(p, NULL, 0, false);
		heard = true;
	}
	if (p->pcm_len < AMIX_FRAME) {
		memset(p->pcm + p->pcm_len, 0, (size_t)(AMIX_FRAME - p->pcm_len) * sizeof(p->pcm[0]));
		p->pcm_len = AMIX_FRAME;
	}
	/* Nothing heard counts as silence, not absence, so a speaker's
	 * hangover also spans the gaps of a sender that pauses (DTX). */
	p->level = !heard ? 127 : ext_level >= 0 ? ext_level : amix_level(p->pcm, AMIX_FRAME);
}

static void consume_frame(struct mix_part *p)
{
	p->pcm_len -= AMIX_FRAME;
	memmove(p->pcm, p->pcm + AMIX_FRAME, (size_t)p->pcm_len * sizeof(p->pcm[0]));
}

static void send_audio(struct mix *m, struct mix_part *p, const uint8_t *payload, int len,
		       int64_t capture_us)
{
	int clock = acodec_rtp_clock((enum acodec)p->info.audio_codec);
	int h = rtp_write_header(m->sendbuf, sizeof(m->sendbuf), (uint8_t)p->info.audio_pt, false,
				 p->audio_seq++, mix_ts(m, capture_us, clock), p->info.audio_ssrc);
	if (h < 0 || (size_t)(h + len) > sizeof(m->sendbuf))
		return;
	memcpy(m->sendbuf + h, payload, (size_t)len);
	p->ops->send_rtp(p->port, PORT_AUDIO, m->sendbuf, (size_t)(h + len), sizeof(m->sendbuf),
			 capture_us);
}

static bool is_mixed(const struct mix *m, const struct mix_part *p)
{
	return p->slot >= 0 && m->speakers.mixed[p->slot];
}

/* Encodes pcm with *enc (made on first use). Returns the length or < 0. */
static int encode(struct mix *m, enum acodec codec, struct aenc **enc, const int16_t *pcm,
		  uint8_t *out, size_t cap)
{
	if (!*enc && aenc_create(codec, m->cfg.audio_bitrate, enc))
		return MCU_ENOMEM;
	return aenc_encode(*enc, pcm, out, cap);
}

/* Each listening mixed speaker hears the sum less itself. */
static int send_minus(struct mix *m, struct mix_part *p, int64_t capture_us)
{
	uint8_t pkt[ACODEC_MAX_PACKET];
	if (!p->minus_enc)
		amix_limiter_init(&p->minus_lim);
	amix_minus(m->sum, p->pcm, AMIX_FRAME, m->minus);
	amix_limit(&p->minus_lim, m->minus, AMIX_FRAME, m->out_pcm);
	int n = encode(m, (enum acodec)p->info.audio_codec, &p->minus_enc, m->out_pcm, pkt, sizeof(pkt));
	if (n > 0)
		send_audio(m, p, pkt, n, capture_us);
	return p->minus_enc != NULL;
}

void mixaudio_tick(struct mix *m, int64_t capture_us)
{
	int levels[AMIX_MAX_INPUTS];
	const int16_t *inputs[AMIX_MAX_INPUTS];
	int64_t now = capture_us;
	for (int i = 0; i < AMIX_MAX_INPUTS; i++) {
		levels[i] = -1;
		if (m->slots[i]) {
			pull_frame(m->slots[i], now);
			levels[i] = m->slots[i]->level;
		}
	}
	amix_speakers_update(&m->speakers, levels, AMIX_MAX_INPUTS, now);
	int n = 0;
	for (int i = 0; i < AMIX_MAX_INPUTS; i++)
		if (m->slots[i] && m->speakers.mixed[i])
			inputs[n++] = m->slots[i]->pcm;
	amix_sum(inputs, n, AMIX_FRAME, m->sum);

	/* The full mix once, encoded once per codec some non-speaker takes. */
	bool need[ACODEC_COUNT] = { false };
	for (int i = 0; i < m->n_parts; i++)
		if (m->parts[i]->info.receives_audio && !is_mixed(m, m->parts[i]))
			need[m->parts[i]->info.audio_codec] = true;
	need[ACODEC_OPUS] |= m->rec && m->rec_opus; /* the recording copies those packets */
	uint8_t full[ACODEC_COUNT][ACODEC_MAX_PACKET];
	int full_len[ACODEC_COUNT] = { 0 };
	int encoders = 0;
	bool limited = false;
	for (int c = 0; c < ACODEC_COUNT; c++) {
		if (!need[c]) {
			aenc_destroy(m->full_enc[c]);
			m->full_enc[c] = NULL;
			continue;
		}
		if (!limited)
			amix_limit(&m->full_lim, m->sum, AMIX_FRAME, m->out_pcm);
		limited = true;
		full_len[c] = encode(m, (enum acodec)c, &m->full_enc[c], m->out_pcm, full[c], sizeof(full[c]));
		encoders += m->full_enc[c] != NULL;
	}
	if (m->rec && m->rec_opus && full_len[ACODEC_OPUS] > 0) {
		recorder_push_opus(m->rec, full[ACODEC_OPUS], (size_t)full_len[ACODEC_OPUS], capture_us);
	} else if (m->rec && !m->rec_opus) {
		if (!limited)
			amix_limit(&m->full_lim, m->sum, AMIX_FRAME, m->out_pcm);
		recorder_push_pcm(m->rec, m->out_pcm, AMIX_FRAME, capture_us);
	}
	for (int i = 0; i < m->n_parts; i++) {
		struct mix_part *p = m->parts[i];
		if (!p->info.receives_audio)
			continue;
		if (is_mixed(m, p)) {
			encoders += send_minus(m, p, capture_us);
			continue;
		}
		if (p->minus_enc) { /* it left the mix: back to the shared stream */
			aenc_destroy(p->minus_enc);
			p->minus_enc = NULL;
		}
		if (full_len[p->info.audio_codec] > 0)
			send_audio(m, p, full[p->info.audio_codec], full_len[p->info.audio_codec], capture_us);
	}
	for (int i = 0; i < AMIX_MAX_INPUTS; i++)
		if (m->slots[i])
			consume_frame(m->slots[i]);
	atomic_store(&m->pub.audio_encoders, encoders);
}
