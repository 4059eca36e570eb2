/*
 * srtpctx.h - one endpoint's SRTP/SRTCP contexts (libsrtp2), inbound and
 * outbound, keyed from a DTLS-SRTP handshake (RFC 5764).
 *
 * Named srtpctx so its prefix stays clear of libsrtp2's own srtp_*.
 * A context is used by one thread at a time: the endpoint's transport thread.
 */
#ifndef MCU_SRTPCTX_H
#define MCU_SRTPCTX_H

#include <stddef.h>
#include <stdint.h>

/* Room the SRTP/SRTCP trailer needs after a packet (auth tag, MKI, index). */
#define SRTPCTX_MAX_TRAILER 32

enum srtpctx_profile {
	SRTPCTX_AES128_CM_SHA1_80 = 1, /* RFC 5764 profile 0x0001 */
	SRTPCTX_AEAD_AES_128_GCM = 7,  /* RFC 7714 profile 0x0007 */
};

/* Keys exported from DTLS, already split into our side and the peer's. */
struct srtpctx_keys {
	enum srtpctx_profile profile;
	uint8_t local_key[16];   /* protects what we send */
	uint8_t local_salt[14];
	uint8_t remote_key[16];  /* unprotects what the peer sends */
	uint8_t remote_salt[14];
	size_t key_len;          /* 16 for both profiles */
	size_t salt_len;         /* 14 for AES-CM, 12 for AES-GCM */
};

struct srtpctx;

/* Calls srtp_init() once per process. Main calls it before any endpoint;
 * tests call it too. Returns 0 or MCU_EIO. */
int srtpctx_library_init(void);

/* Profile name as in the use_srtp extension ("SRTP_AES128_CM_SHA1_80"). */
const char *srtpctx_profile_name(enum srtpctx_profile profile);

/* Creates inbound and outbound contexts from keys (borrowed; copied).
 * Returns 0, MCU_EINVAL for a bad profile, MCU_ENOMEM or MCU_EIO. */
int srtpctx_create(const struct srtpctx_keys *keys, struct srtpctx **out);

/* Frees ctx; accepts NULL. */
void srtpctx_destroy(struct srtpctx *ctx);

/*
 * In-place transforms. *len is the packet length in and out. protect needs
 * capacity >= *len + SRTPCTX_MAX_TRAILER. unprotect returns MCU_EPROTO for a
 * packet that fails authentication or replay checks (drop it), protect
 * MCU_EINVAL when capacity is short or MCU_EIO on a library error.
 */
int srtpctx_protect_rtp(struct srtpctx *ctx, uint8_t *pkt, size_t *len, size_t capacity);
int srtpctx_protect_rtcp(struct srtpctx *ctx, uint8_t *pkt, size_t *len, size_t capacity);
int srtpctx_unprotect_rtp(struct srtpctx *ctx, uint8_t *pkt, size_t *len);
int srtpctx_unprotect_rtcp(struct srtpctx *ctx, uint8_t *pkt, size_t *len);

#endif
