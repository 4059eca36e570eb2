/*
 * dtlsfixture.c - see dtlsfixture.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dtlsfixture.h"

#include "base/err.h"
#include "mcu/net/srtpctx.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <stdlib.h>
#include <string.h>

void dtlsfixture_format_fingerprint(const X509 *cert, bool upper, char out[FP_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	assert_int_equal(X509_digest(cert, EVP_sha256(), md, &n), 1);
	assert_int_equal(n, 32);
	const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char *p = out;
	for (unsigned int i = 0; i < n; i++) {
		if (i > 0)
			*p++ = ':';
		*p++ = hex[md[i] >> 4];
		*p++ = hex[md[i] & 0x0f];
	}
	*p = '\0';
}

/* A fresh P-256 key and a self-signed certificate for it, as browsers make. */
void dtlsfixture_make_cert(long serial, EVP_PKEY **key_out, X509 **cert_out)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	assert_non_null(key);
	X509 *cert = X509_new();
	assert_non_null(cert);
	assert_int_equal(X509_set_version(cert, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(cert), serial), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(cert), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(cert), 7 * 86400L));
	assert_int_equal(X509_set_pubkey(cert, key), 1);
	X509_NAME *name = X509_get_subject_name(cert);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
						    (const unsigned char *)"test-client",
						    -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(cert, name), 1);
	assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
	*key_out = key;
	*cert_out = cert;
}

static int trust_anything(int preverify_ok, X509_STORE_CTX *store)
{
	(void)preverify_ok;
	(void)store;
	return 1;
}

static int trust_nothing(int preverify_ok, X509_STORE_CTX *store)
{
	(void)preverify_ok;
	(void)store;
	return 0;
}

/* The client's DTLS timer: 10 s, so it never retransmits in a test. The
 * tests drive the server's timer; a client retransmission would land in the
 * same memory BIO as its next flight and reach the server glued to it. */
static unsigned int slow_client_timer(SSL *ssl, unsigned int previous_us)
{
	(void)ssl;
	(void)previous_us;
	return 10u * 1000 * 1000;
}

static void client_init(struct dtlsfixture_client *c, const struct dtlsfixture_client_opts *o)
{
	memset(c, 0, sizeof(*c));
	dtlsfixture_make_cert(2, &c->key, &c->cert);
	dtlsfixture_format_fingerprint(c->cert, true, c->fingerprint);

	c->ctx = SSL_CTX_new(DTLS_client_method());
	assert_non_null(c->ctx);
	assert_int_equal(SSL_CTX_set_min_proto_version(c->ctx, DTLS1_2_VERSION), 1);
	assert_int_equal(SSL_CTX_use_certificate(c->ctx, c->cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(c->ctx, c->key), 1);
	if (o->srtp_profiles) /* returns 0 on success */
		assert_int_equal(SSL_CTX_set_tlsext_use_srtp(c->ctx, o->srtp_profiles), 0);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER,
			   o->refuse_server_cert ? trust_nothing : trust_anything);
	/* A memory BIO cannot tell the MTU: we set it. */
	SSL_CTX_set_options(c->ctx, SSL_OP_NO_QUERY_MTU);

	c->ssl = SSL_new(c->ctx);
	assert_non_null(c->ssl);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	assert_non_null(c->rbio);
	assert_non_null(c->wbio);
	/* Empty means "nothing yet", not end of file. */
	BIO_set_mem_eof_return(c->rbio, -1);
	BIO_set_mem_eof_return(c->wbio, -1);
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	assert_int_equal(DTLS_set_link_mtu(c->ssl, CLIENT_MTU), 1);
	DTLS_set_timer_cb(c->ssl, slow_client_timer);
	SSL_set_connect_state(c->ssl);
}

static void client_free(struct dtlsfixture_client *c)
{
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	X509_free(c->cert);
	EVP_PKEY_free(c->key);
}

/* The server's send callback. */
void dtlsfixture_on_send(void *user, const uint8_t *data, size_t len)
{
	struct dtlsfixture_wire *w = user;
	if (w->count >= MAX_DGRAMS || len > MAX_DGRAM || len == 0) {
		w->overflow = true;
		return;
	}
	memcpy(w->data[w->count], data, len);
	w->len[w->count] = len;
	w->count++;
	w->total++;
}

/* A client and a server session for it from id. fingerprint is what the
 * "offer" says; NULL means the client's real one. */
struct dtlsfixture_bench *dtlsfixture_bench_new(struct dtls_identity *id,
						const struct dtlsfixture_client_opts *o,
						const char *fingerprint)
{
	struct dtlsfixture_bench *b = calloc(1, sizeof(*b));
	assert_non_null(b);
	client_init(&b->c, o);
	assert_int_equal(dtls_create(id, fingerprint ? fingerprint : b->c.fingerprint,
				     dtlsfixture_on_send, &b->w, &b->d), 0);
	assert_non_null(b->d);
	assert_int_equal(dtls_state(b->d), DTLS_NEW);
	b->seen[b->nseen++] = DTLS_NEW;
	return b;
}

void dtlsfixture_bench_free(struct dtlsfixture_bench *b)
{
	dtls_destroy(b->d);
	client_free(&b->c);
	free(b);
}

/* Records the server's state after a datagram and checks what must hold
 * in it. */
static void note_state(struct dtlsfixture_bench *b)
{
	enum dtls_state st = dtls_state(b->d);
	if (st != b->seen[b->nseen - 1]) {
		assert_true(b->nseen < (int)(sizeof(b->seen) / sizeof(b->seen[0])));
		b->seen[b->nseen++] = st;
	}
	struct srtpctx_keys k;
	if (st != DTLS_CONNECTED)
		assert_int_equal(dtls_srtp_keys(b->d, &k), MCU_EAGAIN);
	if (st == DTLS_FAILED)
		assert_true(dtls_failure(b->d)[0] != '\0');
	else
		assert_string_equal(dtls_failure(b->d), "");
}

static int feed_server(struct dtlsfixture_bench *b, const uint8_t *data, size_t len)
{
	int rc = dtls_handle_datagram(b->d, data, len);
	assert_true(rc == 0 || rc == MCU_EPROTO);
	if (rc && !b->first_error)
		b->first_error = rc;
	note_state(b);
	return rc;
}

/* Moves everything the client wrote to the server as one datagram: DTLS lets
 * one datagram carry several records, as browsers pack a flight. Returns the
 * bytes moved. */
size_t dtlsfixture_client_to_server(struct dtlsfixture_bench *b)
{
	static const size_t cap = 16384;
	size_t pending = BIO_ctrl_pending(b->c.wbio);
	if (pending == 0)
		return 0;
	assert_true(pending <= cap);
	uint8_t *buf = malloc(cap);
	assert_non_null(buf);
	int n = BIO_read(b->c.wbio, buf, (int)pending);
	assert_int_equal(n, (int)pending);
	feed_server(b, buf, pending);
	if (b->duplicate)
		feed_server(b, buf, pending);
	free(buf);
	return pending;
}

/* Hands the server's queued datagrams to the client. Returns how many. */
int dtlsfixture_server_to_client(struct dtlsfixture_bench *b)
{
	assert_false(b->w.overflow);
	int n = b->w.count;
	for (int i = 0; i < n; i++)
		assert_int_equal(BIO_write(b->c.rbio, b->w.data[i], (int)b->w.len[i]),
				 (int)b->w.len[i]);
	b->w.count = 0;
	return n;
}

void dtlsfixture_client_step(struct dtlsfixture_client *c)
{
	if (c->done || c->failed)
		return;
	int ret = SSL_do_handshake(c->ssl);
	if (ret == 1) {
		c->done = true;
		return;
	}
	int e = SSL_get_error(c->ssl, ret);
	if (e != SSL_ERROR_WANT_READ) {
		c->failed = true;
		/* The client's error is the test's business: leave the thread's
		 * queue as clean as a transport thread's would be. */
		ERR_clear_error();
	}
}

/* Runs the handshake until nothing moves any more (bounded). */
void dtlsfixture_pump(struct dtlsfixture_bench *b)
{
	for (int round = 0; round < HANDSHAKE_ROUNDS; round++) {
		dtlsfixture_client_step(&b->c);
		size_t up = dtlsfixture_client_to_server(b);
		int down = dtlsfixture_server_to_client(b);
		if (up == 0 && down == 0)
			return;
	}
	fail_msg("the handshake did not settle in %d rounds", HANDSHAKE_ROUNDS);
}
