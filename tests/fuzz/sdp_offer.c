/*
 * sdp_offer.c - fuzzes the offer/answer path of signaling/ as whip.c drives
 * it: sdp_parse, then (when it parses) sdpanswer_negotiate with
 * sdpanswer_build and sdprtp_negotiate with sdprtp_build_answer, using
 * dummy local values. Links the objects of sdp.c, sdpanswer.c, sdprtp.c,
 * sdpwriter.c and mcu/err.o only.
 *
 * Checks beyond "no crash": err is a terminated string; negotiation indices
 * and counts stay in range; an answer is exactly as long as returned, is
 * CRLF-terminated lines with no stray CR, LF or NUL (nothing from the offer
 * may inject a line), is reproduced byte for byte into a buffer of exactly
 * that size plus one, and is refused (MCU_EINVAL) one byte shorter without
 * writing past the buffer (ASan watches the exact-size heap buffers).
 */
#include "signaling/sdp.h"
#include "base/err.h"
#include "signaling/sdpanswer.h"
#include "signaling/sdprtp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: check failed: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

#define ANSWER_SIZE 16384 /* what whip.c gives sdpanswer_build */

static const char *const local_candidates[] = {
	"candidate:1 1 udp 2130706431 192.0.2.1 40000 typ host",
	"candidate:2 1 udp 1694498815 198.51.100.7 40000 typ srflx raddr 192.0.2.1 rport 40000",
};

static void check_err(const char *err, size_t size)
{
	CHECK(memchr(err, '\0', size) != NULL);
}

/* Lines end in CRLF; no CR, LF or NUL elsewhere. */
static void check_lines(const char *buf, int n)
{
	CHECK(n > 0 && (size_t)n == strlen(buf));
	CHECK(n >= 2 && buf[n - 2] == '\r' && buf[n - 1] == '\n');
	for (int i = 0; i < n; i++) {
		if (buf[i] == '\r')
			CHECK(i + 1 < n && buf[i + 1] == '\n');
		else if (buf[i] == '\n')
			CHECK(i > 0 && buf[i - 1] == '\r');
	}
}

typedef int build_fn(const struct sdp_offer *, const void *neg, const void *local,
		     char *buf, size_t size);

static int build_webrtc(const struct sdp_offer *o, const void *neg, const void *local,
			char *buf, size_t size)
{
	return sdpanswer_build(o, neg, local, buf, size);
}

static int build_rtp(const struct sdp_offer *o, const void *neg, const void *local,
		     char *buf, size_t size)
{
	return sdprtp_build_answer(o, neg, local, buf, size);
}

/* Builds into ANSWER_SIZE, then into exactly n + 1 and n bytes. */
static void build_checked(build_fn *build, const struct sdp_offer *o, const void *neg,
			  const void *local)
{
	char *buf = malloc(ANSWER_SIZE);
	CHECK(buf);
	int n = build(o, neg, local, buf, ANSWER_SIZE);
	CHECK(n == MCU_EINVAL || (n > 0 && n < ANSWER_SIZE));
	if (n > 0) {
		check_lines(buf, n);
		char *exact = malloc((size_t)n + 1);
		CHECK(exact);
		CHECK(build(o, neg, local, exact, (size_t)n + 1) == n);
		CHECK(!memcmp(exact, buf, (size_t)n + 1));
		free(exact);
		char *shorter = malloc((size_t)n);
		CHECK(shorter);
		CHECK(build(o, neg, local, shorter, (size_t)n) == MCU_EINVAL);
		free(shorter);
	}
	free(buf);
}

static void check_negotiation(const struct sdp_offer *o, const struct sdp_negotiation *neg)
{
	CHECK(neg->audio_index >= -1 && neg->audio_index < o->n_media);
	CHECK(neg->video_index >= -1 && neg->video_index < o->n_media);
	for (int i = 0; i < o->n_media; i++) {
		const struct sdp_media_answer *m = &neg->media[i];
		CHECK(m->n_recv_pts >= 0 && m->n_recv_pts <= 4);
		for (int k = 0; k < m->n_recv_pts; k++)
			CHECK(m->recv_pts[k] >= 0 && m->recv_pts[k] <= 127);
		CHECK(m->send_pt >= -1 && m->send_pt <= 127);
	}
}

static void webrtc(const struct sdp_offer *o)
{
	struct sdp_negotiation neg;
	char err[256];
	memset(err, 'x', sizeof(err));
	int rc = sdpanswer_negotiate(o, &neg, err, sizeof(err));
	check_err(err, sizeof(err));
	CHECK(rc == 0 || rc == MCU_EPROTO || rc == MCU_EUNSUPPORTED);
	if (rc)
		return;
	check_negotiation(o, &neg);
	struct sdp_local local = {
		.ice_ufrag = "fUzZ", .ice_pwd = "fuzzfuzzfuzzfuzzfuzzfuzz",
		.fingerprint = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
			       "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
		.candidates = local_candidates, .n_candidates = 2,
		.audio_ssrc = 0x11111111, .video_ssrc = 0x22222222,
		.cname = "mcu", .stream_id = "mcu-mix", .session_id = 0x123456789abcdefULL,
	};
	build_checked(build_webrtc, o, &neg, &local);
}

static void plain_rtp(const struct sdp_offer *o)
{
	struct sdp_rtp_negotiation neg;
	char err[256];
	memset(err, 'x', sizeof(err));
	int rc = sdprtp_negotiate(o, &neg, err, sizeof(err));
	check_err(err, sizeof(err));
	CHECK(rc == 0 || rc == MCU_EPROTO || rc == MCU_EUNSUPPORTED);
	if (rc)
		return;
	CHECK(neg.audio.index >= -1 && neg.audio.index < o->n_media);
	CHECK(neg.video.index >= -1 && neg.video.index < o->n_media);
	struct sdp_rtp_local local = {
		.addr = "192.0.2.1", .audio_port = 40000, .video_port = 40002,
		.audio_ssrc = 0x33333333, .video_ssrc = 0x44444444, .session_id = 42,
	};
	build_checked(build_rtp, o, &neg, &local);
	local.addr = "2001:db8::1";
	build_checked(build_rtp, o, &neg, &local);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* ~250 KB: on the heap, as whip.c has it. */
	struct sdp_offer *o = malloc(sizeof(*o));
	CHECK(o);
	char err[256];
	memset(err, 'x', sizeof(err));
	int rc = sdp_parse((const char *)data, size, o, err, sizeof(err));
	check_err(err, sizeof(err));
	CHECK(rc == 0 || rc == MCU_EPROTO);
	if (rc == 0) {
		CHECK(o->n_media >= 0 && o->n_media <= SDP_MAX_MEDIA);
		CHECK(o->n_bundle >= 0 && o->n_bundle <= SDP_MAX_MEDIA);
		for (int i = 0; i < o->n_media; i++) {
			const struct sdp_media *m = &o->media[i];
			CHECK(m->n_codecs >= 0 && m->n_codecs <= SDP_MAX_CODECS);
			CHECK(m->n_extmaps >= 0 && m->n_extmaps <= SDP_MAX_EXTMAPS);
			CHECK(m->n_candidates >= 0 && m->n_candidates <= SDP_MAX_CANDIDATES);
		}
		webrtc(o);
		plain_rtp(o);
	}
	free(o);
	return 0;
}
