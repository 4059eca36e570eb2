/*
 * sdp.c - see sdp.h: the parser of offers and sdpfrags, and the small
 * vocabulary (directions, extmaps, error reasons) that the two answer
 * modules, sdpanswer.c (WebRTC) and sdprtp.c (plain RTP), share.
 *
 * The parser copies each line into a bounded buffer, NUL-terminates it and
 * dispatches on its type letter and attribute name; everything the server
 * never looks at is skipped, and every value is copied with its length
 * checked, so an offer cannot write past a field. Session-level ICE, DTLS and
 * c= values are pushed down into media sections that lack them once the
 * whole offer has been read.
 */
#include "sdp.h"
#include "base/codec.h"
#include "base/err.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_LINE 4096

int sdp_fail(char *err, size_t size, int code, const char *fmt, ...)
{
	if (err && size) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, size, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Copies src into dst[size]; false when it does not fit. */
static bool copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	if (n >= size)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

/* Splits off the next space-separated token of *s; NULL when none. */
static char *next_token(char **s)
{
	char *p = *s;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return NULL;
	char *start = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (*p)
		*p++ = '\0';
	*s = p;
	return start;
}

/* Parses a decimal integer in [min, max] that fills the whole token. */
static bool parse_int(const char *s, long min, long max, int *out)
{
	if (!s || !*s || !isdigit((unsigned char)*s))
		return false;
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < min || v > max)
		return false;
	*out = (int)v;
	return true;
}

/* Line-by-line reader over text that need not be NUL-terminated. */
struct reader {
	const char *text;
	size_t len, pos;
	int lineno;
	char line[MAX_LINE];
};

/* Next non-empty line into r->line. Returns 1, 0 at the end, or MCU_EPROTO
 * for a line too long to be real SDP or holding a NUL. */
static int next_line(struct reader *r, char *err, size_t err_size)
{
	while (r->pos < r->len) {
		const char *start = r->text + r->pos;
		const char *nl = memchr(start, '\n', r->len - r->pos);
		size_t n = nl ? (size_t)(nl - start) : r->len - r->pos;
		r->pos += n + (nl ? 1 : 0);
		r->lineno++;
		if (n && start[n - 1] == '\r')
			n--;
		if (!n)
			continue;
		if (n >= MAX_LINE)
			return sdp_fail(err, err_size, MCU_EPROTO, "line %d is longer than %d bytes",
					r->lineno, MAX_LINE - 1);
		if (memchr(start, '\0', n) || memchr(start, '\r', n))
			return sdp_fail(err, err_size, MCU_EPROTO, "line %d holds a NUL byte or a bare CR", r->lineno);
		memcpy(r->line, start, n);
		r->line[n] = '\0';
		return 1;
	}
	return 0;
}

/* Checks the "x=" shape of r->line. */
static int check_shape(const struct reader *r, char *err, size_t err_size)
{
	if (!isalpha((unsigned char)r->line[0]) || r->line[1] != '=')
		return sdp_fail(err, err_size, MCU_EPROTO,
				"line %d is not an SDP line (expected '<letter>=<value>')", r->lineno);
	return 0;
}

/* Fields an offer may set at session level and override per media. */
struct transport_attrs {
	char ice_ufrag[257];
	char ice_pwd[257];
	char fingerprint_alg[16];
	char fingerprint[SDP_FINGERPRINT_LEN];
	enum sdp_setup setup;
	char conn_addr[64];
};

/* Per-line parse state. */
struct parse {
	struct sdp_offer *offer;
	struct sdp_media *media;     /* current m= section, NULL at session level */
	struct transport_attrs session;
	char *err;
	size_t err_size;
	int lineno;
};

static int bad(struct parse *p, const char *what)
{
	return sdp_fail(p->err, p->err_size, MCU_EPROTO, "line %d: %s", p->lineno, what);
}

/* A format listed without a=rtpmap: RFC 3551's static payload types. Our
 * audio codecs' are base/codec.h's; JPEG (26) is named too, a video format
 * hardware offers list that we never take. Others stay nameless. */
static void fill_static_codec(struct sdp_codec *c)
{
	for (int i = 0; i < CODEC_AUDIO_COUNT; i++)
		if (codec_audio_static_pt((enum codec_audio)i) == c->pt) {
			snprintf(c->name, sizeof(c->name), "%s", codec_audio_name((enum codec_audio)i));
			c->clock_rate = codec_audio_rtp_clock((enum codec_audio)i);
			c->channels = 1;
			return;
		}
	if (c->pt == 26) {
		snprintf(c->name, sizeof(c->name), "JPEG");
		c->clock_rate = 90000;
		c->channels = 0;
	}
}

static enum sdp_kind kind_of(const char *name)
{
	if (!strcmp(name, "audio"))
		return SDP_KIND_AUDIO;
	if (!strcmp(name, "video"))
		return SDP_KIND_VIDEO;
	if (!strcmp(name, "application"))
		return SDP_KIND_APPLICATION;
	return SDP_KIND_OTHER;
}

/* m=<media> <port>[/<count>] <proto> <fmt> ... */
static int parse_m(struct parse *p, char *v)
{
	struct sdp_offer *o = p->offer;
	if (o->n_media == SDP_MAX_MEDIA)
		return sdp_fail(p->err, p->err_size, MCU_EPROTO,
				"line %d: more than %d m= sections", p->lineno, SDP_MAX_MEDIA);
	struct sdp_media *m = &o->media[o->n_media];
	memset(m, 0, sizeof(*m));
	char *kind = next_token(&v), *port = next_token(&v), *proto = next_token(&v);
	if (!kind || !port || !proto)
		return bad(p, "m= needs a media type, a port and a protocol");
	char *slash = strchr(port, '/');
	if (slash)
		*slash = '\0';
	if (!parse_int(port, 0, 65535, &m->port))
		return bad(p, "m= line has no valid port");
	if (!copy(m->kind_name, sizeof(m->kind_name), kind) ||
	    !copy(m->proto, sizeof(m->proto), proto))
		return bad(p, "m= media type or protocol too long");
	m->kind = kind_of(kind);
	m->direction = SDP_SENDRECV;
	char *fmt;
	while ((fmt = next_token(&v)) != NULL) {
		if (!m->first_fmt[0] && !copy(m->first_fmt, sizeof(m->first_fmt), fmt))
			return bad(p, "m= format too long");
		int pt;
		if (strstr(proto, "RTP/") && parse_int(fmt, 0, 127, &pt) && m->n_codecs < SDP_MAX_CODECS) {
			struct sdp_codec *c = &m->codecs[m->n_codecs++];
			c->pt = pt;
			c->apt = -1;
			fill_static_codec(c);
		}
	}
	if (!m->first_fmt[0])
		return bad(p, "m= line lists no formats");
	o->n_media++;
	p->media = m;
	return 0;
}

static struct sdp_codec *find_codec(struct sdp_media *m, int pt)
{
	for (int i = 0; i < m->n_codecs; i++)
		if (m->codecs[i].pt == pt)
			return &m->codecs[i];
	return NULL;
}

/* a=rtpmap:<pt> <name>/<rate>[/<channels>] */
static int parse_rtpmap(struct parse *p, char *v)
{
	char *pt_s = next_token(&v), *enc = next_token(&v);
	int pt;
	if (!pt_s || !enc || !parse_int(pt_s, 0, 127, &pt))
		return bad(p, "a=rtpmap needs '<payload type> <name>/<clock rate>'");
	struct sdp_codec *c = find_codec(p->media, pt);
	if (!c)
		return 0; /* not on the m= line (or past our limit): ignore */
	char *rate = strchr(enc, '/');
	if (!rate)
		return bad(p, "a=rtpmap has no clock rate");
	*rate++ = '\0';
	char *ch = strchr(rate, '/');
	if (ch)
		*ch++ = '\0';
	if (!copy(c->name, sizeof(c->name), enc) || !parse_int(rate, 1, 10000000, &c->clock_rate))
		return bad(p, "a=rtpmap has a bad encoding name or clock rate");
	c->channels = 0;
	if (ch && !parse_int(ch, 1, 255, &c->channels))
		return bad(p, "a=rtpmap has a bad channel count");
	return 0;
}

/* Reads the fmtp parameters we act on; the rest stays in c->fmtp. */
static void parse_fmtp_params(struct sdp_codec *c)
{
	char buf[sizeof(c->fmtp)];
	memcpy(buf, c->fmtp, sizeof(buf));
	char *save = NULL;
	for (char *kv = strtok_r(buf, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
		while (*kv == ' ')
			kv++;
		char *eq = strchr(kv, '=');
		if (!eq)
			continue;
		*eq++ = '\0';
		if (!strcasecmp(kv, "packetization-mode"))
			parse_int(eq, 0, 2, &c->packetization_mode);
		else if (!strcasecmp(kv, "apt"))
			parse_int(eq, 0, 127, &c->apt);
		else if (!strcasecmp(kv, "profile-level-id") && strlen(eq) == 6) {
			for (int i = 0; i < 6; i++)
				c->profile_level_id[i] = (char)tolower((unsigned char)eq[i]);
			c->profile_level_id[6] = '\0';
		}
	}
}

/* a=fmtp:<pt> <parameters> */
static int parse_fmtp(struct parse *p, char *v)
{
	char *pt_s = next_token(&v);
	int pt;
	if (!pt_s || !parse_int(pt_s, 0, 127, &pt))
		return bad(p, "a=fmtp needs a payload type");
	struct sdp_codec *c = find_codec(p->media, pt);
	if (!c)
		return 0;
	while (*v == ' ')
		v++;
	if (!copy(c->fmtp, sizeof(c->fmtp), v))
		return bad(p, "a=fmtp parameters too long");
	parse_fmtp_params(c);
	return 0;
}

static void set_feedback(struct sdp_codec *c, const char *type, const char *param)
{
	if (!strcmp(type, "nack") && !param)
		c->fb_nack = true;
	else if (!strcmp(type, "nack") && !strcmp(param, "pli"))
		c->fb_pli = true;
	else if (!strcmp(type, "ccm") && param && !strcmp(param, "fir"))
		c->fb_fir = true;
	else if (!strcmp(type, "goog-remb"))
		c->fb_remb = true;
	else if (!strcmp(type, "transport-cc"))
		c->fb_transport_cc = true;
}

/* a=rtcp-fb:<pt>|* <type> [<param>] */
static int parse_rtcp_fb(struct parse *p, char *v)
{
	char *pt_s = next_token(&v), *type = next_token(&v), *param = next_token(&v);
	if (!pt_s || !type)
		return bad(p, "a=rtcp-fb needs a payload type and a feedback type");
	if (!strcmp(pt_s, "*")) {
		for (int i = 0; i < p->media->n_codecs; i++)
			set_feedback(&p->media->codecs[i], type, param);
		return 0;
	}
	int pt;
	if (!parse_int(pt_s, 0, 127, &pt))
		return bad(p, "a=rtcp-fb has a bad payload type");
	struct sdp_codec *c = find_codec(p->media, pt);
	if (c)
		set_feedback(c, type, param);
	return 0;
}

/* a=extmap:<id>[/<direction>] <uri> [<attributes>] */
static int parse_extmap(struct parse *p, char *v)
{
	char *id_s = next_token(&v), *uri = next_token(&v);
	if (!id_s || !uri)
		return bad(p, "a=extmap needs an id and a URI");
	char *slash = strchr(id_s, '/');
	if (slash)
		*slash = '\0';
	int id;
	if (!parse_int(id_s, 1, 255, &id))
		return bad(p, "a=extmap id must be 1..255");
	struct sdp_media *m = p->media;
	if (m->n_extmaps == SDP_MAX_EXTMAPS)
		return 0; /* the ones we use come early; the rest is not needed */
	struct sdp_extmap *e = &m->extmaps[m->n_extmaps];
	if (!copy(e->uri, sizeof(e->uri), uri))
		return 0; /* a URI this long is none we know */
	e->id = id;
	m->n_extmaps++;
	return 0;
}

/* a=fingerprint:<alg> <hex> into t. */
static int parse_fingerprint(struct parse *p, char *v, struct transport_attrs *t)
{
	char *alg = next_token(&v), *hex = next_token(&v);
	if (!alg || !hex)
		return bad(p, "a=fingerprint needs a hash name and a value");
	/* Offers may carry one per hash; keep sha-256 if it is among them. */
	if (!strcasecmp(t->fingerprint_alg, "sha-256"))
		return 0;
	if (!copy(t->fingerprint_alg, sizeof(t->fingerprint_alg), alg) ||
	    !copy(t->fingerprint, sizeof(t->fingerprint), hex))
		return bad(p, "a=fingerprint value too long");
	for (char *c = t->fingerprint_alg; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	for (char *c = t->fingerprint; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	return 0;
}

static int parse_setup(struct parse *p, const char *v, struct transport_attrs *t)
{
	if (!strcmp(v, "actpass"))
		t->setup = SDP_SETUP_ACTPASS;
	else if (!strcmp(v, "active"))
		t->setup = SDP_SETUP_ACTIVE;
	else if (!strcmp(v, "passive"))
		t->setup = SDP_SETUP_PASSIVE;
	else if (strcmp(v, "holdconn"))
		return bad(p, "a=setup must be actpass, active, passive or holdconn");
	return 0;
}

/* c=IN IP4|IP6 <address>[/ttl] */
static int parse_c(struct parse *p, char *v, char *addr, size_t size)
{
	char *net = next_token(&v), *type = next_token(&v), *a = next_token(&v);
	(void)type;
	if (!net || !a || strcmp(net, "IN"))
		return bad(p, "c= must be 'IN IP4|IP6 <address>'");
	char *slash = strchr(a, '/');
	if (slash)
		*slash = '\0';
	if (!copy(addr, size, a))
		return bad(p, "c= address too long");
	return 0;
}

/* Attributes that may appear at either level and describe the transport. */
static int parse_transport_attr(struct parse *p, const char *name, char *v,
				struct transport_attrs *t, bool *handled)
{
	*handled = true;
	if (!strcmp(name, "ice-ufrag"))
		return copy(t->ice_ufrag, sizeof(t->ice_ufrag), v) ? 0 : bad(p, "a=ice-ufrag too long");
	if (!strcmp(name, "ice-pwd"))
		return copy(t->ice_pwd, sizeof(t->ice_pwd), v) ? 0 : bad(p, "a=ice-pwd too long");
	if (!strcmp(name, "fingerprint"))
		return parse_fingerprint(p, v, t);
	if (!strcmp(name, "setup"))
		return parse_setup(p, v, t);
	*handled = false;
	return 0;
}

static int parse_session_attr(struct parse *p, const char *name, char *v)
{
	bool handled;
	int rc = parse_transport_attr(p, name, v, &p->session, &handled);
	if (rc || handled)
		return rc;
	struct sdp_offer *o = p->offer;
	if (!strcmp(name, "ice-lite")) {
		o->ice_lite = true;
	} else if (!strcmp(name, "group") && !o->n_bundle) {
		char *sem = next_token(&v), *mid;
		if (!sem || strcmp(sem, "BUNDLE"))
			return 0;
		while ((mid = next_token(&v)) != NULL) {
			if (o->n_bundle == SDP_MAX_MEDIA)
				return bad(p, "a=group:BUNDLE lists too many mids");
			if (!copy(o->bundle_mids[o->n_bundle++], sizeof(o->bundle_mids[0]), mid))
				return bad(p, "a=group:BUNDLE mid too long");
		}
	}
	return 0;
}

static int parse_media_attr(struct parse *p, const char *name, char *v,
			    struct transport_attrs *t)
{
	struct sdp_media *m = p->media;
	bool handled;
	int rc = parse_transport_attr(p, name, v, t, &handled);
	if (rc || handled)
		return rc;
	if (!strcmp(name, "rtpmap"))
		return parse_rtpmap(p, v);
	if (!strcmp(name, "fmtp"))
		return parse_fmtp(p, v);
	if (!strcmp(name, "rtcp-fb"))
		return parse_rtcp_fb(p, v);
	if (!strcmp(name, "extmap"))
		return parse_extmap(p, v);
	if (!strcmp(name, "mid"))
		return copy(m->mid, sizeof(m->mid), v) ? 0 : bad(p, "a=mid longer than 32 bytes");
	if (!strcmp(name, "sendrecv"))
		m->direction = SDP_SENDRECV;
	else if (!strcmp(name, "sendonly"))
		m->direction = SDP_SENDONLY;
	else if (!strcmp(name, "recvonly"))
		m->direction = SDP_RECVONLY;
	else if (!strcmp(name, "inactive"))
		m->direction = SDP_INACTIVE;
	else if (!strcmp(name, "rtcp-mux"))
		m->rtcp_mux = true;
	else if (!strcmp(name, "bundle-only"))
		m->bundle_only = true;
	else if (!strcmp(name, "end-of-candidates"))
		m->end_of_candidates = true;
	else if (!strcmp(name, "rtcp")) {
		char *port = next_token(&v);
		if (!port || !parse_int(port, 0, 65535, &m->rtcp_port))
			return bad(p, "a=rtcp needs a port");
	} else if (!strcmp(name, "candidate")) {
		if (m->n_candidates == SDP_MAX_CANDIDATES)
			return 0; /* more paths than any peer needs */
		if (snprintf(m->candidates[m->n_candidates], SDP_CANDIDATE_LEN, "candidate:%s", v) >=
		    SDP_CANDIDATE_LEN)
			return bad(p, "a=candidate too long");
		m->n_candidates++;
	} else if (!strcmp(name, "ssrc") && !m->ssrc) {
		char *id = next_token(&v);
		char *end;
		unsigned long long s = id ? strtoull(id, &end, 10) : 0;
		if (!id || *end || s > UINT32_MAX)
			return bad(p, "a=ssrc needs a 32-bit number");
		m->ssrc = (uint32_t)s;
	} else if (!strcmp(name, "msid") && !m->msid[0]) {
		if (!copy(m->msid, sizeof(m->msid), v))
			return bad(p, "a=msid too long");
	}
	return 0;
}

/* a=<name>[:<value>] */
static int parse_a(struct parse *p, char *v, struct transport_attrs *media_t)
{
	char *colon = strchr(v, ':');
	char *value = colon ? colon + 1 : v + strlen(v);
	if (colon)
		*colon = '\0';
	if (!p->media)
		return parse_session_attr(p, v, value);
	return parse_media_attr(p, v, value, media_t);
}

/* Media sections take the session-level transport values they lack. */
static void inherit(struct sdp_media *m, const struct transport_attrs *mt,
		    const struct transport_attrs *st)
{
#define PICK(field) copy(m->field, sizeof(m->field), mt->field[0] ? mt->field : st->field)
	PICK(ice_ufrag);
	PICK(ice_pwd);
	PICK(fingerprint_alg);
	PICK(fingerprint);
	PICK(conn_addr);
#undef PICK
	m->setup = mt->setup != SDP_SETUP_NONE ? mt->setup : st->setup;
}

int sdp_parse(const char *text, size_t len, struct sdp_offer *out, char *err, size_t err_size)
{
	memset(out, 0, sizeof(*out));
	if (err && err_size)
		err[0] = '\0';
	struct reader *r = calloc(1, sizeof(*r));
	struct transport_attrs *mt = calloc(SDP_MAX_MEDIA, sizeof(*mt));
	struct parse p = { .offer = out, .err = err, .err_size = err_size };
	int rc = 0;
	if (!r || !mt) {
		rc = sdp_fail(err, err_size, MCU_ENOMEM, "out of memory");
		goto done;
	}
	r->text = text;
	r->len = text ? len : 0;
	bool first = true;
	while ((rc = next_line(r, err, err_size)) == 1) {
		p.lineno = r->lineno;
		if ((rc = check_shape(r, err, err_size)) != 0)
			goto done;
		char type = r->line[0], *v = r->line + 2;
		if (first && (type != 'v' || strcmp(v, "0"))) {
			rc = bad(&p, "an SDP description starts with 'v=0'");
			goto done;
		}
		first = false;
		struct transport_attrs *t = p.media ? &mt[p.media - out->media] : NULL;
		if (type == 'm') {
			rc = parse_m(&p, v);
		} else if (type == 'a') {
			rc = parse_a(&p, v, t);
		} else if (type == 'c') {
			rc = parse_c(&p, v, t ? t->conn_addr : p.session.conn_addr,
				     sizeof(p.session.conn_addr));
		} else if (type == 'o') {
			char *user = next_token(&v), *sess = next_token(&v);
			if (!user || !sess || !copy(out->origin_session, sizeof(out->origin_session), sess))
				rc = bad(&p, "o= needs a user name and a session id");
		}
		if (rc)
			goto done;
	}
	if (rc < 0)
		goto done;
	if (first) {
		rc = sdp_fail(err, err_size, MCU_EPROTO, "the body is empty, not an SDP offer");
		goto done;
	}
	if (!out->n_media) {
		rc = sdp_fail(err, err_size, MCU_EPROTO, "the offer has no m= section");
		goto done;
	}
	for (int i = 0; i < out->n_media; i++)
		inherit(&out->media[i], &mt[i], &p.session);
	rc = 0;
done:
	free(r);
	free(mt);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Vocabulary the answer modules share                                */

int sdp_find_extmap(const struct sdp_media *m, const char *uri)
{
	for (int i = 0; i < m->n_extmaps; i++)
		if (!strcmp(m->extmaps[i].uri, uri))
			return m->extmaps[i].id;
	return 0;
}

enum sdp_direction sdp_answer_direction(enum sdp_direction offered, bool can_send)
{
	switch (offered) {
	case SDP_SENDRECV: return can_send ? SDP_SENDRECV : SDP_RECVONLY;
	case SDP_SENDONLY: return SDP_RECVONLY;
	case SDP_RECVONLY: return can_send ? SDP_SENDONLY : SDP_INACTIVE;
	case SDP_INACTIVE: return SDP_INACTIVE;
	}
	return SDP_INACTIVE;
}

const char *sdp_direction_name(enum sdp_direction d)
{
	switch (d) {
	case SDP_SENDRECV: return "sendrecv";
	case SDP_SENDONLY: return "sendonly";
	case SDP_RECVONLY: return "recvonly";
	case SDP_INACTIVE: return "inactive";
	}
	return "inactive";
}

/* ------------------------------------------------------------------ */
/* Trickle fragments                                                  */

int sdp_parse_frag(const char *text, size_t len, struct sdp_frag *out, char *err, size_t err_size)
{
	memset(out, 0, sizeof(*out));
	if (err && err_size)
		err[0] = '\0';
	struct reader *r = calloc(1, sizeof(*r));
	if (!r)
		return sdp_fail(err, err_size, MCU_ENOMEM, "out of memory");
	r->text = text;
	r->len = text ? len : 0;
	int rc;
	while ((rc = next_line(r, err, err_size)) == 1) {
		if ((rc = check_shape(r, err, err_size)) != 0)
			break;
		if (r->line[0] != 'a')
			continue; /* m= and others only scope the lines after them */
		const char *v = r->line + 2;
		const char *value = strchr(v, ':');
		value = value ? value + 1 : "";
		bool ok = true;
		if (!strncmp(v, "ice-ufrag:", 10))
			ok = copy(out->ice_ufrag, sizeof(out->ice_ufrag), value);
		else if (!strncmp(v, "ice-pwd:", 8))
			ok = copy(out->ice_pwd, sizeof(out->ice_pwd), value);
		else if (!strcmp(v, "end-of-candidates"))
			out->end_of_candidates = true;
		else if (!strncmp(v, "candidate:", 10) && out->n_candidates < SDP_MAX_CANDIDATES)
			ok = copy(out->candidates[out->n_candidates++], SDP_CANDIDATE_LEN, v);
		if (!ok) {
			rc = sdp_fail(err, err_size, MCU_EPROTO, "line %d: value too long", r->lineno);
			break;
		}
	}
	free(r);
	return rc < 0 ? rc : 0;
}
