/*
 * dtlsfixture.h - what the unit tests of the DTLS-SRTP server session
 * (dtls_test, dtlsinput_test) share: a real OpenSSL DTLS client with memory
 * BIOs (what a browser would be), a server session for it, and the wire
 * between them: the server's datagrams queued by its send callback and fed
 * back to the client, the client's flights fed to the server.
 *
 * The helpers fail the running cmocka test (fail_msg, assert_*) rather than
 * return errors: they are for cmocka tests only.
 */
#ifndef MCU_TESTS_DTLSFIXTURE_H
#define MCU_TESTS_DTLSFIXTURE_H

#include "mcu/net/dtls.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FP_LEN 95            /* 32 bytes as "XX" joined by ':' */
#define MAX_DGRAMS 64        /* what the server may send between two reads */
#define MAX_DGRAM 4096
#define CLIENT_MTU 1200
#define HANDSHAKE_ROUNDS 12  /* a DTLS 1.2 handshake needs 3 */
#define BOTH_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"

/* The datagrams the server handed to its send callback since the last
 * delivery, with their boundaries. */
struct dtlsfixture_wire {
	int count;
	int total;          /* ever sent */
	bool overflow;      /* a datagram did not fit: asserted outside the callback */
	size_t len[MAX_DGRAMS];
	uint8_t data[MAX_DGRAMS][MAX_DGRAM];
};

/* The test's DTLS client: what a browser would be. */
struct dtlsfixture_client {
	EVP_PKEY *key;
	X509 *cert;
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rbio;      /* what the server sent; owned by ssl */
	BIO *wbio;      /* what the client wrote; owned by ssl */
	char fingerprint[FP_LEN + 1]; /* of cert, upper case */
	bool done;      /* the client finished its handshake */
	bool failed;    /* the client gave up (and sent an alert) */
};

struct dtlsfixture_client_opts {
	const char *srtp_profiles; /* NULL: no use_srtp extension */
	bool refuse_server_cert;   /* the client's verify callback says no */
};

/* One server session, its client and the wire between them. */
struct dtlsfixture_bench {
	struct dtls *d;
	struct dtlsfixture_client c;
	struct dtlsfixture_wire w;
	enum dtls_state seen[8]; /* distinct server states, in order */
	int nseen;
	int first_error;          /* first non-zero dtls_handle_datagram result */
	bool duplicate;           /* feed every client flight twice */
};

/* Writes cert's SHA-256 fingerprint as "XX:XX:..." (upper or lower case). */
void dtlsfixture_format_fingerprint(const X509 *cert, bool upper, char out[FP_LEN + 1]);

/* A fresh P-256 key and a self-signed certificate for it, as browsers make. */
void dtlsfixture_make_cert(long serial, EVP_PKEY **key_out, X509 **cert_out);

/* The server's send callback: user is a struct dtlsfixture_wire. */
void dtlsfixture_on_send(void *user, const uint8_t *data, size_t len);

/* A client and a server session for it from id. fingerprint is what the
 * "offer" says; NULL means the client's real one. Free with dtlsfixture_bench_free(). */
struct dtlsfixture_bench *dtlsfixture_bench_new(struct dtls_identity *id,
						const struct dtlsfixture_client_opts *o,
						const char *fingerprint);
void dtlsfixture_bench_free(struct dtlsfixture_bench *b);

/* Moves everything the client wrote to the server as one datagram (twice
 * when b->duplicate). Returns the bytes moved. */
size_t dtlsfixture_client_to_server(struct dtlsfixture_bench *b);

/* Hands the server's queued datagrams to the client. Returns how many. */
int dtlsfixture_server_to_client(struct dtlsfixture_bench *b);

/* One step of the client's handshake, unless it is done or has failed. */
void dtlsfixture_client_step(struct dtlsfixture_client *c);

/* Runs the handshake until nothing moves any more (bounded). */
void dtlsfixture_pump(struct dtlsfixture_bench *b);

#endif
