/*
 * sdprtp_test.c - the plain RTP answer (sdprtp.h, legacy endpoints, API.md
 * section 3): ffmpeg's and a room system's offers from tests/unit/offers/
 * (see sdpfixture.h) and offers built here, the codec and port choices, the
 * refusals and the answers, which must parse back into what was decided.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "signaling/sdp.h"
#include "signaling/sdprtp.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdpfixture.h"

#define ANSWER_SIZE 65536

/* ---- plain RTP (legacy endpoints, API.md section 3) --------------------- */

static const struct sdp_rtp_local RTP_LOCAL = {
	.addr = "192.0.2.10",
	.audio_port = 40000,
	.video_port = 40002,
	.audio_ssrc = 333333333,
	.video_ssrc = 444444444,
	.session_id = 7777777,
};

/* Session lines of the built plain RTP offers: the address at session level. */
#define RTP_SESSION "v=0\r\no=- 1 1 IN IP4 192.0.2.50\r\ns=legacy\r\nc=IN IP4 192.0.2.50\r\nt=0 0\r\n"

#define RTP_PCMU "m=audio 7000 RTP/AVP 0\r\n"

/* Parses text and negotiates it as plain RTP, which must succeed; returns
 * the new offer. */
static struct sdp_offer *rtp_ok(const char *what, const char *text,
				struct sdp_rtp_negotiation *neg)
{
	struct sdp_offer *o = sdpfixture_parse_ok(what, text, strlen(text));
	char err[256] = "";
	memset(neg, 0xA5, sizeof(*neg)); /* no field may be left unset */
	int rc = sdprtp_negotiate(o, neg, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s: sdprtp_negotiate returned %d: %s", what, rc, err);
	return o;
}

static void expect_rtp_refusal(const char *what, const char *text, int code,
			       const char *const *words)
{
	struct sdp_offer *o = sdpfixture_parse_ok(what, text, strlen(text));
	struct sdp_rtp_negotiation neg;
	char err[256] = "";
	int rc = sdprtp_negotiate(o, &neg, err, sizeof(err));
	if (rc != code)
		fail_msg("%s: sdprtp_negotiate returned %d (%s), expected %d; err \"%s\"",
			 what, rc, err_str(rc), code, err);
	for (; *words; words++)
		if (!sdpfixture_contains_ci(err, *words))
			fail_msg("%s: the reason \"%s\" does not mention \"%s\"", what, err, *words);
	assert_int_equal(sdprtp_negotiate(o, &neg, NULL, 0), code); /* err is optional */
	free(o);
}

static void assert_has(const char *what, const char *sdp, const char *line)
{
	if (!strstr(sdp, line))
		fail_msg("%s: no \"%s\" in:\n%s", what, line, sdp);
}

/* The answer parses back into what was decided, section by section. */
static void check_rtp_reparses(const char *what, const struct sdp_offer *o,
			       const struct sdp_rtp_negotiation *neg,
			       const struct sdp_rtp_local *l, const char *ans, int len)
{
	struct sdp_offer *r = sdpfixture_parse_ok(what, ans, (size_t)len);
	char sess[32];
	snprintf(sess, sizeof(sess), "%llu", (unsigned long long)l->session_id);
	assert_string_equal(r->origin_session, sess);
	assert_int_equal(r->n_media, o->n_media);
	for (int i = 0; i < o->n_media; i++) {
		const struct sdp_media *m = &r->media[i];
		assert_int_equal(m->kind, o->media[i].kind);
		assert_string_equal(m->proto, o->media[i].proto);
		const struct sdp_rtp_media *n = neg->audio.accepted && neg->audio.index == i ? &neg->audio
					      : neg->video.accepted && neg->video.index == i ? &neg->video
					      : NULL;
		if (!n) {
			assert_int_equal(m->port, 0);
			continue;
		}
		bool video = n == &neg->video;
		assert_int_equal(m->port, video ? l->video_port : l->audio_port);
		assert_string_equal(m->conn_addr, l->addr);
		assert_int_equal(m->n_codecs, 1);
		assert_int_equal(m->codecs[0].pt, n->pt);
		assert_true(sdpfixture_contains_ci(m->codecs[0].name, n->codec));
		assert_int_equal(m->codecs[0].clock_rate, n->clock_rate);
		assert_int_equal(m->direction, n->direction);
		assert_int_equal(m->rtcp_mux, n->rtcp_mux);
		assert_int_equal(m->ssrc, video ? l->video_ssrc : l->audio_ssrc);
		if (video) {
			assert_int_equal(m->codecs[0].packetization_mode, n->packetization_mode);
			assert_string_equal(m->codecs[0].profile_level_id, "42e01f");
		}
		assert_string_equal(m->ice_ufrag, "");
		assert_string_equal(m->fingerprint, "");
	}
	free(r);
}

/* Builds the answer (which must fit), checks its shape; returns it (new). */
static char *rtp_answer(const char *what, const struct sdp_offer *o,
			const struct sdp_rtp_negotiation *neg,
			const struct sdp_rtp_local *l, int *len)
{
	char *buf = malloc(ANSWER_SIZE);
	assert_non_null(buf);
	int n = sdprtp_build_answer(o, neg, l, buf, ANSWER_SIZE);
	if (n <= 0)
		fail_msg("%s: sdprtp_build_answer returned %d", what, n);
	assert_int_equal(strlen(buf), (size_t)n);
	sdpfixture_assert_crlf(buf, (size_t)n);
	assert_true(strncmp(buf, "v=0\r\n", 5) == 0);
	assert_has(what, buf, "\r\ns=mcu\r\n");
	assert_has(what, buf, "\r\nt=0 0\r\n");
	assert_int_equal(sdpfixture_count_lines_starting(buf, "m="), o->n_media);
	/* Plain RTP: nothing of ICE, DTLS or BUNDLE. */
	assert_null(strstr(buf, "a=ice-"));
	assert_null(strstr(buf, "a=fingerprint"));
	assert_null(strstr(buf, "a=setup"));
	assert_null(strstr(buf, "a=group"));
	check_rtp_reparses(what, o, neg, l, buf, n);
	*len = n;
	return buf;
}

static void test_rtp_ffmpeg(void **state)
{
	(void)state;
	size_t n;
	char *text = sdpfixture_load("ffmpeg-rtp.sdp", &n);
	struct sdp_rtp_negotiation neg;
	struct sdp_offer *o = rtp_ok("ffmpeg-rtp.sdp", text, &neg);
	free(text);
	const struct sdp_rtp_media *v = &neg.video, *a = &neg.audio;
	assert_true(v->accepted);
	assert_int_equal(v->index, 0);
	assert_string_equal(v->addr, "127.0.0.1");
	assert_int_equal(v->port, 5004);
	assert_int_equal(v->rtcp_port, 5005);
	assert_false(v->rtcp_mux);
	assert_int_equal(v->pt, 96);
	assert_string_equal(v->codec, "H264");
	assert_int_equal(v->clock_rate, 90000);
	assert_int_equal(v->packetization_mode, 1);
	assert_string_equal(v->profile_level_id, "42c01e");
	assert_int_equal(v->direction, SDP_SENDRECV);
	assert_true(a->accepted);
	assert_int_equal(a->index, 1);
	assert_string_equal(a->addr, "127.0.0.1");
	assert_int_equal(a->port, 5006);
	assert_int_equal(a->rtcp_port, 5007);
	assert_int_equal(a->pt, 0);
	assert_string_equal(a->codec, "PCMU");
	assert_int_equal(neg.audio_codec, CODEC_PCMU);
	assert_int_equal(a->clock_rate, 8000);
	assert_int_equal(a->direction, SDP_SENDRECV);
	assert_true(neg.peer_sends);
	assert_true(neg.peer_receives);

	int len;
	char *ans = rtp_answer("ffmpeg-rtp.sdp", o, &neg, &RTP_LOCAL, &len);
	const char *const lines[] = {
		"o=- 7777777 2 IN IP4 192.0.2.10\r\n", "c=IN IP4 192.0.2.10\r\n",
		"m=video 40002 RTP/AVP 96\r\n", "a=rtpmap:96 H264/90000\r\n",
		"a=fmtp:96 packetization-mode=1;profile-level-id=42e01f\r\n",
		"a=ssrc:444444444 cname:mcu\r\n",
		"m=audio 40000 RTP/AVP 0\r\n", "a=rtpmap:0 PCMU/8000\r\n",
		"a=ssrc:333333333 cname:mcu\r\n",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_has("ffmpeg-rtp.sdp", ans, lines[i]);
	assert_int_equal(sdpfixture_count_lines_starting(ans, "a=sendrecv"), 2);
	assert_null(strstr(ans, "a=rtcp-mux"));
	assert_null(strstr(ans, "a=extmap")); /* none offered */
	/* Video first, as offered. */
	assert_true(strstr(ans, "m=video") < strstr(ans, "m=audio"));
	free(ans);
	free(o);
}

/* An audio level extmap in a plain RTP offer is kept and answered, so the
 * endpoint's levels feed speaker selection without decoding. */
static void test_rtp_audio_level(void **state)
{
	(void)state;
	const char *text = RTP_SESSION "m=audio 7000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n"
			   "a=extmap:3 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
			   "m=video 7002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
			   "a=extmap:4 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n";
	struct sdp_rtp_negotiation neg;
	struct sdp_offer *o = rtp_ok("audio level", text, &neg);
	assert_int_equal(neg.audio.audio_level_ext, 3);
	assert_int_equal(neg.video.audio_level_ext, 0); /* only audio has levels */
	int len;
	char *ans = rtp_answer("audio level", o, &neg, &RTP_LOCAL, &len);
	assert_has("audio level", ans, "a=extmap:3 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n");
	assert_int_equal(sdpfixture_count_lines_starting(ans, "a=extmap"), 1);
	free(ans);
	free(o);
}

/* A hardware room system: per-media c=, a=rtcp, DTMF, H.263 before H.264. */
static void test_rtp_room_system(void **state)
{
	(void)state;
	size_t n;
	char *text = sdpfixture_load("rtp-room-system.sdp", &n);
	struct sdp_rtp_negotiation neg;
	struct sdp_offer *o = rtp_ok("rtp-room-system.sdp", text, &neg);
	free(text);
	assert_true(neg.audio.accepted);
	assert_string_equal(neg.audio.addr, "198.51.100.21"); /* media-level c= */
	assert_int_equal(neg.audio.port, 2326);
	assert_int_equal(neg.audio.rtcp_port, 2337);
	assert_int_equal(neg.audio.pt, 9);
	assert_string_equal(neg.audio.codec, "G722");
	assert_int_equal(neg.audio_codec, CODEC_G722);
	assert_true(neg.video.accepted);
	assert_string_equal(neg.video.addr, "198.51.100.20"); /* session-level c= */
	assert_int_equal(neg.video.rtcp_port, 2329);
	assert_int_equal(neg.video.pt, 97); /* the offer's first H.264 */
	assert_int_equal(neg.video.packetization_mode, 1);
	assert_string_equal(neg.video.profile_level_id, "428016");
	int len;
	char *ans = rtp_answer("rtp-room-system.sdp", o, &neg, &RTP_LOCAL, &len);
	assert_has("rtp-room-system.sdp", ans, "m=audio 40000 RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\n");
	assert_has("rtp-room-system.sdp", ans, "m=video 40002 RTP/AVP 97\r\n");
	assert_null(strstr(ans, "telephone-event"));
	free(ans);
	free(o);
}

static void test_rtp_audio_preference(void **state)
{
	(void)state;
	static const struct {
		const char *what, *media;
		int pt;
		const char *codec, *rtpmap;
		enum codec_audio id;
	} cases[] = {
		{ "opus over G722 and PCMU, whatever the offer's order",
		  "m=audio 7000 RTP/AVP 0 9 111\r\na=rtpmap:111 opus/48000/2\r\n",
		  111, "opus", "a=rtpmap:111 opus/48000/2\r\n", CODEC_OPUS },
		{ "G722 over PCMU", "m=audio 7000 RTP/AVP 0 9\r\n",
		  9, "G722", "a=rtpmap:9 G722/8000\r\n", CODEC_G722 },
		{ "PCMU over PCMA", "m=audio 7000 RTP/AVP 8 0\r\n",
		  0, "PCMU", "a=rtpmap:0 PCMU/8000\r\n", CODEC_PCMU },
		{ "PCMA only", "m=audio 7000 RTP/AVP 8\r\n",
		  8, "PCMA", "a=rtpmap:8 PCMA/8000\r\n", CODEC_PCMA },
		{ "mono opus, upper case, answered as RFC 7587 says",
		  "m=audio 7000 RTP/AVP 0 100\r\na=rtpmap:100 OPUS/48000\r\n",
		  100, "OPUS", "a=rtpmap:100 OPUS/48000/2\r\n", CODEC_OPUS },
		{ "opus at the wrong rate is not opus",
		  "m=audio 7000 RTP/AVP 100 8\r\na=rtpmap:100 opus/8000\r\n",
		  8, "PCMA", "a=rtpmap:8 PCMA/8000\r\n", CODEC_PCMA },
		{ "dynamic PCMU, RTP/AVPF",
		  "m=audio 7000 RTP/AVPF 120 121\r\na=rtpmap:120 G729/8000\r\n"
		  "a=rtpmap:121 PCMU/8000\r\n",
		  121, "PCMU", "a=rtpmap:121 PCMU/8000\r\n", CODEC_PCMU },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), RTP_SESSION "%s", cases[i].media);
		struct sdp_rtp_negotiation neg;
		struct sdp_offer *o = rtp_ok(cases[i].what, text, &neg);
		if (!neg.audio.accepted || neg.audio.pt != cases[i].pt)
			fail_msg("%s: accepted %d with pt %d, expected pt %d", cases[i].what,
				 neg.audio.accepted, neg.audio.pt, cases[i].pt);
		assert_string_equal(neg.audio.codec, cases[i].codec);
		assert_int_equal(neg.audio_codec, cases[i].id);
		assert_false(neg.video.accepted);
		assert_int_equal(neg.video.index, -1);
		int len;
		char *ans = rtp_answer(cases[i].what, o, &neg, &RTP_LOCAL, &len);
		assert_has(cases[i].what, ans, cases[i].rtpmap);
		char m[64];
		snprintf(m, sizeof(m), "m=audio 40000 %s %d\r\n", o->media[0].proto, cases[i].pt);
		assert_has(cases[i].what, ans, m);
		assert_null(strstr(ans, "a=fmtp"));
		free(ans);
		free(o);
	}
}

static void test_rtp_h264_modes(void **state)
{
	(void)state;
	static const struct {
		const char *what, *media;
		int pt, mode;
		const char *profile;
	} cases[] = {
		{ "no packetization-mode means 0",
		  "m=video 7002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
		  "a=fmtp:96 profile-level-id=42801F\r\n", 96, 0, "42801f" },
		{ "packetization-mode=0 explicit",
		  "m=video 7002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
		  "a=fmtp:96 packetization-mode=0\r\n", 96, 0, "" },
		{ "the first H.264, not the best",
		  "m=video 7002 RTP/AVP 96 97\r\na=rtpmap:96 H264/90000\r\n"
		  "a=rtpmap:97 H264/90000\r\na=fmtp:97 packetization-mode=1\r\n", 96, 0, "" },
		{ "mode 2 (interleaved) is skipped",
		  "m=video 7002 RTP/AVP 96 97\r\na=rtpmap:96 H264/90000\r\n"
		  "a=fmtp:96 packetization-mode=2\r\na=rtpmap:97 H264/90000\r\n"
		  "a=fmtp:97 packetization-mode=1;profile-level-id=640c1f\r\n", 97, 1, "640c1f" },
		{ "VP8 first, H.264 second",
		  "m=video 7002 RTP/AVP 100 101\r\na=rtpmap:100 VP8/90000\r\n"
		  "a=rtpmap:101 h264/90000\r\n", 101, 0, "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), RTP_SESSION "%s", cases[i].media);
		struct sdp_rtp_negotiation neg;
		struct sdp_offer *o = rtp_ok(cases[i].what, text, &neg);
		if (!neg.video.accepted || neg.video.pt != cases[i].pt ||
		    neg.video.packetization_mode != cases[i].mode)
			fail_msg("%s: accepted %d pt %d mode %d, expected pt %d mode %d",
				 cases[i].what, neg.video.accepted, neg.video.pt,
				 neg.video.packetization_mode, cases[i].pt, cases[i].mode);
		assert_string_equal(neg.video.profile_level_id, cases[i].profile);
		assert_int_equal(neg.video.clock_rate, 90000);
		assert_false(neg.audio.accepted);
		int len;
		char *ans = rtp_answer(cases[i].what, o, &neg, &RTP_LOCAL, &len);
		char line[128];
		snprintf(line, sizeof(line), "a=fmtp:%d packetization-mode=%d;profile-level-id=42e01f\r\n",
			 cases[i].pt, cases[i].mode);
		assert_has(cases[i].what, ans, line);
		assert_int_equal(sdpfixture_count_lines_starting(ans, "a=rtpmap:"), 1);
		free(ans);
		free(o);
	}
}

/* Rejected sections keep their place (and the video one its index). */
static void test_rtp_rejected_sections(void **state)
{
	(void)state;
	const char *text = RTP_SESSION
		"m=video 7002 RTP/AVP 100\r\na=rtpmap:100 VP8/90000\r\n"
		RTP_PCMU
		"m=audio 7004 RTP/AVP 8\r\n"                 /* a second audio */
		"m=text 7006 RTP/AVP 98\r\na=rtpmap:98 t140/1000\r\n"
		"m=video 0 UDP/TLS/RTP/SAVPF 96\r\n";        /* disabled: any proto */
	struct sdp_rtp_negotiation neg;
	struct sdp_offer *o = rtp_ok("rejected sections", text, &neg);
	assert_false(neg.video.accepted);
	assert_int_equal(neg.video.index, 0);
	assert_true(neg.audio.accepted);
	assert_int_equal(neg.audio.index, 1);
	assert_int_equal(neg.audio.pt, 0);
	assert_true(neg.peer_sends && neg.peer_receives);
	int len;
	char *ans = rtp_answer("rejected sections", o, &neg, &RTP_LOCAL, &len);
	const char *const lines[] = {
		"m=video 0 RTP/AVP 100\r\n", "m=audio 40000 RTP/AVP 0\r\n", "m=audio 0 RTP/AVP 8\r\n",
		"m=text 0 RTP/AVP 98\r\n", "m=video 0 UDP/TLS/RTP/SAVPF 96\r\n",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_has("rejected sections", ans, lines[i]);
	assert_null(strstr(ans, "VP8"));
	assert_int_equal(sdpfixture_count_lines_starting(ans, "a="), 3); /* PCMU's rtpmap, direction, ssrc */
	free(ans);
	free(o);

	/* An audio m= we cannot take does not hide a later one we can. */
	text = RTP_SESSION "m=audio 7000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n" RTP_PCMU;
	o = rtp_ok("second audio", text, &neg);
	assert_true(neg.audio.accepted);
	assert_int_equal(neg.audio.index, 1);
	ans = rtp_answer("second audio", o, &neg, &RTP_LOCAL, &len);
	assert_has("second audio", ans, "m=audio 0 RTP/AVP 18\r\nm=audio 40000 RTP/AVP 0\r\n");
	free(ans);
	free(o);
}

static void test_rtp_rtcp_ports(void **state)
{
	(void)state;
	struct sdp_rtp_negotiation neg;
	struct sdp_offer *o = rtp_ok("a=rtcp", RTP_SESSION RTP_PCMU "a=rtcp:6001\r\n", &neg);
	assert_int_equal(neg.audio.port, 7000);
	assert_int_equal(neg.audio.rtcp_port, 6001);
	assert_false(neg.audio.rtcp_mux);
	free(o);

	o = rtp_ok("rtcp-mux", RTP_SESSION RTP_PCMU "a=rtcp-mux\r\n"
		   "m=video 7002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n", &neg);
	assert_true(neg.audio.rtcp_mux);
	assert_int_equal(neg.audio.rtcp_port, 7000);
	assert_false(neg.video.rtcp_mux);
	assert_int_equal(neg.video.rtcp_port, 7003);
	int len;
	char *ans = rtp_answer("rtcp-mux", o, &neg, &RTP_LOCAL, &len);
	char *audio = sdpfixture_section(ans, 0), *video = sdpfixture_section(ans, 1);
	assert_has("rtcp-mux", audio, "a=rtcp-mux\r\n");
	assert_null(strstr(video, "a=rtcp-mux"));
	free(audio);
	free(video);
	free(ans);
	free(o);

	/* Muxed, a=rtcp names the same port (RFC 5761); mux wins if it does not. */
	o = rtp_ok("rtcp-mux and a=rtcp", RTP_SESSION RTP_PCMU "a=rtcp:6001\r\na=rtcp-mux\r\n", &neg);
	assert_int_equal(neg.audio.rtcp_port, 7000);
	free(o);

	/* The top port has no next one for RTCP unless it is named or muxed. */
	o = rtp_ok("65535 muxed", RTP_SESSION "m=audio 65535 RTP/AVP 0\r\na=rtcp-mux\r\n", &neg);
	assert_int_equal(neg.audio.rtcp_port, 65535);
	free(o);
	o = rtp_ok("65535 a=rtcp", RTP_SESSION "m=audio 65535 RTP/AVP 0\r\na=rtcp:6001\r\n", &neg);
	assert_int_equal(neg.audio.rtcp_port, 6001);
	free(o);
	expect_rtp_refusal("65535", RTP_SESSION "m=audio 65535 RTP/AVP 0\r\n", MCU_EPROTO,
			   (const char *const[]){ "65535", "RTCP", NULL });
}

static void test_rtp_directions(void **state)
{
	(void)state;
	static const struct {
		const char *offered;
		enum sdp_direction ours;
		bool peer_sends, peer_receives;
		const char *line;
	} cases[] = {
		{ "a=sendrecv\r\n", SDP_SENDRECV, true, true, "a=sendrecv\r\n" },
		{ "", SDP_SENDRECV, true, true, "a=sendrecv\r\n" },
		{ "a=recvonly\r\n", SDP_SENDONLY, false, true, "a=sendonly\r\n" },
		{ "a=sendonly\r\n", SDP_RECVONLY, true, false, "a=recvonly\r\n" },
		{ "a=inactive\r\n", SDP_INACTIVE, false, false, "a=inactive\r\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), RTP_SESSION "m=video 7002 RTP/AVP 96\r\n"
			 "a=rtpmap:96 H264/90000\r\n%s", cases[i].offered);
		struct sdp_rtp_negotiation neg;
		struct sdp_offer *o = rtp_ok(cases[i].line, text, &neg);
		assert_true(neg.video.accepted); /* even inactive: the port stays open */
		assert_int_equal(neg.video.direction, cases[i].ours);
		assert_int_equal(neg.peer_sends, cases[i].peer_sends);
		assert_int_equal(neg.peer_receives, cases[i].peer_receives);
		int len;
		char *ans = rtp_answer(cases[i].line, o, &neg, &RTP_LOCAL, &len);
		assert_has(cases[i].line, ans, cases[i].line);
		assert_int_equal(sdpfixture_count_lines_starting(ans, "a="), 4); /* rtpmap, fmtp, direction, ssrc */
		free(ans);
		free(o);
	}
	/* One way each: the peer both sends and receives overall. */
	struct sdp_rtp_negotiation neg;
	struct sdp_offer *o = rtp_ok("split", RTP_SESSION RTP_PCMU "a=sendonly\r\n"
				     "m=video 7002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=recvonly\r\n",
				     &neg);
	assert_int_equal(neg.audio.direction, SDP_RECVONLY);
	assert_int_equal(neg.video.direction, SDP_SENDONLY);
	assert_true(neg.peer_sends && neg.peer_receives);
	free(o);
}

static void test_rtp_ipv6(void **state)
{
	(void)state;
	const char *text = "v=0\r\no=- 1 1 IN IP6 2001:db8::50\r\ns=-\r\nc=IN IP6 2001:DB8::50\r\n"
			   "t=0 0\r\n" RTP_PCMU
			   "m=video 7002 RTP/AVP 96\r\nc=IN IP4 192.0.2.51\r\na=rtpmap:96 H264/90000\r\n";
	struct sdp_rtp_negotiation neg;
	struct sdp_offer *o = rtp_ok("IPv6", text, &neg);
	assert_string_equal(neg.audio.addr, "2001:DB8::50");
	assert_string_equal(neg.video.addr, "192.0.2.51");
	struct sdp_rtp_local l6 = RTP_LOCAL;
	l6.addr = "2001:db8::10";
	int len;
	char *ans = rtp_answer("IPv6", o, &neg, &l6, &len);
	assert_has("IPv6", ans, "o=- 7777777 2 IN IP6 2001:db8::10\r\n");
	assert_has("IPv6", ans, "c=IN IP6 2001:db8::10\r\n");
	assert_null(strstr(ans, "IP4"));
	free(ans);
	free(o);
}

static void test_rtp_refusals(void **state)
{
	(void)state;
	size_t n;
	char *chromium = sdpfixture_load("chromium.sdp", &n);
	expect_rtp_refusal("chromium.sdp", chromium, MCU_EPROTO,
			   (const char *const[]){ "RTP/AVP", "UDP/TLS/RTP/SAVPF", NULL });
	free(chromium);
	static const struct {
		const char *what, *text, *word;
	} proto[] = {
		{ "SDES-SRTP", RTP_SESSION "m=audio 7000 RTP/SAVP 0\r\n", "RTP/SAVP" },
		{ "plain audio, WebRTC video", RTP_SESSION RTP_PCMU "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
		  "a=rtpmap:96 H264/90000\r\n", "m=video" },
		{ "a live SCTP section", RTP_SESSION RTP_PCMU "m=application 7010 UDP/DTLS/SCTP "
		  "webrtc-datachannel\r\n", "UDP/DTLS/SCTP" },
		{ "no c=", "v=0\r\no=- 1 1 IN IP4 192.0.2.50\r\ns=-\r\nt=0 0\r\n" RTP_PCMU, "c=" },
		{ "c= on another section only", "v=0\r\no=- 1 1 IN IP4 192.0.2.50\r\ns=-\r\nt=0 0\r\n"
		  RTP_PCMU "c=IN IP4 192.0.2.50\r\nm=video 7002 RTP/AVP 96\r\n", "m=video" },
		{ "hold", "v=0\r\no=- 1 1 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
		  RTP_PCMU, "0.0.0.0" },
		{ "IPv6 unspecified", "v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::\r\nt=0 0\r\n"
		  RTP_PCMU, "::" },
		{ "host name", "v=0\r\no=- 1 1 IN IP4 192.0.2.50\r\ns=-\r\nc=IN IP4 tv.example\r\n"
		  "t=0 0\r\n" RTP_PCMU, "tv.example" },
	};
	for (size_t i = 0; i < sizeof(proto) / sizeof(proto[0]); i++)
		expect_rtp_refusal(proto[i].what, proto[i].text, MCU_EPROTO,
				   (const char *const[]){ proto[i].word, NULL });

	const char *const names[] = { "Opus", "G.722", "PCMU", "PCMA", "H.264", NULL };
	expect_rtp_refusal("nothing usable", RTP_SESSION
			   "m=audio 7000 RTP/AVP 18 3\r\na=rtpmap:18 G729/8000\r\n"
			   "m=video 7002 RTP/AVP 96 26\r\na=rtpmap:96 VP8/90000\r\n"
			   "m=text 7006 RTP/AVP 98\r\na=rtpmap:98 t140/1000\r\n",
			   MCU_EUNSUPPORTED, names);
	expect_rtp_refusal("H.264 in mode 2 only", RTP_SESSION "m=video 7002 RTP/AVP 96\r\n"
			   "a=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=2\r\n",
			   MCU_EUNSUPPORTED, names);
	expect_rtp_refusal("every port 0", RTP_SESSION "m=audio 0 RTP/AVP 0\r\n",
			   MCU_EUNSUPPORTED, names);
}

static void test_rtp_answer_buffer_too_small(void **state)
{
	(void)state;
	size_t n;
	char *text = sdpfixture_load("rtp-room-system.sdp", &n);
	struct sdp_rtp_negotiation neg;
	struct sdp_offer *o = rtp_ok("rtp-room-system.sdp", text, &neg);
	free(text);
	int len;
	char *full = rtp_answer("rtp-room-system.sdp", o, &neg, &RTP_LOCAL, &len);

	/* Exactly sized heap buffers at every size short of the answer plus
	 * its NUL, so that ASan sees a single byte written too many. */
	for (size_t size = 1; size <= (size_t)len; size++) {
		char *buf = malloc(size);
		assert_non_null(buf);
		int rc = sdprtp_build_answer(o, &neg, &RTP_LOCAL, buf, size);
		if (rc != MCU_EINVAL)
			fail_msg("size %zu of %d: returned %d", size, len + 1, rc);
		assert_int_equal(buf[0], '\0');
		free(buf);
	}
	char *buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(sdprtp_build_answer(o, &neg, &RTP_LOCAL, buf, (size_t)len + 1), len);
	assert_string_equal(buf, full);
	assert_int_equal(sdprtp_build_answer(o, &neg, &RTP_LOCAL, buf, 0), MCU_EINVAL);
	assert_int_equal(sdprtp_build_answer(o, &neg, &RTP_LOCAL, NULL, 100), MCU_EINVAL);
	struct sdp_rtp_local no_addr = RTP_LOCAL;
	no_addr.addr = NULL;
	assert_int_equal(sdprtp_build_answer(o, &neg, &no_addr, buf, (size_t)len + 1), MCU_EINVAL);
	free(buf);
	free(full);
	free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtp_ffmpeg),
		cmocka_unit_test(test_rtp_room_system),
		cmocka_unit_test(test_rtp_audio_level),
		cmocka_unit_test(test_rtp_audio_preference),
		cmocka_unit_test(test_rtp_h264_modes),
		cmocka_unit_test(test_rtp_rejected_sections),
		cmocka_unit_test(test_rtp_rtcp_ports),
		cmocka_unit_test(test_rtp_directions),
		cmocka_unit_test(test_rtp_ipv6),
		cmocka_unit_test(test_rtp_refusals),
		cmocka_unit_test(test_rtp_answer_buffer_too_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
