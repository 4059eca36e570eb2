/*
 * mixaudio.c - the audio half of a room tick (see mix_internal.h).
 *
 * Every 20 ms: each sender's jitter buffer yields one frame (decoded,
 * concealed, or silence), levels pick the mixed speakers, the mixed frames
 * are summed once in int32, and the outputs are made from that one sum:
 * the full mix (limited, encoded once, shared by every receiver that is not
 * a mixed speaker) and one mix-minus per mixed speaker that listens. Costs:
 * decodes = senders that may be mixed, encodes = mixed listening speakers +
 * one full mix per codec in use (Opus for browsers; G.722 or G.711 for
 * legacy endpoints).
 *
 * DESIGN: not decoding what cannot be heard. In a big room most senders
 * are quiet and not mixed, and decoding each of them every 20 ms was most
 * of the room's work. An Opus packet is not decoded when its sender is not
 * mixed, has not spoken within the hangover, and the packet says it holds
 * no speech: its RFC 6464 level is quieter than the speaking threshold, or,
 * with no level, its SILK voice activity flag is clear (the sender's own
 * encoder found no voice). Its level still feeds the selection (127 when
 * only the flag spoke), so it is mixed as soon as it speaks; that packet is
 * decoded. The decoder is not reset across the gap: what it skipped was
 * quiet, so its state (the filters' memory of near-silence) is close to
 * what decoding the gap would have left, and every packet's first SILK
 * frame is coded independently of the one before (RFC 6716, 4.2.7), so
 * decoding simply resumes, as after a loss, with no click. Feeding PLC
 * instead would cost a decode per frame, the thing saved. Packets whose
 * sound the flag does not describe (CELT-only, several frames) and other
 * codecs are always decoded.
 */
#include "mix_internal.h"
#include "base/err.h"
#include "base/log.h"
#include "base/rtcp.h"
#include "recorder/recorder.h"

#include <stdlib.h>
#include <string.h>

#define HANGOVER_US 1000000
#define CONCEAL_FRAMES 3           /* PLC this many frames, then silence */
#define PROBE_EVERY 5              /* a flag-quiet sender is decoded 1 packet in this many */

#define FIRST_SLOTS 64             /* slots a room starts with; doubled as it fills */

int mixaudio_init(struct mix *m)
{
	int rc = amix_speakers_init(&m->speakers, FIRST_SLOTS, m->cfg.max_mixed_speakers,
				    HANGOVER_US);
	if (rc)
		return rc;
	m->slots = calloc(FIRST_SLOTS, sizeof(*m->slots));
	m->levels = calloc(FIRST_SLOTS, sizeof(*m->levels));
	if (!m->slots || !m->levels)
		return MCU_ENOMEM; /* mixaudio_fini frees what was made */
	amix_limiter_init(&m->full_lim);
	return 0;
}

void mixaudio_fini(struct mix *m)
{
	for (int c = 0; c < CODEC_AUDIO_COUNT; c++) {
		acodec_enc_destroy(m->full_enc[c]);
		m->full_enc[c] = NULL;
	}
	amix_speakers_fini(&m->speakers);
	free(m->slots);
	free(m->levels);
	m->slots = NULL;
	m->levels = NULL;
}

/* Doubles the slot tables; on failure they stay as they were. */
static int grow_slots(struct mix *m)
{
	int old = m->speakers.capacity, cap = old * 2;
	struct mix_part **slots = realloc(m->slots, (size_t)cap * sizeof(*slots));
	if (!slots)
		return MCU_ENOMEM;
	m->slots = slots;
	memset(slots + old, 0, (size_t)(cap - old) * sizeof(*slots));
	int *levels = realloc(m->levels, (size_t)cap * sizeof(*levels));
	if (!levels)
		return MCU_ENOMEM;
	m->levels = levels;
	/* Last: capacity says how much of the tables above is valid. */
	return amix_speakers_grow(&m->speakers, cap);
}

int mixaudio_assign_slot(struct mix *m, struct mix_part *p)
{
	int i = 0;
	while (i < m->speakers.capacity && m->slots[i])
		i++;
	if (i == m->speakers.capacity) {
		int rc = grow_slots(m);
		if (rc) {
			LOG_E("mix", "room=%s ep=%s: no memory for audio sender %d", m->room,
			      p->info.id, i + 1);
			return rc;
		}
	}
	m->slots[i] = p;
	p->slot = i;
	p->probe_in = i % PROBE_EVERY; /* staggered: see DESIGN */
	amix_speakers_reset_slot(&m->speakers, i);
	return 0;
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
	int n = acodec_dec_decode(p->adec, pkt, len, fec, p->pcm + p->pcm_len, room);
	if (n < 0 && pkt) /* a packet the codec refuses: conceal it instead */
		n = acodec_dec_decode(p->adec, NULL, 0, false, p->pcm + p->pcm_len, room);
	if (n > 0)
		p->pcm_len += n;
	p->decoded = true;
	p->skipping = false;
	return n > 0 ? n : 0;
}

/* Adds samples of silence to p->pcm in place of a packet not decoded. */
static void skip(struct mix *m, struct mix_part *p, int samples)
{
	int room = (int)(sizeof(p->pcm) / sizeof(p->pcm[0])) - p->pcm_len;
	if (samples > room)
		samples = room;
	memset(p->pcm + p->pcm_len, 0, (size_t)samples * sizeof(p->pcm[0]));
	p->pcm_len += samples;
	p->skipping = true;
	atomic_fetch_add(&m->pub.audio_skipped, 1);
}

/* The samples of o's packet when decoding it cannot matter (see DESIGN),
 * else 0. */
static int skippable(const struct mix *m, struct mix_part *p, const struct ajb_out *o,
		     int64_t now)
{
	if (p->info.audio_codec != CODEC_OPUS)
		return 0;
	int level = o->level;
	if (level < 0 && amix_opus_voice(o->payload, o->len) == 0) {
		if (p->probe_in <= 0) {
			p->probe_in = PROBE_EVERY - 1;
			return 0;
		}
		p->probe_in--;
		level = 127;
	}
	if (level < 0 || amix_speakers_may_mix(&m->speakers, p->slot, level, now))
		return 0;
	return amix_opus_samples(o->payload, o->len);
}

/* Fills p->pcm with at least one frame and sets p->level (127: nothing heard). */
static void pull_frame(struct mix *m, struct mix_part *p, int64_t now)
{
	int ext_level = -1;
	bool heard = false;
	p->decoded = false;
	while (p->pcm_len < AMIX_FRAME) {
		struct ajb_out o;
		enum ajb_result r = ajb_pop(p->ajb, now, &o);
		if (r == AJB_EMPTY)
			break;
		int quiet = r == AJB_PACKET ? skippable(m, p, &o, now) : 0;
		if (r == AJB_PACKET && o.level >= 0)
			ext_level = o.level;
		if (quiet > 0)
			skip(m, p, quiet);
		else if (r == AJB_PACKET)
			decode(p, o.payload, o.len, false);
		else if (p->skipping) /* a loss amid quiet: nothing to conceal */
			skip(m, p, AMIX_FRAME);
		else if (o.next) /* lost, and the next packet may carry its FEC */
			decode(p, o.next, o.next_len, true);
		else
			decode(p, NULL, 0, false);
		heard = true;
		p->conceal_left = CONCEAL_FRAMES;
	}
	if (p->pcm_len < AMIX_FRAME && p->conceal_left > 0) {
		p->conceal_left--;
		if (!p->skipping)
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
	if (p->pcm_len > 0) /* a packet longer than 20 ms left some */
		memmove(p->pcm, p->pcm + AMIX_FRAME, (size_t)p->pcm_len * sizeof(p->pcm[0]));
}

static void send_audio(struct mix *m, struct mix_part *p, const uint8_t *payload, int len,
		       int64_t capture_us)
{
	int clock = codec_audio_rtp_clock(p->info.audio_codec);
	uint8_t *buf = m->audio_sendbuf;
	size_t cap = sizeof(m->audio_sendbuf);
	int h = rtp_write_header(buf, cap, (uint8_t)p->info.audio_pt, false, p->audio_seq++,
				 mix_ts(m, capture_us, clock), p->info.audio_ssrc);
	if (h < 0 || (size_t)(h + len) > cap)
		return;
	memcpy(buf + h, payload, (size_t)len);
	p->ops->send_rtp(p->port, PORT_AUDIO, buf, (size_t)(h + len), cap, capture_us);
}

static bool is_mixed(const struct mix *m, const struct mix_part *p)
{
	return p->slot >= 0 && m->speakers.mixed[p->slot];
}

/* Encodes pcm with *enc (made on first use). Returns the length or < 0. */
static int encode(struct mix *m, enum codec_audio codec, struct aenc **enc, const int16_t *pcm,
		  uint8_t *out, size_t cap)
{
	if (!*enc && acodec_enc_create(codec, m->cfg.audio_bitrate, enc))
		return MCU_ENOMEM;
	return acodec_enc_encode(*enc, pcm, out, cap);
}

/* Each listening mixed speaker hears the sum less itself. */
static int send_minus(struct mix *m, struct mix_part *p, int64_t capture_us)
{
	uint8_t pkt[ACODEC_MAX_PACKET];
	if (!p->minus_enc)
		amix_limiter_init(&p->minus_lim);
	amix_minus(m->sum, p->pcm, AMIX_FRAME, m->minus);
	amix_limit(&p->minus_lim, m->minus, AMIX_FRAME, m->out_pcm);
	int n = encode(m, p->info.audio_codec, &p->minus_enc, m->out_pcm, pkt, sizeof(pkt));
	if (n > 0)
		send_audio(m, p, pkt, n, capture_us);
	return p->minus_enc != NULL;
}

void mixaudio_tick(struct mix *m, int64_t capture_us)
{
	const int16_t *inputs[AMIX_MAX_MIXED];
	int64_t now = capture_us;
	int cap = m->speakers.capacity, decoding = 0;
	for (int i = 0; i < cap; i++) {
		m->levels[i] = -1;
		if (m->slots[i]) {
			pull_frame(m, m->slots[i], now);
			m->levels[i] = m->slots[i]->level;
			decoding += m->slots[i]->decoded;
		}
	}
	atomic_store(&m->pub.audio_decoders, decoding);
	amix_speakers_update(&m->speakers, m->levels, cap, now);
	atomic_store(&m->loudest, m->speakers.loudest); /* for the video job */
	int n = 0;
	for (int i = 0; i < cap && n < AMIX_MAX_MIXED; i++)
		if (m->slots[i] && m->speakers.mixed[i])
			inputs[n++] = m->slots[i]->pcm;
	amix_sum(inputs, n, AMIX_FRAME, m->sum);

	/* The full mix once, encoded once per codec some non-speaker takes. */
	bool need[CODEC_AUDIO_COUNT] = { false };
	for (int i = 0; i < m->n_parts; i++)
		if (m->parts[i]->info.receives_audio && !is_mixed(m, m->parts[i]))
			need[m->parts[i]->info.audio_codec] = true;
	need[CODEC_OPUS] |= m->rec && m->rec_opus; /* the recording copies those packets */
	uint8_t full[CODEC_AUDIO_COUNT][ACODEC_MAX_PACKET];
	int full_len[CODEC_AUDIO_COUNT] = { 0 };
	int encoders = 0;
	bool limited = false;
	for (int c = 0; c < CODEC_AUDIO_COUNT; c++) {
		if (!need[c]) {
			acodec_enc_destroy(m->full_enc[c]);
			m->full_enc[c] = NULL;
			continue;
		}
		if (!limited)
			amix_limit(&m->full_lim, m->sum, AMIX_FRAME, m->out_pcm);
		limited = true;
		full_len[c] = encode(m, (enum codec_audio)c, &m->full_enc[c], m->out_pcm, full[c], sizeof(full[c]));
		encoders += m->full_enc[c] != NULL;
	}
	if (m->rec && m->rec_opus && full_len[CODEC_OPUS] > 0) {
		recorder_push_opus(m->rec, full[CODEC_OPUS], (size_t)full_len[CODEC_OPUS], capture_us);
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
			acodec_enc_destroy(p->minus_enc);
			p->minus_enc = NULL;
		}
		if (full_len[p->info.audio_codec] > 0)
			send_audio(m, p, full[p->info.audio_codec], full_len[p->info.audio_codec], capture_us);
	}
	for (int i = 0; i < cap; i++)
		if (m->slots[i])
			consume_frame(m->slots[i]);
	atomic_store(&m->pub.audio_encoders, encoders);
}
