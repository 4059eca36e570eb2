/*
 * endpoint.c - see endpoint.h.
 *
 * DESIGN: the ICE agent (iceagent.h) is made on the caller's thread but bound
 * to a transport thread's GMainContext, so libnice delivers every datagram and
 * state change there. That thread demultiplexes (RFC 7983): DTLS records feed
 * the handshake, RTP and RTCP are decrypted in a per-endpoint buffer (no
 * allocation per packet) and handed to the endpoint's RTP session
 * (rtpsession.h), which counts and queues them; a timer sends our RTCP
 * reports, which the session writes, every second. Counters other threads
 * read are atomics; the local description, which an ICE restart rewrites
 * from an HTTP thread, sits behind a mutex. Teardown is two-phase: the transport thread
 * detaches every callback and drops the agent, then the caller frees.
 */
#include "endpoint.h"
#include "base/clock.h"
#include "mcu/config.h"
#include "dtls.h"
#include "base/err.h"
#include "iceagent.h"
#include "mcu/participant.h"
#include "base/log.h"
#include "base/rtp.h"
#include "rtpsession.h"
#include "srtpctx.h"
#include "transport.h"

#include <glib.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define RX_BUFFER_SIZE 2048
#define DTLS_TIMER_MS 50
#define RTCP_INTERVAL_MS 1000
#define RTCP_BUFFER 1500

#define HELD_DATAGRAMS 8

/* The answer's buffers are the agent's (endpoint_local in endpoint.h). */
_Static_assert(ENDPOINT_CANDIDATE_LEN == ICEAGENT_CANDIDATE_LEN, "candidate buffers differ");
_Static_assert(sizeof(((struct endpoint_local *)0)->ice_ufrag) == ICEAGENT_CREDENTIAL_LEN &&
	       sizeof(((struct endpoint_local *)0)->ice_pwd) == ICEAGENT_CREDENTIAL_LEN,
	       "credential buffers differ");
/* The session takes every payload type the offer counted. */
_Static_assert(ENDPOINT_MAX_PTS <= PORT_MAX_PTS, "payload type tables differ");

/* DTLS datagrams sent before ICE had a pair (transport thread only). */
struct held_flight {
	uint8_t bytes[8192];
	size_t len[HELD_DATAGRAMS];
	size_t used;
	int n;
};

struct endpoint {
	char id[ENDPOINT_ID_LEN + 1];
	char room[65];
	char name[65];
	char direction[10];
	int64_t joined_wall_us;
	int audio_pts[ENDPOINT_MAX_PTS], n_audio_pts;
	int video_pts[ENDPOINT_MAX_PTS], n_video_pts;
	struct port_info port;      /* what the mixer sees; fixed */

	GMainContext *ctx;          /* the transport thread's; borrowed */
	struct iceagent *ice;
	GSource *dtls_timer;
	GSource *rtcp_timer;

	GMutex desc_lock;           /* guards local and remote_ufrag */
	struct endpoint_local local;
	char remote_ufrag[257];

	/* Transport thread only. */
	struct dtls *dtls;
	struct srtpctx *srtp;
	struct log_limit complaint_limit;
	uint8_t rx[RX_BUFFER_SIZE];
	struct held_flight held;

	/* Between the transport thread and the room thread: the session's
	 * receive side is the transport thread's, its queue the room's, its
	 * send side under send_lock (rtpsession.h). */
	struct rtpsession *session;
	GMutex send_lock;           /* guards srtp's outbound use, the session's send side and txbuf */
	uint8_t txbuf[RTCP_BUFFER + SRTPCTX_MAX_TRAILER];
	GMutex fb_lock;             /* guards fb */
	struct port_feedback fb;

	/* Published for other threads. */
	_Atomic int dtls_state;     /* enum dtls_state */
	_Atomic int srtp_profile;   /* enum srtpctx_profile, 0 = none */
	_Atomic uint64_t srtp_errors;
};

static uint32_t random_u32(void)
{
	uint32_t v = 0;
	while (v == 0)
		if (getrandom(&v, sizeof(v), 0) != sizeof(v))
			v = (uint32_t)g_random_int();
	return v;
}

void endpoint_new_id(char out[ENDPOINT_ID_LEN + 1])
{
	uint8_t raw[ENDPOINT_ID_LEN / 2];
	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		for (size_t i = 0; i < sizeof(raw); i++)
			raw[i] = (uint8_t)g_random_int();
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

/* Complaints a peer can trigger per packet are rate limited per endpoint. */
static void complain(struct endpoint *ep, const char *what, int code)
{
	unsigned suppressed;
	if (log_limit_pass(&ep->complaint_limit, 5000000, &suppressed))
		LOG_W("endpoint", "room=%s ep=%s %s: %s (%u similar suppressed)",
		      ep->room, ep->id, what, err_str(code), suppressed);
}

/* A decrypted packet is the session's to count and queue; one that is not
 * RTP is complained of (a payload type of neither kind is only counted). */
static void handle_rtp(struct endpoint *ep, uint8_t *pkt, size_t len)
{
	int rc = srtpctx_unprotect_rtp(ep->srtp, pkt, &len);
	if (rc) {
		atomic_fetch_add(&ep->srtp_errors, 1);
		complain(ep, "SRTP unprotect", rc);
		return;
	}
	rc = rtpsession_recv_rtp(ep->session, pkt, len, clock_now_us());
	if (rc == MCU_EPROTO)
		complain(ep, "RTP parse", rc);
}

/* Sends one datagram on the selected pair and counts it when it left.
 * Returns what iceagent_send() did. Thread: any. */
static int send_counted(struct endpoint *ep, const uint8_t *buf, size_t len)
{
	int sent = iceagent_send(ep->ice, buf, len);
	if (sent > 0)
		rtpsession_count_out(ep->session, (size_t)sent);
	return sent;
}

/* Protects and sends one RTCP packet of ours. Caller holds send_lock;
 * buf has SRTPCTX_MAX_TRAILER bytes of room after len. */
static void send_rtcp_locked(struct endpoint *ep, uint8_t *buf, size_t len)
{
	if (!ep->srtp || srtpctx_protect_rtcp(ep->srtp, buf, &len, len + SRTPCTX_MAX_TRAILER))
		return;
	send_counted(ep, buf, len);
}

static void handle_rtcp(struct endpoint *ep, uint8_t *pkt, size_t len)
{
	int rc = srtpctx_unprotect_rtcp(ep->srtp, pkt, &len);
	if (rc) {
		atomic_fetch_add(&ep->srtp_errors, 1);
		complain(ep, "SRTCP unprotect", rc);
		return;
	}
	g_mutex_lock(&ep->fb_lock);
	rc = rtpsession_recv_rtcp(ep->session, pkt, len, clock_now_us(), &ep->fb);
	g_mutex_unlock(&ep->fb_lock);
	if (rc)
		complain(ep, "RTCP parse", rc);
}

static void dtls_became_connected(struct endpoint *ep)
{
	struct srtpctx_keys keys;
	struct srtpctx *srtp = NULL;
	int rc = dtls_srtp_keys(ep->dtls, &keys);
	if (!rc)
		rc = srtpctx_create(&keys, &srtp);
	if (rc) {
		LOG_E("endpoint", "room=%s ep=%s cannot key SRTP: %s", ep->room, ep->id, err_str(rc));
		return;
	}
	/* The room thread protects under send_lock; from here on it may. */
	g_mutex_lock(&ep->send_lock);
	ep->srtp = srtp;
	g_mutex_unlock(&ep->send_lock);
	atomic_store(&ep->srtp_profile, (int)keys.profile);
	LOG_I("endpoint", "room=%s ep=%s DTLS connected, %s", ep->room, ep->id,
	      srtpctx_profile_name(keys.profile));
}

static void handle_dtls(struct endpoint *ep, const uint8_t *data, size_t len)
{
	enum dtls_state before = dtls_state(ep->dtls);
	int rc = dtls_handle_datagram(ep->dtls, data, len);
	enum dtls_state after = dtls_state(ep->dtls);
	atomic_store(&ep->dtls_state, (int)after);
	if (rc && before != DTLS_FAILED)
		LOG_W("endpoint", "room=%s ep=%s DTLS failed: %s", ep->room, ep->id,
		      dtls_failure(ep->dtls));
	if (after == DTLS_CONNECTED && before != DTLS_CONNECTED && !ep->srtp)
		dtls_became_connected(ep);
}

/* The ICE agent's receive callback: one datagram, on the transport thread. */
static void on_datagram(void *user, const uint8_t *pkt, size_t len)
{
	struct endpoint *ep = user;
	if (!rtpsession_admit(ep->session, clock_now_us()))
		return;
	switch (rtp_demux(pkt, len)) {
	case RTP_DEMUX_DTLS:
		handle_dtls(ep, pkt, len);
		return;
	case RTP_DEMUX_RTP:
	case RTP_DEMUX_RTCP:
		if (!ep->srtp || len > sizeof(ep->rx))
			break;
		memcpy(ep->rx, pkt, len);
		if (rtp_demux(pkt, len) == RTP_DEMUX_RTP)
			handle_rtp(ep, ep->rx, len);
		else
			handle_rtcp(ep, ep->rx, len);
		return;
	default:
		break;
	}
	rtpsession_count_other(ep->session);
}

static void dtls_send(void *user, const uint8_t *data, size_t len)
{
	struct endpoint *ep = user;
	if (send_counted(ep, data, len) > 0)
		return;
	/* The peer's ClientHello can reach us before our side of ICE has a
	 * pair to answer on; hold the flight for the moment it has, instead of
	 * waiting a second for the peer's retransmission. */
	struct held_flight *h = &ep->held;
	if (h->n < HELD_DATAGRAMS && h->used + len <= sizeof(h->bytes)) {
		memcpy(h->bytes + h->used, data, len);
		h->len[h->n++] = len;
		h->used += len;
	}
}

/* The ICE agent's ready callback: sends what dtls_send could not, now that
 * ICE has a pair. Transport thread. */
static void flush_held_flight(void *user)
{
	struct endpoint *ep = user;
	struct held_flight *h = &ep->held;
	size_t off = 0;
	for (int i = 0; i < h->n; i++) {
		send_counted(ep, h->bytes + off, h->len[i]);
		off += h->len[i];
	}
	h->n = 0;
	h->used = 0;
}

static gboolean on_dtls_timer(gpointer data)
{
	struct endpoint *ep = data;
	if (dtls_state(ep->dtls) == DTLS_CONNECTING) {
		dtls_handle_timeout(ep->dtls);
		atomic_store(&ep->dtls_state, (int)dtls_state(ep->dtls));
	}
	return G_SOURCE_CONTINUE;
}

/* Every second: a sender report per stream we send (the first carrying
 * our reception reports), or a receiver report when we send nothing yet. */
static gboolean on_rtcp_timer(gpointer data)
{
	struct endpoint *ep = data;
	if (!ep->srtp)
		return G_SOURCE_CONTINUE;
	g_mutex_lock(&ep->send_lock);
	size_t len = rtpsession_write_reports(ep->session, clock_now_us(), clock_wall_us(), ep->txbuf,
					      RTCP_BUFFER);
	if (len)
		send_rtcp_locked(ep, ep->txbuf, len);
	g_mutex_unlock(&ep->send_lock);
	return G_SOURCE_CONTINUE;
}

/* ---- the media port (port.h); these run on the room thread ---------- */

static int port_recv(void *port, struct port_packet *out)
{
	struct endpoint *ep = port;
	return rtpsession_pop(ep->session, out);
}

static void port_send_rtp(void *port, enum port_media kind, uint8_t *pkt, size_t len, size_t cap,
			  int64_t capture_us)
{
	struct endpoint *ep = port;
	if (len < 12)
		return;
	g_mutex_lock(&ep->send_lock);
	if (ep->srtp) {
		rtpsession_sent_rtp(ep->session, kind, pkt, len, capture_us);
		if (!srtpctx_protect_rtp(ep->srtp, pkt, &len, cap))
			send_counted(ep, pkt, len);
	}
	g_mutex_unlock(&ep->send_lock);
}

/* Nothing is sent before video came: the room asks again when it does. */
static void port_request_keyframe(void *port)
{
	struct endpoint *ep = port;
	g_mutex_lock(&ep->send_lock);
	size_t len = rtpsession_write_pli(ep->session, ep->txbuf, RTCP_BUFFER);
	if (len)
		send_rtcp_locked(ep, ep->txbuf, len);
	g_mutex_unlock(&ep->send_lock);
}

static void port_nack(void *port, const uint16_t *seqs, int n)
{
	struct endpoint *ep = port;
	g_mutex_lock(&ep->send_lock);
	size_t len = rtpsession_write_nack(ep->session, seqs, n, ep->txbuf, RTCP_BUFFER);
	if (len)
		send_rtcp_locked(ep, ep->txbuf, len);
	g_mutex_unlock(&ep->send_lock);
}

static void clear_feedback(struct port_feedback *fb)
{
	fb->keyframe = false;
	fb->remb_bps = 0;
	fb->loss_fraction = -1;
	fb->n_nacks = 0;
}

static void port_feedback(void *port, struct port_feedback *out)
{
	struct endpoint *ep = port;
	g_mutex_lock(&ep->fb_lock);
	*out = ep->fb;
	clear_feedback(&ep->fb);
	g_mutex_unlock(&ep->fb_lock);
}

static bool port_ready(void *port)
{
	struct endpoint *ep = port;
	return atomic_load(&ep->srtp_profile) != 0;
}

static const struct port_ops endpoint_ops = {
	.recv = port_recv,
	.send_rtp = port_send_rtp,
	.request_keyframe = port_request_keyframe,
	.nack = port_nack,
	.feedback = port_feedback,
	.ready = port_ready,
};

const struct port_ops *endpoint_port_ops(void)
{
	return &endpoint_ops;
}

void endpoint_port_info(const struct endpoint *ep, struct port_info *out)
{
	*out = ep->port;
}

/* Fills ep->local's credentials and candidates from the agent. Caller holds
 * desc_lock or owns ep exclusively. Returns 0 or MCU_EIO (no candidate). */
static int read_local_description(struct endpoint *ep, const struct config *cfg)
{
	int rc = iceagent_local_credentials(ep->ice, ep->local.ice_ufrag, ep->local.ice_pwd);
	if (rc)
		return rc;
	ep->local.n_candidates = iceagent_local_candidates(ep->ice, cfg->public_ip, ep->local.candidates,
							   ENDPOINT_MAX_CANDIDATES);
	return ep->local.n_candidates > 0 ? 0 : MCU_EIO;
}

static void copy_pts(int *dst, int *n_dst, const int *src, int n)
{
	*n_dst = n < ENDPOINT_MAX_PTS ? n : ENDPOINT_MAX_PTS;
	memcpy(dst, src, (size_t)*n_dst * sizeof(int));
}

static void fill_port_info(struct endpoint *ep, const struct endpoint_params *p)
{
	struct port_info *pi = &ep->port;
	memcpy(pi->id, ep->id, sizeof(pi->id));
	pi->sends_audio = p->sends_audio && ep->n_audio_pts > 0;
	pi->sends_video = p->sends_video && ep->n_video_pts > 0;
	pi->receives_audio = p->receives_audio && p->send_audio_pt >= 0;
	pi->receives_video = p->receives_video && p->send_video_pt >= 0;
	pi->profile = (int)p->profile;
	pi->packetization_mode = 1;
	pi->feedback = true;
	pi->audio_ssrc = ep->local.audio_ssrc;
	pi->video_ssrc = ep->local.video_ssrc;
	pi->audio_pt = p->send_audio_pt;
	pi->video_pt = p->send_video_pt;
	pi->n_video_pts = ep->n_video_pts < PORT_MAX_PTS ? ep->n_video_pts : PORT_MAX_PTS;
	for (int i = 0; i < pi->n_video_pts; i++) {
		pi->video_pts[i] = ep->video_pts[i];
		pi->video_codecs[i] = p->video_codecs[i];
	}
}

static void copy_identity(struct endpoint *ep, const struct endpoint_params *p)
{
	endpoint_new_id(ep->id);
	snprintf(ep->room, sizeof(ep->room), "%s", p->room ? p->room : "");
	snprintf(ep->name, sizeof(ep->name), "%s", p->name ? p->name : "");
	snprintf(ep->direction, sizeof(ep->direction), "%s", p->direction ? p->direction : "sendrecv");
	snprintf(ep->remote_ufrag, sizeof(ep->remote_ufrag), "%s", p->remote_ufrag);
	ep->joined_wall_us = clock_wall_us();
	copy_pts(ep->audio_pts, &ep->n_audio_pts, p->audio_pts, p->n_audio_pts);
	copy_pts(ep->video_pts, &ep->n_video_pts, p->video_pts, p->n_video_pts);
	ep->local.audio_ssrc = random_u32();
	ep->local.video_ssrc = random_u32();
	fill_port_info(ep, p);
}

/* The RTP session: Opus at 48 kHz, video at 90 kHz, the offer's payload
 * types of each. Returns 0 or MCU_ENOMEM. */
static int make_session(struct endpoint *ep, const struct endpoint_params *p, int max_packet_rate)
{
	struct rtpsession_params sp = {
		.ssrc = { [PORT_AUDIO] = ep->local.audio_ssrc, [PORT_VIDEO] = ep->local.video_ssrc },
		.rate = { [PORT_AUDIO] = 48000, [PORT_VIDEO] = 90000 },
		.n_pts = { [PORT_AUDIO] = ep->n_audio_pts, [PORT_VIDEO] = ep->n_video_pts },
		.audio_level_ext = p->audio_level_ext,
		.max_packet_rate = max_packet_rate,
	};
	memcpy(sp.pts[PORT_AUDIO], ep->audio_pts, (size_t)ep->n_audio_pts * sizeof(int));
	memcpy(sp.pts[PORT_VIDEO], ep->video_pts, (size_t)ep->n_video_pts * sizeof(int));
	return rtpsession_create(&sp, &ep->session);
}

/* The ICE agent, the offer's side of ICE set, and our description read. */
static int make_agent(struct endpoint *ep, const struct endpoint_env *env, const struct endpoint_params *p)
{
	char tag[160];
	snprintf(tag, sizeof(tag), "room=%s ep=%s", ep->room, ep->id);
	const struct iceagent_callbacks cb = { .recv = on_datagram, .ready = flush_held_flight, .user = ep };
	int rc = iceagent_create(ep->ctx, env->cfg, tag, &cb, &ep->ice);
	if (rc)
		return rc;
	rc = iceagent_set_remote_credentials(ep->ice, p->remote_ufrag, p->remote_pwd);
	if (rc)
		return rc;
	iceagent_add_remote_candidates(ep->ice, p->remote_candidates, p->n_remote_candidates,
				       p->remote_end_of_candidates);
	return read_local_description(ep, env->cfg);
}

int endpoint_create(const struct endpoint_env *env, const struct endpoint_params *p,
		    struct endpoint **out, char *err, size_t err_size)
{
	/* Every snapshot names the profile from the table by this id. */
	if (!profile_get(p->profile)) {
		snprintf(err, err_size, "no profile has id %d", (int)p->profile);
		return MCU_EINVAL;
	}
	struct endpoint *ep = calloc(1, sizeof(*ep));
	if (!ep) {
		snprintf(err, err_size, "out of memory");
		return MCU_ENOMEM;
	}
	g_mutex_init(&ep->desc_lock);
	g_mutex_init(&ep->send_lock);
	g_mutex_init(&ep->fb_lock);
	clear_feedback(&ep->fb);
	copy_identity(ep, p);
	ep->ctx = transport_next_context(env->transport);
	int rc = make_session(ep, p, env->cfg->max_packet_rate);
	if (rc) {
		snprintf(err, err_size, "out of memory");
		goto fail;
	}
	rc = dtls_create(env->identity, p->remote_fingerprint, dtls_send, ep, &ep->dtls);
	if (rc) {
		/* EINVAL is the offer's fault: a fingerprint that is not 32
		 * colon-separated hex bytes. Said as bad input, not a bad room. */
		snprintf(err, err_size, "a=fingerprint '%.120s' is not a sha-256 fingerprint (32 hex bytes with colons)",
			 p->remote_fingerprint);
		if (rc == MCU_EINVAL)
			rc = MCU_EPROTO;
		goto fail;
	}
	rc = make_agent(ep, env, p);
	if (rc) {
		snprintf(err, err_size, "ICE setup failed: %s%s", err_str(rc),
			 rc == MCU_EIO ? " (no usable local address: check ice_addresses)" : "");
		goto fail;
	}
	ep->dtls_timer = g_timeout_source_new(DTLS_TIMER_MS);
	g_source_set_callback(ep->dtls_timer, on_dtls_timer, ep, NULL);
	g_source_attach(ep->dtls_timer, ep->ctx);
	ep->rtcp_timer = g_timeout_source_new(RTCP_INTERVAL_MS);
	g_source_set_callback(ep->rtcp_timer, on_rtcp_timer, ep, NULL);
	g_source_attach(ep->rtcp_timer, ep->ctx);
	LOG_I("endpoint", "room=%s ep=%s created (%s, %s, %d local candidates)", ep->room, ep->id,
	      ep->direction, profile_get(p->profile)->name, ep->local.n_candidates);
	*out = ep;
	return 0;
fail:
	endpoint_destroy(ep);
	return rc;
}

/* First phase of the close, on the endpoint's transport thread: after it no
 * callback of libnice or GLib can reach ep. */
static void teardown_on_thread(void *arg)
{
	struct endpoint *ep = arg;
	if (ep->dtls_timer) {
		g_source_destroy(ep->dtls_timer);
		g_source_unref(ep->dtls_timer);
		ep->dtls_timer = NULL;
	}
	if (ep->rtcp_timer) {
		g_source_destroy(ep->rtcp_timer);
		g_source_unref(ep->rtcp_timer);
		ep->rtcp_timer = NULL;
	}
	/* Inline: we are on the agent's thread already. */
	iceagent_destroy(ep->ice);
	ep->ice = NULL;
}

void endpoint_destroy(struct endpoint *ep)
{
	if (!ep)
		return;
	if (ep->ctx)
		transport_call_sync(ep->ctx, teardown_on_thread, ep);
	srtpctx_destroy(ep->srtp);
	dtls_destroy(ep->dtls);
	rtpsession_destroy(ep->session);
	g_mutex_clear(&ep->desc_lock);
	g_mutex_clear(&ep->send_lock);
	g_mutex_clear(&ep->fb_lock);
	free(ep);
}

const char *endpoint_id(const struct endpoint *ep)
{
	return ep->id;
}

void endpoint_local(struct endpoint *ep, struct endpoint_local *out)
{
	g_mutex_lock(&ep->desc_lock);
	*out = ep->local;
	g_mutex_unlock(&ep->desc_lock);
}

void endpoint_get_info(struct endpoint *ep, struct endpoint_info *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->id, ep->id, sizeof(out->id));
	memcpy(out->name, ep->name, sizeof(out->name));
	snprintf(out->profile, sizeof(out->profile), "%s",
		 profile_get((enum profile_id)ep->port.profile)->name);
	memcpy(out->direction, ep->direction, sizeof(out->direction));
	out->joined_wall_us = ep->joined_wall_us;
	out->ice_state = iceagent_state_name(ep->ice);
	out->ice_transport = iceagent_transport_name(ep->ice);
	out->dtls_state = dtls_state_name((enum dtls_state)atomic_load(&ep->dtls_state));
	int profile = atomic_load(&ep->srtp_profile);
	out->srtp_profile = profile ? srtpctx_profile_name((enum srtpctx_profile)profile) : "";
	rtpsession_info(ep->session, out);
	out->srtp_errors = atomic_load(&ep->srtp_errors);
}

/* ---- the participant contract (participant.h) ------------------------ */

static const char *part_id(const void *self)
{
	return endpoint_id(self);
}

static void part_info(void *self, struct endpoint_info *out)
{
	endpoint_get_info(self, out);
}

static void part_port_info(const void *self, struct port_info *out)
{
	endpoint_port_info(self, out);
}

/* Consent expires when nothing authenticated (SRTP, SRTCP) came for
 * media_timeout_s; a failed ICE pair alone drops nobody. */
static const char *part_gone(void *self, int64_t now_us, const struct config *cfg)
{
	struct endpoint *ep = self;
	if (atomic_load(&ep->dtls_state) == DTLS_CLOSED)
		return "DTLS closed by the peer";
	if (now_us - rtpsession_alive_us(ep->session) > (int64_t)cfg->media_timeout_s * 1000000)
		return "no media or RTCP";
	return NULL;
}

static void part_destroy(void *self)
{
	endpoint_destroy(self);
}

/* Trickled candidates; unparseable ones (mDNS names) are skipped. */
static int part_trickle(void *self, const char *const *candidates, int n, int end)
{
	struct endpoint *ep = self;
	return iceagent_add_remote_candidates(ep->ice, candidates, n, end);
}

static void part_remote_ufrag(void *self, char *buf, size_t size)
{
	struct endpoint *ep = self;
	g_mutex_lock(&ep->desc_lock);
	snprintf(buf, size, "%s", ep->remote_ufrag);
	g_mutex_unlock(&ep->desc_lock);
}

/* ICE restart: new local credentials into *out; DTLS and SRTP carry on. */
static int part_restart_ice(void *self, const char *ufrag, const char *pwd,
			    const char *const *candidates, int n, struct endpoint_local *out)
{
	struct endpoint *ep = self;
	g_mutex_lock(&ep->desc_lock);
	int rc = iceagent_restart(ep->ice, ufrag, pwd);
	if (!rc) {
		snprintf(ep->remote_ufrag, sizeof(ep->remote_ufrag), "%s", ufrag);
		rc = iceagent_local_credentials(ep->ice, ep->local.ice_ufrag, ep->local.ice_pwd);
	}
	*out = ep->local;
	g_mutex_unlock(&ep->desc_lock);
	if (!rc)
		iceagent_add_remote_candidates(ep->ice, candidates, n, 0);
	return rc;
}

static const struct participant_ops participant_ops = {
	.id = part_id, .info = part_info, .port_info = part_port_info,
	.port_ops = &endpoint_ops, .gone = part_gone, .destroy = part_destroy,
	.trickle = part_trickle, .remote_ufrag = part_remote_ufrag, .restart_ice = part_restart_ice,
};

const struct participant_ops *endpoint_participant_ops(void)
{
	return &participant_ops;
}
