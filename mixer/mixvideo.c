/*
 * mixvideo.c - the video half of the room (see mix_internal.h).
 *
 * In: the room thread puts each sender's packets in order in its frame
 * assembler (under its vlock); the video job depacketizes each complete
 * frame into one shared buffer and decodes it, and the newest picture is
 * kept (a reference, never a copy). Until a
 * sender's decoder has a keyframe it is asked for one (PLI, rate limited),
 * and gaps are NACKed.
 *
 * Out, every 1/30 s: the composite is drawn at the largest profile any
 * receiver takes (only tiles whose picture changed; a sender's tile is
 * mostly drawn already, as its picture decoded), each smaller profile in
 * use is scaled from the next larger one made this tick (only where tiles
 * changed), and each is encoded once and packetized once. Per receiver only the RTP header is
 * rewritten (its SSRC and its own sequence numbers) before the transport
 * protects and sends it. A receiver gets nothing of a profile until an IDR
 * of it, so its first picture decodes; IDRs are forced on join, PLI/FIR and
 * profile switches, at most once per keyframe_min_interval_ms per profile.
 */
#include "mix_internal.h"
#include "codecs/h264pkt.h"
#include "codecs/vp8pkt.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/rtcp.h"
#include "recorder/recorder.h"

#include <libavutil/frame.h>
#include <stdlib.h>
#include <string.h>

#define PLI_INTERVAL_US 300000
#define NACK_RETRY_US 30000
#define TILE_FPS 30
#define KEYINT_SECONDS 10
#define RATE_WINDOW_US 1000000
#define BLIND_IDR_US 3000000      /* IDR period for receivers that cannot ask */
#define OPEN_RETRY_US 5000000     /* pause before opening a failed encoder again */

/* Each profile but the largest is a copy the canvas keeps, by profile id. */
_Static_assert(PROFILE_COUNT <= CANVAS_COPIES, "a canvas copy per profile");

int mixvideo_init(struct mix *m)
{
	m->au = malloc(MIX_MAX_AU + VDEC_PADDING);
	if (!m->au)
		return MCU_ENOMEM;
	return canvas_create(&m->canvas);
}

static void vout_stop(struct mix_vout *v)
{
	if (v->opening) { /* rare: the output ended while its encoder opened */
		pthread_join(v->opener, NULL);
		venc_destroy(atomic_exchange(&v->opened, NULL));
		v->opening = false;
	}
	venc_destroy(v->enc);
	v->enc = NULL;
	free(v->history);
	v->history = NULL;
	v->active = false;
}

void mixvideo_fini(struct mix *m)
{
	for (int i = 0; i < MIX_OUTPUTS; i++)
		vout_stop(&m->vout[i]);
	canvas_destroy(m->canvas);
	m->canvas = NULL;
	free(m->au);
	m->au = NULL;
}

/* ---- in ------------------------------------------------------------- */

void mixvideo_request_keyframe(struct mix *m, struct mix_part *p, int64_t now)
{
	(void)m;
	p->want_keyframe = true;
	if (now - p->last_pli_us < PLI_INTERVAL_US)
		return; /* mixvideo_service asks again when the interval is over */
	p->last_pli_us = now;
	p->ops->request_keyframe(p->port);
}

struct depack {
	bool vp8;
	struct h264_depack h264;
	struct vp8_depack vp8d;
};

static void add_payload(void *user, const uint8_t *payload, size_t len)
{
	struct depack *d = user;
	if (d->vp8)
		vp8pkt_depack_add(&d->vp8d, payload, len);
	else
		h264pkt_depack_add(&d->h264, payload, len);
}

/* The decoder for payload type pt (made or replaced by the video job when
 * the sender starts or changes codec). NULL for an unknown pt. */
static struct vdec *decoder_for(struct mix_part *p, int pt, bool *vp8)
{
	int k = 0;
	while (k < p->info.n_video_pts && p->info.video_pts[k] != pt)
		k++;
	if (k == p->info.n_video_pts)
		return NULL;
	*vp8 = p->info.video_codecs[k] == CODEC_VP8;
	if (p->vdec && p->vdec_pt == pt)
		return p->vdec;
	vdec_destroy(p->vdec);
	p->vdec = NULL;
	if (vdec_create(*vp8 ? CODEC_VP8 : CODEC_H264, &p->vdec))
		return NULL;
	p->vdec_pt = pt;
	p->want_keyframe = true;
	return p->vdec;
}

static void decode_frame(struct mix *m, struct mix_part *p, struct vdec *dec, int len,
			 bool keyframe, int64_t now)
{
	if (p->want_keyframe && !keyframe)
		return; /* its references are gone: it would decode to garbage */
	memset(m->au + len, 0, VDEC_PADDING);
	struct AVFrame *pic = NULL;
	int64_t t0 = clock_thread_cpu_us();
	int rc = vdec_decode(dec, m->au, (size_t)len, &pic);
	atomic_fetch_add(&m->pub.decode_us, (uint64_t)(clock_thread_cpu_us() - t0));
	if (rc) {
		mixvideo_request_keyframe(m, p, now);
		return;
	}
	if (keyframe)
		p->want_keyframe = false;
	if (!pic)
		return;
	av_frame_unref(p->picture);
	if (av_frame_ref(p->picture, pic) < 0)
		return;
	p->picture_gen++;
	p->picture_us = now;
	/* Drawn now, while the decoder's output is still in cache; at the tick
	 * it would come from memory. The tick's compose skips it then, or
	 * redraws it if the layout moved. Once a tick at most: a burst of
	 * frames after a stall is not drawn frame by frame. */
	if (p->tile && p->drawn_tick != m->tick_no) {
		p->drawn_tick = m->tick_no;
		canvas_draw(m->canvas, p->tile - 1, p->picture, p, p->picture_gen);
	}
}

/* Depacketizes p's next complete frame into m->au: its length (<= 0:
 * broken, ask for a keyframe), or 0 with *none when there is none. */
static int pop_frame(struct mix *m, struct mix_part *p, bool vp8, int64_t now, bool *keyframe,
		     bool *discontinuity, bool *none)
{
	struct depack d = { .vp8 = vp8 };
	struct vjb_frame info;
	if (vp8)
		vp8pkt_depack_begin(&d.vp8d, m->au, MIX_MAX_AU);
	else
		h264pkt_depack_begin(&d.h264, m->au, MIX_MAX_AU);
	pthread_mutex_lock(&p->vlock);
	*none = vjb_pop(p->vjb, now, add_payload, &d, &info) != 1;
	pthread_mutex_unlock(&p->vlock);
	if (*none)
		return 0;
	*keyframe = vp8 ? d.vp8d.keyframe : d.h264.keyframe;
	*discontinuity = info.discontinuity;
	return vp8 ? vp8pkt_depack_end(&d.vp8d) : h264pkt_depack_end(&d.h264);
}

/* Hands every complete frame of p to its decoder; the room thread may
 * insert meanwhile (vlock is held per frame, not across a decode). */
static void pop_frames(struct mix *m, struct mix_part *p, int64_t now)
{
	pthread_mutex_lock(&p->vlock);
	bool changed = p->ssrc_changed;
	int pt = p->video_pt_in;
	p->ssrc_changed = false;
	pthread_mutex_unlock(&p->vlock);
	if (changed)
		mixvideo_request_keyframe(m, p, now);
	bool vp8 = false;
	struct vdec *dec = decoder_for(p, pt, &vp8);
	for (;;) {
		bool keyframe = false, discontinuity = false, none = false;
		int len = pop_frame(m, p, vp8, now, &keyframe, &discontinuity, &none);
		if (none)
			return;
		if (discontinuity && !keyframe)
			mixvideo_request_keyframe(m, p, now);
		if (len <= 0) {
			mixvideo_request_keyframe(m, p, now);
			continue;
		}
		if (dec)
			decode_frame(m, p, dec, len, keyframe, now);
	}
}

void mixvideo_input(struct mix *m, struct mix_part *p, const struct port_packet *pkt, int64_t now)
{
	pthread_mutex_lock(&p->vlock);
	if (pkt->ssrc != p->video_ssrc_in) {
		vjb_reset(p->vjb);
		p->video_ssrc_in = pkt->ssrc;
		p->ssrc_changed = true;
	}
	int rc = vjb_insert(p->vjb, pkt->seq, pkt->ts, pkt->marker, pkt->payload, pkt->len, now);
	if (!rc)
		p->video_pt_in = pkt->pt;
	pthread_mutex_unlock(&p->vlock);
	if (rc && rc != MCU_EEXIST)
		atomic_fetch_add(&m->pub.dropped_packets, 1);
}

void mixvideo_decode(struct mix *m, int64_t now)
{
	int decoders = 0;
	for (int i = 0; i < m->n_parts; i++) {
		struct mix_part *p = m->parts[i];
		if (p->vjb)
			pop_frames(m, p, now);
		decoders += p->vdec != NULL;
	}
	atomic_store(&m->pub.video_decoders, decoders);
}

void mixvideo_service(struct mix *m, int64_t now)
{
	uint16_t seqs[PORT_MAX_NACKS];
	for (int i = 0; i < m->n_parts; i++) {
		struct mix_part *p = m->parts[i];
		if (!p->vjb)
			continue;
		if (p->want_keyframe && now - p->last_pli_us >= PLI_INTERVAL_US)
			mixvideo_request_keyframe(m, p, now);
		pthread_mutex_lock(&p->vlock);
		int n = vjb_nacks(p->vjb, now, NACK_RETRY_US, seqs, PORT_MAX_NACKS);
		pthread_mutex_unlock(&p->vlock);
		if (n > 0)
			p->ops->nack(p->port, seqs, n);
	}
}

/* ---- out ------------------------------------------------------------ */

void mixvideo_receiver_joined(struct mix *m, struct mix_part *p)
{
	p->profile = p->adapt.current;
	p->out = mix_output(p->profile, p->info.packetization_mode);
	p->started_video = false;
	m->vout[p->out].idr_pending = true;
}

static void send_video(struct mix *m, struct mix_part *p, const struct mix_sent *s)
{
	uint16_t seq = (uint16_t)(s->seq + p->seq_offset);
	int h = rtp_write_header(m->video_sendbuf, sizeof(m->video_sendbuf), (uint8_t)p->info.video_pt,
				 s->marker, seq, s->ts, p->info.video_ssrc);
	if (h < 0)
		return;
	memcpy(m->video_sendbuf + h, s->payload, s->len);
	p->ops->send_rtp(p->port, PORT_VIDEO, m->video_sendbuf, (size_t)h + s->len,
			 sizeof(m->video_sendbuf), s->capture_us);
	p->bytes_window += s->len;
}

struct emit_ctx {
	struct mix *m;
	int out;
	uint32_t ts;
	int64_t capture_us;
	bool idr;
	bool first;
};

/* One RTP payload of a profile: kept for NACKs, then sent to each receiver. */
static int emit_payload(void *user, const uint8_t *payload, size_t len, bool marker)
{
	struct emit_ctx *c = user;
	struct mix *m = c->m;
	struct mix_vout *v = &m->vout[c->out];
	struct mix_sent *s = &v->history[v->seq % MIX_HISTORY];
	s->seq = v->seq++;
	s->ts = c->ts;
	s->marker = marker;
	s->capture_us = c->capture_us;
	s->len = (uint16_t)len;
	memcpy(s->payload, payload, len);
	for (int i = 0; i < m->n_parts; i++) {
		struct mix_part *p = m->parts[i];
		if (!p->info.receives_video || p->out != c->out)
			continue;
		if (!p->started_video) {
			if (!c->idr || !c->first || !p->sendable)
				continue;
			p->started_video = true;
			p->seq_offset = (int32_t)(uint16_t)(p->video_seq - s->seq);
		}
		send_video(m, p, s);
		p->video_seq = (uint16_t)(s->seq + p->seq_offset + 1);
	}
	c->first = false;
	return 0;
}

static void retransmit(struct mix *m, struct mix_part *p, const uint16_t *seqs, int n)
{
	struct mix_vout *v = &m->vout[p->out];
	if (!v->history || !p->started_video)
		return;
	for (int i = 0; i < n; i++) {
		uint16_t pseq = (uint16_t)(seqs[i] - p->seq_offset);
		const struct mix_sent *s = &v->history[pseq % MIX_HISTORY];
		if (s->seq == pseq && s->len)
			send_video(m, p, s);
	}
}

static void switch_profile(struct mix *m, struct mix_part *p, int profile)
{
	LOG_I("mix", "room=%s ep=%s moves from %s to %s", m->room, p->info.id,
	      profile_get(p->profile)->name, profile_get(profile)->name);
	p->profile = profile;
	p->out = mix_output(profile, p->info.packetization_mode);
	p->started_video = false;
	m->vout[p->out].idr_pending = true;
	atomic_store(&p->profile_now, profile);
}

/* Keyframe requests, NACKs and profile adaptation of each receiver. */
static unsigned take_feedback(struct mix *m, int64_t now)
{
	unsigned mask = 0;
	for (int i = 0; i < m->n_parts; i++) {
		struct mix_part *p = m->parts[i];
		if (!p->info.receives_video)
			continue;
		struct port_feedback fb;
		p->ops->feedback(p->port, &fb);
		/* A receiver starts at a keyframe sent once its transport is up;
		 * one sent before would be lost and cost a PLI round trip. */
		if (!p->sendable && p->ops->ready(p->port)) {
			p->sendable = true;
			m->vout[p->out].idr_pending = true;
		}
		if (fb.keyframe)
			m->vout[p->out].idr_pending = true;
		/* A receiver without RTCP cannot recover from a lost keyframe by
		 * asking: give its output one every few seconds. */
		if (!p->info.feedback && now - m->vout[p->out].last_idr_us >= BLIND_IDR_US)
			m->vout[p->out].idr_pending = true;
		if (fb.n_nacks > 0)
			retransmit(m, p, fb.nacks, fb.n_nacks);
		if (!p->window_us)
			p->window_us = now;
		if (now - p->window_us >= RATE_WINDOW_US) {
			p->sent_bps = (uint32_t)(p->bytes_window * 8 * 1000000 / (uint64_t)(now - p->window_us));
			p->bytes_window = 0;
			p->window_us = now;
		}
		int next = adapt_update(&p->adapt, now, fb.remb_bps, fb.loss_fraction, p->sent_bps,
					PROFILE_COUNT);
		if (next != p->profile)
			switch_profile(m, p, next);
		/* A profile is encoded once a receiver can take it: the encoder's
		 * first picture is then the IDR that receiver starts with. */
		if (p->sendable)
			mask |= 1u << p->out;
	}
	return mask;
}

static void *open_encoder(void *arg)
{
	struct mix_vout *v = arg;
	struct venc *e = NULL;
	if (venc_create(&v->open_cfg, &e))
		e = NULL;
	atomic_store(&v->opened, e);
	atomic_store(&v->open_done, true);
	return NULL;
}

/* Asks for output i's encoder: opened on a thread of its own (inline if no
 * thread can be had). */
static void start_opening(struct mix *m, int i)
{
	struct mix_vout *v = &m->vout[i];
	const struct profile *pr = profile_get((enum profile_id)(i / 2));
	/* Packetization mode 0 sends whole NAL units: cap them. */
	v->open_cfg = (struct venc_config){
		.width = pr->width, .height = pr->height, .fps = pr->fps,
		.bitrate_kbps = pr->bitrate_kbps, .preset = m->cfg.x264_preset,
		.threads = m->cfg.encoder_threads, .keyint_max = pr->fps * KEYINT_SECONDS,
		.slice_max_bytes = i % 2 ? MIX_RTP_PAYLOAD : 0,
	};
	atomic_store(&v->opened, NULL);
	atomic_store(&v->open_done, false);
	v->opening = true;
	if (pthread_create(&v->opener, NULL, open_encoder, v) != 0) {
		open_encoder(v);
		v->opening = false;
	}
}

/* Takes output i's encoder once it is open. Returns true when it has one. */
static bool take_opened(struct mix *m, int i, int64_t now)
{
	struct mix_vout *v = &m->vout[i];
	if (!atomic_load(&v->open_done))
		return false;
	if (v->opening)
		pthread_join(v->opener, NULL);
	v->opening = false;
	v->enc = atomic_exchange(&v->opened, NULL);
	v->history = v->enc ? calloc(MIX_HISTORY, sizeof(*v->history)) : NULL;
	if (!v->enc || !v->history) {
		LOG_E("mix", "room=%s cannot start the %s encoder", m->room,
		      profile_get((enum profile_id)(i / 2))->name);
		vout_stop(v);
		atomic_store(&v->open_done, false);
		v->open_failed_us = now; /* tried again only after a pause */
		return false;
	}
	v->last_idr_us = 0;
	v->idr_pending = true;
	return true;
}

/* Starts or stops encoders to match the outputs in use (mask: by output). */
static int update_outputs(struct mix *m, unsigned mask, int64_t now)
{
	int running = 0;
	for (int i = 0; i < MIX_OUTPUTS; i++) {
		struct mix_vout *v = &m->vout[i];
		if (!(mask & (1u << i))) {
			if (v->enc || v->opening)
				vout_stop(v);
			continue;
		}
		if (!v->enc) {
			if (!v->opening && !atomic_load(&v->open_done) &&
			    (!v->open_failed_us || now - v->open_failed_us >= OPEN_RETRY_US))
				start_opening(m, i);
			if (!take_opened(m, i, now))
				continue;
		}
		v->active = true;
		running++;
	}
	return running;
}

/* The speaker's tile index among the video senders, 0 when none. */
static int speaker_tile(const struct mix *m, struct mix_part *const *senders, int n)
{
	int slot = atomic_load(&m->loudest);
	for (int i = 0; slot >= 0 && i < n; i++)
		if (senders[i]->slot == slot)
			return i;
	return 0;
}

/* No sender is drawn as its pictures decode until the next compose. */
static void forget_tiles(struct mix *m)
{
	for (int i = 0; i < m->n_parts; i++)
		m->parts[i]->tile = 0;
}

static int compose(struct mix *m, int w, int h, int64_t now)
{
	struct mix_part *senders[LAYOUT_MAX_TILES];
	struct layout_rect tiles[LAYOUT_MAX_TILES];
	int n = 0;
	for (int i = 0; i < m->n_parts && n < LAYOUT_MAX_TILES; i++)
		if (m->parts[i]->info.sends_video)
			senders[n++] = m->parts[i];
	enum layout_kind kind = (enum layout_kind)atomic_load(&m->layout);
	if (layout_tiles(kind, n, speaker_tile(m, senders, n), w, h, tiles) < 0)
		return MCU_EINVAL;
	int rc = canvas_layout(m->canvas, w, h, tiles, n);
	forget_tiles(m);
	int64_t timeout = (int64_t)m->cfg.video_timeout_ms * 1000;
	for (int i = 0; !rc && i < n; i++) {
		struct mix_part *s = senders[i];
		s->tile = i + 1;
		/* A sender drawn at half its size or less needs no deblocking. */
		if (s->vdec && s->picture_gen > 0)
			vdec_set_fast(s->vdec, layout_at_half_or_less(&tiles[i], s->picture->width,
								       s->picture->height));
		bool fresh = s->picture_gen > 0 && now - s->picture_us < timeout;
		rc = canvas_draw(m->canvas, i, fresh ? s->picture : NULL, s, fresh ? s->picture_gen : 0);
	}
	return rc;
}

static void encode_profile(struct mix *m, int i, const AVFrame *frame, int64_t capture_us,
			   int64_t now)
{
	struct mix_vout *v = &m->vout[i];
	int64_t min_gap = (int64_t)m->cfg.keyframe_min_interval_ms * 1000;
	bool force = v->idr_pending && (!v->last_idr_us || now - v->last_idr_us >= min_gap);
	const uint8_t *au;
	size_t len;
	bool idr;
	int64_t t0 = clock_thread_cpu_us();
	int rc = venc_encode(v->enc, frame, (int64_t)mix_ts(m, capture_us, 90000), force, &au, &len, &idr);
	atomic_fetch_add(&m->pub.encode_us, (uint64_t)(clock_thread_cpu_us() - t0));
	if (rc || !len)
		return;
	atomic_fetch_add(&m->pub.frames_encoded, 1);
	if (idr) {
		v->idr_pending = false;
		v->last_idr_us = now;
		atomic_fetch_add(&m->pub.keyframes, 1);
	}
	if (m->rec && i == mix_output(PROFILE_HD, 1))
		recorder_push_video(m->rec, au, len, idr, capture_us);
	uint8_t scratch[MIX_RTP_PAYLOAD];
	struct emit_ctx c = { m, i, mix_ts(m, capture_us, 90000), capture_us, idr, true };
	h264pkt_pack(au, len, MIX_RTP_PAYLOAD, i % 2 ? 0 : 1, scratch, emit_payload, &c);
}

/* The profiles some output of which runs. */
static unsigned profiles_of(const struct mix *m)
{
	unsigned mask = 0;
	for (int i = 0; i < MIX_OUTPUTS; i++)
		if (m->vout[i].enc)
			mask |= 1u << (i / 2);
	return mask;
}

void mixvideo_tick(struct mix *m, int64_t capture_us)
{
	int64_t now = capture_us;
	m->tick_no++;
	unsigned outputs = take_feedback(m, now);
	if (m->rec) /* the recording is a tee of the hd stream: keep it running */
		outputs |= 1u << mix_output(PROFILE_HD, 1);
	int running = update_outputs(m, outputs, now);
	unsigned profiles = profiles_of(m);
	atomic_store(&m->pub.video_encoders, running);
	atomic_store(&m->pub.profiles_mask, profiles);
	if (!running) {
		forget_tiles(m); /* nobody watches: draw nothing */
		return;
	}
	int largest = 0;
	while (!(profiles & (1u << largest)))
		largest++;
	const struct profile *top = profile_get((enum profile_id)largest);
	if (compose(m, top->width, top->height, now))
		return;
	atomic_fetch_add(&m->pub.frames_composed, 1);
	/* Each profile's picture is scaled from the next larger one made (a
	 * copy kept by the canvas, redone only where tiles changed). All are
	 * made before any is encoded: the composite is then read while in
	 * cache, by the scaling and by the first encoder's import. */
	const AVFrame *frames[PROFILE_COUNT] = { NULL };
	int from = -1;
	for (int pi = largest; pi < PROFILE_COUNT; pi++) {
		const struct profile *pr = profile_get((enum profile_id)pi);
		if (!(profiles & (1u << pi)) || m->tick_no % (TILE_FPS / pr->fps))
			continue;
		if (pi == largest)
			frames[pi] = canvas_frame(m->canvas);
		else if (canvas_copy(m->canvas, pi, from, pr->width, pr->height, &frames[pi]))
			continue;
		from = pi == largest ? -1 : pi;
	}
	for (int pi = largest; pi < PROFILE_COUNT; pi++)
		for (int mode0 = 0; frames[pi] && mode0 < 2; mode0++)
			if (m->vout[pi * 2 + mode0].enc)
				encode_profile(m, pi * 2 + mode0, frames[pi], capture_us, now);
}
