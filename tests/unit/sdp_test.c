/*
 * sdp_test.c - the SDP parser (sdp.h) against offers as real products write
 * them (see sdpfixture.h for what each offer's quirks are), against garbage,
 * cut and oversized text, and the trickle sdpfrags of WHIP PATCH; then the
 * small vocabulary sdp.h shares with the answer modules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/err.h"
#include "signaling/sdp.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdpfixture.h"

#define AUDIO_LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define MID_URI "urn:ietf:params:rtp-hdrext:sdes:mid"

/* ---- helpers ---------------------------------------------------------- */

static int extmap_id(const struct sdp_media *m, const char *uri)
{
	for (int i = 0; i < m->n_extmaps; i++)
		if (strcmp(m->extmaps[i].uri, uri) == 0)
			return m->extmaps[i].id;
	return 0;
}

static void assert_no_cr(const char *field)
{
	if (strchr(field, '\r') || strchr(field, '\n'))
		fail_msg("a parsed field kept a line end: \"%s\"", field);
}

/* ---- parsing the offers ---------------------------------------------- */

static void test_every_offer_parses(void **state)
{
	(void)state;
	for (size_t i = 0; i < sdpfixture_n_offers; i++) {
		struct sdp_offer *o = sdpfixture_parse_file(sdpfixture_offers[i]);
		assert_in_range(o->n_media, 1, SDP_MAX_MEDIA);
		for (int m = 0; m < o->n_media; m++) {
			const struct sdp_media *md = &o->media[m];
			assert_in_range(md->n_codecs, 0, SDP_MAX_CODECS);
			assert_in_range(md->n_extmaps, 0, SDP_MAX_EXTMAPS);
			assert_in_range(md->n_candidates, 0, SDP_MAX_CANDIDATES);
			assert_no_cr(md->mid);
			assert_no_cr(md->ice_ufrag);
			assert_no_cr(md->ice_pwd);
			assert_no_cr(md->fingerprint);
			assert_no_cr(md->msid);
			for (int c = 0; c < md->n_codecs; c++)
				assert_no_cr(md->codecs[c].fmtp);
			for (int c = 0; c < md->n_candidates; c++)
				assert_no_cr(md->candidates[c]);
		}
		free(o);
	}
}

static void test_chromium_session_and_transport(void **state)
{
	(void)state;
	struct sdp_offer *o = sdpfixture_parse_file("chromium.sdp");
	assert_string_equal(o->origin_session, "3273692241000604874");
	assert_false(o->ice_lite);
	assert_int_equal(o->n_bundle, 2);
	assert_string_equal(o->bundle_mids[0], "0");
	assert_string_equal(o->bundle_mids[1], "1");
	assert_int_equal(o->n_media, 2);
	const char *kinds[] = { "audio", "video" };
	const int ports[] = { 57453, 37394 };
	for (int i = 0; i < 2; i++) {
		const struct sdp_media *m = &o->media[i];
		assert_int_equal(m->kind, i == 0 ? SDP_KIND_AUDIO : SDP_KIND_VIDEO);
		assert_string_equal(m->kind_name, kinds[i]);
		assert_int_equal(m->port, ports[i]);
		assert_string_equal(m->proto, "UDP/TLS/RTP/SAVPF");
		assert_string_equal(m->mid, i == 0 ? "0" : "1");
		assert_int_equal(m->direction, SDP_SENDRECV);
		assert_string_equal(m->conn_addr, "127.0.0.1");
		assert_true(m->rtcp_mux);
		assert_int_equal(m->rtcp_port, 9);
		assert_string_equal(m->ice_ufrag, "w3IJ");
		assert_string_equal(m->ice_pwd, "y1IGcKQfcj8RlUxsL9lddqD+");
		assert_string_equal(m->fingerprint_alg, "sha-256");
		assert_string_equal(m->fingerprint,
				    "1A:B8:8B:4C:09:BE:DF:4C:23:37:64:D3:4A:94:26:A8:"
				    "03:94:F0:46:82:AE:AC:29:7A:1D:25:34:72:B0:BE:6A");
		assert_int_equal(m->setup, SDP_SETUP_ACTPASS);
		assert_int_equal(m->n_candidates, 8);
		assert_false(m->end_of_candidates);
		assert_int_equal(extmap_id(m, MID_URI), 4);
	}
	assert_string_equal(o->media[0].first_fmt, "111");
	assert_string_equal(o->media[1].first_fmt, "96");
	assert_string_equal(o->media[0].candidates[0],
			    "candidate:228436772 1 udp 2122194687 127.0.0.1 57453 typ host "
			    "generation 0 network-id 3 network-cost 50");
	assert_string_equal(o->media[1].candidates[7],
			    "candidate:3659381376 1 tcp 1518154495 fd00::2 9 typ host "
			    "tcptype active generation 0 network-id 2");
	assert_int_equal(o->media[0].ssrc, 1260622308u);
	assert_int_equal(o->media[1].ssrc, 2979297679u);
	assert_string_equal(o->media[0].msid,
			    "aa8414d8-5cfc-4a90-8dfc-ea5bc3192abd "
			    "93be588c-0308-4e10-9b0e-1529822b9aeb");
	assert_int_equal(o->media[0].n_extmaps, 4);
	assert_int_equal(o->media[1].n_extmaps, 11);
	assert_int_equal(extmap_id(&o->media[0], AUDIO_LEVEL_URI), 1);
	assert_int_equal(extmap_id(&o->media[1], AUDIO_LEVEL_URI), 0);
	assert_int_equal(extmap_id(&o->media[1], "urn:ietf:params:rtp-hdrext:toffset"), 14);
	free(o);
}

static void test_chromium_codecs(void **state)
{
	(void)state;
	struct sdp_offer *o = sdpfixture_parse_file("chromium.sdp");
	const struct sdp_media *a = &o->media[0], *v = &o->media[1];
	assert_int_equal(a->n_codecs, 8);
	assert_int_equal(v->n_codecs, 23);

	const struct sdp_codec *c = sdpfixture_find_codec(a, 111);
	assert_string_equal(c->name, "opus");
	assert_int_equal(c->clock_rate, 48000);
	assert_int_equal(c->channels, 2);
	assert_string_equal(c->fmtp, "minptime=10;useinbandfec=1");
	assert_int_equal(c->apt, -1);
	assert_true(c->fb_transport_cc);
	assert_false(c->fb_nack);
	assert_false(c->fb_pli);
	c = sdpfixture_find_codec(a, 9);
	assert_string_equal(c->name, "G722");
	assert_int_equal(c->clock_rate, 8000);
	assert_int_equal(c->channels, 0);
	assert_string_equal(c->fmtp, "");
	assert_string_equal(sdpfixture_find_codec(a, 63)->fmtp, "111/111");

	c = sdpfixture_find_codec(v, 108);
	assert_string_equal(c->name, "H264");
	assert_int_equal(c->clock_rate, 90000);
	assert_int_equal(c->packetization_mode, 1);
	assert_string_equal(c->profile_level_id, "42e01f");
	assert_int_equal(c->apt, -1);
	assert_true(c->fb_nack && c->fb_pli && c->fb_fir && c->fb_remb && c->fb_transport_cc);
	c = sdpfixture_find_codec(v, 114);
	assert_int_equal(c->packetization_mode, 0);
	assert_string_equal(c->profile_level_id, "42e01f");
	assert_string_equal(sdpfixture_find_codec(v, 116)->profile_level_id, "4d001f");
	assert_string_equal(sdpfixture_find_codec(v, 102)->profile_level_id, "42001f");
	c = sdpfixture_find_codec(v, 109);
	assert_string_equal(c->name, "rtx");
	assert_int_equal(c->apt, 108);
	assert_int_equal(sdpfixture_find_codec(v, 97)->apt, 96);
	assert_int_equal(sdpfixture_find_codec(v, 46)->apt, 45);
	c = sdpfixture_find_codec(v, 96);
	assert_string_equal(c->name, "VP8");
	assert_string_equal(c->fmtp, "");
	assert_int_equal(c->packetization_mode, 0);
	assert_string_equal(c->profile_level_id, "");
	assert_true(c->fb_pli && c->fb_nack && c->fb_remb);
	c = sdpfixture_find_codec(v, 120);
	assert_string_equal(c->name, "ulpfec");
	assert_false(c->fb_nack || c->fb_pli || c->fb_fir || c->fb_remb || c->fb_transport_cc);
	free(o);
}

static void test_chromium_sendonly(void **state)
{
	(void)state;
	struct sdp_offer *o = sdpfixture_parse_file("chromium-sendonly.sdp");
	assert_int_equal(o->n_media, 2);
	assert_int_equal(o->media[0].direction, SDP_SENDONLY);
	assert_int_equal(o->media[1].direction, SDP_SENDONLY);
	assert_string_equal(o->media[0].ice_ufrag, "Cjvp");
	/* a=ssrc-group:FID comes first in video; the first a=ssrc is the one. */
	assert_int_equal(o->media[0].ssrc, 2126249044u);
	assert_int_equal(o->media[1].ssrc, 1294392719u);
	assert_int_equal(sdpfixture_find_codec(&o->media[1], 108)->packetization_mode, 1);
	free(o);
}

static void test_firefox(void **state)
{
	(void)state;
	struct sdp_offer *o = sdpfixture_parse_file("firefox.sdp");
	assert_string_equal(o->origin_session, "5823047717364412096");
	assert_int_equal(o->n_bundle, 2);
	assert_int_equal(o->n_media, 2);
	for (int i = 0; i < 2; i++) {
		const struct sdp_media *m = &o->media[i];
		/* The fingerprint is only at session level. */
		assert_string_equal(m->fingerprint_alg, "sha-256");
		assert_string_equal(m->fingerprint,
				    "21:74:6E:A1:04:DD:61:D6:A4:1C:A1:C6:C5:AC:A0:F7:"
				    "D1:B4:DD:E5:D5:1F:84:76:BF:18:08:E2:62:61:B0:E0");
		assert_string_equal(m->ice_ufrag, "d954e335");
		assert_string_equal(m->ice_pwd, "061d14f86f09bfd84d14b17793518bad");
		assert_int_equal(m->setup, SDP_SETUP_ACTPASS);
		assert_true(m->rtcp_mux);
		assert_int_equal(m->direction, SDP_SENDRECV);
		assert_string_equal(m->conn_addr, "192.0.2.10");
		assert_int_equal(m->n_candidates, 4);
		assert_true(m->end_of_candidates);
		assert_int_equal(extmap_id(m, MID_URI), 3);
	}
	const struct sdp_media *a = &o->media[0], *v = &o->media[1];
	assert_string_equal(a->mid, "0");
	assert_string_equal(v->mid, "1");
	assert_string_equal(a->msid, "{7e8312dc-aed2-4707-8cc5-6014e0eabae7} "
				     "{014275db-7c5f-4366-b682-3560fdaba30d}");
	assert_int_equal(extmap_id(a, AUDIO_LEVEL_URI), 1);
	/* "a=extmap:2/recvonly URI": the direction suffix is not part of the id. */
	assert_int_equal(extmap_id(a, "urn:ietf:params:rtp-hdrext:csrc-audio-level"), 2);
	assert_int_equal(a->n_codecs, 5);
	assert_int_equal(v->n_codecs, 11);
	/* a=fmtp and a=rtcp-fb come before a=rtpmap in Firefox's offers. */
	const struct sdp_codec *c = sdpfixture_find_codec(a, 109);
	assert_string_equal(c->name, "opus");
	assert_int_equal(c->channels, 2);
	assert_string_equal(c->fmtp, "maxplaybackrate=48000;stereo=1;useinbandfec=1");
	assert_int_equal(sdpfixture_find_codec(a, 9)->channels, 1);
	c = sdpfixture_find_codec(v, 126);
	assert_string_equal(c->name, "H264");
	assert_int_equal(c->packetization_mode, 1);
	assert_string_equal(c->profile_level_id, "42e01f");
	assert_true(c->fb_nack && c->fb_pli && c->fb_fir && c->fb_remb && c->fb_transport_cc);
	c = sdpfixture_find_codec(v, 97);
	assert_int_equal(c->packetization_mode, 0);
	assert_string_equal(c->profile_level_id, "42e01f");
	assert_int_equal(sdpfixture_find_codec(v, 127)->apt, 126);
	assert_int_equal(sdpfixture_find_codec(v, 98)->apt, 97);
	assert_int_equal(sdpfixture_find_codec(v, 119)->apt, 122);
	c = sdpfixture_find_codec(v, 120);
	assert_string_equal(c->name, "VP8");
	assert_string_equal(c->fmtp, "max-fs=12288;max-fr=60");
	assert_true(c->fb_fir && c->fb_transport_cc);
	assert_false(sdpfixture_find_codec(v, 124)->fb_nack);
	assert_int_equal(a->ssrc, 3302118641u);
	assert_int_equal(v->ssrc, 2774717822u);
	free(o);
}

static void test_safari(void **state)
{
	(void)state;
	struct sdp_offer *o = sdpfixture_parse_file("safari.sdp");
	const struct sdp_media *v = &o->media[1];
	assert_int_equal(o->n_media, 2);
	assert_int_equal(v->n_codecs, 15);
	assert_int_equal(o->media[0].n_candidates, 3);
	assert_int_equal(v->n_candidates, 3);
	assert_int_equal(v->port, 54907);
	const struct { int pt, mode; const char *plid; } h264[] = {
		{ 96, 1, "640c1f" }, { 98, 1, "42e01f" },
		{ 100, 0, "640c1f" }, { 127, 0, "42e01f" },
	};
	for (size_t i = 0; i < sizeof(h264) / sizeof(h264[0]); i++) {
		const struct sdp_codec *c = sdpfixture_find_codec(v, h264[i].pt);
		assert_string_equal(c->name, "H264");
		assert_int_equal(c->packetization_mode, h264[i].mode);
		assert_string_equal(c->profile_level_id, h264[i].plid);
	}
	assert_int_equal(sdpfixture_find_codec(v, 97)->apt, 96);
	assert_int_equal(sdpfixture_find_codec(v, 99)->apt, 98);
	assert_int_equal(sdpfixture_find_codec(v, 125)->apt, 127);
	assert_int_equal(sdpfixture_find_codec(v, 105)->apt, 104);
	assert_string_equal(sdpfixture_find_codec(v, 104)->name, "VP8");
	assert_int_equal(v->ssrc, 3090253092u);
	assert_int_equal(extmap_id(&o->media[0], AUDIO_LEVEL_URI), 1);
	free(o);
}

static void test_obs(void **state)
{
	(void)state;
	struct sdp_offer *o = sdpfixture_parse_file("obs.sdp");
	assert_string_equal(o->origin_session, "2845079114");
	assert_int_equal(o->n_media, 2);
	assert_int_equal(o->n_bundle, 2);
	for (int i = 0; i < 2; i++) {
		const struct sdp_media *m = &o->media[i];
		/* libdatachannel keeps ICE and DTLS at session level. */
		assert_string_equal(m->ice_ufrag, "Vt3q");
		assert_string_equal(m->ice_pwd, "5kyD0ZbSx1UjeQ2hLmNo8R");
		assert_string_equal(m->fingerprint_alg, "sha-256");
		assert_string_equal(m->fingerprint,
				    "5B:08:79:64:F1:9E:8E:2F:23:81:15:D4:61:D7:31:BA:"
				    "A4:F3:66:C5:C3:56:14:1E:71:73:4B:B5:3C:5C:8B:69");
		assert_int_equal(m->setup, SDP_SETUP_ACTPASS);
		assert_int_equal(m->direction, SDP_SENDONLY);
		assert_true(m->rtcp_mux);
		assert_int_equal(m->n_codecs, 1);
	}
	assert_int_equal(o->media[0].n_candidates, 2);
	assert_true(o->media[0].end_of_candidates);
	assert_int_equal(o->media[1].n_candidates, 0);
	assert_int_equal(o->media[0].ssrc, 2206154391u);
	assert_string_equal(o->media[1].msid, "obs-stream obs-video");
	const struct sdp_codec *c = sdpfixture_find_codec(&o->media[1], 96);
	assert_int_equal(c->packetization_mode, 1);
	assert_string_equal(c->profile_level_id, "42e01f");
	assert_true(c->fb_nack && c->fb_pli && c->fb_remb);
	assert_false(c->fb_fir || c->fb_transport_cc);
	assert_int_equal(extmap_id(&o->media[0], AUDIO_LEVEL_URI), 0);
	free(o);
}

static void test_gstreamer(void **state)
{
	(void)state;
	struct sdp_offer *o = sdpfixture_parse_file("gstreamer-whipsink.sdp");
	assert_int_equal(o->n_media, 2);
	assert_int_equal(o->n_bundle, 2);
	assert_string_equal(o->bundle_mids[0], "video0");
	assert_string_equal(o->bundle_mids[1], "audio1");
	const struct sdp_media *v = &o->media[0], *a = &o->media[1];
	assert_int_equal(v->kind, SDP_KIND_VIDEO);
	assert_int_equal(a->kind, SDP_KIND_AUDIO);
	assert_string_equal(v->mid, "video0");
	assert_string_equal(a->mid, "audio1");
	assert_int_equal(v->port, 9);
	assert_int_equal(v->n_candidates, 0);
	assert_string_equal(v->ice_ufrag, "Nt5LF9Idlb07BfPyzdKQuNxtSPly5PDY");
	assert_string_equal(a->fingerprint_alg, "sha-256");
	assert_int_equal(a->direction, SDP_SENDONLY);
	assert_true(a->rtcp_mux);
	const struct sdp_codec *c = sdpfixture_find_codec(a, 97);
	assert_string_equal(c->name, "OPUS");
	assert_int_equal(c->clock_rate, 48000);
	assert_int_equal(c->channels, 2);
	assert_string_equal(sdpfixture_find_codec(v, 96)->name, "VP8");
	assert_int_equal(v->ssrc, 1675094212u);
	free(o);
}

static void test_ffmpeg_plain_rtp(void **state)
{
	(void)state;
	struct sdp_offer *o = sdpfixture_parse_file("ffmpeg-rtp.sdp");
	assert_int_equal(o->n_media, 2);
	assert_int_equal(o->n_bundle, 0);
	const struct sdp_media *v = &o->media[0], *a = &o->media[1];
	assert_int_equal(v->kind, SDP_KIND_VIDEO);
	assert_int_equal(v->port, 5004);
	assert_string_equal(v->proto, "RTP/AVP");
	assert_string_equal(v->conn_addr, "127.0.0.1"); /* from session level */
	assert_string_equal(v->ice_ufrag, "");
	assert_string_equal(v->fingerprint, "");
	assert_int_equal(v->setup, SDP_SETUP_NONE);
	assert_false(v->rtcp_mux);
	assert_string_equal(v->mid, "");
	/* ffmpeg writes "; " between fmtp parameters. */
	const struct sdp_codec *c = sdpfixture_find_codec(v, 96);
	assert_int_equal(c->packetization_mode, 1);
	assert_true(sdpfixture_contains_ci(c->profile_level_id, "42c01e"));
	assert_int_equal(a->port, 5006);
	assert_string_equal(a->first_fmt, "0");

	free(o);
}

/* ---- bad input -------------------------------------------------------- */

static void expect_parse_error(const char *what, const char *text, size_t len)
{
	struct sdp_offer *o = calloc(1, sizeof(*o));
	char err[256];
	assert_non_null(o);
	int rc = sdpfixture_parse_exact(text, len, o, err, sizeof(err));
	if (rc != MCU_EPROTO)
		fail_msg("%s: sdp_parse returned %d, expected MCU_EPROTO", what, rc);
	if (err[0] == '\0')
		fail_msg("%s: no reason given", what);
	free(o);
}

static void test_garbage_and_empty(void **state)
{
	(void)state;
	expect_parse_error("empty", "", 0);
	const char *garbage[] = {
		"hello, world\r\nthis is not SDP\r\n",
		"<!doctype html><html><body>502 Bad Gateway</body></html>",
		"{\"type\":\"offer\",\"sdp\":\"v=0\"}",
		"\r\n\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
		expect_parse_error(garbage[i], garbage[i], strlen(garbage[i]));

	/* The reason cites the line. */
	const char *noport = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio\r\n";
	struct sdp_offer *o = calloc(1, sizeof(*o));
	char err[256];
	assert_int_equal(sdpfixture_parse_exact(noport, strlen(noport), o, err, sizeof(err)), MCU_EPROTO);
	if (!strstr(err, "line 5"))
		fail_msg("the reason should cite line 5: \"%s\"", err);
	const char *badport = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
			      "m=audio nine UDP/TLS/RTP/SAVPF 111\r\n";
	assert_int_equal(sdpfixture_parse_exact(badport, strlen(badport), o, err, sizeof(err)), MCU_EPROTO);

	/* A short err buffer gets a truncated, terminated reason. */
	char small[8];
	memset(small, 'x', sizeof(small));
	assert_int_equal(sdp_parse("nonsense", 8, o, small, sizeof(small)), MCU_EPROTO);
	assert_true(memchr(small, '\0', sizeof(small)) != NULL);
	free(o);
}

static void test_lf_only_and_unterminated(void **state)
{
	(void)state;
	size_t len;
	char *crlf = sdpfixture_load("chromium.sdp", &len);
	char *lf = sdpfixture_replace_all(crlf, "\r\n", "\n");
	struct sdp_offer *a = sdpfixture_parse_ok("CRLF", crlf, len);
	struct sdp_offer *b = sdpfixture_parse_ok("LF", lf, strlen(lf));
	assert_int_equal(a->n_media, b->n_media);
	assert_int_equal(b->n_bundle, 2);
	for (int i = 0; i < a->n_media; i++) {
		const struct sdp_media *x = &a->media[i], *y = &b->media[i];
		assert_string_equal(x->mid, y->mid);
		assert_string_equal(x->ice_ufrag, y->ice_ufrag);
		assert_string_equal(x->ice_pwd, y->ice_pwd);
		assert_string_equal(x->fingerprint, y->fingerprint);
		assert_int_equal(x->n_codecs, y->n_codecs);
		assert_int_equal(x->n_candidates, y->n_candidates);
		assert_string_equal(x->candidates[0], y->candidates[0]);
		assert_int_equal(x->ssrc, y->ssrc);
	}
	assert_string_equal(sdpfixture_find_codec(&b->media[1], 108)->fmtp,
			    "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
	free(a);
	free(b);
	free(lf);
	free(crlf);

	/* The last line without its line end still counts. */
	char *obs = sdpfixture_load("obs.sdp", &len);
	assert_true(len > 2 && obs[len - 1] == '\n');
	struct sdp_offer *o = sdpfixture_parse_ok("unterminated", obs, len - 2);
	const struct sdp_codec *c = sdpfixture_find_codec(&o->media[1], 96);
	assert_int_equal(c->packetization_mode, 1);
	assert_string_equal(c->profile_level_id, "42e01f");
	free(o);
	free(obs);
}

/* An offer with n m= sections of audio. */
static char *many_sections(int n)
{
	struct sdpfixture_sbuf b = { 0 };
	sdpfixture_sb_session(&b, NULL);
	for (int i = 0; i < n; i++) {
		char mid[12];
		snprintf(mid, sizeof(mid), "%d", i);
		sdpfixture_sb_opus(&b, mid);
	}
	return b.s;
}

/* One video section with n payload types and n candidates. */
static char *big_section(int n_codecs, int n_candidates)
{
	struct sdpfixture_sbuf b = { 0 };
	sdpfixture_sb_session(&b, "0");
	sdpfixture_sb_add(&b, "m=video 9 UDP/TLS/RTP/SAVPF");
	for (int i = 0; i < n_codecs; i++)
		sdpfixture_sb_add(&b, " %d", 30 + i);
	sdpfixture_sb_add(&b, "\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=rtcp-mux\r\n");
	for (int i = 0; i < n_codecs; i++)
		sdpfixture_sb_add(&b, "a=rtpmap:%d VP8/90000\r\n", 30 + i);
	for (int i = 0; i < n_candidates; i++)
		sdpfixture_sb_add(&b, "a=candidate:%d 1 udp 2122194687 192.0.2.%d 5%04d typ host\r\n",
				  i, i + 1, i);
	return b.s;
}

static void test_limit_media(void **state)
{
	(void)state;
	char *t = many_sections(SDP_MAX_MEDIA);
	struct sdp_offer *o = sdpfixture_parse_ok("8 m= lines", t, strlen(t));
	assert_int_equal(o->n_media, SDP_MAX_MEDIA);
	free(o);
	free(t);
	t = many_sections(SDP_MAX_MEDIA + 1);
	expect_parse_error("9 m= lines", t, strlen(t));
	free(t);
	t = many_sections(40);
	expect_parse_error("40 m= lines", t, strlen(t));
	free(t);
}

/* The header promises MCU_EPROTO for text past any of its limits. */
static void test_limit_codecs_and_candidates(void **state)
{
	(void)state;
	char *t = big_section(SDP_MAX_CODECS, SDP_MAX_CANDIDATES);
	struct sdp_offer *o = sdpfixture_parse_ok("64 codecs, 32 candidates", t, strlen(t));
	assert_int_equal(o->media[0].n_codecs, SDP_MAX_CODECS);
	assert_int_equal(o->media[0].n_candidates, SDP_MAX_CANDIDATES);
	free(o);
	free(t);
	/* Past the limits, the extras are dropped, not refused: the section
	 * stays usable and nothing is written past the arrays. */
	t = big_section(1, SDP_MAX_CANDIDATES + 1);
	o = sdpfixture_parse_ok("33 candidates", t, strlen(t));
	assert_int_equal(o->media[0].n_candidates, SDP_MAX_CANDIDATES);
	free(o);
	free(t);
	t = big_section(SDP_MAX_CODECS + 1, 1);
	o = sdpfixture_parse_ok("65 codecs", t, strlen(t));
	assert_int_equal(o->media[0].n_codecs, SDP_MAX_CODECS);
	free(o);
	free(t);
}

/* ---- trickle fragments (RFC 8840) ------------------------------------- */

static void test_frag(void **state)
{
	(void)state;
	const char *body =
		"a=ice-ufrag:Qw7z\r\n"
		"a=ice-pwd:K3n8mPq2Rt6vXy0Zb4Cd9FgH\r\n"
		"m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"
		"a=mid:0\r\n"
		"a=candidate:3305813740 1 udp 2122260223 192.0.2.7 55012 typ host "
		"generation 0 ufrag Qw7z network-id 1\r\n"
		"a=candidate:1920585146 1 udp 1686052607 198.51.100.7 55012 typ srflx "
		"raddr 192.0.2.7 rport 55012 generation 0 ufrag Qw7z network-id 1\r\n"
		"a=end-of-candidates\r\n";
	struct sdp_frag *fr = calloc(1, sizeof(*fr));
	char err[256] = "";
	assert_non_null(fr);
	size_t len = strlen(body);
	char *copy = malloc(len);
	memcpy(copy, body, len);
	int rc = sdp_parse_frag(copy, len, fr, err, sizeof(err));
	free(copy);
	if (rc != 0)
		fail_msg("sdp_parse_frag returned %d: %s", rc, err);
	assert_string_equal(fr->ice_ufrag, "Qw7z");
	assert_string_equal(fr->ice_pwd, "K3n8mPq2Rt6vXy0Zb4Cd9FgH");
	assert_int_equal(fr->n_candidates, 2);
	assert_string_equal(fr->candidates[0],
			    "candidate:3305813740 1 udp 2122260223 192.0.2.7 55012 typ host "
			    "generation 0 ufrag Qw7z network-id 1");
	assert_true(strncmp(fr->candidates[1], "candidate:1920585146 ", 21) == 0);
	assert_no_cr(fr->candidates[1]);
	assert_true(fr->end_of_candidates);

	/* LF endings, no credentials, no end: still a fragment. */
	const char *lf = "a=mid:0\na=candidate:1 1 udp 2122260223 192.0.2.8 5000 typ host\n";
	memset(fr, 0x5A, sizeof(*fr));
	rc = sdp_parse_frag(lf, strlen(lf), fr, err, sizeof(err));
	if (rc != 0)
		fail_msg("LF sdp_parse_frag returned %d: %s", rc, err);
	assert_string_equal(fr->ice_ufrag, "");
	assert_string_equal(fr->ice_pwd, "");
	assert_int_equal(fr->n_candidates, 1);
	assert_string_equal(fr->candidates[0], "candidate:1 1 udp 2122260223 192.0.2.8 5000 typ host");
	assert_false(fr->end_of_candidates);

	/* Any prefix of the body: never a crash, 0 or MCU_EPROTO. */
	for (size_t n = 0; n <= len; n++) {
		copy = malloc(n ? n : 1);
		memcpy(copy, body, n);
		rc = sdp_parse_frag(copy, n, fr, err, sizeof(err));
		free(copy);
		assert_true(rc == 0 || rc == MCU_EPROTO);
	}
	free(fr);
}

static void test_frag_garbage(void **state)
{
	(void)state;
	struct sdp_frag *fr = calloc(1, sizeof(*fr));
	assert_non_null(fr);
	const char *bad[] = {
		"{\"candidate\":\"candidate:1 1 udp 1 192.0.2.1 9 typ host\",\"sdpMid\":\"0\"}",
		"<html><body>hello</body></html>\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256] = "";
		int rc = sdp_parse_frag(bad[i], strlen(bad[i]), fr, err, sizeof(err));
		if (rc != MCU_EPROTO)
			fail_msg("frag \"%s\": returned %d, expected MCU_EPROTO", bad[i], rc);
		assert_true(err[0] != '\0');
	}
	free(fr);
}

/* ---- the vocabulary shared with the answer modules -------------------- */

static void test_fail(void **state)
{
	(void)state;
	char err[32];
	memset(err, 'x', sizeof(err));
	assert_int_equal(sdp_fail(err, sizeof(err), MCU_EPROTO, "line %d: %s", 7, "bad"), MCU_EPROTO);
	assert_string_equal(err, "line 7: bad");
	/* Too long for err: cut, still terminated. */
	char small[6];
	assert_int_equal(sdp_fail(small, sizeof(small), MCU_EUNSUPPORTED, "%s", "a long reason"),
			 MCU_EUNSUPPORTED);
	assert_string_equal(small, "a lon");
	/* No err, or one of no size: only the code. */
	assert_int_equal(sdp_fail(NULL, 0, MCU_ENOMEM, "out of memory"), MCU_ENOMEM);
	memset(small, 'x', sizeof(small));
	assert_int_equal(sdp_fail(small, 0, MCU_EPROTO, "nothing"), MCU_EPROTO);
	assert_int_equal(small[0], 'x');
}

static void test_find_extmap(void **state)
{
	(void)state;
	struct sdp_offer *o = sdpfixture_parse_file("chromium.sdp");
	assert_int_equal(sdp_find_extmap(&o->media[0], AUDIO_LEVEL_URI), 1);
	assert_int_equal(sdp_find_extmap(&o->media[0], MID_URI), 4);
	assert_int_equal(sdp_find_extmap(&o->media[1], "urn:ietf:params:rtp-hdrext:toffset"), 14);
	assert_int_equal(sdp_find_extmap(&o->media[1], AUDIO_LEVEL_URI), 0);
	assert_int_equal(sdp_find_extmap(&o->media[1], ""), 0);
	free(o);
}

static void test_answer_direction(void **state)
{
	(void)state;
	const struct { enum sdp_direction offered; bool can_send; enum sdp_direction want; } t[] = {
		{ SDP_SENDRECV, true, SDP_SENDRECV }, { SDP_SENDRECV, false, SDP_RECVONLY },
		{ SDP_SENDONLY, true, SDP_RECVONLY }, { SDP_SENDONLY, false, SDP_RECVONLY },
		{ SDP_RECVONLY, true, SDP_SENDONLY }, { SDP_RECVONLY, false, SDP_INACTIVE },
		{ SDP_INACTIVE, true, SDP_INACTIVE }, { SDP_INACTIVE, false, SDP_INACTIVE },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (sdp_answer_direction(t[i].offered, t[i].can_send) != t[i].want)
			fail_msg("offered %s, can_send %d: answered %s, expected %s",
				 sdp_direction_name(t[i].offered), t[i].can_send,
				 sdp_direction_name(sdp_answer_direction(t[i].offered, t[i].can_send)),
				 sdp_direction_name(t[i].want));
}

/* The names are the attributes the parser reads back. */
static void test_direction_name(void **state)
{
	(void)state;
	assert_string_equal(sdp_direction_name(SDP_SENDRECV), "sendrecv");
	assert_string_equal(sdp_direction_name(SDP_SENDONLY), "sendonly");
	assert_string_equal(sdp_direction_name(SDP_RECVONLY), "recvonly");
	assert_string_equal(sdp_direction_name(SDP_INACTIVE), "inactive");
	const enum sdp_direction all[] = { SDP_SENDRECV, SDP_SENDONLY, SDP_RECVONLY, SDP_INACTIVE };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		char text[160];
		snprintf(text, sizeof(text), "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
			 "m=audio 9 RTP/AVP 0\r\na=%s\r\n", sdp_direction_name(all[i]));
		struct sdp_offer *o = sdpfixture_parse_ok(text, text, strlen(text));
		assert_int_equal(o->media[0].direction, all[i]);
		free(o);
	}
}

/* Formats listed without a=rtpmap get RFC 3551's static names and clocks;
 * an a=rtpmap still says what a static number means. */
static void test_static_payload_types(void **state)
{
	(void)state;
	static const char text[] = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
				   "m=audio 9 RTP/AVP 0 8 9 26 3 97\r\na=rtpmap:97 opus/48000/2\r\n"
				   "m=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMA/8000\r\n";
	static const struct { int pt; const char *name; int clock, channels; } want[] = {
		{ 0, "PCMU", 8000, 1 }, { 8, "PCMA", 8000, 1 }, { 9, "G722", 8000, 1 },
		{ 26, "JPEG", 90000, 0 }, { 3, "", 0, 0 }, { 97, "opus", 48000, 2 },
	};
	struct sdp_offer *o = sdpfixture_parse_ok("static", text, strlen(text));
	assert_int_equal(o->media[0].n_codecs, 6);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct sdp_codec *c = sdpfixture_find_codec(&o->media[0], want[i].pt);
		assert_non_null(c);
		assert_string_equal(c->name, want[i].name);
		assert_int_equal(c->clock_rate, want[i].clock);
		assert_int_equal(c->channels, want[i].channels);
	}
	assert_string_equal(sdpfixture_find_codec(&o->media[1], 0)->name, "PCMA");
	free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_offer_parses),
		cmocka_unit_test(test_chromium_session_and_transport),
		cmocka_unit_test(test_chromium_codecs),
		cmocka_unit_test(test_chromium_sendonly),
		cmocka_unit_test(test_firefox),
		cmocka_unit_test(test_safari),
		cmocka_unit_test(test_obs),
		cmocka_unit_test(test_gstreamer),
		cmocka_unit_test(test_ffmpeg_plain_rtp),
		cmocka_unit_test(test_garbage_and_empty),
		cmocka_unit_test(test_lf_only_and_unterminated),
		cmocka_unit_test(test_limit_media),
		cmocka_unit_test(test_limit_codecs_and_candidates),
		cmocka_unit_test(test_frag),
		cmocka_unit_test(test_frag_garbage),
		cmocka_unit_test(test_fail),
		cmocka_unit_test(test_find_extmap),
		cmocka_unit_test(test_answer_direction),
		cmocka_unit_test(test_direction_name),
		cmocka_unit_test(test_static_payload_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
