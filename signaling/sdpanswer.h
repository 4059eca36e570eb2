/*
 * sdpanswer.h - the server's answer to a WebRTC offer (RFC 8829, 8843,
 * 5763, 8839).
 *
 * sdpanswer_negotiate() decides what the server accepts from a parsed offer
 * (sdp.h), and why not, in words a user can act on; sdpanswer_build() writes
 * the answer. The negotiation result (struct sdp_negotiation) and our side of
 * the transport (struct sdp_local) are plain data declared in sdp.h.
 *
 * Pure functions: no allocation, no I/O, no global state. Thread: any.
 */
#ifndef MCU_SDPANSWER_H
#define MCU_SDPANSWER_H

#include "sdp.h"

#include <stddef.h>

/*
 * Decides the answer to a WebRTC offer (ICE + DTLS-SRTP + BUNDLE +
 * rtcp-mux). Accepts the first audio m= with Opus and the first video m= with
 * H.264 packetization-mode=1 (Constrained Baseline preferred) or VP8; others
 * are rejected. We send H.264 Constrained Baseline and Opus only.
 * Returns 0, MCU_EPROTO when the offer is unusable (no ICE credentials, no
 * sha-256 fingerprint, setup:passive, no BUNDLE, no rtcp-mux), or
 * MCU_EUNSUPPORTED when no m= has a codec we take; err says which.
 */
int sdpanswer_negotiate(const struct sdp_offer *offer, struct sdp_negotiation *out,
			char *err, size_t err_size);

/*
 * Writes the answer for offer/negotiation into buf (size bytes, NUL-terminated,
 * CRLF line ends) with a=setup:passive, a=rtcp-mux, the offer's BUNDLE group
 * (accepted mids only) and our candidates plus a=end-of-candidates.
 * Returns the length written, or MCU_EINVAL when buf is too small.
 */
int sdpanswer_build(const struct sdp_offer *offer, const struct sdp_negotiation *neg,
		    const struct sdp_local *local, char *buf, size_t size);

#endif
