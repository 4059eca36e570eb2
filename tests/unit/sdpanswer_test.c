/*
 * sdpanswer_test.c - the WebRTC answer (sdpanswer.h): what the server accepts
 * from the offers in tests/unit/offers/ (see sdpfixture.h) and from offers
 * edited to break one thing at a time, the answers it writes (which must
 * parse back into what was decided), and what it does with offers that
 * still parse after random damage or a cut.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "signaling/sdp.h"
#include "signaling/sdpanswer.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdpfixture.h"

#define ANSWER_SIZE 65536
#define AUDIO_LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

static const char *const LOCAL_CANDIDATES[] = {
	"candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host",
	"candidate:2 1 udp 2130706175 192.0.2.99 40002 typ host",
};

static const struct sdp_local LOCAL = {
	.ice_ufrag = "mcuQ",
	.ice_pwd = "mcuIcePasswordOf28Chars00000",
	.fingerprint = "0F:1E:2D:3C:4B:5A:69:78:87:96:A5:B4:C3:D2:E1:F0:"
		       "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
	.candidates = LOCAL_CANDIDATES,
	.n_candidates = 2,
	.audio_ssrc = 111111111,
	.video_ssrc = 222222222,
	.cname = "mcu-cname-7",
	.stream_id = "mcu-stream-7",
	.session_id = 4242424242424242ULL,
};

/* ---- helpers ---------------------------------------------------------- */

static bool has_pt(const struct sdp_media_answer *a, int pt)
{
	assert_in_range(a->n_recv_pts, 0, 4);
	for (int i = 0; i < a->n_recv_pts; i++)
		if (a->recv_pts[i] == pt)
			return true;
	return false;
}

/* The codec the negotiation gave video payload type pt; fails without it. */
static enum codec_video codec_of(const struct sdp_media_answer *a, int pt)
{
	for (int i = 0; i < a->n_recv_pts; i++)
		if (a->recv_pts[i] == pt)
			return a->recv_codecs[i];
	fail_msg("payload type %d not accepted", pt);
	return CODEC_H264;
}

/* Returns a new string without the lines that start with prefix. */
static char *drop_lines(const char *s, const char *prefix)
{
	char *out = malloc(strlen(s) + 1);
	assert_non_null(out);
	char *w = out;
	size_t pl = strlen(prefix);
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) + 1 : strlen(s);
		if (strncmp(s, prefix, pl) != 0) {
			memcpy(w, s, n);
			w += n;
		}
		s += n;
	}
	*w = '\0';
	return out;
}

/* Negotiates an offer that must be accepted. */
static void negotiate_ok(const char *what, const struct sdp_offer *o,
			 struct sdp_negotiation *neg)
{
	char err[256] = "";
	int rc = sdpanswer_negotiate(o, neg, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s: sdpanswer_negotiate returned %d: %s", what, rc, err);
}

/* Negotiates and builds the answer; returns it (new) and its length. */
static char *answer_for(const char *what, const struct sdp_offer *o,
			struct sdp_negotiation *neg, int *len)
{
	negotiate_ok(what, o, neg);
	char *buf = malloc(ANSWER_SIZE);
	assert_non_null(buf);
	int n = sdpanswer_build(o, neg, &LOCAL, buf, ANSWER_SIZE);
	if (n <= 0)
		fail_msg("%s: sdpanswer_build returned %d", what, n);
	assert_int_equal(strlen(buf), (size_t)n);
	sdpfixture_assert_crlf(buf, (size_t)n);
	*len = n;
	return buf;
}

/* ---- negotiation ------------------------------------------------------ */

struct expect {
	const char *file;
	int audio_index, video_index;
	int audio_pt, video_pt;
	enum sdp_direction dir;   /* the answer's, from our side */
	int audio_level_ext, mid_ext;
};

static const struct expect EXPECT[] = {
	{ "chromium.sdp", 0, 1, 111, 108, SDP_SENDRECV, 1, 4 },
	{ "chromium-sendonly.sdp", 0, 1, 111, 108, SDP_RECVONLY, 1, 4 },
	{ "firefox.sdp", 0, 1, 109, 126, SDP_SENDRECV, 1, 3 },
	{ "safari.sdp", 0, 1, 111, 98, SDP_SENDRECV, 1, 4 },
	{ "obs.sdp", 0, 1, 111, 96, SDP_RECVONLY, 0, 0 },
	{ "gstreamer-whipsink.sdp", 1, 0, 97, 96, SDP_RECVONLY, 0, 0 },
};

static void check_expect(const struct expect *e, const struct sdp_negotiation *neg)
{
	assert_int_equal(neg->audio_index, e->audio_index);
	assert_int_equal(neg->video_index, e->video_index);
	const struct sdp_media_answer *a = &neg->media[e->audio_index];
	const struct sdp_media_answer *v = &neg->media[e->video_index];
	assert_true(a->accepted && v->accepted);
	assert_int_equal(a->direction, e->dir);
	assert_int_equal(v->direction, e->dir);
	if (!has_pt(a, e->audio_pt))
		fail_msg("%s: audio does not receive pt %d", e->file, e->audio_pt);
	if (!has_pt(v, e->video_pt))
		fail_msg("%s: video does not receive pt %d", e->file, e->video_pt);
	bool we_send = e->dir == SDP_SENDRECV;
	/* sdp.h: send_pt is -1 "when we send nothing", as in a recvonly answer. */
	int want_a = we_send ? e->audio_pt : -1, want_v = we_send ? e->video_pt : -1;
	if (a->send_pt != want_a || v->send_pt != want_v)
		fail_msg("%s: send_pt is %d (audio) and %d (video), expected %d and %d",
			 e->file, a->send_pt, v->send_pt, want_a, want_v);
	assert_int_equal(a->audio_level_ext, e->audio_level_ext);
	assert_int_equal(a->mid_ext, e->mid_ext);
	assert_int_equal(v->mid_ext, e->mid_ext);
	assert_true(neg->peer_sends);
	assert_int_equal(neg->peer_receives, we_send);
}

static void test_negotiate_good_offers(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(EXPECT) / sizeof(EXPECT[0]); i++) {
		struct sdp_offer *o = sdpfixture_parse_file(EXPECT[i].file);
		struct sdp_negotiation neg;
		memset(&neg, 0xA5, sizeof(neg)); /* no field may be left unset */
		negotiate_ok(EXPECT[i].file, o, &neg);
		check_expect(&EXPECT[i], &neg);
		free(o);
	}
}

/* Expects negotiation of text to fail with code, the reason naming one of
 * the words (case-insensitive; NULL-terminated list). */
static void expect_refusal(const char *what, const char *text, int code,
			   const char *const *words)
{
	struct sdp_offer *o = sdpfixture_parse_ok(what, text, strlen(text));
	struct sdp_negotiation neg;
	char err[256] = "";
	int rc = sdpanswer_negotiate(o, &neg, err, sizeof(err));
	if (rc != code)
		fail_msg("%s: sdpanswer_negotiate returned %d (%s), expected %d; err \"%s\"",
			 what, rc, err_str(rc), code, err);
	if (err[0] == '\0')
		fail_msg("%s: no reason given", what);
	bool named = false;
	for (; *words; words++)
		named |= sdpfixture_contains_ci(err, *words);
	if (!named)
		fail_msg("%s: the reason \"%s\" does not say what is wrong", what, err);
	free(o);
}

static void test_negotiate_refusals_from_files(void **state)
{
	(void)state;
	size_t len;
	char *text = sdpfixture_load("no-fingerprint.sdp", &len);
	expect_refusal("no-fingerprint.sdp", text, MCU_EPROTO,
		       (const char *const[]){ "fingerprint", NULL });
	free(text);
	text = sdpfixture_load("no-codec.sdp", &len);
	expect_refusal("no-codec.sdp", text, MCU_EUNSUPPORTED,
		       (const char *const[]){ "codec", "opus", "h264", "h.264", "vp8", NULL });
	free(text);
	text = sdpfixture_load("ffmpeg-rtp.sdp", &len);
	/* No ICE, DTLS, BUNDLE or rtcp-mux: any of them may be named. */
	expect_refusal("ffmpeg-rtp.sdp", text, MCU_EPROTO,
		       (const char *const[]){ "ice", "fingerprint", "dtls", "bundle",
					      "rtcp", "savpf", "rtp/avp", NULL });
	free(text);
}

/* Chromium's offer with one thing broken at a time. */
static void test_negotiate_refusals_edited(void **state)
{
	(void)state;
	size_t len;
	char *orig = sdpfixture_load("chromium.sdp", &len);
	char *t;

	t = sdpfixture_replace_all(orig, "a=setup:actpass", "a=setup:passive");
	expect_refusal("setup:passive", t, MCU_EPROTO, (const char *const[]){ "setup", "passive", NULL });
	free(t);
	t = drop_lines(orig, "a=group:BUNDLE");
	expect_refusal("no BUNDLE", t, MCU_EPROTO, (const char *const[]){ "bundle", NULL });
	free(t);
	t = drop_lines(orig, "a=rtcp-mux");
	expect_refusal("no rtcp-mux", t, MCU_EPROTO, (const char *const[]){ "rtcp-mux", "rtcp mux", NULL });
	free(t);
	t = drop_lines(orig, "a=ice-pwd:");
	expect_refusal("no ice-pwd", t, MCU_EPROTO, (const char *const[]){ "ice", NULL });
	free(t);
	t = drop_lines(orig, "a=ice-ufrag:");
	expect_refusal("no ice-ufrag", t, MCU_EPROTO, (const char *const[]){ "ice", NULL });
	free(t);
	t = sdpfixture_replace_all(orig, "a=fingerprint:sha-256", "a=fingerprint:sha-1");
	expect_refusal("sha-1 fingerprint", t, MCU_EPROTO,
		       (const char *const[]){ "fingerprint", "sha", NULL });
	free(t);

	/* a=setup:active is fine: we answer passive. */
	t = sdpfixture_replace_all(orig, "a=setup:actpass", "a=setup:active");
	struct sdp_offer *o = sdpfixture_parse_ok("setup:active", t, strlen(t));
	struct sdp_negotiation neg;
	assert_int_equal(o->media[0].setup, SDP_SETUP_ACTIVE);
	negotiate_ok("setup:active", o, &neg);
	free(o);
	free(t);
	free(orig);
}

/* Sections we cannot take are rejected while the rest is accepted. */
static void test_negotiate_partial(void **state)
{
	(void)state;
	struct sdpfixture_sbuf b = { 0 };
	struct sdp_negotiation neg;

	/* H.264 in packetization-mode 0 only: video is rejected, audio stays. */
	sdpfixture_sb_session(&b, "a v");
	sdpfixture_sb_opus(&b, "a");
	sdpfixture_sb_add(&b, "m=video 9 UDP/TLS/RTP/SAVPF 104\r\nc=IN IP4 0.0.0.0\r\n"
			  "a=mid:v\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:104 H264/90000\r\n"
			  "a=fmtp:104 packetization-mode=0;profile-level-id=42e01f\r\n");
	struct sdp_offer *o = sdpfixture_parse_ok("pm=0 only", b.s, b.len);
	negotiate_ok("pm=0 only", o, &neg);
	assert_int_equal(neg.audio_index, 0);
	assert_int_equal(neg.video_index, -1);
	assert_true(neg.media[0].accepted);
	assert_false(neg.media[1].accepted);
	assert_int_equal(neg.media[0].send_pt, 111);
	free(o);

	/* VP8 only, sendrecv: we take VP8 in but can only send H.264. */
	b.len = 0;
	sdpfixture_sb_session(&b, "a v");
	sdpfixture_sb_opus(&b, "a");
	sdpfixture_sb_add(&b, "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
			  "a=mid:v\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:96 VP8/90000\r\n");
	o = sdpfixture_parse_ok("vp8 only", b.s, b.len);
	negotiate_ok("vp8 only", o, &neg);
	assert_int_equal(neg.video_index, 1);
	assert_true(neg.media[1].accepted);
	assert_true(has_pt(&neg.media[1], 96));
	assert_int_equal(codec_of(&neg.media[1], 96), CODEC_VP8);
	assert_int_equal(neg.media[1].send_pt, -1);
	assert_int_equal(neg.media[1].direction, SDP_RECVONLY);
	assert_int_equal(neg.media[0].direction, SDP_SENDRECV);
	free(o);

	/* Audio only, recvonly from the peer (a WHEP-like viewer). */
	b.len = 0;
	sdpfixture_sb_session(&b, "a");
	sdpfixture_sb_opus(&b, "a");
	char *t = sdpfixture_replace_all(b.s, "a=sendrecv", "a=recvonly");
	o = sdpfixture_parse_ok("audio recvonly", t, strlen(t));
	negotiate_ok("audio recvonly", o, &neg);
	assert_int_equal(neg.audio_index, 0);
	assert_int_equal(neg.video_index, -1);
	assert_int_equal(neg.media[0].direction, SDP_SENDONLY);
	assert_int_equal(neg.media[0].send_pt, 111);
	assert_false(neg.peer_sends);
	assert_true(neg.peer_receives);
	free(t);
	free(o);
	free(b.s);
}

/* ---- damaged and cut offers ------------------------------------------ */

/* Random bytes, and Chromium's offer with random damage: the result is 0 or
 * MCU_EPROTO, and what parses can be negotiated and answered safely. */
static void test_random_damage(void **state)
{
	(void)state;
	size_t len;
	char *orig = sdpfixture_load("chromium.sdp", &len);
	struct sdp_offer *o = calloc(1, sizeof(*o));
	char *work = malloc(len + 1);
	char *ans = malloc(ANSWER_SIZE);
	assert_true(o && work && ans);
	uint32_t seed = 12345;
	for (int iter = 0; iter < 600; iter++) {
		size_t n;
		if (iter < 200) { /* pure noise */
			n = 1 + (seed = seed * 1103515245u + 12345u) % 3000;
			n = n > len ? len : n;
			for (size_t i = 0; i < n; i++)
				work[i] = (char)((seed = seed * 1103515245u + 12345u) >> 16);
		} else { /* a few bytes of the real offer changed */
			n = len;
			memcpy(work, orig, len);
			for (int k = 0; k < 4; k++) {
				seed = seed * 1103515245u + 12345u;
				work[(seed >> 8) % len] = (char)(seed >> 24);
			}
		}
		char err[256];
		int rc = sdpfixture_parse_exact(work, n, o, err, sizeof(err));
		if (rc != 0 && rc != MCU_EPROTO)
			fail_msg("iteration %d: sdp_parse returned %d", iter, rc);
		if (rc != 0)
			continue;
		assert_in_range(o->n_media, 0, SDP_MAX_MEDIA);
		struct sdp_negotiation neg;
		rc = sdpanswer_negotiate(o, &neg, err, sizeof(err));
		if (rc != 0 && rc != MCU_EPROTO && rc != MCU_EUNSUPPORTED)
			fail_msg("iteration %d: sdpanswer_negotiate returned %d", iter, rc);
		if (rc == 0)
			assert_true(sdpanswer_build(o, &neg, &LOCAL, ans, ANSWER_SIZE) > 0);
	}
	free(ans);
	free(work);
	free(o);
	free(orig);
}

static void test_truncated(void **state)
{
	(void)state;
	struct sdp_offer *o = calloc(1, sizeof(*o));
	char *ans = malloc(ANSWER_SIZE);
	assert_true(o && ans);
	for (size_t f = 0; f < sdpfixture_n_offers; f++) {
		size_t len;
		char *text = sdpfixture_load(sdpfixture_offers[f], &len);
		/* Every length for Chromium's offer, every third for the rest. */
		size_t step = f == 0 ? 1 : 3;
		for (size_t n = 0; n <= len; n += step) {
			char err[256];
			int rc = sdpfixture_parse_exact(text, n, o, err, sizeof(err));
			if (rc != 0 && rc != MCU_EPROTO)
				fail_msg("%s cut at %zu: sdp_parse returned %d", sdpfixture_offers[f], n, rc);
			if (rc != 0)
				continue;
			struct sdp_negotiation neg;
			rc = sdpanswer_negotiate(o, &neg, err, sizeof(err));
			if (rc != 0 && rc != MCU_EPROTO && rc != MCU_EUNSUPPORTED)
				fail_msg("%s cut at %zu: sdpanswer_negotiate returned %d",
					 sdpfixture_offers[f], n, rc);
			if (rc == 0)
				assert_true(sdpanswer_build(o, &neg, &LOCAL, ans, ANSWER_SIZE) > 0);
		}
		free(text);
	}
	free(ans);
	free(o);
}

/* Firefox with max-bundle writes port 0 and a=bundle-only on every section
 * but the first (RFC 8843): those sections are live, not rejected. */
static void test_bundle_only(void **state)
{
	(void)state;
	size_t len;
	char *t = sdpfixture_load("firefox.sdp", &len);
	struct sdpfixture_sbuf b = { 0 };
	const char *video = strstr(t, "m=video ");
	assert_non_null(video);
	const char *after_port = strchr(video + strlen("m=video "), ' ');
	assert_non_null(after_port);
	sdpfixture_sb_add(&b, "%.*sm=video 0%s", (int)(video - t), t, after_port);
	char *mid1 = strstr(b.s, "a=mid:1\r\n");
	assert_non_null(mid1);
	struct sdpfixture_sbuf c = { 0 };
	sdpfixture_sb_add(&c, "%.*sa=bundle-only\r\n%s", (int)(mid1 - b.s), b.s, mid1);
	struct sdp_offer *o = sdpfixture_parse_ok("bundle-only", c.s, c.len);
	assert_int_equal(o->media[1].port, 0);
	assert_true(o->media[1].bundle_only);
	struct sdp_negotiation neg;
	char err[256];
	assert_int_equal(sdpanswer_negotiate(o, &neg, err, sizeof(err)), 0);
	assert_int_equal(neg.video_index, 1);
	assert_true(neg.media[1].accepted);
	free(o);
	free(b.s);
	free(c.s);
	free(t);
}

/* ---- answers ---------------------------------------------------------- */

/* What every answer must hold, whatever the offer. */
static void check_answer_common(const char *what, const struct sdp_offer *o,
				const struct sdp_negotiation *neg, const char *ans)
{
	assert_true(strncmp(ans, "v=0\r\n", 5) == 0);
	if (sdpfixture_count_lines_starting(ans, "m=") != o->n_media)
		fail_msg("%s: answer has %d m= lines for %d offered:\n%s", what,
			 sdpfixture_count_lines_starting(ans, "m="), o->n_media, ans);
	assert_non_null(strstr(ans, "a=setup:passive\r\n"));
	assert_null(strstr(ans, "a=setup:act"));
	assert_non_null(strstr(ans, "a=rtcp-mux\r\n"));
	assert_non_null(strstr(ans, "a=ice-ufrag:mcuQ\r\n"));
	assert_non_null(strstr(ans, "a=ice-pwd:mcuIcePasswordOf28Chars00000\r\n"));
	char line[256];
	snprintf(line, sizeof(line), "a=fingerprint:sha-256 %s\r\n", LOCAL.fingerprint);
	assert_non_null(strstr(ans, line));
	for (int i = 0; i < LOCAL.n_candidates; i++) {
		snprintf(line, sizeof(line), "a=%s\r\n", LOCAL.candidates[i]);
		assert_non_null(strstr(ans, line));
	}
	assert_non_null(strstr(ans, "a=end-of-candidates\r\n"));

	/* BUNDLE lists the accepted mids, in the offer's order. */
	struct sdpfixture_sbuf want = { 0 };
	sdpfixture_sb_add(&want, "a=group:BUNDLE");
	for (int i = 0; i < o->n_media; i++)
		if (neg->media[i].accepted)
			sdpfixture_sb_add(&want, " %s", o->media[i].mid);
	sdpfixture_sb_add(&want, "\r\n");
	if (!strstr(ans, want.s))
		fail_msg("%s: no \"%.*s\" in the answer:\n%s", what,
			 (int)want.len - 2, want.s, ans);
	free(want.s);

	/* Each section: same kind, same mid, port 0 when rejected. */
	for (int i = 0; i < o->n_media; i++) {
		char *sec = sdpfixture_section(ans, i);
		char head[64];
		snprintf(head, sizeof(head), "m=%s ", o->media[i].kind_name);
		if (strncmp(sec, head, strlen(head)) != 0)
			fail_msg("%s: section %d should start \"%s\":\n%s", what, i, head, sec);
		bool port0 = strncmp(sec + strlen(head), "0 ", 2) == 0;
		assert_int_equal(port0, !neg->media[i].accepted);
		snprintf(line, sizeof(line), "a=mid:%s\r\n", o->media[i].mid);
		if (!strstr(sec, line))
			fail_msg("%s: section %d does not echo a=mid:%s:\n%s", what, i,
				 o->media[i].mid, sec);
		free(sec);
	}
}

/* The answer parses back into what was decided. */
static void check_answer_reparses(const char *what, const struct sdp_offer *o,
				  const struct sdp_negotiation *neg, const char *ans, int len)
{
	struct sdp_offer *r = sdpfixture_parse_ok(what, ans, (size_t)len);
	char sess[32];
	snprintf(sess, sizeof(sess), "%llu", (unsigned long long)LOCAL.session_id);
	assert_string_equal(r->origin_session, sess);
	assert_int_equal(r->n_media, o->n_media);
	for (int i = 0; i < o->n_media; i++) {
		const struct sdp_media *m = &r->media[i];
		assert_int_equal(m->kind, o->media[i].kind);
		assert_string_equal(m->mid, o->media[i].mid);
		if (!neg->media[i].accepted) {
			assert_int_equal(m->port, 0);
			continue;
		}
		assert_true(m->port > 0);
		assert_int_equal(m->direction, neg->media[i].direction);
		assert_int_equal(m->setup, SDP_SETUP_PASSIVE);
		assert_true(m->rtcp_mux);
		assert_string_equal(m->ice_ufrag, LOCAL.ice_ufrag);
		assert_string_equal(m->fingerprint_alg, "sha-256");
		assert_string_equal(m->fingerprint, LOCAL.fingerprint);
		for (int k = 0; k < neg->media[i].n_recv_pts; k++)
			sdpfixture_find_codec(m, neg->media[i].recv_pts[k]);
		if (neg->media[i].send_pt >= 0)
			sdpfixture_find_codec(m, neg->media[i].send_pt);
		/* A section that carries our media names our SSRC. */
		enum sdp_direction d = neg->media[i].direction;
		if (d == SDP_SENDRECV || d == SDP_SENDONLY) {
			uint32_t ssrc = m->kind == SDP_KIND_AUDIO ? LOCAL.audio_ssrc
								  : LOCAL.video_ssrc;
			assert_int_equal(m->ssrc, ssrc);
		}
	}
	/* Our candidates ride the first accepted section at least. */
	int first = neg->audio_index;
	if (first < 0 || (neg->video_index >= 0 && neg->video_index < first))
		first = neg->video_index;
	assert_int_equal(r->media[first].n_candidates, LOCAL.n_candidates);
	assert_true(r->media[first].end_of_candidates);
	free(r);
}

static void test_answer_chromium(void **state)
{
	(void)state;
	struct sdp_offer *o = sdpfixture_parse_file("chromium.sdp");
	struct sdp_negotiation neg;
	int len;
	char *ans = answer_for("chromium.sdp", o, &neg, &len);
	check_answer_common("chromium.sdp", o, &neg, ans);
	assert_non_null(strstr(ans, "a=group:BUNDLE 0 1\r\n"));

	char *audio = sdpfixture_section(ans, 0), *video = sdpfixture_section(ans, 1);
	assert_non_null(strstr(audio, "a=rtpmap:111 opus/48000/2\r\n"));
	assert_non_null(strstr(audio, "a=extmap:1 " AUDIO_LEVEL_URI "\r\n"));
	assert_non_null(strstr(audio, "a=sendrecv\r\n"));
	assert_null(strstr(audio, "H264"));
	assert_non_null(strstr(video, "a=rtpmap:108 H264/90000\r\n"));
	const char *fmtp = strstr(video, "a=fmtp:108 ");
	assert_non_null(fmtp);
	size_t fl = strcspn(fmtp, "\r");
	char fline[256];
	snprintf(fline, sizeof(fline), "%.*s", (int)fl, fmtp);
	assert_non_null(strstr(fline, "packetization-mode=1"));
	assert_true(sdpfixture_contains_ci(fline, "profile-level-id=42e01f"));
	assert_non_null(strstr(video, "a=sendrecv\r\n"));
	assert_null(strstr(video, "opus"));
	/* What we send is labelled with our stream id and cname. */
	assert_non_null(strstr(ans, LOCAL.stream_id));
	assert_non_null(strstr(ans, LOCAL.cname));
	free(audio);
	free(video);

	check_answer_reparses("chromium answer", o, &neg, ans, len);
	free(ans);
	free(o);
}

static void test_answer_sendonly(void **state)
{
	(void)state;
	const char *files[] = { "chromium-sendonly.sdp", "obs.sdp", "gstreamer-whipsink.sdp" };
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		struct sdp_offer *o = sdpfixture_parse_file(files[f]);
		struct sdp_negotiation neg;
		int len;
		char *ans = answer_for(files[f], o, &neg, &len);
		check_answer_common(files[f], o, &neg, ans);
		assert_int_equal(sdpfixture_count_lines_starting(ans, "a=recvonly"), o->n_media);
		assert_int_equal(sdpfixture_count_lines_starting(ans, "a=sendrecv"), 0);
		assert_int_equal(sdpfixture_count_lines_starting(ans, "a=sendonly"), 0);
		char *video = sdpfixture_section(ans, neg.video_index);
		char *audio = sdpfixture_section(ans, neg.audio_index);
		assert_true(sdpfixture_contains_ci(audio, "opus/48000/2\r\n"));
		const struct sdp_media_answer *va = &neg.media[neg.video_index];
		if (strcmp(files[f], "gstreamer-whipsink.sdp") == 0) {
			assert_non_null(strstr(video, "a=rtpmap:96 VP8/90000\r\n"));
			assert_int_equal(codec_of(va, 96), CODEC_VP8);
			assert_non_null(strstr(ans, "a=group:BUNDLE video0 audio1\r\n"));
		} else {
			assert_non_null(strstr(video, "H264/90000\r\n"));
			assert_non_null(strstr(video, "packetization-mode=1"));
			assert_int_equal(codec_of(va, va->recv_pts[0]), CODEC_H264); /* the best H.264 first */
			assert_true(sdpfixture_contains_ci(video, "profile-level-id=42e01f"));
		}
		if (strcmp(files[f], "chromium-sendonly.sdp") == 0)
			assert_non_null(strstr(audio, "a=extmap:1 " AUDIO_LEVEL_URI "\r\n"));
		free(audio);
		free(video);
		check_answer_reparses(files[f], o, &neg, ans, len);
		free(ans);
		free(o);
	}
}

static void test_answer_other_browsers(void **state)
{
	(void)state;
	const char *files[] = { "firefox.sdp", "safari.sdp" };
	const int h264_pt[] = { 126, 98 };
	for (size_t f = 0; f < 2; f++) {
		struct sdp_offer *o = sdpfixture_parse_file(files[f]);
		struct sdp_negotiation neg;
		int len;
		char *ans = answer_for(files[f], o, &neg, &len);
		check_answer_common(files[f], o, &neg, ans);
		char *video = sdpfixture_section(ans, 1), *audio = sdpfixture_section(ans, 0);
		char want[64];
		snprintf(want, sizeof(want), "a=rtpmap:%d H264/90000\r\n", h264_pt[f]);
		assert_non_null(strstr(video, want));
		assert_non_null(strstr(audio, "a=extmap:1 " AUDIO_LEVEL_URI "\r\n"));
		free(video);
		free(audio);
		check_answer_reparses(files[f], o, &neg, ans, len);
		free(ans);
		free(o);
	}
}

/* Audio, video, a second video and a data channel: the last two are
 * answered with port 0, and stay out of BUNDLE. */
static void test_answer_rejected_sections(void **state)
{
	(void)state;
	struct sdpfixture_sbuf b = { 0 };
	sdpfixture_sb_session(&b, "a v v2 d");
	sdpfixture_sb_opus(&b, "a");
	for (int i = 0; i < 2; i++)
		sdpfixture_sb_add(&b, "m=video 9 UDP/TLS/RTP/SAVPF 102\r\nc=IN IP4 0.0.0.0\r\n"
				  "a=mid:%s\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:102 H264/90000\r\n"
				  "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;"
				  "profile-level-id=42e01f\r\n", i ? "v2" : "v");
	sdpfixture_sb_add(&b, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
			  "c=IN IP4 0.0.0.0\r\na=mid:d\r\na=sctp-port:5000\r\n");
	struct sdp_offer *o = sdpfixture_parse_ok("mixed", b.s, b.len);
	assert_int_equal(o->n_media, 4);
	assert_int_equal(o->media[3].kind, SDP_KIND_APPLICATION);
	assert_string_equal(o->media[3].first_fmt, "webrtc-datachannel");

	struct sdp_negotiation neg;
	int len;
	char *ans = answer_for("mixed", o, &neg, &len);
	assert_true(neg.media[0].accepted && neg.media[1].accepted);
	assert_false(neg.media[2].accepted || neg.media[3].accepted);
	assert_int_equal(neg.video_index, 1);
	check_answer_common("mixed", o, &neg, ans);
	assert_non_null(strstr(ans, "a=group:BUNDLE a v\r\n"));
	char *sec = sdpfixture_section(ans, 3);
	assert_true(strncmp(sec, "m=application 0 ", 16) == 0);
	free(sec);
	check_answer_reparses("mixed", o, &neg, ans, len);
	free(ans);
	free(o);
	free(b.s);
}

static void test_answer_buffer_too_small(void **state)
{
	(void)state;
	struct sdp_offer *o = sdpfixture_parse_file("chromium.sdp");
	struct sdp_negotiation neg;
	int len;
	char *full = answer_for("chromium.sdp", o, &neg, &len);

	/* Exactly sized heap buffers, so that ASan sees a byte too many. */
	char *buf = malloc((size_t)len);
	assert_int_equal(sdpanswer_build(o, &neg, &LOCAL, buf, (size_t)len), MCU_EINVAL);
	free(buf);
	buf = malloc((size_t)len + 1);
	assert_int_equal(sdpanswer_build(o, &neg, &LOCAL, buf, (size_t)len + 1), len);
	assert_string_equal(buf, full);
	free(buf);
	const size_t small[] = { 1, 16, 100, 400 };
	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
		buf = malloc(small[i]);
		assert_int_equal(sdpanswer_build(o, &neg, &LOCAL, buf, small[i]), MCU_EINVAL);
		free(buf);
	}
	free(full);
	free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_negotiate_good_offers),
		cmocka_unit_test(test_negotiate_refusals_from_files),
		cmocka_unit_test(test_negotiate_refusals_edited),
		cmocka_unit_test(test_negotiate_partial),
		cmocka_unit_test(test_random_damage),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bundle_only),
		cmocka_unit_test(test_answer_chromium),
		cmocka_unit_test(test_answer_sendonly),
		cmocka_unit_test(test_answer_other_browsers),
		cmocka_unit_test(test_answer_rejected_sections),
		cmocka_unit_test(test_answer_buffer_too_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
