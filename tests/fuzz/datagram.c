/*
 * datagram.c - fuzzes what a WebRTC endpoint does with the datagrams that
 * reach it after ICE (libnice keeps STUN to itself): the demux of RFC 7983
 * (rtp_demux), then DTLS records into a server-role session (mcu/net/dtls.c
 * over OpenSSL: ClientHellos, handshake fragments, alerts, garbage), and
 * RTP and RTCP through SRTP (mcu/net/srtpctx.c over libsrtp2) and the RTP and
 * RTCP parsers.
 *
 * The input is a sequence of datagrams, each a 2-byte big-endian length and
 * that many bytes; one DTLS session lives for the whole input, as it does
 * for an endpoint. An RTP or RTCP datagram is first unprotected as it
 * arrived (it fails authentication: it must fail cleanly), then protected
 * with the peer's keys and unprotected with ours, so libsrtp's header
 * walking (CSRCs, extensions, padding) is reached with any header, and what
 * comes out must equal what went in.
 *
 * Checks beyond "no crash": the DTLS state only moves forward to a final
 * state and stays there; a failed session refuses further datagrams; the
 * round trip through SRTP gives back the same bytes.
 */
#include "mcu/net/dtls.h"
#include "base/err.h"
#include "base/rtcp.h"
#include "base/rtp.h"
#include "mcu/net/srtpctx.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: check failed: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

#define MAX_DATAGRAMS 64
#define BUF 2048

static struct dtls_identity *identity;
static struct srtpctx *ours, *peers; /* peers' local keys are ours' remote ones */

static void count_sent(void *user, const uint8_t *data, size_t len)
{
	(void)data;
	*(size_t *)user += len;
}

static void init_once(void)
{
	if (identity)
		return;
	CHECK(srtpctx_library_init() == 0);
	CHECK(dtls_identity_create(&identity) == 0);
	struct srtpctx_keys k = { .profile = SRTPCTX_AES128_CM_SHA1_80, .key_len = 16, .salt_len = 14 };
	for (int i = 0; i < 16; i++) {
		k.local_key[i] = (uint8_t)i;
		k.remote_key[i] = (uint8_t)(0x80 + i);
	}
	for (int i = 0; i < 14; i++) {
		k.local_salt[i] = (uint8_t)(0x40 + i);
		k.remote_salt[i] = (uint8_t)(0xc0 + i);
	}
	CHECK(srtpctx_create(&k, &ours) == 0);
	struct srtpctx_keys swapped = k;
	memcpy(swapped.local_key, k.remote_key, 16);
	memcpy(swapped.remote_key, k.local_key, 16);
	memcpy(swapped.local_salt, k.remote_salt, 14);
	memcpy(swapped.remote_salt, k.local_salt, 14);
	CHECK(srtpctx_create(&swapped, &peers) == 0);
}

static bool final_state(enum dtls_state s)
{
	return s == DTLS_FAILED || s == DTLS_CLOSED;
}

static void on_dtls(struct dtls *d, const uint8_t *data, size_t len)
{
	enum dtls_state before = dtls_state(d);
	int rc = dtls_handle_datagram(d, data, len);
	enum dtls_state after = dtls_state(d);
	CHECK(rc == 0 || rc == MCU_EPROTO);
	if (rc == MCU_EPROTO)
		CHECK(after == DTLS_FAILED);
	if (final_state(before))
		CHECK(after == before);
	CHECK(after >= before || final_state(after));
	struct srtpctx_keys keys;
	CHECK(dtls_srtp_keys(d, &keys) == (after == DTLS_CONNECTED ? 0 : MCU_EAGAIN));
	CHECK(dtls_failure(d) != NULL);
	CHECK(dtls_handle_timeout(d) == 0 || final_state(dtls_state(d)));
}

static void on_media(const uint8_t *data, size_t len, bool rtcp)
{
	uint8_t pkt[BUF + 64], copy[BUF];
	size_t n = len;
	memcpy(pkt, data, len);
	int rc = rtcp ? srtpctx_unprotect_rtcp(ours, pkt, &n) : srtpctx_unprotect_rtp(ours, pkt, &n);
	CHECK(rc == 0 || rc == MCU_EPROTO || rc == MCU_EINVAL);

	/* Sealed by the peer, opened by us: the same bytes come back. */
	memcpy(pkt, data, len);
	memcpy(copy, data, len);
	n = len;
	rc = rtcp ? srtpctx_protect_rtcp(peers, pkt, &n, sizeof(pkt))
		  : srtpctx_protect_rtp(peers, pkt, &n, sizeof(pkt));
	if (rc)
		return; /* a header libsrtp will not protect */
	CHECK(n > len && n <= sizeof(pkt));
	rc = rtcp ? srtpctx_unprotect_rtcp(ours, pkt, &n) : srtpctx_unprotect_rtp(ours, pkt, &n);
	if (rc)
		return; /* a replayed sequence number (or index) within this input */
	CHECK(n == len && !memcmp(pkt, copy, len));
	if (rtcp) {
		size_t pos = 0;
		struct rtcp_packet p;
		for (int k = 0; k < 256 && rtcp_next(pkt, n, &pos, &p) == 1; k++)
			CHECK(p.offset + p.len <= n);
	} else {
		struct rtp_header h;
		if (!rtp_parse(pkt, n, &h))
			CHECK(h.payload_offset + h.payload_len <= n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init_once();
	size_t sent = 0;
	struct dtls *d = NULL;
	CHECK(dtls_create(identity, "AB:CD", count_sent, &sent, &d) == 0 ||
	      dtls_create(identity, "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
			  "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF", count_sent, &sent, &d) == 0);
	size_t off = 0;
	for (int i = 0; i < MAX_DATAGRAMS && size - off >= 2; i++) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len > size - off)
			len = size - off;
		if (len > BUF)
			len = BUF;
		const uint8_t *dg = data + off;
		off += len;
		switch (rtp_demux(dg, len)) {
		case RTP_DEMUX_DTLS:
			on_dtls(d, dg, len);
			break;
		case RTP_DEMUX_RTP:
			on_media(dg, len, false);
			break;
		case RTP_DEMUX_RTCP:
			on_media(dg, len, true);
			break;
		default:
			break;
		}
	}
	dtls_destroy(d);
	return 0;
}
