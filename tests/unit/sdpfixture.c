/*
 * sdpfixture.c - see sdpfixture.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sdpfixture.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OFFER_DIR "tests/unit/offers/"
#define AUDIO_LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

/* Every offer in OFFER_DIR; all of them must parse. */
const char *const sdpfixture_offers[] = {
	"chromium.sdp", "chromium-sendonly.sdp", "firefox.sdp", "safari.sdp",
	"obs.sdp", "gstreamer-whipsink.sdp", "ffmpeg-rtp.sdp",
	"no-fingerprint.sdp", "no-codec.sdp", "rtp-room-system.sdp",
};

const size_t sdpfixture_n_offers = sizeof(sdpfixture_offers) / sizeof(sdpfixture_offers[0]);

/* Returns the file's bytes, NUL-terminated (not counted in *len). */
char *sdpfixture_load(const char *name, size_t *len)
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
int sdpfixture_parse_exact(const char *text, size_t len, struct sdp_offer *out,
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
struct sdp_offer *sdpfixture_parse_ok(const char *what, const char *text, size_t len)
{
	struct sdp_offer *o = malloc(sizeof(*o));
	char err[256];
	assert_non_null(o);
	memset(o, 0xA5, sizeof(*o)); /* the parser must set what it reports */
	int rc = sdpfixture_parse_exact(text, len, o, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s: sdp_parse returned %d: %s", what, rc, err);
	return o;
}

struct sdp_offer *sdpfixture_parse_file(const char *name)
{
	size_t len;
	char *text = sdpfixture_load(name, &len);
	struct sdp_offer *o = sdpfixture_parse_ok(name, text, len);
	free(text);
	return o;
}

const struct sdp_codec *sdpfixture_find_codec(const struct sdp_media *m, int pt)
{
	for (int i = 0; i < m->n_codecs; i++)
		if (m->codecs[i].pt == pt)
			return &m->codecs[i];
	fail_msg("mid %s: no codec with payload type %d", m->mid, pt);
	return NULL;
}

/* Case-insensitive substring search (ASCII). */
bool sdpfixture_contains_ci(const char *hay, const char *needle)
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
char *sdpfixture_replace_all(const char *s, const char *from, const char *to)
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

void sdpfixture_sb_add(struct sdpfixture_sbuf *b, const char *fmt, ...)
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
void sdpfixture_sb_session(struct sdpfixture_sbuf *b, const char *bundle)
{
	sdpfixture_sb_add(b, "v=0\r\no=- 9000 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
	if (bundle)
		sdpfixture_sb_add(b, "a=group:BUNDLE %s\r\n", bundle);
	sdpfixture_sb_add(b, "a=ice-ufrag:tEsT\r\na=ice-pwd:testPasswordOfTwentyFour\r\n"
			  "a=fingerprint:sha-256 7E:2A:88:64:2C:D0:44:96:90:73:B8:66:"
			  "7D:92:09:C9:B5:2F:84:39:7B:A0:9B:82:83:97:E3:79:88:EB:83:62\r\n"
			  "a=setup:actpass\r\n");
}

void sdpfixture_sb_opus(struct sdpfixture_sbuf *b, const char *mid)
{
	sdpfixture_sb_add(b, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
			  "a=mid:%s\r\na=sendrecv\r\na=rtcp-mux\r\n"
			  "a=extmap:1 " AUDIO_LEVEL_URI "\r\n"
			  "a=rtpmap:111 opus/48000/2\r\n", mid);
}

/* The i-th m= section of an SDP text (from "m=" to the next one), new string. */
char *sdpfixture_section(const char *sdp, int index)
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

int sdpfixture_count_lines_starting(const char *sdp, const char *prefix)
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
void sdpfixture_assert_crlf(const char *s, size_t n)
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
