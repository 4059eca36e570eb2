/*
 * dtls.c - see dtls.h.
 *
 * DESIGN. The identity owns the one SSL_CTX every session is made from
 * (SSL_new on a shared context is thread-safe), the certificate and a BIO
 * method for the outbound side. A session reads from a memory BIO that holds
 * exactly the datagram being handled, and writes through that custom BIO, whose
 * write callback hands each record flight piece straight to the send callback:
 * a memory BIO would glue datagrams together, and DTLS needs their boundaries.
 * The peer's certificate is accepted during the handshake (WebRTC peers are
 * self-signed) and judged afterwards against the fingerprint from the offer;
 * the SRTP keys are exported once, when the handshake completes.
 */
#include "dtls.h"
#include "base/err.h"
#include "base/log.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FINGERPRINT_CHARS 96   /* 32 bytes as "XX:" minus the last colon, + NUL */
#define CERT_DAYS 30
/* Leaves room under a 1280-byte IPv6 path for UDP and TURN framing. */
#define DTLS_LINK_MTU 1200
#define SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"
#define CIPHERS "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" \
		"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:" \
		"ECDHE-RSA-AES256-GCM-SHA384"
#define EXPORTER_LABEL "EXTRACTOR-dtls_srtp"
#define SRTP_KEY_LEN 16

struct dtls_identity {
	EVP_PKEY *key;
	X509 *cert;
	SSL_CTX *ctx;
	BIO_METHOD *out_method;
	char fingerprint[FINGERPRINT_CHARS];
};

struct dtls {
	SSL *ssl;
	BIO *in;                    /* memory BIO: the datagram being handled */
	dtls_send_fn *send;
	void *user;
	enum dtls_state state;
	char remote_fingerprint[FINGERPRINT_CHARS];
	struct srtpctx_keys keys;   /* valid in DTLS_CONNECTED */
	char failure[128];
};

const char *dtls_state_name(enum dtls_state state)
{
	switch (state) {
	case DTLS_NEW: return "new";
	case DTLS_CONNECTING: return "connecting";
	case DTLS_CONNECTED: return "connected";
	case DTLS_FAILED: return "failed";
	case DTLS_CLOSED: return "closed";
	}
	return "unknown";
}

/* Logs and empties OpenSSL's error queue for this thread; the first reason
 * goes to buf when given. */
static void drain_errors(const char *what, char *buf, size_t size)
{
	unsigned long e;
	bool first = true;
	while ((e = ERR_get_error()) != 0) {
		char text[256];
		ERR_error_string_n(e, text, sizeof(text));
		const char *reason = ERR_reason_error_string(e);
		if (first && buf) {
			/* the short reason is what a user can read; the code is in the log */
			size_t n = strnlen(reason ? reason : text, size - 1);
			memcpy(buf, reason ? reason : text, n);
			buf[n] = '\0';
		}
		if (first)
			LOG_D("dtls", "%s: %s", what, text);
		first = false;
	}
}

/* "AB:CD:..." of the sha-256 digest of cert into out (FINGERPRINT_CHARS). */
static int cert_fingerprint(const X509 *cert, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (!X509_digest(cert, EVP_sha256(), md, &n) || n != 32)
		return MCU_EIO;
	for (unsigned int i = 0; i < n; i++)
		snprintf(out + i * 3, 4, i + 1 < n ? "%02X:" : "%02X", md[i]);
	return 0;
}

static X509 *make_certificate(EVP_PKEY *key)
{
	X509 *cert = X509_new();
	X509_NAME *name = NULL;
	if (!cert)
		return NULL;
	unsigned char serial[8];
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f; /* a positive serial */
	BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
	bool ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
	BN_free(bn);
	if (!ok || !X509_set_version(cert, 2) ||
	    !X509_gmtime_adj(X509_getm_notBefore(cert), -24L * 3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(cert), CERT_DAYS * 24L * 3600) ||
	    !X509_set_pubkey(cert, key))
		goto fail;
	name = X509_NAME_new();
	if (!name || !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
						 (const unsigned char *)"mcu", -1, -1, 0) ||
	    !X509_set_subject_name(cert, name) || !X509_set_issuer_name(cert, name) ||
	    !X509_sign(cert, key, EVP_sha256()))
		goto fail;
	X509_NAME_free(name);
	return cert;
fail:
	X509_NAME_free(name);
	X509_free(cert);
	return NULL;
}

/* WebRTC peers present self-signed certificates: accept any here and check
 * the fingerprint from the offer once the handshake is done. */
static int accept_any_certificate(int preverify_ok, X509_STORE_CTX *store)
{
	(void)preverify_ok;
	(void)store;
	return 1;
}

/* The outbound BIO: each write is one datagram for the send callback. */
static int out_write(BIO *bio, const char *data, int len)
{
	struct dtls *d = BIO_get_data(bio);
	if (len <= 0)
		return 0;
	if (d && d->send)
		d->send(d->user, (const uint8_t *)data, (size_t)len);
	return len;
}

static long out_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
	(void)bio;
	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_DGRAM_QUERY_MTU:
		return DTLS_LINK_MTU;
	case BIO_CTRL_WPENDING:
	case BIO_CTRL_PENDING:
	default:
		return 0;
	}
}

static int out_create(BIO *bio)
{
	BIO_set_init(bio, 1);
	return 1;
}

static SSL_CTX *make_context(EVP_PKEY *key, X509 *cert)
{
	SSL_CTX *ctx = SSL_CTX_new(DTLS_server_method());
	if (!ctx)
		return NULL;
	if (!SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) ||
	    SSL_CTX_use_certificate(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, CIPHERS) != 1 ||
	    /* this one call returns 0 on success */
	    SSL_CTX_set_tlsext_use_srtp(ctx, SRTP_PROFILES) != 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
			   accept_any_certificate);
	/* ICE has already checked the peer's address: no cookie round trip. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET);
	SSL_CTX_set_read_ahead(ctx, 1);
	return ctx;
}

int dtls_identity_create(struct dtls_identity **out)
{
	*out = NULL;
	struct dtls_identity *id = calloc(1, sizeof(*id));
	if (!id)
		return MCU_ENOMEM;
	id->key = EVP_EC_gen("P-256");
	if (!id->key)
		goto fail;
	id->cert = make_certificate(id->key);
	if (!id->cert || cert_fingerprint(id->cert, id->fingerprint))
		goto fail;
	id->ctx = make_context(id->key, id->cert);
	if (!id->ctx)
		goto fail;
	id->out_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "mcu dtls out");
	if (!id->out_method || !BIO_meth_set_write(id->out_method, out_write) ||
	    !BIO_meth_set_ctrl(id->out_method, out_ctrl) ||
	    !BIO_meth_set_create(id->out_method, out_create))
		goto fail;
	*out = id;
	return 0;
fail:
	drain_errors("identity", NULL, 0);
	LOG_E("dtls", "cannot make the DTLS certificate");
	dtls_identity_destroy(id);
	return MCU_EIO;
}

const char *dtls_identity_fingerprint(const struct dtls_identity *id)
{
	return id->fingerprint;
}

void dtls_identity_destroy(struct dtls_identity *id)
{
	if (!id)
		return;
	BIO_meth_free(id->out_method);
	SSL_CTX_free(id->ctx);
	X509_free(id->cert);
	EVP_PKEY_free(id->key);
	free(id);
}

/* Copies a sha-256 fingerprint in upper case; false unless it is 32 hex
 * pairs separated by colons. */
static bool normalize_fingerprint(const char *in, char *out)
{
	if (!in || strlen(in) != FINGERPRINT_CHARS - 1)
		return false;
	for (size_t i = 0; i < FINGERPRINT_CHARS - 1; i++) {
		bool colon_place = i % 3 == 2;
		if (colon_place ? in[i] != ':' : !isxdigit((unsigned char)in[i]))
			return false;
		out[i] = (char)toupper((unsigned char)in[i]);
	}
	out[FINGERPRINT_CHARS - 1] = '\0';
	return true;
}

int dtls_create(struct dtls_identity *id, const char *remote_fingerprint,
		dtls_send_fn *send, void *user, struct dtls **out)
{
	*out = NULL;
	if (!id || !send)
		return MCU_EINVAL;
	struct dtls *d = calloc(1, sizeof(*d));
	if (!d)
		return MCU_ENOMEM;
	if (!normalize_fingerprint(remote_fingerprint, d->remote_fingerprint)) {
		free(d);
		return MCU_EINVAL;
	}
	d->send = send;
	d->user = user;
	d->state = DTLS_NEW;

	BIO *wbio = NULL;
	d->ssl = SSL_new(id->ctx);
	d->in = BIO_new(BIO_s_mem());
	wbio = BIO_new(id->out_method);
	if (!d->ssl || !d->in || !wbio) {
		BIO_free(d->in);
		d->in = NULL;
		BIO_free(wbio);
		goto fail;
	}
	/* An empty read means "wait for the next datagram", not end of file. */
	BIO_set_mem_eof_return(d->in, -1);
	BIO_set_data(wbio, d);
	SSL_set_bio(d->ssl, d->in, wbio); /* the SSL owns both BIOs now */
	DTLS_set_link_mtu(d->ssl, DTLS_LINK_MTU);
	SSL_set_accept_state(d->ssl);
	*out = d;
	return 0;
fail:
	drain_errors("session", NULL, 0);
	dtls_destroy(d);
	return MCU_ENOMEM;
}

void dtls_destroy(struct dtls *d)
{
	if (!d)
		return;
	if (d->ssl) {
		/* Nothing may reach the peer from a session being freed. */
		BIO_set_data(SSL_get_wbio(d->ssl), NULL);
		SSL_free(d->ssl);
	}
	explicit_bzero(&d->keys, sizeof(d->keys));
	free(d);
}

static int mark_failed(struct dtls *d, const char *why)
{
	d->state = DTLS_FAILED;
	if (!d->failure[0])
		snprintf(d->failure, sizeof(d->failure), "%s", why);
	return MCU_EPROTO;
}

/* Reads the negotiated profile and splits the exported keying material
 * (RFC 5764 4.2: client key, server key, client salt, server salt). */
static int export_keys(struct dtls *d)
{
	const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(d->ssl);
	if (!p)
		return mark_failed(d, "the peer offered no SRTP profile we take");
	struct srtpctx_keys *k = &d->keys;
	if (p->id == SRTP_AES128_CM_SHA1_80) {
		k->profile = SRTPCTX_AES128_CM_SHA1_80;
		k->salt_len = 14;
	} else if (p->id == SRTP_AEAD_AES_128_GCM) {
		k->profile = SRTPCTX_AEAD_AES_128_GCM;
		k->salt_len = 12;
	} else {
		return mark_failed(d, "unexpected SRTP profile");
	}
	k->key_len = SRTP_KEY_LEN;
	uint8_t material[2 * (SRTP_KEY_LEN + 14)];
	size_t total = 2 * (k->key_len + k->salt_len);
	if (SSL_export_keying_material(d->ssl, material, total, EXPORTER_LABEL,
				       strlen(EXPORTER_LABEL), NULL, 0, 0) != 1) {
		drain_errors("export", NULL, 0);
		return mark_failed(d, "cannot export the SRTP keys");
	}
	const uint8_t *client_key = material;
	const uint8_t *server_key = client_key + k->key_len;
	const uint8_t *client_salt = server_key + k->key_len;
	const uint8_t *server_salt = client_salt + k->salt_len;
	memcpy(k->local_key, server_key, k->key_len);
	memcpy(k->remote_key, client_key, k->key_len);
	memcpy(k->local_salt, server_salt, k->salt_len);
	memcpy(k->remote_salt, client_salt, k->salt_len);
	explicit_bzero(material, sizeof(material));
	return 0;
}

static int verify_peer(struct dtls *d)
{
	X509 *peer = SSL_get1_peer_certificate(d->ssl);
	if (!peer)
		return mark_failed(d, "the peer sent no certificate");
	char seen[FINGERPRINT_CHARS];
	int rc = cert_fingerprint(peer, seen);
	X509_free(peer);
	if (rc)
		return mark_failed(d, "cannot hash the peer certificate");
	if (CRYPTO_memcmp(seen, d->remote_fingerprint, FINGERPRINT_CHARS) != 0)
		return mark_failed(d, "fingerprint mismatch: the peer certificate is not the one in the offer");
	return 0;
}

/* Judges an SSL call's result: 0 to go on, MCU_EPROTO when it failed. */
static int check_result(struct dtls *d, int ret, const char *what)
{
	int e = SSL_get_error(d->ssl, ret);
	switch (e) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		ERR_clear_error();
		return 0;
	case SSL_ERROR_ZERO_RETURN:
		d->state = DTLS_CLOSED;
		return 0;
	case SSL_ERROR_SYSCALL:
		/* A record too short to decrypt ends the read with nothing queued:
		 * DTLS drops bad records silently (RFC 6347 4.1.2.7), so do we. */
		if (d->state == DTLS_CONNECTED && ERR_peek_error() == 0 &&
		    !(SSL_get_shutdown(d->ssl) & SSL_RECEIVED_SHUTDOWN))
			return 0;
		/* fall through */
	default: {
		char reason[96] = "";
		drain_errors(what, reason, sizeof(reason));
		if (!reason[0])
			snprintf(reason, sizeof(reason), "%s failed (ssl error %d)", what, e);
		return mark_failed(d, reason);
	}
	}
}

static int continue_handshake(struct dtls *d)
{
	d->state = DTLS_CONNECTING;
	/* SSL_get_error() judges by the thread's error queue: it must start empty. */
	ERR_clear_error();
	int ret = SSL_do_handshake(d->ssl);
	if (ret != 1)
		return check_result(d, ret, "handshake");
	int rc = verify_peer(d);
	if (!rc)
		rc = export_keys(d);
	if (rc)
		return rc;
	d->state = DTLS_CONNECTED;
	return 0;
}

/* After the handshake only alerts and close_notify matter; application data
 * is not part of DTLS-SRTP and is read and dropped. */
static int read_records(struct dtls *d)
{
	uint8_t sink[2048];
	for (int i = 0; i < 8; i++) {
		ERR_clear_error();
		int ret = SSL_read(d->ssl, sink, sizeof(sink));
		if (ret <= 0)
			return check_result(d, ret, "read");
	}
	return 0;
}

int dtls_handle_datagram(struct dtls *d, const uint8_t *data, size_t len)
{
	if (d->state == DTLS_FAILED)
		return MCU_EPROTO;
	if (d->state == DTLS_CLOSED || len == 0 || len > 65536)
		return 0;
	/* Whatever a previous datagram left unread is stale now. */
	(void)BIO_reset(d->in);
	if (BIO_write(d->in, data, (int)len) != (int)len)
		return mark_failed(d, "out of memory");
	if (d->state != DTLS_CONNECTED)
		return continue_handshake(d);
	return read_records(d);
}

int dtls_handle_timeout(struct dtls *d)
{
	if (d->state != DTLS_CONNECTING)
		return d->state == DTLS_FAILED ? MCU_EPROTO : 0;
	ERR_clear_error();
	if (DTLSv1_handle_timeout(d->ssl) < 0) {
		drain_errors("timeout", NULL, 0);
		return mark_failed(d, "handshake retransmissions exhausted");
	}
	return 0;
}

enum dtls_state dtls_state(const struct dtls *d)
{
	return d->state;
}

int dtls_srtp_keys(const struct dtls *d, struct srtpctx_keys *out)
{
	if (d->state != DTLS_CONNECTED)
		return MCU_EAGAIN;
	*out = d->keys;
	return 0;
}

const char *dtls_failure(const struct dtls *d)
{
	return d->failure;
}
