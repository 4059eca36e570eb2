/*
 * sdp.c - see sdp.h.
 *
 * The parser copies each line into a bounded buffer, NUL-terminates it and
 * dispatches on its type letter and attribute name; everything the server
 * never looks at is skipped, and every value is copied with its length
 * checked, so an offer cannot write past a field. Session-level ICE, DTLS and
 * c= values are pushed down into media sections that lack them once the
 * whole offer has been read.
 *
 * Plain RTP offers (legacy endpoints) share the parser and the answer
 * writer; only the decision differs: an address and ports instead of ICE
 * and DTLS, and the G.711/G.722 codecs such endpoints speak.
 */
#include "sdp.h"
#include "base/err.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_LINE 4096
#define AUDIO_LEVEL_URI "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define MID_URI "urn:ietf:params:rtp-hdrext:sdes:mid"

/* Printf into err (when given) and return code. */
static int fail(char *err, size_t size, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t size, int code, const char *fmt, ...)
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
			return fail(err, err_size, MCU_EPROTO, "line %d is longer than %d bytes",
				    r->lineno, MAX_LINE - 1);
		if (memchr(start, '\0', n) || memchr(start, '\r', n))
			return fail(err, err_size, MCU_EPROTO, "line %d holds a NUL byte or a bare CR", r->lineno);
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
		return fail(err, err_size, MCU_EPROTO,
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
	return fail(p->err, p->err_size, MCU_EPROTO, "line %d: %s", p->lineno, what);
}

static void fill_static_codec(struct sdp_codec *c)
{
	static const struct { int pt; const char *name; int rate; int ch; } known[] = {
		{ 0, "PCMU", 8000, 1 }, { 8, "PCMA", 8000, 1 },
		{ 9, "G722", 8000, 1 }, { 26, "JPEG", 90000, 0 },
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].pt == c->pt) {
			snprintf(c->name, sizeof(c->name), "%s", known[i].name);
			c->clock_rate = known[i].rate;
			c->channels = known[i].ch;
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
		return fail(p->err, p->err_size, MCU_EPROTO,
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
		rc = fail(err, err_size, MCU_ENOMEM, "out of memory");
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
		rc = fail(err, err_size, MCU_EPROTO, "the body is empty, not an SDP offer");
		goto done;
	}
	if (!out->n_media) {
		rc = fail(err, err_size, MCU_EPROTO, "the offer has no m= section");
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
/* Negotiation                                                        */

static bool is_webrtc_proto(const char *proto)
{
	return !strcmp(proto, "UDP/TLS/RTP/SAVPF") || !strcmp(proto, "UDP/TLS/RTP/SAVP");
}

static int find_extmap(const struct sdp_media *m, const char *uri)
{
	for (int i = 0; i < m->n_extmaps; i++)
		if (!strcmp(m->extmaps[i].uri, uri))
			return m->extmaps[i].id;
	return 0;
}

/* Ranks an H.264 format: Constrained Baseline first (what we send), then
 * other profiles libavcodec decodes; 0 for ones we cannot take. */
static int h264_rank(const struct sdp_codec *c)
{
	if (strcasecmp(c->name, "H264") || c->clock_rate != 90000 || c->packetization_mode != 1)
		return 0;
	const char *pl = c->profile_level_id;
	if (!pl[0] || !strncmp(pl, "42e0", 4))
		return 3;
	if (!strncmp(pl, "4200", 4) || !strncmp(pl, "42c0", 4))
		return 2;
	return 1;
}

static bool is_opus(const struct sdp_codec *c)
{
	return !strcasecmp(c->name, "opus") && c->clock_rate == 48000;
}

static bool is_vp8(const struct sdp_codec *c)
{
	return !strcasecmp(c->name, "VP8") && c->clock_rate == 90000;
}

static void add_pt(struct sdp_media_answer *a, int pt)
{
	if (a->n_recv_pts < (int)(sizeof(a->recv_pts) / sizeof(a->recv_pts[0])))
		a->recv_pts[a->n_recv_pts++] = pt;
}

/* Picks the payload types of one m=. Returns true when it has one we take. */
static bool pick_codecs(const struct sdp_media *m, struct sdp_media_answer *a)
{
	a->send_pt = -1;
	if (m->kind == SDP_KIND_AUDIO) {
		for (int i = 0; i < m->n_codecs; i++)
			if (is_opus(&m->codecs[i])) {
				add_pt(a, m->codecs[i].pt);
				a->send_pt = m->codecs[i].pt;
				return true;
			}
		return false;
	}
	/* Video: the best H.264 (which we also send), then VP8, then other
	 * H.264 formats we can decode. */
	int best = -1, best_rank = 0, vp8 = -1;
	for (int i = 0; i < m->n_codecs; i++) {
		int rank = h264_rank(&m->codecs[i]);
		if (rank > best_rank) {
			best = i;
			best_rank = rank;
		}
		if (vp8 < 0 && is_vp8(&m->codecs[i]))
			vp8 = i;
	}
	if (best >= 0) {
		add_pt(a, m->codecs[best].pt);
		a->send_pt = m->codecs[best].pt;
	}
	if (vp8 >= 0)
		add_pt(a, m->codecs[vp8].pt);
	for (int i = 0; i < m->n_codecs; i++)
		if (i != best && h264_rank(&m->codecs[i]))
			add_pt(a, m->codecs[i].pt);
	return a->n_recv_pts > 0;
}

/* Our direction for what the offer says and whether we can send. */
static enum sdp_direction answer_direction(enum sdp_direction offered, bool can_send)
{
	switch (offered) {
	case SDP_SENDRECV: return can_send ? SDP_SENDRECV : SDP_RECVONLY;
	case SDP_SENDONLY: return SDP_RECVONLY;
	case SDP_RECVONLY: return can_send ? SDP_SENDONLY : SDP_INACTIVE;
	case SDP_INACTIVE: return SDP_INACTIVE;
	}
	return SDP_INACTIVE;
}

static int check_transport(const struct sdp_media *m, char *err, size_t err_size)
{
	if (!m->ice_ufrag[0] || !m->ice_pwd[0])
		return fail(err, err_size, MCU_EPROTO,
			    "the offer has no ICE credentials (a=ice-ufrag and a=ice-pwd)");
	if (!m->fingerprint[0])
		return fail(err, err_size, MCU_EPROTO,
			    "the offer has no DTLS fingerprint (a=fingerprint:sha-256 ...)");
	if (strcmp(m->fingerprint_alg, "sha-256"))
		return fail(err, err_size, MCU_EPROTO,
			    "the offer's DTLS fingerprint uses %s; the server needs sha-256",
			    m->fingerprint_alg);
	if (m->setup == SDP_SETUP_PASSIVE)
		return fail(err, err_size, MCU_EPROTO,
			    "the offer says a=setup:passive; the server is always the DTLS server, "
			    "offer actpass or active");
	if (!m->rtcp_mux)
		return fail(err, err_size, MCU_EPROTO, "m=%s (mid %s) lacks a=rtcp-mux, which the server needs",
			    m->kind_name, m->mid[0] ? m->mid : "?");
	return 0;
}

int sdp_negotiate(const struct sdp_offer *offer, struct sdp_negotiation *out,
		  char *err, size_t err_size)
{
	memset(out, 0, sizeof(*out));
	out->audio_index = out->video_index = -1;
	if (err && err_size)
		err[0] = '\0';
	for (int i = 0; i < SDP_MAX_MEDIA; i++)
		out->media[i].send_pt = -1;

	bool any_webrtc = false;
	for (int i = 0; i < offer->n_media; i++) {
		const struct sdp_media *m = &offer->media[i];
		struct sdp_media_answer *a = &out->media[i];
		if ((!m->port && !m->bundle_only) || !is_webrtc_proto(m->proto))
			continue;
		any_webrtc = true;
		bool audio = m->kind == SDP_KIND_AUDIO && out->audio_index < 0;
		bool video = m->kind == SDP_KIND_VIDEO && out->video_index < 0;
		if (!(audio || video) || !pick_codecs(m, a)) {
			a->n_recv_pts = 0;
			a->send_pt = -1;
			continue;
		}
		int rc = check_transport(m, err, err_size);
		if (rc)
			return rc;
		a->accepted = true;
		a->direction = answer_direction(m->direction, a->send_pt >= 0);
		if (a->direction == SDP_RECVONLY || a->direction == SDP_INACTIVE)
			a->send_pt = -1;
		a->audio_level_ext = audio ? find_extmap(m, AUDIO_LEVEL_URI) : 0;
		a->mid_ext = find_extmap(m, MID_URI);
		if (audio)
			out->audio_index = i;
		else
			out->video_index = i;
		out->peer_sends |= a->direction == SDP_RECVONLY || a->direction == SDP_SENDRECV;
		out->peer_receives |= a->direction == SDP_SENDONLY || a->direction == SDP_SENDRECV;
	}
	if (!any_webrtc)
		return fail(err, err_size, MCU_EPROTO,
			    "the offer has no WebRTC media (UDP/TLS/RTP/SAVPF with a non-zero port)");
	if (out->audio_index < 0 && out->video_index < 0)
		return fail(err, err_size, MCU_EUNSUPPORTED,
			    "no m= section offers a codec the server takes: audio needs Opus "
			    "(opus/48000/2); video needs H.264 with packetization-mode=1, or VP8");
	if (!offer->n_bundle)
		return fail(err, err_size, MCU_EPROTO,
			    "the offer has no a=group:BUNDLE; the server carries all media on one transport");
	for (int i = 0; i < offer->n_media; i++) {
		if (!out->media[i].accepted)
			continue;
		bool bundled = false;
		for (int b = 0; b < offer->n_bundle; b++)
			bundled |= offer->media[i].mid[0] && !strcmp(offer->bundle_mids[b], offer->media[i].mid);
		if (!bundled)
			return fail(err, err_size, MCU_EPROTO,
				    "m=%s (mid '%s') is not in the offer's BUNDLE group",
				    offer->media[i].kind_name, offer->media[i].mid);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Answer                                                             */

struct writer {
	char *buf;
	size_t size, len;
	bool overflow;
};

static void put(struct writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct writer *w, const char *fmt, ...)
{
	if (w->overflow)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(w->buf + w->len, w->size - w->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->size - w->len) {
		w->overflow = true;
		return;
	}
	w->len += (size_t)n;
}

static const char *direction_name(enum sdp_direction d)
{
	switch (d) {
	case SDP_SENDRECV: return "sendrecv";
	case SDP_SENDONLY: return "sendonly";
	case SDP_RECVONLY: return "recvonly";
	case SDP_INACTIVE: return "inactive";
	}
	return "inactive";
}

static const struct sdp_codec *codec_by_pt(const struct sdp_media *m, int pt)
{
	for (int i = 0; i < m->n_codecs; i++)
		if (m->codecs[i].pt == pt)
			return &m->codecs[i];
	return NULL;
}

/* rtpmap, rtcp-fb and fmtp lines for one accepted payload type. */
static void put_codec(struct writer *w, const struct sdp_codec *c, bool video)
{
	if (c->channels)
		put(w, "a=rtpmap:%d %s/%d/%d\r\n", c->pt, c->name, c->clock_rate, c->channels);
	else
		put(w, "a=rtpmap:%d %s/%d\r\n", c->pt, c->name, c->clock_rate);
	if (video) {
		/* Only what we act on: retransmissions and keyframe requests. */
		if (c->fb_nack)
			put(w, "a=rtcp-fb:%d nack\r\n", c->pt);
		if (c->fb_pli)
			put(w, "a=rtcp-fb:%d nack pli\r\n", c->pt);
		if (c->fb_fir)
			put(w, "a=rtcp-fb:%d ccm fir\r\n", c->pt);
		/* REMB tells the room when a receiver cannot take its profile. */
		if (c->fb_remb)
			put(w, "a=rtcp-fb:%d goog-remb\r\n", c->pt);
	}
	if (is_opus(c))
		put(w, "a=fmtp:%d minptime=10;useinbandfec=1\r\n", c->pt);
	else if (!strcasecmp(c->name, "H264"))
		put(w, "a=fmtp:%d level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=%s\r\n",
		    c->pt, c->profile_level_id[0] ? c->profile_level_id : "42e01f");
}

static void put_rejected(struct writer *w, const struct sdp_media *m)
{
	put(w, "m=%s 0 %s %s\r\nc=IN IP4 0.0.0.0\r\n", m->kind_name, m->proto, m->first_fmt);
	if (m->mid[0])
		put(w, "a=mid:%s\r\n", m->mid);
	put(w, "a=inactive\r\n");
}

static void put_accepted(struct writer *w, const struct sdp_media *m,
			 const struct sdp_media_answer *a, const struct sdp_local *l)
{
	bool video = m->kind == SDP_KIND_VIDEO;
	put(w, "m=%s 9 %s", m->kind_name, m->proto);
	for (int i = 0; i < a->n_recv_pts; i++)
		put(w, " %d", a->recv_pts[i]);
	put(w, "\r\nc=IN IP4 0.0.0.0\r\n");
	put(w, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=ice-options:trickle\r\n", l->ice_ufrag, l->ice_pwd);
	put(w, "a=fingerprint:sha-256 %s\r\na=setup:passive\r\n", l->fingerprint);
	if (m->mid[0])
		put(w, "a=mid:%s\r\n", m->mid);
	if (a->mid_ext)
		put(w, "a=extmap:%d %s\r\n", a->mid_ext, MID_URI);
	if (a->audio_level_ext)
		put(w, "a=extmap:%d %s\r\n", a->audio_level_ext, AUDIO_LEVEL_URI);
	put(w, "a=%s\r\na=rtcp-mux\r\n", direction_name(a->direction));
	for (int i = 0; i < a->n_recv_pts; i++) {
		const struct sdp_codec *c = codec_by_pt(m, a->recv_pts[i]);
		if (c)
			put_codec(w, c, video);
	}
	if (a->direction == SDP_SENDRECV || a->direction == SDP_SENDONLY) {
		uint32_t ssrc = video ? l->video_ssrc : l->audio_ssrc;
		const char *track = video ? "mix-video" : "mix-audio";
		put(w, "a=msid:%s %s\r\n", l->stream_id, track);
		put(w, "a=ssrc:%" PRIu32 " cname:%s\r\n", ssrc, l->cname);
		put(w, "a=ssrc:%" PRIu32 " msid:%s %s\r\n", ssrc, l->stream_id, track);
	}
	for (int i = 0; i < l->n_candidates; i++)
		put(w, "a=%s\r\n", l->candidates[i]);
	put(w, "a=end-of-candidates\r\n");
}

int sdp_build_answer(const struct sdp_offer *offer, const struct sdp_negotiation *neg,
		     const struct sdp_local *local, char *buf, size_t size)
{
	if (!buf || size == 0)
		return MCU_EINVAL;
	struct writer w = { .buf = buf, .size = size };
	put(&w, "v=0\r\no=- %" PRIu64 " 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", local->session_id);
	put(&w, "a=group:BUNDLE");
	for (int i = 0; i < offer->n_media; i++)
		if (neg->media[i].accepted)
			put(&w, " %s", offer->media[i].mid);
	put(&w, "\r\na=msid-semantic:WMS %s\r\n", local->stream_id);
	for (int i = 0; i < offer->n_media; i++) {
		if (neg->media[i].accepted)
			put_accepted(&w, &offer->media[i], &neg->media[i], local);
		else
			put_rejected(&w, &offer->media[i]);
	}
	if (w.overflow || w.len > INT32_MAX) {
		buf[0] = '\0';
		return MCU_EINVAL;
	}
	return (int)w.len;
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
		return fail(err, err_size, MCU_ENOMEM, "out of memory");
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
			rc = fail(err, err_size, MCU_EPROTO, "line %d: value too long", r->lineno);
			break;
		}
	}
	free(r);
	return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------ */
/* Plain RTP (legacy endpoints)                                       */

/* Audio codecs we take from a plain RTP offer, best first: encoding name
 * and RTP clock rate (G.722's is 8000 by RFC 3551's historical error). */
static const struct { const char *name; int rate; } RTP_AUDIO[] = {
	{ "opus", 48000 }, { "G722", 8000 }, { "PCMU", 8000 }, { "PCMA", 8000 },
};

static bool is_plain_rtp_proto(const char *proto)
{
	return !strcmp(proto, "RTP/AVP") || !strcmp(proto, "RTP/AVPF");
}

/* The offered audio format we use, or NULL: the best of RTP_AUDIO the m=
 * lists (any channel count for Opus), whatever the offer's own order. */
static const struct sdp_codec *rtp_audio_codec(const struct sdp_media *m)
{
	for (size_t k = 0; k < sizeof(RTP_AUDIO) / sizeof(RTP_AUDIO[0]); k++)
		for (int i = 0; i < m->n_codecs; i++)
			if (!strcasecmp(m->codecs[i].name, RTP_AUDIO[k].name) &&
			    m->codecs[i].clock_rate == RTP_AUDIO[k].rate)
				return &m->codecs[i];
	return NULL;
}

/* The offer's first H.264 format in a packetization mode we packetize
 * (0: one NAL unit per packet, 1: non-interleaved), or NULL. */
static const struct sdp_codec *rtp_video_codec(const struct sdp_media *m)
{
	for (int i = 0; i < m->n_codecs; i++) {
		const struct sdp_codec *c = &m->codecs[i];
		if (!strcasecmp(c->name, "H264") && c->clock_rate == 90000 &&
		    (c->packetization_mode == 0 || c->packetization_mode == 1))
			return c;
	}
	return NULL;
}

/* Refuses a live m= that is not plain RTP or has no address we can send
 * to: a missing c=, the "hold" address 0.0.0.0 (or ::), or a host name
 * (resolving it is I/O this module does not do). */
static int check_rtp_section(const struct sdp_media *m, int index, char *err, size_t err_size)
{
	if (!is_plain_rtp_proto(m->proto))
		return fail(err, err_size, MCU_EPROTO,
			    "m=%s (section %d) uses %s; plain RTP offers use RTP/AVP (or RTP/AVPF) "
			    "in every m= with a port", m->kind_name, index + 1, m->proto);
	if (!m->conn_addr[0])
		return fail(err, err_size, MCU_EPROTO,
			    "m=%s (section %d) has no c= address, so the server would not know "
			    "where to send its media", m->kind_name, index + 1);
	static const unsigned char unspecified[16];
	unsigned char bin[16];
	int family = strchr(m->conn_addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(family, m->conn_addr, bin) != 1)
		return fail(err, err_size, MCU_EPROTO,
			    "m=%s (section %d): c= address '%s' is not a literal IPv4 or IPv6 address",
			    m->kind_name, index + 1, m->conn_addr);
	if (!memcmp(bin, unspecified, family == AF_INET ? 4 : 16))
		return fail(err, err_size, MCU_EPROTO,
			    "m=%s (section %d): c= address %s says nowhere (an old-style hold); "
			    "give the address the endpoint receives on", m->kind_name, index + 1,
			    m->conn_addr);
	return 0;
}

/* Fills *r for m= index, which offers codec c. Returns MCU_EPROTO when its
 * RTCP port would fall outside 1..65535. */
static int accept_rtp(const struct sdp_media *m, int index, const struct sdp_codec *c,
		      struct sdp_rtp_media *r, char *err, size_t err_size)
{
	r->rtcp_mux = m->rtcp_mux;
	r->rtcp_port = m->rtcp_mux ? m->port : m->rtcp_port ? m->rtcp_port : m->port + 1;
	if (r->rtcp_port > 65535)
		return fail(err, err_size, MCU_EPROTO,
			    "m=%s (section %d) has RTP port 65535 and no a=rtcp, so its RTCP port "
			    "(the next one up) does not exist", m->kind_name, index + 1);
	r->accepted = true;
	r->index = index;
	copy(r->addr, sizeof(r->addr), m->conn_addr); /* same size: always fits */
	r->port = m->port;
	r->direction = answer_direction(m->direction, true);
	r->pt = c->pt;
	copy(r->codec, sizeof(r->codec), c->name);
	r->clock_rate = c->clock_rate;
	if (m->kind == SDP_KIND_VIDEO) {
		r->packetization_mode = c->packetization_mode;
		copy(r->profile_level_id, sizeof(r->profile_level_id), c->profile_level_id);
	} else {
		r->audio_level_ext = find_extmap(m, AUDIO_LEVEL_URI);
	}
	return 0;
}

static void rtp_media_init(struct sdp_rtp_media *r)
{
	memset(r, 0, sizeof(*r));
	r->index = -1;
	r->pt = -1;
	r->direction = SDP_INACTIVE;
}

int sdp_negotiate_rtp(const struct sdp_offer *offer, struct sdp_rtp_negotiation *out,
		      char *err, size_t err_size)
{
	memset(out, 0, sizeof(*out));
	rtp_media_init(&out->audio);
	rtp_media_init(&out->video);
	if (err && err_size)
		err[0] = '\0';
	for (int i = 0; i < offer->n_media; i++) {
		const struct sdp_media *m = &offer->media[i];
		if (!m->port)
			continue; /* disabled by the offerer; answered with port 0 */
		int rc = check_rtp_section(m, i, err, err_size);
		if (rc)
			return rc;
		struct sdp_rtp_media *r = m->kind == SDP_KIND_AUDIO ? &out->audio
					  : m->kind == SDP_KIND_VIDEO ? &out->video : NULL;
		if (!r || r->accepted)
			continue; /* other kinds, and a second audio or video m=, are rejected */
		const struct sdp_codec *c = m->kind == SDP_KIND_AUDIO ? rtp_audio_codec(m)
								      : rtp_video_codec(m);
		if (!c) {
			if (r->index < 0)
				r->index = i; /* rejected, but the m= the caller asked about */
			continue;
		}
		rtp_media_init(r);
		if ((rc = accept_rtp(m, i, c, r, err, err_size)) != 0)
			return rc;
		out->peer_sends |= r->direction == SDP_RECVONLY || r->direction == SDP_SENDRECV;
		out->peer_receives |= r->direction == SDP_SENDONLY || r->direction == SDP_SENDRECV;
	}
	if (!out->audio.accepted && !out->video.accepted)
		return fail(err, err_size, MCU_EUNSUPPORTED,
			    "no m= section offers a codec the server takes (audio: Opus, G.722, "
			    "PCMU or PCMA; video: H.264 with packetization-mode 0 or 1)");
	return 0;
}

/* One accepted m= of the plain RTP answer. */
static void put_rtp_accepted(struct writer *w, const struct sdp_media *m,
			     const struct sdp_rtp_media *r, int port, uint32_t ssrc)
{
	put(w, "m=%s %d %s %d\r\n", m->kind_name, port, m->proto, r->pt);
	/* RFC 7587: Opus is always written with two channels. */
	if (!strcasecmp(r->codec, "opus"))
		put(w, "a=rtpmap:%d %s/%d/2\r\n", r->pt, r->codec, r->clock_rate);
	else
		put(w, "a=rtpmap:%d %s/%d\r\n", r->pt, r->codec, r->clock_rate);
	if (m->kind == SDP_KIND_VIDEO)
		put(w, "a=fmtp:%d packetization-mode=%d;profile-level-id=42e01f\r\n",
		    r->pt, r->packetization_mode);
	if (r->audio_level_ext)
		put(w, "a=extmap:%d %s\r\n", r->audio_level_ext, AUDIO_LEVEL_URI);
	put(w, "a=%s\r\n", direction_name(r->direction));
	if (r->rtcp_mux)
		put(w, "a=rtcp-mux\r\n");
	put(w, "a=ssrc:%" PRIu32 " cname:mcu\r\n", ssrc);
}

int sdp_build_rtp_answer(const struct sdp_offer *offer, const struct sdp_rtp_negotiation *neg,
			 const struct sdp_rtp_local *local, char *buf, size_t size)
{
	if (!buf || size == 0 || !local || !local->addr || !local->addr[0])
		return MCU_EINVAL;
	struct writer w = { .buf = buf, .size = size };
	const char *ip = strchr(local->addr, ':') ? "IP6" : "IP4";
	put(&w, "v=0\r\no=- %" PRIu64 " 2 IN %s %s\r\ns=mcu\r\nc=IN %s %s\r\nt=0 0\r\n",
	    local->session_id, ip, local->addr, ip, local->addr);
	for (int i = 0; i < offer->n_media; i++) {
		const struct sdp_media *m = &offer->media[i];
		if (neg->audio.accepted && neg->audio.index == i)
			put_rtp_accepted(&w, m, &neg->audio, local->audio_port, local->audio_ssrc);
		else if (neg->video.accepted && neg->video.index == i)
			put_rtp_accepted(&w, m, &neg->video, local->video_port, local->video_ssrc);
		else
			put(&w, "m=%s 0 %s %s\r\n", m->kind_name, m->proto, m->first_fmt);
	}
	if (w.overflow || w.len > INT32_MAX) {
		buf[0] = '\0';
		return MCU_EINVAL;
	}
	return (int)w.len;
}
