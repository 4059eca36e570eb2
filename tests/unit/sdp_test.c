/*
 * sdp_test.c - the SDP module against offers as real products write them.
 *
 * tests/unit/offers/ holds Chromium's offers as captured from Debian's
 * headless build (sendrecv, and sendonly as a WHIP client sends) and offers
 * written by hand in the shapes Firefox, Safari, OBS (libdatachannel),
 * GStreamer's whipsink and ffmpeg's RTP muxer produce, plus two that must be
 * refused. Each offer's quirks are the point: Firefox writes a=fmtp and
 * a=rtcp-fb before a=rtpmap and keeps the fingerprint at session level,
 * GStreamer writes "OPUS" and puts video first, ffmpeg puts spaces after the
 * fmtp semicolons and has no ICE at all. rtp-room-system.sdp is a plain RTP
 * offer in the shape hardware room systems write: a c= per section, a=rtcp,
 * DTMF, and H.263 listed before H.264.
 *
 * The binary runs from the repository root, which is where the offers are
 * looked up. struct sdp_offer is about a quarter of a megabyte, so every one
 * lives on the heap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mcu/err.h"
#include "signaling/sdp.h"
#include "signaling/sdpanswer.h"
#include "signaling/sdprtp.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OFFER_DIR "tests/unit/offers/"
#define ANSWER_SIZE 65536
#define AUDIO_LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define MID_URI "urn:ietf:params:rtp-hdrext:sdes:mid"

/* Every offer in OFFER_DIR; all of them must parse. */
static const char *const ALL_OFFERS[] = {
	"chromium.sdp", "chromium-sendonly.sdp", "firefox.sdp", "safari.sdp",
	"obs.sdp", "gstreamer-whipsink.sdp", "ffmpeg-rtp.sdp",
	"no-fingerprint.sdp", "no-codec.sdp", "rtp-room-system.sdp",
};
#define N_ALL_OFFERS (sizeof(ALL_OFFERS) / sizeof(ALL_OFFERS[0]))

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

/* Returns the file's bytes, NUL-terminated (not counted in *len). */
static char *load(const char *name, size_t *len)
{
	char path[256];
	snprintf(path, sizeof(path), "%s%s", OFFER_DIR, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (run from the repository root)", path);
	char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		if (got == 0)
			break;
		n += got;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Parses len bytes from an exactly-sized copy, so that ASan catches a
 * parser that reads past len or relies on a NUL. Returns the code. */
static int parse_exact(const char *text, size_t len, struct sdp_offer *out,
		       char *err, size_t err_size)
{
	char *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, text, len);
	err[0] = '\0';
	int rc = sdp_parse(copy, len, out, err, err_size);
	free(copy);
	return rc;
}

/* Parses text that must be good; returns a new offer the caller frees. */
static struct sdp_offer *parse_ok(const char *what, const char *text, size_t len)
{
	struct sdp_offer *o = malloc(sizeof(*o));
	char err[256];
	assert_non_null(o);
	memset(o, 0xA5, sizeof(*o)); /* the parser must set what it reports */
	int rc = parse_exact(text, len, o, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s: sdp_parse returned %d: %s", what, rc, err);
	return o;
}

static struct sdp_offer *parse_file(const char *name)
{
	size_t len;
	char *text = load(name, &len);
	struct sdp_offer *o = parse_ok(name, text, len);
	free(text);
	return o;
}

static const struct sdp_codec *find_codec(const struct sdp_media *m, int pt)
{
	for (int i = 0; i < m->n_codecs; i++)
		if (m->codecs[i].pt == pt)
			return &m->codecs[i];
	fail_msg("mid %s: no codec with payload type %d", m->mid, pt);
	return NULL;
}

static int extmap_id(const struct sdp_media *m, const char *uri)
{
	for (int i = 0; i < m->n_extmaps; i++)
		if (strcmp(m->extmaps[i].uri, uri) == 0)
			return m->extmaps[i].id;
	return 0;
}

static bool has_pt(const struct sdp_media_answer *a, int pt)
{
	assert_in_range(a->n_recv_pts, 0, 4);
	for (int i = 0; i < a->n_recv_pts; i++)
		if (a->recv_pts[i] == pt)
			return true;
	return false;
}

/* Case-insensitive substring search (ASCII). */
static bool contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++) {
		size_t i = 0;
		while (i < n && hay[i] &&
		       tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
			i++;
		if (i == n)
			return true;
	}
	return false;
}

/* Returns a new string with every "from" replaced by "to". */
static char *replace_all(const char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), count = 0;
	for (const char *p = strstr(s, from); p; p = strstr(p + fl, from))
		count++;
	char *out = malloc(strlen(s) + count * tl + 1);
	assert_non_null(out);
	char *w = out;
	for (const char *p = s;;) {
		const char *hit = strstr(p, from);
		if (!hit) {
			strcpy(w, p);
			break;
		}
		memcpy(w, p, (size_t)(hit - p));
		w += hit - p;
		memcpy(w, to, tl);
		w += tl;
		p = hit + fl;
	}
	return out;
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

/* A growing string for offers built in the test. */
struct sbuf {
	char *s;
	size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		int n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		assert_non_null(b->s);
	}
}

/* Session lines every built offer shares: ICE and DTLS at session level. */
static void sb_session(struct sbuf *b, const char *bundle)
{
	sb_add(b, "v=0\r\no=- 9000 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
	if (bundle)
		sb_add(b, "a=group:BUNDLE %s\r\n", bundle);
	sb_add(b, "a=ice-ufrag:tEsT\r\na=ice-pwd:testPasswordOfTwentyFour\r\n"
		  "a=fingerprint:sha-256 7E:2A:88:64:2C:D0:44:96:90:73:B8:66:"
		  "7D:92:09:C9:B5:2F:84:39:7B:A0:9B:82:83:97:E3:79:88:EB:83:62\r\n"
		  "a=setup:actpass\r\n");
}

static void sb_opus(struct sbuf *b, const char *mid)
{
	sb_add(b, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
		  "a=mid:%s\r\na=sendrecv\r\na=rtcp-mux\r\n"
		  "a=extmap:1 " AUDIO_LEVEL_URI "\r\n"
		  "a=rtpmap:111 opus/48000/2\r\n", mid);
}

/* The i-th m= section of an SDP text (from "m=" to the next one), new string. */
static char *section(const char *sdp, int index)
{
	const char *p = sdp;
	int seen = -1;
	const char *start = NULL;
	while ((p = strstr(p, "m=")) != NULL) {
		if (p == sdp || p[-1] == '\n') {
			if (++seen == index) {
				start = p;
				break;
			}
		}
		p += 2;
	}
	if (!start) {
		fail_msg("the SDP has no m= section %d:\n%s", index, sdp);
		return NULL;
	}
	const char *end = strstr(start + 2, "\nm=");
	size_t n = end ? (size_t)(end - start) + 1 : strlen(start);
	char *out = malloc(n + 1);
	assert_non_null(out);
	memcpy(out, start, n);
	out[n] = '\0';
	return out;
}

static int count_lines_starting(const char *sdp, const char *prefix)
{
	int n = 0;
	size_t pl = strlen(prefix);
	for (const char *p = sdp; p && *p;) {
		if (strncmp(p, prefix, pl) == 0)
			n++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return n;
}

/* Every line ends in CRLF, and there are no bare CRs or LFs. */
static void assert_crlf(const char *s, size_t n)
{
	assert_true(n >= 2);
	assert_memory_equal(s + n - 2, "\r\n", 2);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			fail_msg("bare LF at byte %zu", i);
		if (s[i] == '\r' && s[i + 1] != '\n')
			fail_msg("bare CR at byte %zu", i);
	}
}

static void assert_no_cr(const char *field)
{
	if (strchr(field, '\r') || strchr(field, '\n'))
		fail_msg("a parsed field kept a line end: \"%s\"", field);
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
	assert_crlf(buf, (size_t)n);
	*len = n;
	return buf;
}

/* ---- parsing the offers ---------------------------------------------- */

static void test_every_offer_parses(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_ALL_OFFERS; i++) {
		struct sdp_offer *o = parse_file(ALL_OFFERS[i]);
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
	struct sdp_offer *o = parse_file("chromium.sdp");
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
	struct sdp_offer *o = parse_file("chromium.sdp");
	const struct sdp_media *a = &o->media[0], *v = &o->media[1];
	assert_int_equal(a->n_codecs, 8);
	assert_int_equal(v->n_codecs, 23);

	const struct sdp_codec *c = find_codec(a, 111);
	assert_string_equal(c->name, "opus");
	assert_int_equal(c->clock_rate, 48000);
	assert_int_equal(c->channels, 2);
	assert_string_equal(c->fmtp, "minptime=10;useinbandfec=1");
	assert_int_equal(c->apt, -1);
	assert_true(c->fb_transport_cc);
	assert_false(c->fb_nack);
	assert_false(c->fb_pli);
	c = find_codec(a, 9);
	assert_string_equal(c->name, "G722");
	assert_int_equal(c->clock_rate, 8000);
	assert_int_equal(c->channels, 0);
	assert_string_equal(c->fmtp, "");
	assert_string_equal(find_codec(a, 63)->fmtp, "111/111");

	c = find_codec(v, 108);
	assert_string_equal(c->name, "H264");
	assert_int_equal(c->clock_rate, 90000);
	assert_int_equal(c->packetization_mode, 1);
	assert_string_equal(c->profile_level_id, "42e01f");
	assert_int_equal(c->apt, -1);
	assert_true(c->fb_nack && c->fb_pli && c->fb_fir && c->fb_remb && c->fb_transport_cc);
	c = find_codec(v, 114);
	assert_int_equal(c->packetization_mode, 0);
	assert_string_equal(c->profile_level_id, "42e01f");
	assert_string_equal(find_codec(v, 116)->profile_level_id, "4d001f");
	assert_string_equal(find_codec(v, 102)->profile_level_id, "42001f");
	c = find_codec(v, 109);
	assert_string_equal(c->name, "rtx");
	assert_int_equal(c->apt, 108);
	assert_int_equal(find_codec(v, 97)->apt, 96);
	assert_int_equal(find_codec(v, 46)->apt, 45);
	c = find_codec(v, 96);
	assert_string_equal(c->name, "VP8");
	assert_string_equal(c->fmtp, "");
	assert_int_equal(c->packetization_mode, 0);
	assert_string_equal(c->profile_level_id, "");
	assert_true(c->fb_pli && c->fb_nack && c->fb_remb);
	c = find_codec(v, 120);
	assert_string_equal(c->name, "ulpfec");
	assert_false(c->fb_nack || c->fb_pli || c->fb_fir || c->fb_remb || c->fb_transport_cc);
	free(o);
}

static void test_chromium_sendonly(void **state)
{
	(void)state;
	struct sdp_offer *o = parse_file("chromium-sendonly.sdp");
	assert_int_equal(o->n_media, 2);
	assert_int_equal(o->media[0].direction, SDP_SENDONLY);
	assert_int_equal(o->media[1].direction, SDP_SENDONLY);
	assert_string_equal(o->media[0].ice_ufrag, "Cjvp");
	/* a=ssrc-group:FID comes first in video; the first a=ssrc is the one. */
	assert_int_equal(o->media[0].ssrc, 2126249044u);
	assert_int_equal(o->media[1].ssrc, 1294392719u);
	assert_int_equal(find_codec(&o->media[1], 108)->packetization_mode, 1);
	free(o);
}

static void test_firefox(void **state)
{
	(void)state;
	struct sdp_offer *o = parse_file("firefox.sdp");
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
	const struct sdp_codec *c = find_codec(a, 109);
	assert_string_equal(c->name, "opus");
	assert_int_equal(c->channels, 2);
	assert_string_equal(c->fmtp, "maxplaybackrate=48000;stereo=1;useinbandfec=1");
	assert_int_equal(find_codec(a, 9)->channels, 1);
	c = find_codec(v, 126);
	assert_string_equal(c->name, "H264");
	assert_int_equal(c->packetization_mode, 1);
	assert_string_equal(c->profile_level_id, "42e01f");
	assert_true(c->fb_nack && c->fb_pli && c->fb_fir && c->fb_remb && c->fb_transport_cc);
	c = find_codec(v, 97);
	assert_int_equal(c->packetization_mode, 0);
	assert_string_equal(c->profile_level_id, "42e01f");
	assert_int_equal(find_codec(v, 127)->apt, 126);
	assert_int_equal(find_codec(v, 98)->apt, 97);
	assert_int_equal(find_codec(v, 119)->apt, 122);
	c = find_codec(v, 120);
	assert_string_equal(c->name, "VP8");
	assert_string_equal(c->fmtp, "max-fs=12288;max-fr=60");
	assert_true(c->fb_fir && c->fb_transport_cc);
	assert_false(find_codec(v, 124)->fb_nack);
	assert_int_equal(a->ssrc, 3302118641u);
	assert_int_equal(v->ssrc, 2774717822u);
	free(o);
}

static void test_safari(void **state)
{
	(void)state;
	struct sdp_offer *o = parse_file("safari.sdp");
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
		const struct sdp_codec *c = find_codec(v, h264[i].pt);
		assert_string_equal(c->name, "H264");
		assert_int_equal(c->packetization_mode, h264[i].mode);
		assert_string_equal(c->profile_level_id, h264[i].plid);
	}
	assert_int_equal(find_codec(v, 97)->apt, 96);
	assert_int_equal(find_codec(v, 99)->apt, 98);
	assert_int_equal(find_codec(v, 125)->apt, 127);
	assert_int_equal(find_codec(v, 105)->apt, 104);
	assert_string_equal(find_codec(v, 104)->name, "VP8");
	assert_int_equal(v->ssrc, 3090253092u);
	assert_int_equal(extmap_id(&o->media[0], AUDIO_LEVEL_URI), 1);
	free(o);
}

static void test_obs(void **state)
{
	(void)state;
	struct sdp_offer *o = parse_file("obs.sdp");
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
	const struct sdp_codec *c = find_codec(&o->media[1], 96);
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
	struct sdp_offer *o = parse_file("gstreamer-whipsink.sdp");
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
	const struct sdp_codec *c = find_codec(a, 97);
	assert_string_equal(c->name, "OPUS");
	assert_int_equal(c->clock_rate, 48000);
	assert_int_equal(c->channels, 2);
	assert_string_equal(find_codec(v, 96)->name, "VP8");
	assert_int_equal(v->ssrc, 1675094212u);
	free(o);
}

static void test_ffmpeg_plain_rtp(void **state)
{
	(void)state;
	struct sdp_offer *o = parse_file("ffmpeg-rtp.sdp");
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
	const struct sdp_codec *c = find_codec(v, 96);
	assert_int_equal(c->packetization_mode, 1);
	assert_true(contains_ci(c->profile_level_id, "42c01e"));
	assert_int_equal(a->port, 5006);
	assert_string_equal(a->first_fmt, "0");

	free(o);
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
		struct sdp_offer *o = parse_file(EXPECT[i].file);
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
	struct sdp_offer *o = parse_ok(what, text, strlen(text));
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
		named |= contains_ci(err, *words);
	if (!named)
		fail_msg("%s: the reason \"%s\" does not say what is wrong", what, err);
	free(o);
}

static void test_negotiate_refusals_from_files(void **state)
{
	(void)state;
	size_t len;
	char *text = load("no-fingerprint.sdp", &len);
	expect_refusal("no-fingerprint.sdp", text, MCU_EPROTO,
		       (const char *const[]){ "fingerprint", NULL });
	free(text);
	text = load("no-codec.sdp", &len);
	expect_refusal("no-codec.sdp", text, MCU_EUNSUPPORTED,
		       (const char *const[]){ "codec", "opus", "h264", "h.264", "vp8", NULL });
	free(text);
	text = load("ffmpeg-rtp.sdp", &len);
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
	char *orig = load("chromium.sdp", &len);
	char *t;

	t = replace_all(orig, "a=setup:actpass", "a=setup:passive");
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
	t = replace_all(orig, "a=fingerprint:sha-256", "a=fingerprint:sha-1");
	expect_refusal("sha-1 fingerprint", t, MCU_EPROTO,
		       (const char *const[]){ "fingerprint", "sha", NULL });
	free(t);

	/* a=setup:active is fine: we answer passive. */
	t = replace_all(orig, "a=setup:actpass", "a=setup:active");
	struct sdp_offer *o = parse_ok("setup:active", t, strlen(t));
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
	struct sbuf b = { 0 };
	struct sdp_negotiation neg;

	/* H.264 in packetization-mode 0 only: video is rejected, audio stays. */
	sb_session(&b, "a v");
	sb_opus(&b, "a");
	sb_add(&b, "m=video 9 UDP/TLS/RTP/SAVPF 104\r\nc=IN IP4 0.0.0.0\r\n"
		   "a=mid:v\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:104 H264/90000\r\n"
		   "a=fmtp:104 packetization-mode=0;profile-level-id=42e01f\r\n");
	struct sdp_offer *o = parse_ok("pm=0 only", b.s, b.len);
	negotiate_ok("pm=0 only", o, &neg);
	assert_int_equal(neg.audio_index, 0);
	assert_int_equal(neg.video_index, -1);
	assert_true(neg.media[0].accepted);
	assert_false(neg.media[1].accepted);
	assert_int_equal(neg.media[0].send_pt, 111);
	free(o);

	/* VP8 only, sendrecv: we take VP8 in but can only send H.264. */
	b.len = 0;
	sb_session(&b, "a v");
	sb_opus(&b, "a");
	sb_add(&b, "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
		   "a=mid:v\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:96 VP8/90000\r\n");
	o = parse_ok("vp8 only", b.s, b.len);
	negotiate_ok("vp8 only", o, &neg);
	assert_int_equal(neg.video_index, 1);
	assert_true(neg.media[1].accepted);
	assert_true(has_pt(&neg.media[1], 96));
	assert_int_equal(neg.media[1].send_pt, -1);
	assert_int_equal(neg.media[1].direction, SDP_RECVONLY);
	assert_int_equal(neg.media[0].direction, SDP_SENDRECV);
	free(o);

	/* Audio only, recvonly from the peer (a WHEP-like viewer). */
	b.len = 0;
	sb_session(&b, "a");
	sb_opus(&b, "a");
	char *t = replace_all(b.s, "a=sendrecv", "a=recvonly");
	o = parse_ok("audio recvonly", t, strlen(t));
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

/* ---- bad input -------------------------------------------------------- */

static void expect_parse_error(const char *what, const char *text, size_t len)
{
	struct sdp_offer *o = calloc(1, sizeof(*o));
	char err[256];
	assert_non_null(o);
	int rc = parse_exact(text, len, o, err, sizeof(err));
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
	assert_int_equal(parse_exact(noport, strlen(noport), o, err, sizeof(err)), MCU_EPROTO);
	if (!strstr(err, "line 5"))
		fail_msg("the reason should cite line 5: \"%s\"", err);
	const char *badport = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
			      "m=audio nine UDP/TLS/RTP/SAVPF 111\r\n";
	assert_int_equal(parse_exact(badport, strlen(badport), o, err, sizeof(err)), MCU_EPROTO);

	/* A short err buffer gets a truncated, terminated reason. */
	char small[8];
	memset(small, 'x', sizeof(small));
	assert_int_equal(sdp_parse("nonsense", 8, o, small, sizeof(small)), MCU_EPROTO);
	assert_true(memchr(small, '\0', sizeof(small)) != NULL);
	free(o);
}

/* Random bytes, and Chromium's offer with random damage: the result is 0 or
 * MCU_EPROTO, and what parses can be negotiated and answered safely. */
static void test_random_damage(void **state)
{
	(void)state;
	size_t len;
	char *orig = load("chromium.sdp", &len);
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
		int rc = parse_exact(work, n, o, err, sizeof(err));
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
	for (size_t f = 0; f < N_ALL_OFFERS; f++) {
		size_t len;
		char *text = load(ALL_OFFERS[f], &len);
		/* Every length for Chromium's offer, every third for the rest. */
		size_t step = f == 0 ? 1 : 3;
		for (size_t n = 0; n <= len; n += step) {
			char err[256];
			int rc = parse_exact(text, n, o, err, sizeof(err));
			if (rc != 0 && rc != MCU_EPROTO)
				fail_msg("%s cut at %zu: sdp_parse returned %d", ALL_OFFERS[f], n, rc);
			if (rc != 0)
				continue;
			struct sdp_negotiation neg;
			rc = sdpanswer_negotiate(o, &neg, err, sizeof(err));
			if (rc != 0 && rc != MCU_EPROTO && rc != MCU_EUNSUPPORTED)
				fail_msg("%s cut at %zu: sdpanswer_negotiate returned %d",
					 ALL_OFFERS[f], n, rc);
			if (rc == 0)
				assert_true(sdpanswer_build(o, &neg, &LOCAL, ans, ANSWER_SIZE) > 0);
		}
		free(text);
	}
	free(ans);
	free(o);
}

static void test_lf_only_and_unterminated(void **state)
{
	(void)state;
	size_t len;
	char *crlf = load("chromium.sdp", &len);
	char *lf = replace_all(crlf, "\r\n", "\n");
	struct sdp_offer *a = parse_ok("CRLF", crlf, len);
	struct sdp_offer *b = parse_ok("LF", lf, strlen(lf));
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
	assert_string_equal(find_codec(&b->media[1], 108)->fmtp,
			    "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f");
	free(a);
	free(b);
	free(lf);
	free(crlf);

	/* The last line without its line end still counts. */
	char *obs = load("obs.sdp", &len);
	assert_true(len > 2 && obs[len - 1] == '\n');
	struct sdp_offer *o = parse_ok("unterminated", obs, len - 2);
	const struct sdp_codec *c = find_codec(&o->media[1], 96);
	assert_int_equal(c->packetization_mode, 1);
	assert_string_equal(c->profile_level_id, "42e01f");
	free(o);
	free(obs);
}

/* An offer with n m= sections of audio. */
static char *many_sections(int n)
{
	struct sbuf b = { 0 };
	sb_session(&b, NULL);
	for (int i = 0; i < n; i++) {
		char mid[12];
		snprintf(mid, sizeof(mid), "%d", i);
		sb_opus(&b, mid);
	}
	return b.s;
}

/* One video section with n payload types and n candidates. */
static char *big_section(int n_codecs, int n_candidates)
{
	struct sbuf b = { 0 };
	sb_session(&b, "0");
	sb_add(&b, "m=video 9 UDP/TLS/RTP/SAVPF");
	for (int i = 0; i < n_codecs; i++)
		sb_add(&b, " %d", 30 + i);
	sb_add(&b, "\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=rtcp-mux\r\n");
	for (int i = 0; i < n_codecs; i++)
		sb_add(&b, "a=rtpmap:%d VP8/90000\r\n", 30 + i);
	for (int i = 0; i < n_candidates; i++)
		sb_add(&b, "a=candidate:%d 1 udp 2122194687 192.0.2.%d 5%04d typ host\r\n",
		       i, i + 1, i);
	return b.s;
}

static void test_limit_media(void **state)
{
	(void)state;
	char *t = many_sections(SDP_MAX_MEDIA);
	struct sdp_offer *o = parse_ok("8 m= lines", t, strlen(t));
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
	struct sdp_offer *o = parse_ok("64 codecs, 32 candidates", t, strlen(t));
	assert_int_equal(o->media[0].n_codecs, SDP_MAX_CODECS);
	assert_int_equal(o->media[0].n_candidates, SDP_MAX_CANDIDATES);
	free(o);
	free(t);
	/* Past the limits, the extras are dropped, not refused: the section
	 * stays usable and nothing is written past the arrays. */
	t = big_section(1, SDP_MAX_CANDIDATES + 1);
	o = parse_ok("33 candidates", t, strlen(t));
	assert_int_equal(o->media[0].n_candidates, SDP_MAX_CANDIDATES);
	free(o);
	free(t);
	t = big_section(SDP_MAX_CODECS + 1, 1);
	o = parse_ok("65 codecs", t, strlen(t));
	assert_int_equal(o->media[0].n_codecs, SDP_MAX_CODECS);
	free(o);
	free(t);
}

/* Firefox with max-bundle writes port 0 and a=bundle-only on every section
 * but the first (RFC 8843): those sections are live, not rejected. */
static void test_bundle_only(void **state)
{
	(void)state;
	size_t len;
	char *t = load("firefox.sdp", &len);
	struct sbuf b = { 0 };
	const char *video = strstr(t, "m=video ");
	assert_non_null(video);
	const char *after_port = strchr(video + strlen("m=video "), ' ');
	assert_non_null(after_port);
	sb_add(&b, "%.*sm=video 0%s", (int)(video - t), t, after_port);
	char *mid1 = strstr(b.s, "a=mid:1\r\n");
	assert_non_null(mid1);
	struct sbuf c = { 0 };
	sb_add(&c, "%.*sa=bundle-only\r\n%s", (int)(mid1 - b.s), b.s, mid1);
	struct sdp_offer *o = parse_ok("bundle-only", c.s, c.len);
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
	if (count_lines_starting(ans, "m=") != o->n_media)
		fail_msg("%s: answer has %d m= lines for %d offered:\n%s", what,
			 count_lines_starting(ans, "m="), o->n_media, ans);
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
	struct sbuf want = { 0 };
	sb_add(&want, "a=group:BUNDLE");
	for (int i = 0; i < o->n_media; i++)
		if (neg->media[i].accepted)
			sb_add(&want, " %s", o->media[i].mid);
	sb_add(&want, "\r\n");
	if (!strstr(ans, want.s))
		fail_msg("%s: no \"%.*s\" in the answer:\n%s", what,
			 (int)want.len - 2, want.s, ans);
	free(want.s);

	/* Each section: same kind, same mid, port 0 when rejected. */
	for (int i = 0; i < o->n_media; i++) {
		char *sec = section(ans, i);
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
	struct sdp_offer *r = parse_ok(what, ans, (size_t)len);
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
			find_codec(m, neg->media[i].recv_pts[k]);
		if (neg->media[i].send_pt >= 0)
			find_codec(m, neg->media[i].send_pt);
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
	struct sdp_offer *o = parse_file("chromium.sdp");
	struct sdp_negotiation neg;
	int len;
	char *ans = answer_for("chromium.sdp", o, &neg, &len);
	check_answer_common("chromium.sdp", o, &neg, ans);
	assert_non_null(strstr(ans, "a=group:BUNDLE 0 1\r\n"));

	char *audio = section(ans, 0), *video = section(ans, 1);
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
	assert_true(contains_ci(fline, "profile-level-id=42e01f"));
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
		struct sdp_offer *o = parse_file(files[f]);
		struct sdp_negotiation neg;
		int len;
		char *ans = answer_for(files[f], o, &neg, &len);
		check_answer_common(files[f], o, &neg, ans);
		assert_int_equal(count_lines_starting(ans, "a=recvonly"), o->n_media);
		assert_int_equal(count_lines_starting(ans, "a=sendrecv"), 0);
		assert_int_equal(count_lines_starting(ans, "a=sendonly"), 0);
		char *video = section(ans, neg.video_index);
		char *audio = section(ans, neg.audio_index);
		assert_true(contains_ci(audio, "opus/48000/2\r\n"));
		if (strcmp(files[f], "gstreamer-whipsink.sdp") == 0) {
			assert_non_null(strstr(video, "a=rtpmap:96 VP8/90000\r\n"));
			assert_non_null(strstr(ans, "a=group:BUNDLE video0 audio1\r\n"));
		} else {
			assert_non_null(strstr(video, "H264/90000\r\n"));
			assert_non_null(strstr(video, "packetization-mode=1"));
			assert_true(contains_ci(video, "profile-level-id=42e01f"));
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
		struct sdp_offer *o = parse_file(files[f]);
		struct sdp_negotiation neg;
		int len;
		char *ans = answer_for(files[f], o, &neg, &len);
		check_answer_common(files[f], o, &neg, ans);
		char *video = section(ans, 1), *audio = section(ans, 0);
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
	struct sbuf b = { 0 };
	sb_session(&b, "a v v2 d");
	sb_opus(&b, "a");
	for (int i = 0; i < 2; i++)
		sb_add(&b, "m=video 9 UDP/TLS/RTP/SAVPF 102\r\nc=IN IP4 0.0.0.0\r\n"
			   "a=mid:%s\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:102 H264/90000\r\n"
			   "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;"
			   "profile-level-id=42e01f\r\n", i ? "v2" : "v");
	sb_add(&b, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
		   "c=IN IP4 0.0.0.0\r\na=mid:d\r\na=sctp-port:5000\r\n");
	struct sdp_offer *o = parse_ok("mixed", b.s, b.len);
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
	char *sec = section(ans, 3);
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
	struct sdp_offer *o = parse_file("chromium.sdp");
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
	struct sdp_offer *o = parse_ok(what, text, strlen(text));
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
	struct sdp_offer *o = parse_ok(what, text, strlen(text));
	struct sdp_rtp_negotiation neg;
	char err[256] = "";
	int rc = sdprtp_negotiate(o, &neg, err, sizeof(err));
	if (rc != code)
		fail_msg("%s: sdprtp_negotiate returned %d (%s), expected %d; err \"%s\"",
			 what, rc, err_str(rc), code, err);
	for (; *words; words++)
		if (!contains_ci(err, *words))
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
	struct sdp_offer *r = parse_ok(what, ans, (size_t)len);
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
		assert_true(contains_ci(m->codecs[0].name, n->codec));
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
	assert_crlf(buf, (size_t)n);
	assert_true(strncmp(buf, "v=0\r\n", 5) == 0);
	assert_has(what, buf, "\r\ns=mcu\r\n");
	assert_has(what, buf, "\r\nt=0 0\r\n");
	assert_int_equal(count_lines_starting(buf, "m="), o->n_media);
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
	char *text = load("ffmpeg-rtp.sdp", &n);
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
	assert_int_equal(count_lines_starting(ans, "a=sendrecv"), 2);
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
	assert_int_equal(count_lines_starting(ans, "a=extmap"), 1);
	free(ans);
	free(o);
}

/* A hardware room system: per-media c=, a=rtcp, DTMF, H.263 before H.264. */
static void test_rtp_room_system(void **state)
{
	(void)state;
	size_t n;
	char *text = load("rtp-room-system.sdp", &n);
	struct sdp_rtp_negotiation neg;
	struct sdp_offer *o = rtp_ok("rtp-room-system.sdp", text, &neg);
	free(text);
	assert_true(neg.audio.accepted);
	assert_string_equal(neg.audio.addr, "198.51.100.21"); /* media-level c= */
	assert_int_equal(neg.audio.port, 2326);
	assert_int_equal(neg.audio.rtcp_port, 2337);
	assert_int_equal(neg.audio.pt, 9);
	assert_string_equal(neg.audio.codec, "G722");
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
	} cases[] = {
		{ "opus over G722 and PCMU, whatever the offer's order",
		  "m=audio 7000 RTP/AVP 0 9 111\r\na=rtpmap:111 opus/48000/2\r\n",
		  111, "opus", "a=rtpmap:111 opus/48000/2\r\n" },
		{ "G722 over PCMU", "m=audio 7000 RTP/AVP 0 9\r\n",
		  9, "G722", "a=rtpmap:9 G722/8000\r\n" },
		{ "PCMU over PCMA", "m=audio 7000 RTP/AVP 8 0\r\n",
		  0, "PCMU", "a=rtpmap:0 PCMU/8000\r\n" },
		{ "PCMA only", "m=audio 7000 RTP/AVP 8\r\n",
		  8, "PCMA", "a=rtpmap:8 PCMA/8000\r\n" },
		{ "mono opus, upper case, answered as RFC 7587 says",
		  "m=audio 7000 RTP/AVP 0 100\r\na=rtpmap:100 OPUS/48000\r\n",
		  100, "OPUS", "a=rtpmap:100 OPUS/48000/2\r\n" },
		{ "opus at the wrong rate is not opus",
		  "m=audio 7000 RTP/AVP 100 8\r\na=rtpmap:100 opus/8000\r\n",
		  8, "PCMA", "a=rtpmap:8 PCMA/8000\r\n" },
		{ "dynamic PCMU, RTP/AVPF",
		  "m=audio 7000 RTP/AVPF 120 121\r\na=rtpmap:120 G729/8000\r\n"
		  "a=rtpmap:121 PCMU/8000\r\n",
		  121, "PCMU", "a=rtpmap:121 PCMU/8000\r\n" },
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
		assert_int_equal(count_lines_starting(ans, "a=rtpmap:"), 1);
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
	assert_int_equal(count_lines_starting(ans, "a="), 3); /* PCMU's rtpmap, direction, ssrc */
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
	char *audio = section(ans, 0), *video = section(ans, 1);
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
		assert_int_equal(count_lines_starting(ans, "a="), 4); /* rtpmap, fmtp, direction, ssrc */
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
	char *chromium = load("chromium.sdp", &n);
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
	char *text = load("rtp-room-system.sdp", &n);
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
		cmocka_unit_test(test_every_offer_parses),
		cmocka_unit_test(test_chromium_session_and_transport),
		cmocka_unit_test(test_chromium_codecs),
		cmocka_unit_test(test_chromium_sendonly),
		cmocka_unit_test(test_firefox),
		cmocka_unit_test(test_safari),
		cmocka_unit_test(test_obs),
		cmocka_unit_test(test_gstreamer),
		cmocka_unit_test(test_ffmpeg_plain_rtp),
		cmocka_unit_test(test_negotiate_good_offers),
		cmocka_unit_test(test_negotiate_refusals_from_files),
		cmocka_unit_test(test_negotiate_refusals_edited),
		cmocka_unit_test(test_negotiate_partial),
		cmocka_unit_test(test_garbage_and_empty),
		cmocka_unit_test(test_random_damage),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_lf_only_and_unterminated),
		cmocka_unit_test(test_limit_media),
		cmocka_unit_test(test_limit_codecs_and_candidates),
		cmocka_unit_test(test_bundle_only),
		cmocka_unit_test(test_answer_chromium),
		cmocka_unit_test(test_answer_sendonly),
		cmocka_unit_test(test_answer_other_browsers),
		cmocka_unit_test(test_answer_rejected_sections),
		cmocka_unit_test(test_answer_buffer_too_small),
		cmocka_unit_test(test_frag),
		cmocka_unit_test(test_frag_garbage),
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
