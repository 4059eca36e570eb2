/*
 * sdprtp.h - the server's answer to a plain RTP offer (legacy endpoints,
 * API.md section 3: ffmpeg, GStreamer, hardware room systems).
 *
 * sdprtp_negotiate() decides what the server takes from a parsed offer
 * (sdp.h); sdprtp_build_answer() writes the answer. The negotiation result
 * (struct sdp_rtp_negotiation) and our side of the session (struct
 * sdp_rtp_local) are plain data declared in sdp.h.
 *
 * Pure functions: no allocation, no I/O, no global state. Thread: any.
 */
#ifndef MCU_SDPRTP_H
#define MCU_SDPRTP_H

#include "sdp.h"

#include <stddef.h>

/*
 * Decides the answer to a plain RTP offer: every m= is RTP/AVP (or
 * RTP/AVPF), no ICE or DTLS is needed, a c= address (IPv4 or IPv6) and a
 * non-zero port say where media goes. Audio: the first of Opus, G722, PCMU,
 * PCMA (in that order of preference) that the offer lists, static payload
 * types included. Video: H.264 with packetization-mode 0 or 1, preferring
 * the offer's first H.264 format. Returns 0, MCU_EPROTO (not plain RTP, no
 * address, bad port) or MCU_EUNSUPPORTED (no codec we take); err says why.
 */
int sdprtp_negotiate(const struct sdp_offer *offer, struct sdp_rtp_negotiation *out,
		     char *err, size_t err_size);

/*
 * Writes the answer: c= with our address (IN IP4 or IN IP6 by its form),
 * each offered m= in order (rejected ones with port 0), the chosen payload
 * type with its rtpmap (and for H.264 an fmtp with the negotiated
 * packetization-mode and profile-level-id=42e01f), the direction,
 * a=rtcp-mux when offered, the audio level extmap when offered, and a=ssrc
 * lines. Returns the length or
 * MCU_EINVAL when buf is too small.
 */
int sdprtp_build_answer(const struct sdp_offer *offer, const struct sdp_rtp_negotiation *neg,
			const struct sdp_rtp_local *local, char *buf, size_t size);

#endif
