/*
 * sdpfixture.h - what the unit tests of the SDP modules (sdp_test,
 * sdpanswer_test, sdprtp_test) share: the offers and helpers that load,
 * parse, build and cut SDP text.
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
 * The test binaries run from the repository root, which is where the offers
 * are looked up. struct sdp_offer is about a quarter of a megabyte, so every
 * one lives on the heap. The helpers fail the running cmocka test (fail_msg)
 * rather than return errors: they are for cmocka tests only.
 */
#ifndef MCU_TESTS_SDPFIXTURE_H
#define MCU_TESTS_SDPFIXTURE_H

#include "signaling/sdp.h"

#include <stdbool.h>
#include <stddef.h>

/* Every offer in tests/unit/offers/; all of them must parse. */
extern const char *const sdpfixture_offers[];
extern const size_t sdpfixture_n_offers;

/* Returns the file's bytes, NUL-terminated (not counted in *len). */
char *sdpfixture_load(const char *name, size_t *len);

/* Parses len bytes from an exactly-sized copy, so that ASan catches a
 * parser that reads past len or relies on a NUL. Returns the code. */
int sdpfixture_parse_exact(const char *text, size_t len, struct sdp_offer *out,
			   char *err, size_t err_size);

/* Parses text that must be good; returns a new offer the caller frees. */
struct sdp_offer *sdpfixture_parse_ok(const char *what, const char *text, size_t len);

struct sdp_offer *sdpfixture_parse_file(const char *name);

const struct sdp_codec *sdpfixture_find_codec(const struct sdp_media *m, int pt);

/* Case-insensitive substring search (ASCII). */
bool sdpfixture_contains_ci(const char *hay, const char *needle);

/* Returns a new string with every "from" replaced by "to". */
char *sdpfixture_replace_all(const char *s, const char *from, const char *to);

/* A growing string for offers built in the test. */
struct sdpfixture_sbuf {
	char *s;
	size_t len, cap;
};

void sdpfixture_sb_add(struct sdpfixture_sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Session lines every built offer shares: ICE and DTLS at session level. */
void sdpfixture_sb_session(struct sdpfixture_sbuf *b, const char *bundle);

void sdpfixture_sb_opus(struct sdpfixture_sbuf *b, const char *mid);

/* The i-th m= section of an SDP text (from "m=" to the next one), new string. */
char *sdpfixture_section(const char *sdp, int index);

int sdpfixture_count_lines_starting(const char *sdp, const char *prefix);

/* Every line ends in CRLF, and there are no bare CRs or LFs. */
void sdpfixture_assert_crlf(const char *s, size_t n);

#endif
