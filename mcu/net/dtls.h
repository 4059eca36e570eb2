/*
 * dtls.h - DTLS 1.2 for DTLS-SRTP (RFC 5763/5764) over memory BIOs.
 *
 * struct dtls_identity is the server's one certificate (ECDSA P-256, made at
 * start-up) and its sha-256 fingerprint; every endpoint's answer carries it.
 * struct dtls is one endpoint's handshake, always in the server role (our
 * answers say a=setup:passive). It owns no socket: datagrams come in through
 * dtls_handle_datagram() and go out through the send callback, so the ICE
 * layer decides the path. After the handshake the peer certificate's
 * fingerprint must equal the one in the offer, and the SRTP keys can be read.
 */
#ifndef MCU_DTLS_H
#define MCU_DTLS_H

#include "srtpctx.h"

#include <stddef.h>
#include <stdint.h>

struct dtls_identity;
struct dtls;

enum dtls_state {
	DTLS_NEW,         /* nothing received yet */
	DTLS_CONNECTING,  /* handshake under way */
	DTLS_CONNECTED,   /* handshake done, fingerprint verified, keys ready */
	DTLS_FAILED,      /* alert, bad fingerprint or protocol error: final */
	DTLS_CLOSED,      /* peer sent close_notify: final */
};

/* Returns a static name: "new", "connecting", "connected", "failed", "closed". */
const char *dtls_state_name(enum dtls_state state);

/* Makes a fresh ECDSA P-256 key and self-signed certificate.
 * Returns 0, MCU_ENOMEM or MCU_EIO. Thread: any (main at start-up). */
int dtls_identity_create(struct dtls_identity **out);

/* "AB:CD:..." sha-256 of the certificate, upper-case hex. Borrowed; lives
 * as long as the identity. Thread: any. */
const char *dtls_identity_fingerprint(const struct dtls_identity *id);

/* Frees the identity; accepts NULL. Every dtls made from it must be gone. */
void dtls_identity_destroy(struct dtls_identity *id);

/* Called with each datagram to send to the peer; data is borrowed for the call. */
typedef void dtls_send_fn(void *user, const uint8_t *data, size_t len);

/*
 * Creates a server-role session. remote_fingerprint is the offer's sha-256
 * fingerprint (any case, with colons), copied. id is borrowed and must outlive
 * the session. Returns 0, MCU_EINVAL, MCU_ENOMEM or MCU_EIO.
 * Thread: any; afterwards, only the endpoint's transport thread.
 */
int dtls_create(struct dtls_identity *id, const char *remote_fingerprint,
		dtls_send_fn *send, void *user, struct dtls **out);

/* Frees the session; accepts NULL. Sends nothing. */
void dtls_destroy(struct dtls *d);

/*
 * Feeds one DTLS datagram from the peer and sends whatever the handshake
 * answers. Returns 0 (check dtls_state() for progress) or MCU_EPROTO when the
 * session failed on this datagram (state is then DTLS_FAILED).
 */
int dtls_handle_datagram(struct dtls *d, const uint8_t *data, size_t len);

/* Retransmits a lost flight when OpenSSL's timer has expired. Call every
 * ~100 ms while connecting. Returns 0 or MCU_EPROTO (then failed). */
int dtls_handle_timeout(struct dtls *d);

enum dtls_state dtls_state(const struct dtls *d);

/* The SRTP profile and keys, split into local (server) and remote (client)
 * halves. Returns 0, or MCU_EAGAIN before DTLS_CONNECTED. */
int dtls_srtp_keys(const struct dtls *d, struct srtpctx_keys *out);

/* A short text of why the session failed ("fingerprint mismatch", an alert
 * description), "" otherwise. Borrowed. */
const char *dtls_failure(const struct dtls *d);

#endif
